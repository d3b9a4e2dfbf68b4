"""Every page a signer, an attendee or an organizer sees is valid HTML, as the Nu Html
Checker (vnu, the W3C's validator) reads it: the pages are rendered through the test
client, written to files and checked in one run of vnu.

vnu comes from npm (`vnu-jar`, pinned in .ci/vnu/package.json; `make test` installs it
into .venv/vnu) and runs on Java. Without them this test is skipped, unless CI or
REQUIRE_BROWSER=1 says it must run."""

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from petitions.core.extensions import db
from petitions.models import (
    Delivery,
    PetitionStatus,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from petitions.models.base import utcnow
from tests.conftest import csrf_from
from tests.packets_helpers import add_official
from tests.test_signing_flow import GOOD
from tests.test_two_factor import enrol

ROOT = Path(__file__).resolve().parent.parent
JAR = Path("vnu", "node_modules", "vnu-jar", "build", "dist", "vnu.jar")


def _vnu_jar() -> Path | None:
    """VNU_JAR, else the jar `make test` installed into the virtualenv in use or the
    checkout's .venv."""
    if os.environ.get("VNU_JAR"):
        return Path(os.environ["VNU_JAR"])
    for venv in (Path(sys.prefix), ROOT / ".venv"):
        if (venv / JAR).is_file():
            return venv / JAR
    return None


@pytest.fixture(scope="module")
def vnu() -> list[str]:
    java, jar = shutil.which("java"), _vnu_jar()
    if java and jar and jar.is_file():
        return [java, "-jar", str(jar)]
    missing = "java" if not java else f"{jar or JAR} (make test installs it with npm)"
    if os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"the HTML check must run here, but {missing} is missing")
    pytest.skip(f"{missing} not found")


def check(vnu, pages: dict[str, str], folder: Path) -> list[str]:
    """vnu's errors, one line each: the page's name, the line, the message, the markup."""
    names = {}
    for n, (name, html) in enumerate(pages.items()):
        path = folder / f"{n:03d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.html"
        path.write_text(html, encoding="utf-8")
        names[path.name] = name
    run = subprocess.run(
        [*vnu, "--errors-only", "--format", "json", *(str(folder / f) for f in names)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode in (0, 1), run.stderr  # 1: it found errors
    report = json.loads(run.stderr)  # vnu writes its report to stderr
    errors = []
    for m in report["messages"]:
        where = names.get(m.get("url", "").rsplit("/", 1)[-1], m.get("url"))
        extract = " ".join(m.get("extract", "").split())
        errors.append(f"{where}, line {m.get('lastLine')}: {m['message']} [{extract}]")
    assert run.returncode == 0 or errors, run.stderr
    return errors


class Pages:
    """The pages to check (name -> HTML), each fetched with the status it must have."""

    def __init__(self):
        self.html: dict[str, str] = {}

    def get(self, client, name, url, status=200):
        self._add(name, client.get(url), status)

    def post(self, client, name, url, data, status=200):
        self._add(name, client.post(url, data=data), status)

    def _add(self, name, response, status):
        assert response.status_code == status, (name, response.status_code)
        assert response.mimetype == "text/html", (name, response.mimetype)
        assert name not in self.html, name
        self.html[name] = response.get_data(as_text=True)


@pytest.fixture
def site(app, make_petition, make_event, make_attendee, make_signature):
    petition = make_petition(
        slug="valid",
        ask_waitlist=True,
        waitlist_label="Your child's waitlist number",
        title_es="Más asientos",
        sponsors="Parents for Integrated Schools\nHartford Area Teachers",
    )
    closed = make_petition(slug="closed", status=PetitionStatus.CLOSED)
    # Two of each kind a page lists, so forms repeated in a list are seen twice.
    signed = make_signature(petition, waitlist_number=41, comment="Two years.", show_name=True)
    make_signature(petition, "Luis", "Ortiz", town="Bloomfield", postal_code="06002",
                   waitlist_number=7, comment="My son is waiting.", show_name=True)  # fmt: skip
    pending = make_signature(petition, "Maria", "Cruz", confirmed=False)
    leaving = make_signature(petition, "Omar", "Davis")
    # Sign-in opens a few hours before the start: this rally starts within the hour.
    rally = make_event(petition=petition, slug="valid-rally", starts_at=utcnow() + timedelta(minutes=30),
                       ends_at=utcnow() + timedelta(hours=2), capacity=50)  # fmt: skip
    _, ticket = make_attendee(rally, email="ana@example.org")
    make_attendee(rally, name="Bo Brown", checked_in_at=utcnow())
    return {
        "petition": petition,
        "closed": closed,
        "signed": signed,
        "pending": pending,
        "leaving": leaving,
        "rally": rally,
        "ticket": ticket,
    }


def _public_pages(app, site, pages: Pages):
    slug, rally = site["petition"].slug, site["rally"]
    anyone = app.test_client()
    pages.get(anyone, "home", "/")
    pages.get(anyone, "petition", f"/p/{slug}")
    pages.get(anyone, "petition es", f"/es/p/{slug}")
    pages.get(anyone, "petition closed", f"/p/{site['closed'].slug}")
    signer = app.test_client()
    pages.post(signer, "sign error", f"/p/{slug}/sign", {**GOOD, "email": "nope"}, 400)
    pages.post(signer, "sign error es", f"/es/p/{slug}/sign", {**GOOD, "postal_code": "1"}, 400)
    pages.post(signer, "sign language switch", f"/es/p/{slug}/sign", {**GOOD, "lang": "es"})
    pages.post(signer, "sign honeypot", f"/p/{slug}/sign", {**GOOD, "website": "x"})
    pages.post(signer, "sign closed", f"/p/{site['closed'].slug}/sign", GOOD, 409)
    response = signer.post(f"/p/{slug}/sign", data=GOOD)
    assert response.status_code == 302
    pages.get(signer, "pending", response.headers["Location"])
    pages.get(signer, "already", f"/p/{slug}/already")
    token = site["signed"].token
    pages.get(anyone, "thanks", f"/p/{slug}/thanks/{token}")
    pages.get(anyone, "confirm", f"/s/{site['pending'].token}/confirm")
    pages.get(anyone, "remove", f"/s/{site['leaving'].token}/remove")
    pages.post(anyone, "removed", f"/s/{site['leaving'].token}/remove", {})
    pages.get(anyone, "event", f"/e/{rally.slug}")
    pages.get(anyone, "event es", f"/es/e/{rally.slug}")
    person = {"given_name": "Ana", "family_name": "Rivera", "email": "x", "postal_code": "06106"}
    pages.post(anyone, "rsvp error", f"/e/{rally.slug}", person, 400)
    pages.post(anyone, "rsvp language switch", f"/es/e/{rally.slug}", {**person, "lang": "es"}, 400)
    pages.get(anyone, "rsvp sent", f"/e/{rally.slug}/sent")
    pages.get(anyone, "ticket", f"/t/{site['ticket']}")
    pages.get(anyone, "ticket unknown", "/t/" + "0" * 26, 404)
    here = f"/e/{rally.slug}/here/{rally.signin_key}"
    pages.get(anyone, "poster sign-in", here)
    pages.post(anyone, "poster sign-in error", here, person, 400)
    pages.get(anyone, "poster sign-in outdated", f"/e/{rally.slug}/here/old", 410)
    embedded = app.test_client()
    pages.get(embedded, "embed", f"/p/{slug}/embed")
    pages.get(embedded, "embed es", f"/es/p/{slug}/embed")
    pages.get(embedded, "embed closed", f"/p/{site['closed'].slug}/embed")
    pages.post(embedded, "embed sign error", f"/p/{slug}/embed/sign", {**GOOD, "email": "x"}, 400)
    switch = {**GOOD, "lang": "es"}
    pages.post(embedded, "embed language switch", f"/es/p/{slug}/embed/sign", switch)
    pages.post(embedded, "embed honeypot", f"/p/{slug}/embed/sign", {**GOOD, "website": "x"})
    pages.post(embedded, "embed already", f"/p/{slug}/embed/sign", GOOD)  # signed above
    pages.get(embedded, "embed thanks", f"/p/{slug}/embed/thanks/{token}")
    pages.get(embedded, "embed pending", f"/p/{slug}/embed/thanks/{site['pending'].token}")
    pages.get(anyone, "not found", "/p/no-such-petition", 404)
    pages.get(anyone, "not found es", "/es/p/no-such-petition", 404)
    pages.post(anyone, "method not allowed", f"/p/{slug}", {}, 405)


def _unsubscribe_pages(app, pages: Pages):
    anyone = app.test_client()
    token = db.session.scalars(select(Delivery.unsubscribe_token)).first()
    assert token, "the update went to its signers"
    pages.get(anyone, "unsubscribe", f"/u/{token}")
    pages.post(anyone, "unsubscribed", f"/u/{token}", {})
    pages.get(anyone, "unsubscribe unknown", "/u/" + "0" * 26, 404)


def _organizer_pages(client, site, pages: Pages):
    slug, rally = site["petition"].slug, site["rally"]
    pages.get(client, "manage", "/manage/")
    # What the dashboard's panels show: officials chosen, a packet made, a badge sheet.
    rivera = add_official("Ana Rivera", towns=["Hartford"], title="Rep.")
    add_official("Wei Chen", zips=["06002"], title="Sen.")
    token = csrf_from(client.get(f"/manage/p/{slug}/packets").get_data(as_text=True))
    client.post(f"/manage/p/{slug}/packets/targets",
                data={"csrf_token": token, "officials": [str(rivera.id)], "next": "/"})  # fmt: skip
    made = client.post(f"/manage/p/{slug}/packets/generate",
                       data={"csrf_token": token, "official": "", "scope": "everyone",
                             "paper": "letter", "sort_order": ""})  # fmt: skip
    assert made.status_code == 200 and made.mimetype == "application/pdf", made.status_code
    sheet = client.post(f"/manage/badges/p/{slug}/",
                        data={"csrf_token": token, "source": "all", "stock": "avery-5392",
                              "sort": "number", "numbers": "", "blanks": "0", "lang": "en"})  # fmt: skip
    assert sheet.status_code == 200, re.findall(r"error[^>]*>([^<]+)", sheet.get_data(as_text=True))
    update = client.post(f"/manage/p/{slug}/updates/new",
                         data={"csrf_token": token, "subject": "We delivered", "body": "Thanks!",
                               "audience": "signers"})  # fmt: skip
    assert update.status_code == 302, update.get_data(as_text=True)
    update_url = update.headers["Location"]
    sent = client.post(f"{update_url}/send", data={"csrf_token": token})
    assert sent.status_code == 303, sent.status_code

    pages.get(client, "petition dashboard", f"/manage/p/{slug}")
    pages.get(client, "petition dashboard closed", f"/manage/p/{site['closed'].slug}")
    pages.get(client, "petition new", "/manage/p/new")
    pages.post(client, "petition new error", "/manage/p/new", {"csrf_token": token}, 400)
    pages.get(client, "petition edit", f"/manage/p/{slug}/edit")
    pages.get(client, "petition preview", f"/manage/p/{slug}/preview")
    pages.get(client, "petition archive", f"/manage/p/{slug}/archive")
    pages.get(client, "petition delete", f"/manage/p/{slug}/delete")
    pages.get(client, "updates", f"/manage/p/{slug}/updates/")
    pages.get(client, "update new", f"/manage/p/{slug}/updates/new")
    pages.get(client, "update", update_url)
    pages.get(client, "suppressions", "/manage/suppressions")
    pages.get(client, "packets", f"/manage/p/{slug}/packets")
    pages.get(client, "packet settings", f"/manage/p/{slug}/packets/settings")
    pages.get(client, "packet stories", f"/manage/p/{slug}/packets/stories")
    pages.get(client, "officials", "/manage/officials")
    pages.get(client, "official new", "/manage/officials/new")
    pages.get(client, "official edit", f"/manage/officials/{rivera.id}/edit")
    pages.get(client, "officials import", "/manage/officials/import")
    pages.get(client, "paper", "/manage/paper")
    pages.get(client, "paper entry", f"/manage/p/{slug}/paper")
    pages.post(client, "paper entry error", f"/manage/p/{slug}/paper", {"csrf_token": token}, 400)
    pages.get(client, "paper import", f"/manage/p/{slug}/import")
    pages.get(client, "badges", "/manage/badges/")
    pages.get(client, "badge sheets", f"/manage/badges/p/{slug}/")
    pages.get(client, "badge design", f"/manage/badges/p/{slug}/design")
    pages.get(client, "rally badge sheets", f"/manage/badges/e/{rally.slug}/")
    pages.get(client, "rallies", "/manage/e/")
    pages.get(client, "rally new", "/manage/e/new")
    pages.post(client, "rally new error", "/manage/e/new", {"csrf_token": token}, 400)
    pages.get(client, "rally dashboard", f"/manage/e/{rally.slug}")
    pages.get(client, "rally edit", f"/manage/e/{rally.slug}/edit")
    pages.get(client, "scanner", f"/manage/e/{rally.slug}/scan")
    pages.get(client, "rally kiosk", f"/manage/e/{rally.slug}/kiosk")
    pages.get(client, "petition kiosk", f"/manage/p/{slug}/kiosk")
    pages.get(client, "ticket for staff", f"/t/{site['ticket']}")
    pages.get(client, "users", "/manage/users")
    pages.get(client, "audit", "/manage/audit")
    _webhook_pages(client, token, pages)
    pages.get(client, "change password", "/auth/password")
    pages.get(client, "two-factor setup", "/auth/two-factor/setup")
    enrol(client)
    pages.get(client, "two-factor settings", "/auth/two-factor")
    assert pages.html["two-factor settings"].count("<form") == 3  # log out, new codes, off


def _webhook_pages(client, token, pages: Pages):
    pages.get(client, "webhooks", "/manage/webhooks")
    refused = {"csrf_token": token, "url": "http://127.0.0.1:9/x", "events": ["checkin.created"]}
    pages.post(client, "webhook refused", "/manage/webhooks", refused, 400)
    client.application.config["WEBHOOKS_ALLOW_PRIVATE"] = True
    pages.post(client, "webhook added", "/manage/webhooks", refused, 200)
    hook = db.session.scalars(select(Webhook)).one()
    message = WebhookDelivery(webhook_id=hook.id, message_id="msg_1", event_type="checkin.created",
                              payload="{}", status="failed", attempts=1,
                              next_attempt_at=utcnow(), last_error="")  # fmt: skip
    db.session.add(message)
    db.session.flush()
    db.session.add(WebhookAttempt(delivery_id=message.id, status_code=503,
                                  error="The endpoint answered 503."))  # fmt: skip
    db.session.add(WebhookDelivery(webhook_id=hook.id, message_id="msg_2", payload="{}",
                                   event_type="checkin.created", last_error=""))  # fmt: skip
    db.session.commit()
    pages.get(client, "webhook", f"/manage/webhooks/{hook.id}")


def _login_pages(app, pages: Pages):
    anyone = app.test_client()
    pages.get(anyone, "login", "/auth/login")
    html = anyone.get("/auth/login").get_data(as_text=True)
    bad = {"email": "nobody@example.org", "password": "wrong", "csrf_token": csrf_from(html)}
    pages.post(anyone, "login error", "/auth/login", bad, 401)
    pages.get(anyone, "forgot password", "/auth/forgot")


# Checked with the pages, so the check cannot pass by reading nothing.
CANARY = '<!doctype html><html lang="en"><title>t</title><p id="a">1<p id="a">2'


def test_every_page_is_valid_html(app, client, make_user, login, site, vnu, tmp_path):
    pages = Pages()
    admin = login(make_user("admin"))
    assert admin.is_admin
    _public_pages(app, site, pages)
    _organizer_pages(client, site, pages)
    _unsubscribe_pages(app, pages)
    _login_pages(app, pages)
    errors = check(vnu, {**pages.html, "canary": CANARY}, tmp_path)
    canary = [e for e in errors if e.startswith("canary,")]
    assert len(canary) == 1 and "Duplicate ID “a”" in canary[0], errors
    errors.remove(canary[0])
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(errors)
