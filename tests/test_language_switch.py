"""The language switch of a page answering a POST: never a link to a POST-only URL (a GET
there is 405), no hreflang alternates; a public form shown again switches language
inside the form, keeping what was typed and doing nothing else."""

import html as html_lib
import re

import pytest
from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.models import Attendee, PetitionStatus, Signature, Suppression
from tests.test_signing_flow import GOOD

PERSON = {"given_name": "Lucía", "family_name": "Ortiz", "email": "lucia@example.org",
          "postal_code": "06106"}  # fmt: skip
SWITCH_RE = re.compile(
    r'<button type="submit" name="lang" value="(\w+)" formaction="([^"]+)" formnovalidate'
)


def header_link(page: str) -> str:
    nav = re.search(r'<nav aria-label="[^"]+" class="lang">(.*?)</nav>', page, re.S).group(1)
    return html_lib.unescape(re.search(r'href="([^"]+)"', nav).group(1))


def alternates(page: str) -> list[str]:
    return re.findall(r'<link rel="alternate" hreflang="[^"]+" href="([^"]+)">', page)


def switch(page: str) -> tuple[str, str]:
    """The in-form language button: (its language, the URL it posts to)."""
    found = SWITCH_RE.findall(page)
    assert len(found) == 1, found
    return found[0][0], html_lib.unescape(found[0][1])


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def value_of(page: str, name: str) -> str | None:
    m = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return html_lib.unescape(m.group(1)) if m else None


def test_a_sign_error_switches_language_inside_the_form(client, make_petition):
    petition = make_petition(slug="seats", title_es="Asientos")
    typed = {**GOOD, "given_name": "Lucía", "comment": "Mi hija espera.", "postal_code": "1"}
    page = client.post("/p/seats/sign", data=typed)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert alternates(html) == []
    assert "/es/p/seats/sign" not in header_link(html)
    assert header_link(html) == "#language-switch" and 'id="language-switch"' in html
    language, url = switch(html)
    assert (language, url) == ("es", "/es/p/seats/sign")
    # Enter in a field sends the form with its first submit button: signing, not switching.
    form = html[html.index('class="sign"') :]
    assert form.index('class="primary"') < form.index('name="lang"')

    # What the button sends: the form as typed, and lang=es, to the Spanish URL.
    spanish = client.post(url, data={**typed, "lang": language})
    assert spanish.status_code == 400  # the ZIP code is still wrong, and now says so in Spanish
    es = spanish.get_data(as_text=True)
    assert '<html lang="es">' in es
    assert "Escriba un código postal de 5 dígitos, por ejemplo 06106." in es
    assert value_of(es, "given_name") == "Lucía" and value_of(es, "email") == GOOD["email"]
    assert "Mi hija espera.</textarea>" in es
    assert switch(es) == ("en", "/en/p/seats/sign")
    assert count(Signature) == 0
    assert petition.slug == "seats"


def test_switching_a_valid_form_signs_nothing_and_the_next_press_signs(client, make_petition):
    make_petition(slug="seats")
    page = client.post("/p/seats/sign", data={**GOOD, "email": "typo"})
    _, url = switch(page.get_data(as_text=True))
    fixed = {**GOOD, "given_name": "Lucía", "opt_in": "y"}
    spanish = client.post(url, data={**fixed, "lang": "es"})
    assert spanish.status_code == 200
    html = spanish.get_data(as_text=True)
    assert '<html lang="es">' in html and "Firmar la petición" in html
    assert value_of(html, "given_name") == "Lucía"
    assert re.search(r'<input checked id="opt_in" name="opt_in"', html)
    assert count(Signature) == 0
    # The Sign button of the Spanish page signs, in Spanish.
    action = re.search(r'<form method="post" action="([^"]+)" class="sign"', html).group(1)
    assert action == "/es/p/seats/sign"
    assert client.post(action, data=fixed).status_code == 302
    assert count(Signature) == 1
    assert db.session.scalars(select(Signature.language)).one() == "es"


def test_a_closed_or_honeypot_answer_links_to_the_petition_page(app, make_petition):
    make_petition(slug="shut", status=PetitionStatus.CLOSED)
    make_petition(slug="open")
    client = app.test_client()
    for url, data, status in (
        ("/p/shut/sign", GOOD, 409),
        ("/p/open/sign", {**GOOD, "website": "http://spam.example"}, 200),
        ("/es/p/shut/sign", GOOD, 409),
    ):
        response = client.post(url, data=data)
        assert response.status_code == status, url
        html = response.get_data(as_text=True)
        assert alternates(html) == [] and "language-switch" not in html
        slug = url.split("/p/")[1].split("/")[0]
        other = "/en" if url.startswith("/es/") else "/es"
        assert header_link(html) == f"{other}/p/{slug}"
        again = client.get(header_link(html))
        assert again.status_code == 200
        assert f'<html lang="{other[1:]}">' in again.get_data(as_text=True)


def test_rsvp_and_sign_in_switch_inside_the_form_and_keep_what_was_typed(
    client, make_petition, make_event
):
    from datetime import timedelta

    from petitions.models.base import utcnow

    petition = make_petition()
    event = make_event(petition=petition, starts_at=utcnow() + timedelta(minutes=30),
                       ends_at=utcnow() + timedelta(hours=2))  # fmt: skip
    for url, button in (
        (f"/e/{event.slug}", "Confirmar mi asistencia"),
        (f"/e/{event.slug}/here/{event.signin_key}", "Ya llegué"),
    ):
        page = client.post(url, data={**PERSON, "phone": "not a phone", "sign": "y"})
        assert page.status_code == 400, url
        html = page.get_data(as_text=True)
        assert alternates(html) == [] and header_link(html) == "#language-switch"
        language, switch_url = switch(html)
        assert switch_url == "/es" + url
        # All correct now: the switch still only shows the form again, in Spanish.
        spanish = client.post(switch_url, data={**PERSON, "sign": "y", "lang": language})
        assert spanish.status_code == 200, url
        es = spanish.get_data(as_text=True)
        assert '<html lang="es">' in es and button in es
        assert value_of(es, "given_name") == "Lucía" and value_of(es, "email") == PERSON["email"]
        assert re.search(r'<input checked id="sign" name="sign"', es)
        assert count(Attendee) == 0 and count(Signature) == 0
    # Pressing the form's own button from there does what it says.
    assert client.post(f"/es/e/{event.slug}", data=PERSON).status_code == 302
    assert db.session.scalars(select(Attendee.language)).one() == "es"


def test_a_full_or_cancelled_rsvp_answer_links_to_the_event_page(client, make_event):
    event = make_event(capacity=0)
    page = client.post(f"/e/{event.slug}", data=PERSON)
    html = page.get_data(as_text=True)
    assert page.status_code == 409 and alternates(html) == []
    # Full: the form is shown again (to send a ticket again), with the switch inside it.
    assert header_link(html) == "#language-switch"
    cancelled = make_event(status="cancelled")
    page = client.post(f"/e/{cancelled.slug}", data=PERSON)
    html = page.get_data(as_text=True)
    assert page.status_code == 409 and alternates(html) == []
    assert header_link(html) == f"/es/e/{cancelled.slug}"
    assert client.get(header_link(html)).status_code == 200


@pytest.fixture
def delivery_token(app, make_petition):
    from petitions.models import Delivery, Mailing, Update

    petition = make_petition()
    update = Update(petition_id=petition.id, subject="News")
    db.session.add(update)
    db.session.flush()
    mailing = Mailing(key=f"update-{update.id}", kind="update", update_id=update.id)
    db.session.add(mailing)
    db.session.flush()
    token = "0" * 25 + "1"
    db.session.add(Delivery(mailing_id=mailing.id, email="bo@example.org",
                            email_key="bo@example.org", unsubscribe_token=token))  # fmt: skip
    db.session.commit()
    return token


def test_unsubscribed_and_removed_pages_link_to_a_page_that_answers_a_get(
    client, make_petition, make_signature, delivery_token
):
    page = client.post(f"/u/{delivery_token}")
    assert page.status_code == 200 and count(Suppression) == 1
    html = page.get_data(as_text=True)
    link = header_link(html)
    assert alternates(html) == [] and link == f"/u/{delivery_token}?lang=es"
    spanish = client.get(link)
    assert spanish.status_code == 200 and "Su suscripción está cancelada" in spanish.text

    petition = make_petition(slug="seats")
    signature = make_signature(petition)
    page = client.post(f"/es/s/{signature.token}/remove")
    assert page.status_code == 200 and "Su firma fue retirada" in page.text
    assert alternates(page.text) == [] and header_link(page.text) == "/en/p/seats"
    assert client.get("/en/p/seats").status_code == 200


def test_get_pages_keep_their_language_urls_and_alternates(client, make_petition):
    make_petition(slug="seats")
    html = client.get("/p/seats").get_data(as_text=True)
    assert header_link(html) == "/es/p/seats"
    assert "http://localhost/es/p/seats" in alternates(html)
    assert "language-switch" not in html and 'name="lang"' not in html


def test_an_organizer_page_answering_a_post_links_to_the_get_page_of_its_url(
    client, organizer, csrf, make_petition
):
    make_petition(slug="seats")
    url = "/manage/p/seats/import"  # GET shows the form, POST (another view) checks a file
    page = client.post(url, data={"csrf_token": csrf(url)})
    assert page.status_code == 400
    assert alternates(page.text) == [] and header_link(page.text) == f"{url}?lang=es"
    spanish = client.get(header_link(page.text))
    assert spanish.status_code == 200 and '<html lang="es">' in spanish.text
