"""A phone RSVPs in Spanish and gets a ticket whose QR code (as drawn on screen) decodes to
its own URL; the organizer's rally dashboard updates its numbers without a reload."""

import io

import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import update

from petitions.core.extensions import db
from petitions.models import Attendee
from petitions.models.base import utcnow
from tests.conftest import PASSWORD


def watch(page):
    """Console errors (CSP violations included), script errors and failed requests."""
    problems = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text  # see "response"
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response",
        lambda r: problems.append(r.url) if r.status >= 400 else None,  # the favicon too
    )
    return problems


def test_rsvp_ticket_qr_and_live_dashboard(
    app, live_server, browser_factory, make_event, make_user
):
    app.config["RALLY_DASHBOARD_POLL_SECONDS"] = 1
    event = make_event(name="Marcha por más asientos", ask_waitlist=True,
                       interpretation_languages="es", capacity=50)  # fmt: skip
    slug = event.slug
    email = make_user("organizer").email
    db.session.rollback()  # no read transaction left open while the server writes (SQLite)
    browser = browser_factory()
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="es-US"
    )
    page = context.new_page()
    problems = watch(page)
    page.goto(f"{live_server}/e/{slug}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.fill("#given_name", "Lucía")
    page.fill("#family_name", "Pérez")
    page.fill("#email", "lucia@example.org")
    page.fill("#postal_code", "06106")
    page.fill("#waitlist_number", "412")
    # A mother and two children, who need Spanish interpretation and childcare.
    page.select_option("#party_size", "3")
    page.get_by_label("Interpretación al español").tap()
    page.get_by_label("Cuidado de niños").tap()
    page.fill("#needs_note", "Niños de 4 y 7 años")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # still fits
    with page.expect_navigation():
        page.get_by_role("button", name="Confirmar mi asistencia").tap()
    assert "/t/" in page.url
    assert page.locator("h1").inner_text() == "Su entrada"
    assert page.locator(".ticket-name").inner_text() == "Lucía Pérez"
    shot = page.locator(".ticket-qr svg").screenshot()
    decoded = [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))]
    assert decoded == [page.url]
    assert problems == []
    context.close()

    # The organizer's dashboard picks up a check-in by itself.
    desk = browser.new_context(viewport={"width": 1200, "height": 900})
    page = desk.new_page()
    problems = watch(page)
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server}/manage/e/{slug}")
    checked = page.locator('[data-stat="checked_in"]')
    assert checked.inner_text() == "0"
    # The household counts as 3 people on one RSVP, with its needs.
    assert page.locator('[data-stat="people"]').inner_text() == "3"
    assert page.locator('.rally-stats [data-stat="rsvps"]').inner_text() == "1"
    assert page.locator('[data-stat="interpretation_es"]').inner_text() == "1"
    assert page.locator('[data-stat="need_childcare"]').inner_text() == "1"
    db.session.rollback()
    db.session.execute(
        update(Attendee).where(Attendee.name == "Lucía Pérez").values(checked_in_at=utcnow())
    )
    db.session.commit()
    expect(checked).to_have_text("1", timeout=10000)  # polled by rally-dashboard.js
    expect(page.locator('[data-stat="checked_in_people"]')).to_have_text("3")
    # The chart was swapped too: one bar now holds the check-in.
    bars = page.locator(".rally-chart svg rect title").all_text_contents()
    assert sum(int(t.rsplit(": ", 1)[1]) for t in bars) == 1
    assert problems == []
    desk.close()
