"""Badges over HTTP: a signer's and an attendee's own badge, staff sheets, designs."""

import io

import pytest
from flask import render_template
from pypdf import PdfReader
from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.core.tokens import new_token
from petitions.models import ExportLog
from petitions.models.badge import BadgePrint, BadgeSheet
from tests.conftest import csrf_from

MM = 72 / 25.4


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def page_count(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def waitlist_petition(make_petition):
    return make_petition(
        slug="fund-seats", ask_waitlist=True, waitlist_min=1, waitlist_max=20000,
        waitlist_label="Magnet school waitlist number",
    )  # fmt: skip


# --- a signer's own badge ------------------------------------------------------------


def test_signer_downloads_a_badge_with_only_what_is_printed(
    client, waitlist_petition, make_signature
):
    sig = make_signature(waitlist_petition, "Ana", "Rivera-Secret", waitlist_number=1234)
    r = client.get(f"/p/fund-seats/badge/{sig.token}.pdf")
    assert r.status_code == 200
    assert r.mimetype == "application/pdf"
    assert "no-store" in r.headers["Cache-Control"]
    text = pdf_text(r.data)
    assert "#1,234" in text and "Ana" in text and waitlist_petition.title in text
    assert "I'm on the waitlist" in text
    # nothing beyond the badge: no family name, email, postal code, in the text or metadata
    assert "Rivera-Secret" not in text and sig.email not in text and "06106" not in text
    assert b"Rivera-Secret" not in r.data and sig.email.encode() not in r.data
    box = PdfReader(io.BytesIO(r.data)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)  # Letter


def test_signer_badge_in_spanish_on_a4(client, waitlist_petition, make_signature):
    sig = make_signature(waitlist_petition, waitlist_number=1234)
    r = client.get(f"/p/fund-seats/badge/{sig.token}.pdf?lang=es&paper=a4")
    assert r.status_code == 200
    text = pdf_text(r.data)
    assert "Estoy en la lista de espera" in text
    box = PdfReader(io.BytesIO(r.data)).pages[0].mediabox
    assert abs(float(box.width) - 210 * MM) < 1 and abs(float(box.height) - 297 * MM) < 1


def test_paper_follows_the_visitors_region(client, waitlist_petition, make_signature):
    sig = make_signature(waitlist_petition, waitlist_number=1234)
    r = client.get(f"/p/fund-seats/badge/{sig.token}.pdf", headers={"Accept-Language": "es-ES"})
    box = PdfReader(io.BytesIO(r.data)).pages[0].mediabox
    assert round(float(box.width)) == 595  # A4 in Spain


def test_badge_design_changes_the_download(
    client, organizer, csrf, waitlist_petition, make_signature
):
    sig = make_signature(waitlist_petition, waitlist_number=42)
    token = csrf("/manage/badges/p/fund-seats/design")
    data = {
        "csrf_token": token,
        "line_above": "Waiting since 2023",
        "line_below": "Seats for all",
        "line_above_es": "Esperando desde 2023",
        "line_below_es": "Asientos para todos",
        "number_format": "no",
    }
    data.update({f"{k}_{a}": "0" for k in STOCK_KEYS for a in "xy"})
    r = client.post("/manage/badges/p/fund-seats/design", data=data)
    assert r.status_code == 302
    text = pdf_text(client.get(f"/p/fund-seats/badge/{sig.token}.pdf").data)
    assert "Waiting since 2023" in text and "No. 42" in text
    assert "Ana" not in text  # first name switched off (checkbox left out)
    text = pdf_text(client.get(f"/p/fund-seats/badge/{sig.token}.pdf?lang=es").data)
    assert "Esperando desde 2023" in text


STOCK_KEYS = [
    "avery-5392", "avery-74459", "avery-5395", "avery-l4785", "a6-4up-a4", "placard-letter",
    "placard-a4", "single-letter", "single-a4",
]  # fmt: skip


def test_design_rejects_bad_offsets(client, organizer, csrf, waitlist_petition):
    token = csrf("/manage/badges/p/fund-seats/design")
    data = {"csrf_token": token, "number_format": "hash", "line_above": "x"}
    data.update({f"{k}_{a}": "0" for k in STOCK_KEYS for a in "xy"})
    data["avery-5392_x"] = "lots"
    data["avery-5395_y"] = "99"
    r = client.post("/manage/badges/p/fund-seats/design", data=data)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "Not a valid float value" in html and "between -25" in html


@pytest.mark.parametrize(
    "url",
    [
        "/p/fund-seats/badge/{bad}.pdf",
        "/p/other-petition/badge/{token}.pdf",  # right token, wrong petition
        "/p/fund-seats/badge/{nonumber}.pdf",
        "/p/fund-seats/badge/{hidden}.pdf",
        "/p/fund-seats/badge/x.pdf",
    ],
)
def test_unknown_or_numberless_signer_tokens_are_404(
    client, waitlist_petition, make_petition, make_signature, url
):
    make_petition(slug="other-petition")
    sig = make_signature(waitlist_petition, waitlist_number=1234)
    nonumber = make_signature(waitlist_petition, "Luis", waitlist_number=None)
    hidden = make_signature(waitlist_petition, "Spam", waitlist_number=1234, hidden=True)
    r = client.get(
        url.format(bad=new_token(), token=sig.token, nonumber=nonumber.token, hidden=hidden.token)
    )
    assert r.status_code == 404


def test_thank_you_include_links_the_badge(app, waitlist_petition, make_signature):
    sig = make_signature(waitlist_petition, waitlist_number=1234)
    without = make_signature(waitlist_petition, "Luis", waitlist_number=None)
    with app.test_request_context("/?lang=es"):
        html = render_template(
            "badges/_signature_badge_link.html", petition=waitlist_petition, signature=sig
        )
        assert f"/p/fund-seats/badge/{sig.token}.pdf" in html
        assert "Descargar mi gafete" in html
        html = render_template(
            "badges/_signature_badge_link.html", petition=waitlist_petition, signature=without
        )
        assert "badge" not in html


# --- an attendee's own badge -----------------------------------------------------------


def test_attendee_downloads_a_badge_by_ticket(client, waitlist_petition, make_event, make_attendee):
    event = make_event(waitlist_petition, ask_waitlist=True)
    attendee, token = make_attendee(event, "Keisha Johnson", number=77)
    r = client.get(f"/t/{token}/badge.pdf")
    assert r.status_code == 200
    text = pdf_text(r.data)
    assert "#77" in text and "Keisha" in text and "Johnson" not in text
    assert event.name in text
    assert client.get(f"/t/{token.lower()}/badge.pdf").status_code == 200  # typed tickets


def test_ticket_include_links_the_badge(app, make_event, make_attendee):
    event = make_event(ask_waitlist=True)
    attendee, token = make_attendee(event, "Keisha Johnson", number=77)
    with app.test_request_context("/"):
        html = render_template(
            "badges/_ticket_badge_link.html", event=event, attendee=attendee, token=token
        )
    assert f"/t/{token}/badge.pdf" in html and "Download my badge" in html


def test_unknown_revoked_or_numberless_tickets_are_404(client, make_event, make_attendee):
    event = make_event(ask_waitlist=True)
    _, revoked = make_attendee(event, "Keisha Johnson", number=77, revoked=True)
    _, nonumber = make_attendee(event, "Omar", number=None)
    for token in (new_token(), revoked, nonumber, "short", "<script>"):
        assert client.get(f"/t/{token}/badge.pdf").status_code == 404


# --- staff -------------------------------------------------------------------------------

STAFF_URLS = [
    ("get", "/manage/badges/"),
    ("get", "/manage/badges/p/fund-seats/"),
    ("get", "/manage/badges/p/fund-seats/design"),
    ("get", "/manage/badges/p/fund-seats/sample.pdf"),
]


@pytest.mark.parametrize("method,url", STAFF_URLS)
def test_staff_pages_need_an_organizer(client, make_user, login, waitlist_petition, method, url):
    r = getattr(client, method)(url)
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    login(make_user("volunteer"))
    assert getattr(client, method)(url).status_code == 403


def test_volunteer_cannot_print_sheets_or_mark_them(
    client, make_user, login, csrf, waitlist_petition, make_signature
):
    make_signature(waitlist_petition, waitlist_number=1234)
    login(make_user("volunteer"))
    token = csrf("/auth/login")
    r = client.post(
        "/manage/badges/p/fund-seats/", data={"csrf_token": token, "stock": "avery-5392"}
    )
    assert r.status_code == 403
    assert client.post(
        "/manage/badges/sheets/1/printed", data={"csrf_token": token}
    ).status_code in (403,)


def sheet_form(csrf, url="/manage/badges/p/fund-seats/", **fields):
    data = {
        "csrf_token": csrf(url),
        "source": "all",
        "stock": "avery-5392",
        "sort": "number",
        "numbers": "",
        "blanks": "0",
        "lang": "en",
    }
    data.update(fields)
    return data


def test_sheet_for_everyone_then_mark_as_printed(
    client, organizer, csrf, waitlist_petition, make_signature
):
    for i, name in enumerate(["Zoe", "Ana", "Miguel", "Wei", "Fatima", "Omar", "Grace"]):
        make_signature(waitlist_petition, name, waitlist_number=100 + i)
    make_signature(waitlist_petition, "Pending", waitlist_number=999, confirmed=False)
    r = client.post("/manage/badges/p/fund-seats/", data=sheet_form(csrf, blanks="2"))
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert page_count(r.data) == 2  # 7 badges + 2 blanks, 6 per sheet
    text = pdf_text(r.data)
    assert "#100" in text and "#106" in text and "#999" not in text
    assert text.index("Zoe") < text.index("Ana")  # sorted by number
    sheet = db.session.scalars(select(BadgeSheet)).one()
    assert (sheet.badge_count, sheet.blank_count, sheet.stock) == (7, 2, "avery-5392")
    log = db.session.scalars(select(ExportLog)).one()
    assert (log.kind, log.subject, log.row_count) == ("badges", "fund-seats", 7)

    page = client.get("/manage/badges/p/fund-seats/").get_data(as_text=True)
    assert "Mark as printed" in page
    r = client.post(
        f"/manage/badges/sheets/{sheet.id}/printed", data={"csrf_token": csrf_from(page)}
    )
    assert r.status_code == 302
    assert db.session.scalar(select(func.count(BadgePrint.id))) == 7
    # marking twice records nothing more
    client.post(f"/manage/badges/sheets/{sheet.id}/printed", data={"csrf_token": csrf_from(page)})
    assert db.session.scalar(select(func.count(BadgePrint.id))) == 7

    make_signature(waitlist_petition, "Late", waitlist_number=500)
    r = client.post("/manage/badges/p/fund-seats/", data=sheet_form(csrf, only_unprinted="y"))
    assert r.status_code == 200
    text = pdf_text(r.data)
    assert "#500" in text and "#100" not in text


def test_sheet_sorted_by_name_on_another_stock(
    client, organizer, csrf, waitlist_petition, make_signature
):
    for i, name in enumerate(["Zoe", "Ana", "Miguel"]):
        make_signature(waitlist_petition, name, waitlist_number=10 + i)
    r = client.post(
        "/manage/badges/p/fund-seats/",
        data=sheet_form(csrf, sort="name", stock="avery-l4785", cut_lines="y"),
    )
    assert r.status_code == 200
    text = pdf_text(r.data)
    assert text.index("Ana") < text.index("Miguel") < text.index("Zoe")
    box = PdfReader(io.BytesIO(r.data)).pages[0].mediabox
    assert round(float(box.width)) == 595


def test_sheet_for_a_typed_list_of_numbers(
    client, organizer, csrf, waitlist_petition, make_signature
):
    for n in (12, 40, 41, 45, 46, 300):
        make_signature(waitlist_petition, f"N{n}", waitlist_number=n)
    r = client.post("/manage/badges/p/fund-seats/", data=sheet_form(csrf, numbers="12, 40-45"))
    assert r.status_code == 200
    text = pdf_text(r.data)
    for n in (12, 40, 41, 45):
        assert f"#{n}\n" in text or f"#{n} " in text or f"N{n}" in text
    assert "N46" not in text and "N300" not in text


@pytest.mark.parametrize(
    "numbers,message",
    [
        ("12, abc", "is not a waitlist number"),
        ("12.5", "is not a waitlist number"),
        ("-4", "is not a waitlist number"),
        ("45-40", "runs backwards"),
        ("25000", "outside this waitlist"),
        ("1-9999", "more than 5,000 numbers"),
    ],
)
def test_typed_numbers_are_validated(
    client, organizer, csrf, waitlist_petition, make_signature, numbers, message
):
    make_signature(waitlist_petition, waitlist_number=1234)
    r = client.post("/manage/badges/p/fund-seats/", data=sheet_form(csrf, numbers=numbers))
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert message in html
    assert "<script>" not in html


def test_nothing_to_print_and_bad_choices_are_400(client, organizer, csrf, waitlist_petition):
    r = client.post("/manage/badges/p/fund-seats/", data=sheet_form(csrf))
    assert r.status_code == 400 and "nothing to print" in r.get_data(as_text=True)
    r = client.post("/manage/badges/p/fund-seats/", data=sheet_form(csrf, stock="avery-9999"))
    assert r.status_code == 400 and "Not a valid choice" in r.get_data(as_text=True)
    r = client.post("/manage/badges/p/fund-seats/", data=sheet_form(csrf, blanks="100000"))
    assert r.status_code == 400
    r = client.post("/manage/badges/p/fund-seats/", data=sheet_form(csrf, blanks="3"))
    assert r.status_code == 200 and page_count(r.data) == 1  # blanks alone are fine
    assert client.get("/manage/badges/p/no-such/").status_code == 404


def test_sheet_form_needs_csrf(client, organizer, waitlist_petition):
    r = client.post("/manage/badges/p/fund-seats/", data={"stock": "avery-5392"})
    assert r.status_code == 400


def test_event_sheet_from_the_petition_and_the_event_page(
    client, organizer, csrf, waitlist_petition, make_signature, make_event, make_attendee
):
    make_signature(waitlist_petition, "Signer", waitlist_number=5)
    event = make_event(waitlist_petition, ask_waitlist=True)
    make_attendee(event, "Keisha Johnson", number=77)
    make_attendee(event, "Walk Up", number=None)
    r = client.post(
        "/manage/badges/p/fund-seats/", data=sheet_form(csrf, source=f"event:{event.id}")
    )
    assert r.status_code == 200
    text = pdf_text(r.data)
    assert "#77" in text and "Keisha" in text and "Signer" not in text and event.name in text
    url = f"/manage/badges/e/{event.slug}/"
    r = client.post(url, data=sheet_form(csrf, url, stock="placard-letter"))
    assert r.status_code == 200 and page_count(r.data) == 1
    sheet = db.session.scalars(select(BadgeSheet).where(BadgeSheet.event_id == event.id)).first()
    client.post(f"/manage/badges/sheets/{sheet.id}/printed", data={"csrf_token": csrf(url)})
    assert db.session.scalar(select(func.count(BadgePrint.attendee_id))) == 1


def test_index_and_sample(client, organizer, waitlist_petition, make_signature):
    make_signature(waitlist_petition, waitlist_number=1234)
    html = client.get("/manage/badges/").get_data(as_text=True)
    assert waitlist_petition.title in html
    r = client.get("/manage/badges/p/fund-seats/sample.pdf?stock=avery-5395")
    assert r.status_code == 200 and page_count(r.data) == 1
    assert client.get("/manage/badges/p/fund-seats/sample.pdf?stock=nope").status_code == 404


def test_dashboard_panel_and_nav_includes(
    app, client, organizer, waitlist_petition, make_signature
):
    make_signature(waitlist_petition, waitlist_number=1234)
    make_signature(waitlist_petition, "Luis", waitlist_number=None)
    with app.test_request_context("/"):
        from flask_login import login_user

        login_user(organizer)
        html = render_template("badges/_petition_panel.html", petition=waitlist_petition)
        assert "Signers with a waitlist number: 1 " in html
        assert "/manage/badges/p/fund-seats/" in html
        assert "/manage/badges/" in render_template("badges/_manage_nav.html")


def test_signer_badge_qr_opens_the_petition(app, client, waitlist_petition, make_signature):
    import pypdfium2
    import zxingcpp

    sig = make_signature(waitlist_petition, waitlist_number=1234)
    app.config["PUBLIC_BASE_URL"] = "https://act.example.org/"
    r = client.get(f"/p/fund-seats/badge/{sig.token}.pdf")
    image = pypdfium2.PdfDocument(r.data)[0].render(scale=150 / 72).to_pil()
    assert [c.text for c in zxingcpp.read_barcodes(image)] == [
        "https://act.example.org/p/fund-seats"
    ]
