"""The rally sign-in poster: one page, a big QR code of the event's sign-in URL.

A plain function over data writing to a file object (no Flask): the view formats
dates and URLs, this draws them. Text is bilingual (English / Spanish) and drawn
with the embedded Unicode fonts, so names in any script print as written.
"""

from dataclasses import dataclass, field
from typing import BinaryIO

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfgen.canvas import Canvas

from petitions.core import qr
from petitions.core.pdf.fonts import BOLD, REGULAR, draw_centred, new_canvas
from petitions.core.pdf.text import fit, wrap

PAPER = {"letter": LETTER, "a4": A4}
MARGIN = 42  # points (~15 mm): inside every printer's unprintable edge
BRAND = (0.043, 0.361, 0.678)  # #0b5cad
INK = (0.106, 0.122, 0.141)
MUTED = (0.29, 0.325, 0.376)


@dataclass
class PosterData:
    event_name: str
    signin_url: str  # what the QR code carries
    short_url: str  # the same address written out, without the scheme
    when: list[str] = field(default_factory=list)  # e.g. [English date line, Spanish date line]
    where: list[str] = field(default_factory=list)  # place, address, meeting point
    petition_title: str = ""


def _block(c: Canvas, cx: float, y: float, text: str, size: float, width: float, font: str,
           max_lines: int = 2, min_size: float | None = None) -> float:  # fmt: skip
    """Draw text centred, wrapped to at most max_lines (shrinking to fit); returns the new y."""
    min_size = min_size or size * 0.6
    while len(wrap(text, width, size, font)) > max_lines and size > min_size:
        size = max(min_size, size * 0.9)
    for line in wrap(text, width, size, font, max_lines):
        y -= size * 1.15
        draw_centred(c, cx, y, line, size, font)
    return y


def _centred_line(c: Canvas, cx: float, y: float, line: str, width: float, size: float,
                  min_size: float, font: str) -> float:  # fmt: skip
    """One line centred, shrunk (or cut) to fit width; returns the size used."""
    line, size = fit(line, width, size, min_size, font)
    draw_centred(c, cx, y, line, size, font)
    return size


def render_poster(data: PosterData, out: BinaryIO, paper: str = "letter") -> None:
    """Write a one-page PDF poster to `out`; paper is "letter" or "a4"."""
    if paper not in PAPER:
        raise ValueError(f"unknown paper {paper!r}: use letter or a4")
    width, height = PAPER[paper]
    c = new_canvas(out, (width, height))
    c.setTitle(f"Sign-in poster: {data.event_name}")
    c.setAuthor("Petitions")
    cx = width / 2
    inner = width - 2 * MARGIN

    # Heading band.
    band = 96
    c.setFillColorRGB(*BRAND)
    c.rect(0, height - band, width, band, stroke=0, fill=1)
    c.setFillColorRGB(1, 1, 1)
    draw_centred(c, cx, height - 48, "Sign in here", 36, BOLD)
    draw_centred(c, cx, height - 80, "Regístrese aquí", 26, BOLD)

    c.setFillColorRGB(*INK)
    y = height - band - 12
    y = _block(c, cx, y, data.event_name, 30, inner, BOLD, max_lines=2, min_size=16)
    c.setFillColorRGB(*MUTED)
    y -= 4
    for line in data.when:
        y = _block(c, cx, y, line, 14, inner, REGULAR, max_lines=1, min_size=9)
    for line in data.where:
        y = _block(c, cx, y, line, 13, inner, REGULAR, max_lines=1, min_size=9)

    # Bottom text first, so the QR code takes whatever height is left.
    bottom = MARGIN
    c.setFillColorRGB(*MUTED)
    if data.petition_title:
        draw_centred(c, cx, bottom, "…and sign the petition · …y firme la petición", 11, REGULAR)
        bottom += 12
    c.setFillColorRGB(*INK)
    url_size = _centred_line(c, cx, bottom + 6, data.short_url, inner, 22, 8, BOLD)
    c.setFillColorRGB(*MUTED)
    hint = "No QR reader? Type this address · ¿Sin lector de QR? Escriba esta dirección:"
    _centred_line(c, cx, bottom + url_size + 16, hint, inner, 12, 7, REGULAR)
    c.setFillColorRGB(*INK)
    caption_y = bottom + url_size + 44
    caption = "Scan with your phone camera · Escanee con la cámara de su teléfono"
    _centred_line(c, cx, caption_y, caption, inner, 15, 8, BOLD)

    # The QR code: as big as fits between the text blocks.
    top = y - 16
    floor = caption_y + 22
    size = min(inner, top - floor, 7.5 * 72)
    qr.draw(c, data.signin_url, cx - size / 2, floor + (top - floor - size) / 2, size)
    c.setStrokeColorRGB(*MUTED)
    c.showPage()
    c.save()
