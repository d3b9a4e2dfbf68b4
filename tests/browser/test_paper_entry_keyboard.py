"""Typing in a paper sheet with the keyboard only, in a real browser (no JavaScript needed)."""

from sqlalchemy import select

from petitions.core.extensions import db
from petitions.models import Signature
from tests.conftest import PASSWORD


def test_keyboard_only_entry(app, live_server, browser_factory, make_user, make_petition):
    petition = make_petition(title="Seats for every child")
    volunteer = make_user("volunteer")
    slug, email = petition.slug, volunteer.email

    browser = browser_factory()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(f"{live_server}/manage/**")

    page.goto(f"{live_server}/manage/p/{slug}/paper")
    # First the sheet number, then along the row in the sheet's column order.
    wait_for_focus(page, "sheet_number")
    page.keyboard.type("4")
    for text in ("Ana", "Rivera", "ana@example.org", "06106", "Hartford"):
        page.keyboard.press("Tab")
        page.keyboard.type(text)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "role"
    page.keyboard.type("e")  # the sheet's code E = educator
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "opt_in"
    page.keyboard.press("Space")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # from the town field: Enter submits

    assert "Saved on sheet 4: Ana Rivera, 06106 Hartford." in page.inner_text(".flash.ok")
    wait_for_focus(page, "given_name")
    assert page.input_value("#sheet_number") == "4"
    assert page.input_value("#given_name") == ""
    # Next row of the same sheet: straight from the first field.
    page.keyboard.type("Luis")
    page.keyboard.press("Tab")
    page.keyboard.type("Santiago")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("06112")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Saved on sheet 4: Luis Santiago" in page.inner_text(".flash.ok")
    assert "2 entered from this sheet so far." in page.inner_text("main")
    wait_for_focus(page, "given_name")

    # The same person again: a warning with the checkbox focused, nothing saved.
    page.keyboard.type("Luis")
    page.keyboard.press("Tab")
    page.keyboard.type("Santiago")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("06112")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Already signed?" in page.inner_text(".paper-dupes")
    wait_for_focus(page, "different_person")

    db.session.rollback()  # a fresh snapshot: the rows were written by the server thread
    rows = db.session.execute(
        select(Signature.given_name, Signature.role, Signature.opt_in, Signature.sheet_number)
        .where(Signature.petition_id == petition.id)
        .order_by(Signature.id)
    ).all()
    assert [tuple(r) for r in rows] == [("Ana", "educator", True, "4"), ("Luis", "", False, "4")]
    assert not [e for e in errors if "Content Security Policy" in e]


def wait_for_focus(page, element_id: str) -> None:
    """After a page load: the browser applies autofocus at its next rendering step, so wait
    for it (a timeout fails the test) rather than read document.activeElement at once."""
    page.wait_for_selector(f"#{element_id}:focus", timeout=5000)
