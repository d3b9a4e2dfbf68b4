"""The badge renderer, read back from the PDFs it writes (pypdf, pypdfium2, zxing-cpp)."""

import io

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from petitions.badges.pdf import Badge, render
from petitions.badges.services import STOCKS
from petitions.core.pdf.fonts import visual

MM = 72 / 25.4
IN = 72.0
URL = "https://act.example.org/p/fund-seats"

# The published geometry, written out independently of the preset table:
# (page w, h, badge w, h, columns, rows, left margin, top margin, pitch x, pitch y)
PUBLISHED = {
    "avery-5392": (8.5 * IN, 11 * IN, 4 * IN, 3 * IN, 2, 3, 0.25 * IN, 1 * IN, 4 * IN, 3 * IN),
    "avery-74459": (8.5 * IN, 11 * IN, 4 * IN, 3 * IN, 2, 3, 0.25 * IN, 1 * IN, 4 * IN, 3 * IN),
    "avery-5395": (8.5 * IN, 11 * IN, 3.375 * IN, 2.3333 * IN, 2, 4, 0.6875 * IN, 0.5833 * IN,
                   3.75 * IN, 2.5 * IN),
    "avery-l4785": (210 * MM, 297 * MM, 80 * MM, 50 * MM, 2, 5, 18 * MM, 13 * MM, 95 * MM, 55 * MM),
    "a6-4up-a4": (210 * MM, 297 * MM, 105 * MM, 148 * MM, 2, 2, 0, 0.5 * MM, 105 * MM, 148 * MM),
    "placard-letter": (11 * IN, 8.5 * IN, 11 * IN, 8.5 * IN, 1, 1, 0, 0, 0, 0),
    "placard-a4": (297 * MM, 210 * MM, 297 * MM, 210 * MM, 1, 1, 0, 0, 0, 0),
    "single-letter": (8.5 * IN, 11 * IN, 4 * IN, 3 * IN, 1, 1, 2.25 * IN, 1.5 * IN, 0, 0),
    "single-a4": (210 * MM, 297 * MM, 4 * IN, 3 * IN, 1, 1, (210 * MM - 4 * IN) / 2, 1.5 * IN, 0, 0),
}  # fmt: skip
TOLERANCE = 0.5 * MM


def badge(number="#1,234", first_name="Ana", **kw):
    values = dict(
        number=number,
        title="Fund a seat for every child on the waitlist",
        line_above="I'm on the waitlist",
        line_below="Every child deserves a great school",
        first_name=first_name,
        qr_url=URL,
    )
    values.update(kw)
    return Badge(**values)


def pdf_bytes(badges, stock, **kw) -> bytes:
    buf = io.BytesIO()
    render(buf, badges, STOCKS[stock], **kw)
    return buf.getvalue()


def clip_rects(data: bytes, page: int = 0) -> list[tuple[float, float, float, float]]:
    """Every rectangle used as a clipping path on the page: one per badge."""
    ops = PdfReader(io.BytesIO(data)).pages[page].get_contents().operations
    rects = []
    for i, (operands, op) in enumerate(ops):
        if op == b"re" and i + 1 < len(ops) and ops[i + 1][1] in (b"W", b"W*"):
            rects.append(tuple(float(v) for v in operands))
    return rects


def char_boxes(data: bytes, page: int = 0):
    """(char, (left, bottom, right, top)) for every visible character, as pdfium lays it out."""
    doc = pypdfium2.PdfDocument(data)
    text = doc[page].get_textpage()
    out = []
    for i in range(text.count_chars()):
        ch = text.get_text_range(i, 1)
        if ch.strip():
            out.append((ch, text.get_charbox(i)))
    return out


def decode_page(data: bytes, page: int = 0) -> list[str]:
    image = pypdfium2.PdfDocument(data)[page].render(scale=150 / 72).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("key", sorted(PUBLISHED))
def test_badge_rectangles_match_the_published_stock(key):
    pw, ph, w, h, cols, rows, left, top, dx, dy = PUBLISHED[key]
    stock = STOCKS[key]
    data = pdf_bytes([badge()] * (cols * rows), key)
    box = PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert abs(float(box.width) - pw) < TOLERANCE and abs(float(box.height) - ph) < TOLERANCE
    rects = clip_rects(data)
    assert len(rects) == cols * rows == stock.per_page
    expected = [
        (left + c * dx, ph - (top + r * dy) - h, w, h) for r in range(rows) for c in range(cols)
    ]
    for got, want in zip(rects, expected, strict=True):
        assert all(abs(a - b) < TOLERANCE for a, b in zip(got, want, strict=True)), (got, want)
    for x, y, bw, bh in rects:  # every badge lies on the page
        assert x >= -TOLERANCE and y >= -TOLERANCE
        assert x + bw <= pw + TOLERANCE and y + bh <= ph + TOLERANCE


def test_calibration_offset_moves_every_badge():
    plain = clip_rects(pdf_bytes([badge()] * 6, "avery-5392"))
    moved = clip_rects(pdf_bytes([badge()] * 6, "avery-5392", offset_mm=(1.5, -2.0)))
    for (x0, y0, *_), (x1, y1, *_) in zip(plain, moved, strict=True):
        assert abs((x1 - x0) - 1.5 * MM) < 0.01
        assert abs((y1 - y0) - 2.0 * MM) < 0.01  # -2 mm "down" is 2 mm up the page


def test_pages_follow_the_badge_count():
    data = pdf_bytes([badge(f"#{n}") for n in range(13)], "avery-5392")
    assert len(PdfReader(io.BytesIO(data)).pages) == 3
    data = pdf_bytes([badge(f"#{n}") for n in range(10)], "avery-l4785")
    assert len(PdfReader(io.BytesIO(data)).pages) == 1


@pytest.mark.parametrize("key", ["single-letter", "avery-5395"])
def test_qr_code_decodes_to_the_petition_url(key):
    data = pdf_bytes([badge()], key)
    assert decode_page(data) == [URL]


NAMES = [
    "Bartholomew-Alexandrina Maximiliana Montgomery-Featherstonehaugh de la Santísima Trinidad",
    "محمد عبد الرحمن",
    "王小明",
    "Nguyễn Thị Minh Khai",
    "Ольга",
    "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
]


@pytest.mark.parametrize("key", ["avery-5395", "avery-l4785", "single-a4"])
def test_long_and_non_latin_text_stays_inside_its_badge(key):
    long_title = "Rally for a seat for every child on the magnet school waitlist " * 4
    badges = [badge(f"#{999_999_999:,}", name, title=long_title) for name in NAMES]
    badges.append(badge(None, "", show_name_line=True))  # a blank
    data = pdf_bytes(badges, key)
    reader = PdfReader(io.BytesIO(data))
    seen = ""
    for page in range(len(reader.pages)):
        rects = clip_rects(data, page)
        for ch, (left, bottom, right, top) in char_boxes(data, page):
            if key.startswith("single") and top < rects[0][1]:
                continue  # the printing note under the single badge
            seen += ch
            assert any(
                x - 0.5 <= left
                and right <= x + w + 0.5
                and y - 0.5 <= bottom
                and top <= y + h + 0.5
                for x, y, w, h in rects
            ), (ch, (left, bottom, right, top), rects)
    assert "999,999,999" in seen
    assert "王小明" in seen
    assert "…" in seen  # the impossible name is cut visibly, not drawn off the badge
    assert "محمد" in seen  # pdfium reads the joined forms back in logical order


def test_visual_order_of_arabic_and_mixed_text():
    assert visual("Ana") == "Ana"
    shaped = visual("محمد")
    assert len(shaped) == 4
    # the last letter (dal, final form) comes first when drawn left to right
    assert shaped[0] == "\ufeaa"
    assert visual("لا") == "\ufefb"  # lam-alef ligature
    assert visual("Ana محمد").startswith("Ana ")


def test_blank_badge_keeps_the_qr_code_and_no_number():
    data = pdf_bytes([badge(None, "", show_name_line=True)], "avery-5392")
    text = "".join(ch for ch, _ in char_boxes(data))
    assert not any(c.isdigit() for c in text)
    assert decode_page(data) == [URL]
