"""No signal: the scanner checks against the roster on the phone, queues, and syncs later."""

import threading
import uuid

from sqlalchemy import select

from petitions.core.extensions import db
from petitions.core.tokens import new_token
from petitions.models import Attendee, CheckIn
from tests.conftest import PASSWORD

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


class CheckinGate:
    """Holds POST /api/v1/checkins on the live server until reopen()."""

    def __init__(self, app):
        self.app, self.wsgi, self.open = app, app.wsgi_app, threading.Event()
        app.wsgi_app = self

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/api/v1/checkins":
            self.open.wait(30)
        return self.wsgi(environ, start_response)

    def reopen(self):
        self.open.set()
        self.app.wsgi_app = self.wsgi


def scan_typed(page, text: str) -> None:
    """A hand-held scanner types the code and Enter into the field."""
    page.fill("#scan-code", text)
    page.press("#scan-code", "Enter")


def test_offline_scans_queue_and_sync_with_conflicts(
    app, client, login, csrf, live_server, browser_factory, make_user, make_event, make_attendee
):
    event = make_event(name="Rally at the Capitol")
    ana, ana_token = make_attendee(event, "Ana Rivera")
    omar, omar_token = make_attendee(event, "Omar Torres")
    volunteer = make_user("volunteer")
    volunteer.name = "Dana"
    other = make_user("volunteer")
    other.name = "Lee"
    db.session.commit()

    browser = browser_factory()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", volunteer.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/manage/**")

    scanner = f"{live_server}/manage/e/{event.slug}/scan"
    page.goto(scanner)
    page.wait_for_selector("#scanner[data-ready='1']")
    page.wait_for_selector("#scan-roster[data-count='2']")
    # Installable: the service worker controls the page once it has activated.
    # (Polled from here: wait_for_function would need 'unsafe-eval', which the CSP forbids.)
    for _ in range(150):
        if page.evaluate("() => navigator.serviceWorker.controller !== null"):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the service worker never took control of the scanner page")

    # Meanwhile another volunteer checks Omar in at the other door. (End this thread's read
    # transaction first: SQLite cannot turn a snapshot older than the browser's writes into a
    # write transaction.)
    db.session.rollback()
    login(other)
    door2 = client.post(
        "/api/v1/checkins",
        json={"token": omar_token, "nonce": uuid.uuid4().hex},
        headers={"X-CSRFToken": csrf("/manage/")},
    )
    assert door2.get_json()["result"] == "ok"

    # No signal. Playwright's offline mode does not cover requests that pass through the
    # service worker, and a page reloading offline may start out "online" for an instant;
    # so the server also holds check-ins until the signal is back, as a dead network would.
    gate = CheckinGate(app)
    context.set_offline(True)
    page.wait_for_selector("#scan-net.offline")

    scan_typed(page, f"{live_server}/t/{ana_token}")
    page.wait_for_selector("#scan-result[data-result=ok]")
    assert "Ana Rivera" in page.inner_text("#scan-result")
    scan_typed(page, omar_token.lower())  # this phone's list still shows him not checked in
    page.wait_for_selector("#scan-pending-count:text('2')")
    scan_typed(page, new_token())
    page.wait_for_selector("#scan-result[data-result=unknown]")
    scan_typed(page, ana_token)  # Ana again, offline: already, by this phone
    page.wait_for_selector("#scan-result[data-result=already]")
    assert "waiting to sync" in page.inner_text("#scan-result")
    assert "Ana Rivera" in page.inner_text("#scan-pending")

    # Still offline, the page reopens from the service worker with its queue from IndexedDB.
    page.reload()
    page.wait_for_selector("#scanner[data-ready='1']")
    page.wait_for_selector("#scan-pending-count:text('2')")
    page.fill("#scan-search", "rive")
    page.wait_for_selector("#scan-search-results li.pending")

    db.session.rollback()
    assert db.session.scalar(select(Attendee.checked_in_at).where(Attendee.id == ana.id)) is None

    gate.reopen()
    context.set_offline(False)
    page.wait_for_selector("#scan-pending-box", state="hidden", timeout=20000)
    page.wait_for_selector("#scan-conflicts-box:not([hidden])")
    conflicts = page.inner_text("#scan-conflicts")
    assert "Omar Torres" in conflicts and "by Lee" in conflicts and "Ana" not in conflicts

    db.session.rollback()
    rows = db.session.scalars(select(CheckIn).where(CheckIn.user_id == volunteer.id)).all()
    assert sorted((r.attendee_id, r.result) for r in rows) == sorted(
        [(ana.id, "ok"), (omar.id, "already")]
    )
    assert all(r.scanned_at < r.created_at for r in rows)  # the device's scan time was kept
    db.session.refresh(ana)
    db.session.refresh(omar)
    assert ana.checked_in_by_id == volunteer.id and omar.checked_in_by_id == other.id

    # Dismissing the conflict clears it, and it stays cleared after a reload.
    page.click("#scan-conflicts button")
    page.wait_for_selector("#scan-conflicts-box", state="hidden")
    page.reload()
    page.wait_for_selector("#scanner[data-ready='1']")
    assert page.is_hidden("#scan-conflicts-box") and page.is_hidden("#scan-pending-box")
    context.close()
