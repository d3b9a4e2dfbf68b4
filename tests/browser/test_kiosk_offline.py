"""No signal at the welcome table: the kiosk reloads offline, queues people on the phone,
and syncs each of them once when the signal is back."""

import gzip
import os
import threading
import time
from datetime import timedelta

from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.models import Attendee, KioskEntry, Signature
from petitions.models.base import utcnow
from tests.conftest import PASSWORD

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


class NoSignal:
    """While closed, the live server answers nothing but 503s, as a dead network would
    (Playwright's offline mode does not cover what the service worker fetches)."""

    def __init__(self, app):
        self.app, self.wsgi, self.closed = app, app.wsgi_app, threading.Event()
        self.reached = []
        app.wsgi_app = self

    def __call__(self, environ, start_response):
        if self.closed.is_set():
            self.reached.append(environ["PATH_INFO"])
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no signal"]
        return self.wsgi(environ, start_response)

    def close(self):
        self.closed.set()

    def open(self):
        self.closed.clear()


def queue_size(page) -> int:
    return page.evaluate(
        """() => new Promise((resolve) => {
            const r = indexedDB.open("petitions-kiosk", 1);
            r.onsuccess = () => {
              const q = r.result.transaction("queue").objectStore("queue").count();
              q.onsuccess = () => resolve(q.result);
            };
        })"""
    )


def shoot(page, name: str) -> None:
    """SCREENSHOTS=docs/screenshots saves the pages the docs show (docs/rallies.md)."""
    if folder := os.environ.get("SCREENSHOTS"):
        page.screenshot(path=os.path.join(folder, name))


def enter(page, given, family, email, zip_code="06106", sign=False, shot=None, needs=()):
    page.fill("#k-given_name", given)
    page.fill("#k-family_name", family)
    page.fill("#k-email", email)
    page.fill("#k-postal_code", zip_code)
    if sign:
        page.check("#k-sign")
    for need in needs:
        page.check(f"#k-need-{need}")
    page.click("#kiosk-submit")
    page.wait_for_selector("#kiosk-thanks:not([hidden])")
    assert given in page.inner_text("#kiosk-thanks-text")
    if shot:
        shoot(page, shot)
    # Nothing typed stays on the page: the form behind the thank-you is empty already.
    assert page.input_value("#k-given_name") == "" and page.input_value("#k-email") == ""
    assert not page.is_checked("#k-sign") and not page.is_checked("#k-need-childcare")
    page.wait_for_selector("#kiosk-form:not([hidden])", timeout=6000)
    assert page.inner_text("#kiosk-thanks-text") == ""


def test_kiosk_offline_queue_and_sync(
    app, client, live_server, browser_factory, make_user, make_event, make_petition
):
    petition = make_petition(title="Fund more magnet school seats")
    event = make_event(
        petition=petition,
        starts_at=utcnow() + timedelta(minutes=10),
        ends_at=utcnow() + timedelta(hours=2),
        interpretation_languages="es",
    )
    volunteer = make_user("volunteer")
    db.session.commit()

    browser = browser_factory()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    problems = []
    page.on(
        "console",
        lambda m: problems.append(f"{m.text} {m.location}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", volunteer.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/manage/**")

    kiosk = f"{live_server}/manage/e/{event.slug}/kiosk"
    page.goto(kiosk)
    page.wait_for_selector("#kiosk[data-ready='1'][data-offline-ready='1']")
    for _ in range(150):  # polled: wait_for_function needs 'unsafe-eval', which the CSP forbids
        if page.evaluate("() => navigator.serviceWorker.controller !== null"):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the service worker never took control of the kiosk page")

    signal = NoSignal(app)
    signal.close()
    context.set_offline(True)
    started = time.perf_counter()
    page.reload()
    page.wait_for_selector("#k-given_name", state="visible")
    offline_reload_ms = (time.perf_counter() - started) * 1000
    page.wait_for_selector("#kiosk[data-ready='1']")
    assert "offline" in page.get_attribute("#kiosk-net", "class")
    assert not any(path.endswith("/kiosk") for path in signal.reached)  # from the cache

    # The web form's own messages, in the kiosk's language; nothing is queued.
    page.click("#kiosk-submit")
    assert page.inner_text("#e-given_name") == "Please enter your first name."
    page.click("#kiosk-lang")
    assert page.inner_text("#e-given_name") == "Escriba su nombre."
    assert page.get_attribute("html", "lang") == "es"
    page.click("#kiosk-lang")
    page.fill("#k-given_name", "Ana")
    page.fill("#k-family_name", "Rivera")
    page.fill("#k-email", "ana@example")
    page.fill("#k-postal_code", "0610")
    page.click("#kiosk-submit")
    assert "name@example.com" in page.inner_text("#e-email")
    assert "5-digit" in page.inner_text("#e-postal_code")
    assert queue_size(page) == 0
    page.fill("#k-given_name", "")
    page.fill("#k-family_name", "")

    enter(page, "Rosa", "Parks", "rosa@example.org", sign=True, shot="kiosk-thanks.png")
    enter(page, "Omar", "Torres", "omar@example.org")
    shoot(page, "kiosk.png")
    page.click("#kiosk-lang")  # Luis reads Spanish
    assert page.inner_text("label[for=k-need-interpretation]") == "Interpretación al español"
    enter(
        page, "Luis", "Ortiz", "luis@example.org", sign=True, needs=["interpretation", "childcare"]
    )
    page.click("#kiosk-lang")
    enter(page, "Rosa", "Parks", "Rosa@Example.org ")  # again, without signing
    assert page.get_attribute("#kiosk-counter", "data-waiting") == "4"
    assert "4 waiting to send" in page.inner_text("#kiosk-counter")
    assert queue_size(page) == 4
    assert "Rosa" not in page.inner_text("body")  # nobody's entry is shown again

    db.session.rollback()
    assert db.session.scalar(select(func.count(Attendee.id))) == 0

    signal.open()
    context.set_offline(False)
    page.wait_for_selector("#kiosk-counter[data-waiting='0']", timeout=20000)
    assert "last sent" in page.inner_text("#kiosk-counter")
    assert queue_size(page) == 0

    db.session.rollback()
    walk_ups = db.session.scalars(select(Attendee).where(Attendee.walk_up.is_(True))).all()
    assert sorted(a.name for a in walk_ups) == ["Luis Ortiz", "Omar Torres", "Rosa Parks"]
    luis = next(a for a in walk_ups if a.name == "Luis Ortiz")
    assert luis.needs == "interpretation,childcare" and luis.interpretation_language == "es"
    signatures = db.session.scalars(select(Signature)).all()
    assert sorted((s.given_name, s.source) for s in signatures) == [
        ("Luis", "kiosk"),
        ("Rosa", "kiosk"),
    ]
    assert next(s for s in signatures if s.given_name == "Luis").language == "es"
    assert db.session.scalar(select(func.count(KioskEntry.id))) == 4
    assert problems == []
    context.close()

    # What a phone downloads for the kiosk: the page, its script and styles, gzipped.
    html = _staff_page(client, volunteer, f"/manage/e/{event.slug}/kiosk")
    sizes = {"page": len(gzip.compress(html, 9))}
    for name in ("js/kiosk.js", "css/kiosk.css", "css/app.css"):
        sizes[name] = len(gzip.compress(client.get(f"/static/{name}").data, 9))
    print(
        f"\nkiosk: offline reload to form visible {offline_reload_ms:.0f} ms; gzipped bytes "
        + ", ".join(f"{k} {v:,}" for k, v in sizes.items())
        + f"; total {sum(sizes.values()):,}"
    )


def _staff_page(client, user, url: str) -> bytes:
    from tests.conftest import csrf_from

    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    return client.get(url).data


def test_old_entries_are_dropped_and_a_logged_out_sync_keeps_the_queue(
    app, live_server, browser_factory, make_user, make_event
):
    event = make_event(
        starts_at=utcnow() + timedelta(minutes=10),
        ends_at=utcnow() + timedelta(hours=2),
        retention_days=1,
    )
    volunteer = make_user("volunteer")
    browser = browser_factory()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", volunteer.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/manage/**")
    page.goto(f"{live_server}/manage/e/{event.slug}/kiosk")
    page.wait_for_selector("#kiosk[data-ready='1']")

    # An entry that waited two days on a phone of an event keeping data for one.
    context.set_offline(True)
    page.evaluate(
        """(key) => new Promise((resolve) => {
            const r = indexedDB.open("petitions-kiosk", 1);
            r.onsuccess = () => {
              const tx = r.result.transaction("queue", "readwrite");
              const created = new Date(Date.now() - 2 * 86400000).toISOString();
              tx.objectStore("queue").put({id: "old-entry-0001", key: key, entry: {
                id: "old-entry-0001", created: created, language: "en", given_name: "Old",
                family_name: "Entry", email: "old@example.org", postal_code: "06106"}});
              tx.oncomplete = () => resolve(true);
            };
        })""",
        f"rally:{event.slug}",
    )
    page.reload()
    page.wait_for_selector("#kiosk-notice:not([hidden])")
    notice = page.inner_text("#kiosk-notice")
    assert "without being sent, after waiting longer than 1 days: 1" in notice
    assert page.get_attribute("#kiosk-counter", "data-waiting") == "0"
    assert queue_size(page) == 0

    # Logged out elsewhere: the next sync is refused, and the entry stays on the phone.
    page.fill("#k-given_name", "Rosa")
    page.fill("#k-family_name", "Parks")
    page.fill("#k-email", "rosa@example.org")
    page.fill("#k-postal_code", "06106")
    page.click("#kiosk-submit")
    page.wait_for_selector("#kiosk-counter[data-waiting='1']")
    context.clear_cookies()
    context.set_offline(False)
    page.click("#kiosk-sync")
    page.wait_for_selector("#kiosk-notice:text('still on this phone')")
    assert queue_size(page) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count(Attendee.id))) == 0
    context.close()
