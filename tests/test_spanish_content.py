"""Petition and event text in two languages, and the language each person used."""

import io
import re

from sqlalchemy import select

from petitions.core.extensions import db
from petitions.models import Attendee, Signature
from tests.conftest import csrf_from

SPANISH = {"Accept-Language": "es"}
PERSON = {
    "given_name": "Ana",
    "family_name": "Díaz",
    "email": "ana@example.org",
    "postal_code": "06106",
}


def sign_as(client, petition, language: str, **fields):
    """Sign from the page in `language`, as that visitor's browser would (one place to
    change should the way a page's language is chosen change)."""
    assert client.get(f"/{language}/p/{petition.slug}").status_code == 200
    return client.post(f"/{language}/p/{petition.slug}/sign", data={**PERSON, **fields})


def twin_petition(make_petition, **fields):
    return make_petition(
        title="Fund more magnet school seats",
        title_es="Más asientos en las escuelas magnet",
        summary="Seats for every child.",
        summary_es="Asientos para cada niño.",
        body="<p>We ask for more seats.</p>",
        body_es="<p>Pedimos más asientos.</p>",
        addressed_to="State Board of Education",
        addressed_to_es="",  # falls back to English
        **fields,
    )


def test_spanish_page_shows_the_twins_and_marks_the_english_fallback(client, make_petition):
    petition = twin_petition(make_petition)
    html = client.get(f"/es/p/{petition.slug}").get_data(as_text=True)
    assert "<h1>Más asientos en las escuelas magnet</h1>" in html
    assert '<meta property="og:title" content="Más asientos en las escuelas magnet">' in html
    assert '<meta property="og:description" content="Asientos para cada niño.">' in html
    assert "Pedimos más asientos." in html and "We ask for more seats." not in html
    # The empty twin: the English text, marked as English on the Spanish page.
    assert '<span lang="en">State Board of Education</span>' in html


def test_english_page_keeps_the_english_text(client, make_petition):
    petition = twin_petition(make_petition)
    html = client.get(f"/en/p/{petition.slug}").get_data(as_text=True)
    assert "<h1>Fund more magnet school seats</h1>" in html
    assert "Más asientos" not in html
    assert 'lang="es"' not in html.split("<main", 1)[1].split("</article>")[0]


def test_a_petition_without_twins_is_english_marked_on_the_spanish_page(client, make_petition):
    petition = make_petition()
    html = client.get(f"/es/p/{petition.slug}").get_data(as_text=True)
    assert '<h1 lang="en">Fund more magnet school seats</h1>' in html


def test_signature_records_the_language_of_the_page(client, make_petition):
    petition = twin_petition(make_petition)
    assert sign_as(client, petition, "es").status_code == 302
    assert (
        sign_as(client, petition, "en", email="bo@example.org", given_name="Bo").status_code == 302
    )
    db.session.rollback()
    languages = dict(
        db.session.execute(
            select(Signature.given_name, Signature.language).where(
                Signature.petition_id == petition.id
            )
        ).all()
    )
    assert languages == {"Ana": "es", "Bo": "en"}


def test_thank_you_page_and_share_text_in_spanish(client, make_petition):
    petition = twin_petition(make_petition)
    thanks = sign_as(client, petition, "es").headers["Location"]
    html = client.get(thanks + "?lang=es").get_data(as_text=True)
    assert "Más asientos en las escuelas magnet" in html
    assert 'data-title="Más asientos en las escuelas magnet"' in html


def test_organizer_form_has_both_languages_and_stores_the_twins(client, organizer, csrf):
    page = client.get("/manage/p/new").get_data(as_text=True)
    assert (
        'name="title_es"' in page and 'name="body_es"' in page and 'name="addressed_to_es"' in page
    )
    response = client.post(
        "/manage/p/new",
        data={
            "csrf_token": csrf("/manage/p/new"),
            "title": "Fund seats",
            "title_es": "Financien asientos",
            "summary": "",
            "summary_es": "Resumen",
            "body": "English text",
            "body_es": "Texto <script>alert(1)</script>en español",
            "addressed_to": "Board",
            "addressed_to_es": "Junta",
            "goal": "100",
            "waitlist_label_es": "Número de lista de espera",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    from petitions.models import Petition

    db.session.rollback()
    petition = db.session.scalar(select(Petition).where(Petition.title == "Fund seats"))
    assert petition.title_es == "Financien asientos"
    assert petition.addressed_to_es == "Junta"
    assert "<script>" not in petition.body_es and "español" in petition.body_es
    assert petition.waitlist_label_es == "Número de lista de espera"
    preview = client.get(f"/manage/p/{petition.slug}/preview?language=es").get_data(as_text=True)
    assert "<h1>Financien asientos</h1>" in preview
    preview_en = client.get(f"/manage/p/{petition.slug}/preview?language=en").get_data(as_text=True)
    assert "<h1>Fund seats</h1>" in preview_en


def test_waitlist_label_in_spanish(client, make_petition):
    petition = make_petition(
        ask_waitlist=True, waitlist_label="Your waitlist number", waitlist_label_es="Su número"
    )
    assert "Su número" in client.get(f"/es/p/{petition.slug}").get_data(as_text=True)
    assert "Your waitlist number" in client.get(f"/en/p/{petition.slug}").get_data(as_text=True)


def test_event_page_and_ics_in_spanish(client, make_event):
    event = make_event(
        name_es="Marcha por los asientos",
        meeting_point_es="Escalones de la entrada norte",
        description_es="<p>Únase a nosotros.</p>",
        route_notes_es="",
    )
    html = client.get(f"/es/e/{event.slug}").get_data(as_text=True)
    assert "<h1>Marcha por los asientos</h1>" in html
    assert "Escalones de la entrada norte" in html
    assert "Únase a nosotros." in html
    assert '<p class="pre-line" lang="en">Gather at 10:30' in html
    ics = client.get(f"/es/e/{event.slug}.ics").get_data(as_text=True)
    assert "SUMMARY:Marcha por los asientos" in ics
    assert "Escalones de la entrada norte" in ics.replace("\r\n ", "")


def test_rsvp_records_the_language(client, make_event):
    event = make_event()
    assert client.get(f"/es/e/{event.slug}").status_code == 200
    response = client.post(f"/es/e/{event.slug}", data=PERSON)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.rollback()
    attendee = db.session.scalar(select(Attendee).where(Attendee.event_id == event.id))
    assert attendee.language == "es"


def test_csv_import_reads_a_language_column(client, organizer, csrf, make_petition):
    petition = make_petition()
    data = (
        "first_name,last_name,email,zip,language\n"
        "Ana,Díaz,ana@example.org,06106,Español\n"
        "Bo,Li,bo@example.org,06106,\n"
        "Cy,Ng,cy@example.org,06106,klingon\n"
    ).encode()
    upload = client.post(
        f"/manage/p/{petition.slug}/import",
        data={
            "csrf_token": csrf(f"/manage/p/{petition.slug}/import"),
            "file": (io.BytesIO(data), "s.csv"),
        },
    )
    html = upload.get_data(as_text=True)
    assert "is not en or es" in html
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    expected = re.search(r'name="expected" type="hidden" value="([^"]+)"', html).group(1)
    confirm = client.post(
        f"/manage/p/{petition.slug}/import/confirm",
        data={"csrf_token": csrf_from(html), "token": token, "expected": expected},
    )
    assert confirm.status_code in (302, 303), confirm.get_data(as_text=True)
    db.session.rollback()
    languages = dict(
        db.session.execute(
            select(Signature.given_name, Signature.language).where(
                Signature.petition_id == petition.id
            )
        ).all()
    )
    assert languages == {"Ana": "es", "Bo": "en"}


def test_paper_entry_records_spanish(client, organizer, csrf, make_petition):
    petition = make_petition()
    url = f"/manage/p/{petition.slug}/paper"
    response = client.post(
        url,
        data={"csrf_token": csrf(url), **PERSON, "town": "Hartford", "spanish": "y"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.rollback()
    signature = db.session.scalar(select(Signature).where(Signature.petition_id == petition.id))
    assert signature.language == "es"
