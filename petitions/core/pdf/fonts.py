"""Unicode fonts for every PDF: DejaVu Sans, with Droid Sans Fallback for CJK.

Every canvas comes from `new_canvas`, which starts it in DejaVu Sans: reportlab's own
default is Helvetica, one of the standard fonts a PDF names without embedding, and print
shops and PDF/A checkers reject a file with a font left out.

Reportlab draws a string in one font, so text is split into runs by which font has
each character (`runs`). Reportlab also draws characters in the order given, unshaped:
`visual` shapes Arabic letters (arabic-reshaper) and puts right-to-left text in display
order (python-bidi). `string_width`, `text_out` and the `draw_*` functions take text in
reading order and do both, so callers never call `visual` themselves.
"""

import unicodedata
from functools import cache

import arabic_reshaper
from arabic_reshaper.ligatures import LIGATURES
from bidi import get_display
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from petitions.core.paths import FONTS

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FALLBACK = "DroidSansFallback"


@cache
def register_fonts() -> None:
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFont(TTFont(FALLBACK, str(FONTS / "DroidSansFallbackFull.ttf")))


def new_canvas(out, pagesize: tuple[float, float], **options) -> Canvas:
    """A compressed canvas on `out` whose initial font is the embedded DejaVu Sans."""
    register_fonts()
    return Canvas(out, pagesize=pagesize, pageCompression=1, initialFontName=REGULAR,
                  initialFontSize=10, **options)  # fmt: skip


@cache
def _charmap(font_name: str) -> frozenset[int]:
    register_fonts()
    return frozenset(pdfmetrics.getFont(font_name).face.charToGlyph)


@cache
def _reshaper():
    # Only the ligatures a shipped font can draw (lam-alef yes; "Allah" as one glyph no).
    have = _charmap(REGULAR) | _charmap(FALLBACK)
    config = {"support_ligatures": True}
    for name, (_, forms) in LIGATURES:
        if not any(form and all(ord(c) in have for c in form) for form in forms):
            config[name] = False
    return arabic_reshaper.ArabicReshaper(configuration=config)


def visual(text: str) -> str:
    """Text in the order to draw it left to right; unchanged when nothing in it is RTL."""
    if not any(unicodedata.bidirectional(c) in ("R", "AL") for c in text):
        return text
    return get_display(_reshaper().reshape(text))


def runs(text: str, font: str = REGULAR) -> list[tuple[str, str]]:
    """[(font_name, text), ...]: the fallback font for characters the main font lacks."""
    register_fonts()
    main, fallback = _charmap(font), _charmap(FALLBACK)
    out: list[tuple[str, str]] = []
    for ch in text:
        code = ord(ch)
        name = font if code in main or code not in fallback else FALLBACK
        if out and out[-1][0] == name:
            out[-1] = (name, out[-1][1] + ch)
        else:
            out.append((name, ch))
    return out


def string_width(text: str, size: float, font: str = REGULAR) -> float:
    """The width of text (in reading order) as drawn."""
    register_fonts()
    if text.isascii():
        return pdfmetrics.stringWidth(text, font, size)
    return sum(pdfmetrics.stringWidth(t, f, size) for f, t in runs(visual(text), font))


def text_out(t, text: str, size: float, font: str = REGULAR) -> None:
    """Append text (in reading order) at a text object's cursor."""
    if text.isascii():
        t.setFont(font, size)
        t.textOut(text)
        return
    for name, part in runs(visual(text), font):
        t.setFont(name, size)
        t.textOut(part)


def draw_string(canvas, x: float, y: float, text: str, size: float, font: str = REGULAR) -> float:
    """Draw text left-aligned at (x, y); returns its width."""
    t = canvas.beginText(x, y)
    text_out(t, text, size, font)
    canvas.drawText(t)
    return t.getX() - x


def draw_right(canvas, x: float, y: float, text: str, size: float, font: str = REGULAR):
    draw_string(canvas, x - string_width(text, size, font), y, text, size, font)


def draw_centred(canvas, cx: float, y: float, text: str, size: float, font: str = REGULAR):
    draw_string(canvas, cx - string_width(text, size, font) / 2, y, text, size, font)
