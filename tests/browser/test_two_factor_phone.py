"""Two-factor sign-in on a phone (Debian's Chromium at 360×740), with JavaScript off:
password, then the code from an authenticator app, then the organizer pages."""

import pyotp

from petitions.core.extensions import db
from tests.conftest import PASSWORD


def test_two_factor_sign_in_on_a_phone_without_javascript(
    app, live_server, browser_factory, make_user
):
    user = make_user("organizer")
    totp = pyotp.TOTP(pyotp.random_base32())
    user.totp_secret = totp.secret
    db.session.commit()

    browser = browser_factory()
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    page = context.new_page()
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").tap()
    assert page.url.endswith("/auth/login/code")
    assert page.locator("h1").inner_text() == "Two-factor sign-in"
    field = page.locator("#code")
    assert field.get_attribute("autocomplete") == "one-time-code"
    assert field.bounding_box()["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    field.fill("000000")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").tap()
    assert "not right" in page.locator(".error").inner_text()

    page.locator("#code").fill(totp.now())
    button = page.get_by_role("button", name="Continue")
    assert button.bounding_box()["height"] >= 44
    with page.expect_navigation():
        button.tap()
    assert page.url == f"{live_server}/manage/"
    assert page.locator("h1").inner_text() == "Manage"
    context.close()
