"""Printable paper sign-up sheets: a plain function over data writing a PDF to a file object.

Every page is a complete sheet (sheets get separated on clipboards): the petition title
and text, a QR code to the online form, a "Sheet no." box, numbered blank rows with the
online form's fields, and "Page X of Y". Landscape, Letter or A4, embedded Unicode fonts.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import BinaryIO

from reportlab.lib.pagesizes import A4, LETTER, landscape

from petitions.core import qr
from petitions.core.pdf import fonts
from petitions.core.pdf.text import fit, fit_size, truncate, wrap

PAPER_SIZES = {"letter": landscape(LETTER), "a4": landscape(A4)}
MAX_ROWS = 500
MARGIN = 30
QR_SIZE = 84
ROW_HEIGHT = 27
HEADER_ROW_HEIGHT = 24
TEXT_SIZE = 8.5
TEXT_LEADING = 10.5
MAX_TEXT_LINES = 7


def N_(text: str) -> str:
    """Marks a label for the translators (pybabel extracts N_ by default); the view
    translates the labels for the signers' language with `SheetLabels.translated`."""
    return text


@dataclass
class SheetLabels:
    """Every word printed on the sheet: English unless translated."""

    given_name: str = N_("Given name")
    family_name: str = N_("Family name")
    email: str = N_("Email")
    postal_code: str = N_("ZIP")
    town: str = N_("Town")
    role: str = N_("Role*")
    waitlist: str = N_("Waitlist no.")
    opt_in: str = N_("Updates? ✓")
    spanish: str = N_("Spanish? ✓")  # mail to this signer in Spanish
    signature: str = N_("Signature")
    sheet: str = N_("Sheet no.")
    scan: str = N_("Sign online:")
    continued: str = N_("… continued online: {url}")
    page: str = N_("Page {page} of {pages}")
    roles_legend: str = N_("*Role: {roles}")
    addressed_to: str = N_("To: {to}")
    privacy: str = N_("We never show your email or phone number publicly.")

    def translated(self, gettext: Callable[[str], str]) -> "SheetLabels":
        return SheetLabels(**{name: gettext(text) for name, text in asdict(self).items()})


@dataclass
class SheetData:
    title: str
    url: str  # absolute URL of the online form (printed and in the QR code)
    paragraphs: list[str] = field(default_factory=list)
    addressed_to: str = ""
    ask_waitlist: bool = False
    # (letter, name) for each role, as the role column takes them; the footer's legend.
    roles: list[tuple[str, str]] = field(default_factory=list)
    labels: SheetLabels = field(default_factory=SheetLabels)


def text_block(data: SheetData, width: float) -> list[str]:
    """The petition text as at most MAX_TEXT_LINES lines; when cut, the last lines say
    where to read the rest."""
    more = data.labels.continued.format(url=data.url)
    return wrap("\n".join(data.paragraphs), width, TEXT_SIZE, max_lines=MAX_TEXT_LINES, more=more)


def _columns(data: SheetData, width: float) -> list[tuple[str, float]]:
    """(label, width) per column, in the order of the online form (and of the entry form)."""
    lab = data.labels
    weights = [
        ("#", 0.035),
        (lab.given_name, 0.13),
        (lab.family_name, 0.14),
        (lab.email, 0.2),
        (lab.postal_code, 0.065),
        (lab.town, 0.1),
        (lab.role, 0.05),
    ]
    if data.ask_waitlist:
        weights.append((lab.waitlist, 0.08))
    weights += [(lab.opt_in, 0.07), (lab.spanish, 0.07), (lab.signature, 0.0)]
    used = sum(w for _, w in weights)
    weights[-1] = (lab.signature, max(0.1, 1 - used))
    total = sum(w for _, w in weights)
    return [(label, width * w / total) for label, w in weights]


def render_sheet(data: SheetData, out: BinaryIO, *, paper: str = "letter", rows: int = 0) -> int:
    """Write the sheet PDF to `out`. rows=0 fills one page; rows are numbered across pages.
    Returns the number of pages."""
    page_w, page_h = PAPER_SIZES[paper]
    inner_w = page_w - 2 * MARGIN
    lab = data.labels

    text_w = inner_w - QR_SIZE - 16
    title_size = fit_size(data.title, text_w, 15, 9, fonts.BOLD)
    title_lines = wrap(data.title, text_w, title_size, fonts.BOLD, max_lines=2)
    body = text_block(data, text_w)
    header_h = (
        len(title_lines) * (title_size + 3)
        + (TEXT_LEADING if data.addressed_to else 0)
        + len(body) * TEXT_LEADING
    )
    header_h = max(header_h, QR_SIZE + 22) + 8
    table_top = page_h - MARGIN - header_h
    footer_h = 26
    per_page = max(1, int((table_top - HEADER_ROW_HEIGHT - MARGIN - footer_h) // ROW_HEIGHT))
    rows = min(max(rows, 0), MAX_ROWS) or per_page
    pages = -(-rows // per_page)
    columns = _columns(data, inner_w)

    c = fonts.new_canvas(out, (page_w, page_h))
    c.setTitle(data.title)
    c.setSubject(lab.scan + " " + data.url)
    c.setCreator("petitions paper sheet")
    for page in range(1, pages + 1):
        _draw_header(c, data, page_w, page_h, text_w, title_size, title_lines, body)
        first = (page - 1) * per_page + 1
        count = min(per_page, rows - first + 1)
        _draw_table(c, columns, table_top, first, count)
        _draw_footer(c, data, page, pages, page_w)
        c.showPage()
    c.save()
    return pages


def _draw_header(c, data, page_w, page_h, text_w, title_size, title_lines, body):
    lab = data.labels
    y = page_h - MARGIN - title_size
    for line in title_lines:
        fonts.draw_string(c, MARGIN, y, line, title_size, fonts.BOLD)
        y -= title_size + 3
    y -= 2
    if data.addressed_to:
        to = truncate(lab.addressed_to.format(to=data.addressed_to), text_w, TEXT_SIZE)
        fonts.draw_string(c, MARGIN, y, to, TEXT_SIZE, fonts.BOLD)
        y -= TEXT_LEADING
    for line in body:
        fonts.draw_string(c, MARGIN, y, line, TEXT_SIZE)
        y -= TEXT_LEADING

    qr_x = page_w - MARGIN - QR_SIZE
    qr_y = page_h - MARGIN - QR_SIZE
    qr.draw(c, data.url, qr_x, qr_y, QR_SIZE)
    caption, size = fit(lab.scan, QR_SIZE + 10, 7.5, 5)
    fonts.draw_centred(c, qr_x + QR_SIZE / 2, qr_y - 9, caption, size)
    # The address too, for anyone who cannot scan: right-aligned under the code.
    url, size = fit(data.url, 220, 7.5, 5.5)
    fonts.draw_right(c, page_w - MARGIN, qr_y - 18, url, size)


def _draw_table(c, columns, top, first, count):
    x0 = MARGIN
    width = sum(w for _, w in columns)
    c.saveState()
    c.setLineWidth(0.6)
    c.setFillColorRGB(0.92, 0.93, 0.95)
    c.rect(x0, top - HEADER_ROW_HEIGHT, width, HEADER_ROW_HEIGHT, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    x = x0
    for label, w in columns:
        label, size = fit(label, w - 6, 8, 5, fonts.BOLD)
        fonts.draw_string(c, x + 3, top - HEADER_ROW_HEIGHT + 8, label, size, fonts.BOLD)
        x += w
    bottom = top - HEADER_ROW_HEIGHT - count * ROW_HEIGHT
    c.rect(x0, bottom, width, top - bottom, stroke=1, fill=0)
    y = top - HEADER_ROW_HEIGHT
    c.line(x0, y, x0 + width, y)
    for i in range(count):
        y -= ROW_HEIGHT
        c.setStrokeColorRGB(0.55, 0.58, 0.62)
        c.line(x0, y, x0 + width, y)
        c.setFillColorRGB(0.3, 0.33, 0.37)
        fonts.draw_string(c, x0 + 3, y + 10, str(first + i), 8)
    c.setStrokeColorRGB(0, 0, 0)
    x = x0
    for _label, w in columns[:-1]:
        x += w
        c.line(x, top, x, bottom)
    c.restoreState()


def _draw_footer(c, data, page, pages, page_w):
    lab = data.labels
    y = MARGIN
    # The sheet number box, filled in by hand; typed into the entry form with the rows.
    box_w, box_h = 70, 18
    label_w = fonts.string_width(lab.sheet, 8.5, fonts.BOLD)
    fonts.draw_string(c, MARGIN, y + 5, lab.sheet, 8.5, fonts.BOLD)
    c.setLineWidth(1)
    c.rect(MARGIN + label_w + 6, y, box_w, box_h, stroke=1, fill=0)
    legend_x = MARGIN + label_w + box_w + 16
    page_label = lab.page.format(page=page, pages=pages)
    page_label_w = fonts.string_width(page_label, 8.5)
    room = page_w - MARGIN - page_label_w - 12 - legend_x
    if data.roles:
        roles = " · ".join(f"{letter} = {name}" for letter, name in data.roles)
        fonts.draw_string(
            c, legend_x, y + 10, *fit(lab.roles_legend.format(roles=roles), room, 7.5, 5)
        )
    fonts.draw_string(c, legend_x, y + 1, *fit(lab.privacy, room, 7, 5))
    fonts.draw_string(c, page_w - MARGIN - page_label_w, y + 5, page_label, 8.5)
