"""Waitlist-number badges: plain functions over data, writing a PDF to a file object.

A sheet is a `Stock` (page size and a grid of badge slots, in the published geometry
of the label sheet) filled with `Badge`s. Every badge is drawn inside a clipping path
equal to its slot, and every line of text is shrunk to fit its band (and cut with "…"
below a minimum size), so nothing ever leaves its badge. The QR code of each distinct
URL is drawn once per document as a form XObject and placed on every badge that uses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reportlab.lib.units import inch, mm
from reportlab.pdfgen.canvas import Canvas

from petitions.core import qr
from petitions.core.pdf import fonts
from petitions.core.pdf.text import fit

DIGIT_HEIGHT = 0.73  # DejaVu Sans Bold digits, in em


@dataclass(frozen=True)
class Stock:
    """A sheet of badge stock, measured like the label makers publish it.

    Lengths are in points. `x0`/`y0` is the top-left corner of the first badge from
    the top-left of the page; `dx`/`dy` the pitch from one badge to the next.
    """

    key: str
    name: str
    page_width: float
    page_height: float
    width: float
    height: float
    columns: int
    rows: int
    x0: float
    y0: float
    dx: float
    dy: float
    corner_radius: float = 0.0
    kind: str = "sheet"  # sheet (die-cut or perforated), cut (plain paper), placard, single
    paper: str = "letter"

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def slots(self, offset_mm: tuple[float, float] = (0.0, 0.0)) -> list[tuple[float, ...]]:
        """(x, y, width, height) of each badge, PDF coordinates, in reading order.

        The calibration offset moves everything: +x to the right, +y down the page."""
        ox, oy = offset_mm[0] * mm, offset_mm[1] * mm
        out = []
        for row in range(self.rows):
            for col in range(self.columns):
                x = self.x0 + col * self.dx + ox
                top = self.y0 + row * self.dy + oy
                out.append((x, self.page_height - top - self.height, self.width, self.height))
        return out


@dataclass(frozen=True)
class Badge:
    """What one badge shows. `number` None draws a blank box to write a number in."""

    number: str | None
    title: str = ""  # the rally or petition name
    line_above: str = ""
    line_below: str = ""
    first_name: str = ""
    qr_url: str = ""
    show_name_line: bool = False  # on a blank badge: a line to write a first name on
    mark: str = ""  # a small corner mark, e.g. "ES" for Spanish interpretation


# --- text fitting -------------------------------------------------------------------


def _draw_line(c, text, x, y, w, h, size, min_size, font=fonts.REGULAR, align="center"):
    """One line of text fitted into the band (x, y, w, h); returns the size used."""
    if not text or w <= 0 or h <= 0:
        return 0
    size = min(size, h / 1.2)
    text, size = fit(text, w, size, min(min_size, size), font)
    width = fonts.string_width(text, size, font)
    baseline = y + max(0.24 * size, (h - DIGIT_HEIGHT * size) / 2)
    left = x + (w - width) / 2 if align == "center" else x
    fonts.draw_string(c, left, baseline, text, size, font)
    return size


# --- one badge ----------------------------------------------------------------------


class _QRForms:
    """Each distinct QR code drawn once per document, as a form XObject."""

    def __init__(self, canvas: Canvas):
        self.canvas = canvas
        self.names: dict[str, str] = {}

    def place(self, url: str, x: float, y: float, size: float) -> None:
        c = self.canvas
        name = self.names.get(url)
        if name is None:
            name = f"qr{len(self.names)}"
            c.beginForm(name, lowerx=0, lowery=0, upperx=100, uppery=100)
            qr.draw(c, url, 0, 0, 100)
            c.endForm()
            self.names[url] = name
        c.saveState()
        c.translate(x, y)
        c.scale(size / 100, size / 100)
        c.doForm(name)
        c.restoreState()


def draw_badge(c: Canvas, badge: Badge, rect, qr_forms: _QRForms, placard: bool = False):
    x, y, w, h = rect
    c.saveState()
    clip = c.beginPath()
    clip.rect(x, y, w, h)
    c.clipPath(clip, stroke=0, fill=0)
    pad = (0.07 if placard else 0.06) * min(w, h)
    ix, iy, iw, ih = x + pad, y + pad, w - 2 * pad, h - 2 * pad
    top = iy + ih

    gap = 0.02 * ih
    above_h = 0.11 * ih
    qr_h = (0.22 if placard else 0.27) * ih
    name_h = 0.13 * ih if (badge.first_name or badge.show_name_line) else 0
    number_h = ih - above_h - qr_h - name_h - 3 * gap

    # Line above, e.g. "I'm on the waitlist"; the mark, boxed, in the top right corner
    mark_w = 0.0
    if badge.mark:
        mark_size = 0.7 * above_h
        mark_w = fonts.string_width(badge.mark, mark_size, fonts.BOLD) + 0.6 * mark_size
        c.saveState()
        c.setLineWidth(max(0.75, 0.008 * ih))
        c.roundRect(ix + iw - mark_w, top - above_h, mark_w, above_h, 0.2 * above_h)
        _draw_line(c, badge.mark, ix + iw - mark_w, top - above_h, mark_w, above_h,
                   mark_size, 5, fonts.BOLD)  # fmt: skip
        c.restoreState()
    room = iw - 2 * (mark_w + gap) if mark_w else iw  # the line stays centred
    _draw_line(c, badge.line_above, ix + (iw - room) / 2, top - above_h, room, above_h,
               above_h, 6, fonts.BOLD)  # fmt: skip
    # The number, as large as it fits
    ny = top - above_h - gap - number_h
    if badge.number is not None:
        _draw_line(c, badge.number, ix, ny, iw, number_h, number_h / DIGIT_HEIGHT, 6, fonts.BOLD)
    else:
        c.saveState()
        c.setLineWidth(max(1.0, 0.01 * ih))
        c.setStrokeColorRGB(0.35, 0.35, 0.35)
        bw = min(iw, number_h * 3.2)
        c.roundRect(ix + (iw - bw) / 2, ny, bw, number_h, 0.08 * number_h, stroke=1, fill=0)
        c.restoreState()
    # First name
    if name_h:
        fy = ny - gap - name_h
        if badge.first_name:
            _draw_line(c, badge.first_name, ix, fy, iw, name_h, name_h, 6)
        else:
            c.saveState()
            c.setLineWidth(0.5)
            c.setStrokeColorRGB(0.35, 0.35, 0.35)
            c.line(ix + 0.2 * iw, fy + 0.15 * name_h, ix + 0.8 * iw, fy + 0.15 * name_h)
            c.restoreState()
    # Bottom band: line below and the rally/petition name at the left, the QR code at the right
    qr_size = qr_h if badge.qr_url else 0
    if qr_size:
        qr_forms.place(badge.qr_url, ix + iw - qr_size, iy, qr_size)
    tw = iw - qr_size - (gap if qr_size else 0)
    half = qr_h / 2
    _draw_line(c, badge.line_below, ix, iy + half, tw, half, 0.55 * half, 5, fonts.BOLD, "left")
    c.setFillColorRGB(0.25, 0.25, 0.25)
    _draw_line(c, badge.title, ix, iy, tw, half, 0.45 * half, 5, fonts.REGULAR, "left")
    c.restoreState()


# --- sheets -------------------------------------------------------------------------


def _cut_lines(c: Canvas, rect, radius: float) -> None:
    x, y, w, h = rect
    c.saveState()
    c.setLineWidth(0.3)
    c.setStrokeColorRGB(0.6, 0.6, 0.6)
    c.setDash(3, 2)
    if radius:
        c.roundRect(x, y, w, h, radius, stroke=1, fill=0)
    else:
        c.rect(x, y, w, h, stroke=1, fill=0)
    c.restoreState()


def _crop_marks(c: Canvas, rect) -> None:
    """Marks outside each corner, for cutting a badge out of plain paper."""
    x, y, w, h = rect
    gap, length = 0.1 * inch, 0.3 * inch
    c.saveState()
    c.setLineWidth(0.5)
    for cx, sx in ((x, -1), (x + w, 1)):
        for cy, sy in ((y, -1), (y + h, 1)):
            c.line(cx + sx * gap, cy, cx + sx * (gap + length), cy)
            c.line(cx, cy + sy * gap, cx, cy + sy * (gap + length))
    c.restoreState()


def render(
    out,
    badges: Iterable[Badge],
    stock: Stock,
    *,
    offset_mm: tuple[float, float] = (0.0, 0.0),
    cut_lines: bool = False,
    note: str = "",
    title: str = "Badges",
) -> int:
    """Write the badges on sheets of `stock` to the file object `out`; returns the page count.

    `note` is a line printed under a single badge (e.g. how to print and cut it)."""
    c = fonts.new_canvas(out, (stock.page_width, stock.page_height))
    c.setTitle(title)
    c.setAuthor("")
    c.setSubject("")
    c.setCreator("Petitions")
    qr_forms = _QRForms(c)
    slots = stock.slots(offset_mm)
    placard = stock.kind == "placard"
    pages = 0
    i = 0
    for badge in badges:
        if i == 0:
            pages += 1
        rect = slots[i]
        draw_badge(c, badge, rect, qr_forms, placard)
        if stock.kind == "single":
            _crop_marks(c, rect)
            if cut_lines:
                _cut_lines(c, rect, stock.corner_radius)
            if note:
                x, y, w, _h = rect
                _draw_line(c, note, x, y - 0.9 * inch, w, 0.3 * inch, 9, 6)
        elif cut_lines:
            _cut_lines(c, rect, stock.corner_radius)
        i += 1
        if i == len(slots):
            c.showPage()
            i = 0
    if i or not pages:
        c.showPage()
        pages += 0 if pages else 1
    c.save()
    return pages
