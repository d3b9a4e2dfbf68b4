"""Printable paper sign-up sheets: /manage/p/<slug>/paper-sheet.pdf."""

import io

import pypdfium2
import pytest
import zxingcpp
from flask_babel import refresh
from pypdf import PdfReader

from petitions.paper.sheet import SheetData, render_sheet

LONG_BODY = "".join(
    f"<p>Paragraph {i}: families across Greater Hartford wait years for a seat in an "
    "integrated magnet school, and the State Board of Education can change that.</p>"
    for i in range(40)
)


def text_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def qr_codes(pdf: bytes, page: int = 0) -> list[str]:
    doc = pypdfium2.PdfDocument(pdf)
    image = doc[page].render(scale=150 / 72).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_sheet_has_title_fields_and_a_qr_code_to_the_sign_page(client, organizer, make_petition):
    p = make_petition(title="Fund magnet seats — Más asientos", ask_waitlist=True)
    r = client.get(f"/manage/p/{p.slug}/paper-sheet.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    pdf = r.data
    (text,) = text_of(pdf)
    assert "Fund magnet seats — Más asientos" in text
    assert "We ask for more seats." in text
    for header in ("Given name", "Family name", "Email", "ZIP", "Town", "Role", "Waitlist no.",
                   "Signature", "Sheet no.", "Page 1 of 1"):  # fmt: skip
        assert header in text, header
    assert "*Role: P = Parent or guardian · S = Student · E = Educator" in text
    assert "C = Community member · O = Other" in text
    assert qr_codes(pdf) == [f"http://localhost/p/{p.slug}"]
    # Embedded fonts: every font in the file is a subset embedded from the TTF.
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    for ref in fonts.values():
        font = ref.get_object()
        assert font["/Subtype"] != "/Type1", font


def test_waitlist_column_only_when_the_petition_asks(client, organizer, make_petition):
    p = make_petition(ask_waitlist=False)
    (text,) = text_of(client.get(f"/manage/p/{p.slug}/paper-sheet.pdf").data)
    assert "Waitlist" not in text and "Given name" in text


@pytest.mark.parametrize(("paper", "size"), [("letter", (792, 612)), ("a4", (842, 595))])
def test_letter_and_a4_landscape(client, organizer, make_petition, paper, size):
    p = make_petition()
    pdf = client.get(f"/manage/p/{p.slug}/paper-sheet.pdf?paper={paper}").data
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size


def test_rows_continue_across_pages_each_a_full_sheet(client, organizer, make_petition, app):
    app.config["PUBLIC_BASE_URL"] = "https://act.example.org"
    p = make_petition(title="Seats now")
    pdf = client.get(f"/manage/p/{p.slug}/paper-sheet.pdf?rows=30").data
    pages = text_of(pdf)
    assert len(pages) == 3
    assert all("Seats now" in t and "Given name" in t for t in pages)
    assert [f"Page {i} of 3" in t for i, t in enumerate(pages, 1)] == [True] * 3
    last_numbers = [int(w) for w in pages[-1].split() if w.isdigit()]
    assert 30 in last_numbers and 31 not in last_numbers
    assert qr_codes(pdf, page=2) == [f"https://act.example.org/p/{p.slug}"]


def test_long_text_is_cut_with_a_pointer_online(client, organizer, make_petition):
    p = make_petition(body=LONG_BODY)
    (text,) = text_of(client.get(f"/manage/p/{p.slug}/paper-sheet.pdf").data)
    assert "Paragraph 0" in text and "Paragraph 39" not in text
    assert "continued online" in text.replace("\n", " ")
    assert f"/p/{p.slug}" in text


def test_spanish_sheet(client, organizer, make_petition):
    p = make_petition()
    # The app fixture's app context (and so `g`, where Flask-Babel caches the locale) is
    # shared by the test client's requests: forget the English chosen at login.
    refresh()
    (text,) = text_of(client.get(f"/manage/p/{p.slug}/paper-sheet.pdf?lang=es").data)
    assert "Nombre" in text and "Apellido" in text and "Firma" in text
    assert "Página 1 de 1" in text
    assert "*Rol: P = Madre, padre o tutor · S = Estudiante" in text


def test_every_script_prints_and_wraps(tmp_path):
    out = io.BytesIO()
    data = SheetData(
        title="请支持 — Apoye — دعم — Підтримайте " * 3,
        url="https://act.example.org/p/x",
        paragraphs=["长" * 400, "x" * 500],
    )
    render_sheet(data, out, paper="a4")
    (text,) = text_of(out.getvalue())
    assert "请支持" in text and "Підтримайте" in text and "continued online" in text


@pytest.mark.parametrize("query", ["paper=legal", "rows=0", "rows=abc", "rows=100000"])
def test_bad_parameters_are_400(client, organizer, make_petition, query):
    p = make_petition()
    assert client.get(f"/manage/p/{p.slug}/paper-sheet.pdf?{query}").status_code == 400


def test_access(client, make_user, login, make_petition):
    p = make_petition()
    url = f"/manage/p/{p.slug}/paper-sheet.pdf"
    r = client.get(url)
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    login(make_user("volunteer"))
    assert client.get(url).status_code == 403
    assert client.get("/manage/p/nope/paper-sheet.pdf").status_code in (403, 404)
