"""A phone (Debian's Chromium at 360×740) meets a sign error in English, switches to Spanish
from the page's language link without losing what it typed, and signs with Enter."""

from sqlalchemy import select

from petitions.core.extensions import db
from petitions.models import Signature


def test_switch_language_on_a_sign_error_then_sign_with_enter(
    app, live_server, browser_factory, make_petition
):
    make_petition(slug="phone", title="More magnet school seats")
    browser = browser_factory()
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="en-US"
    )
    page = context.new_page()
    page.goto(f"{live_server}/p/phone")
    page.fill("#given_name", "Lucía")
    page.fill("#family_name", "Ortiz")
    page.fill("#email", "lucia@")
    page.fill("#postal_code", "06106")
    page.fill("#comment", "Mi hija espera un asiento.")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign the petition").tap()
    assert page.url.endswith("/p/phone/sign")
    assert page.locator(".flash.error").is_visible()

    # The header's "Español" takes the phone to the switch inside the form...
    page.get_by_role("link", name="Español").tap()
    switch = page.locator("#language-switch button")
    assert page.url.endswith("#language-switch") and switch.is_visible()
    box = switch.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= 740 and box["height"] >= 44
    # ...which shows the same form in Spanish, as it was typed, without signing.
    with page.expect_navigation():
        switch.tap()
    assert page.url == f"{live_server}/es/p/phone/sign"
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.input_value("#given_name") == "Lucía"
    assert page.input_value("#comment") == "Mi hija espera un asiento."
    assert page.locator("#email-error").is_visible()
    db.session.rollback()
    assert db.session.scalars(select(Signature)).all() == []

    # Enter in a field sends the form itself: the phone signs, in Spanish.
    page.fill("#email", "lucia@example.org")
    with page.expect_navigation():
        page.press("#email", "Enter")
    assert "/es/p/phone/" in page.url and "/sign" not in page.url
    db.session.rollback()
    signed = db.session.scalars(select(Signature)).one()
    assert (signed.given_name, signed.language) == ("Lucía", "es")
    context.close()
