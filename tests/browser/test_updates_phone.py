"""At 360×740 (Debian's Chromium): the petition's own text for a Spanish phone, and the
organizer's update form, written and sent from a phone."""

from sqlalchemy import select

from petitions.core.extensions import db
from petitions.models import Mailing, Signature
from tests.conftest import PASSWORD


def phone_context(browser, locale):
    return browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale=locale
    )


def test_a_spanish_phone_reads_and_signs_the_spanish_petition(
    app, live_server, browser_factory, make_petition
):
    petition = make_petition(
        title="More magnet school seats",
        title_es="Más asientos en las escuelas magnet",
        body="<p>We ask the Board for more seats.</p>",
        body_es="<p>Pedimos a la Junta más asientos.</p>",
        addressed_to="State Board of Education",
    )
    browser = browser_factory()
    page = phone_context(browser, "es-US").new_page()
    page.goto(f"{live_server}/p/{petition.slug}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator("h1").inner_text() == "Más asientos en las escuelas magnet"
    assert page.locator(".body").inner_text() == "Pedimos a la Junta más asientos."
    # Not translated: shown in English, and marked so (screen readers switch voice).
    assert page.locator(".to span[lang=en]").inner_text() == "State Board of Education"
    assert page.get_attribute("html", "lang") == "es"
    page.fill("#given_name", "Lucía")
    page.fill("#family_name", "Rivera")
    page.fill("#email", "lucia@example.org")
    page.fill("#postal_code", "06106")
    with page.expect_navigation():
        page.get_by_role("button", name="Firmar la petición").tap()
    assert "Más asientos en las escuelas magnet" in page.locator("main").inner_text()
    db.session.rollback()
    signature = db.session.scalars(select(Signature)).one()
    assert signature.language == "es"


def test_an_organizer_writes_and_sends_an_update_from_a_phone(
    app, live_server, browser_factory, make_petition, make_signature, make_user, smtp_server
):
    petition = make_petition(title="More magnet school seats")
    make_signature(petition, email="ana@example.org", language="es")
    user = make_user("organizer")
    browser = browser_factory()
    page = phone_context(browser, "en-US").new_page()
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").tap()
    page.goto(f"{live_server}/manage/p/{petition.slug}/updates/new")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The two languages stack on a phone: each field as wide as the screen allows.
    for field in ("#subject", "#subject_es", "#body", "#body_es"):
        box = page.locator(field).bounding_box()
        assert box["width"] >= 280 and box["x"] + box["width"] <= 360, field
    page.fill("#subject", "We delivered the petition")
    page.fill("#body", "Today we handed the signatures to the Board.")
    page.fill("#subject_es", "Entregamos la petición")
    page.fill("#body_es", "Hoy entregamos las firmas a la Junta.")
    page.check("#audience-0")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and preview").tap()
    with page.expect_navigation():
        page.get_by_role("button", name="Send now, or at that time").tap()
    assert "1 of 1 delivered" in page.locator("main").inner_text()
    assert [m["Subject"] for m in smtp_server] == ["Entregamos la petición"]
    db.session.rollback()
    assert db.session.scalars(select(Mailing)).one().delivered == 1
