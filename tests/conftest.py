"""Fixtures in the style of the Flask tutorial: app, client, runner, and factories.

The suite runs on SQLite by default and on PostgreSQL with TEST_DB=postgres
(TEST_DATABASE_URL names the server; each run creates and drops its own database).
The schema is always built by the Alembic migrations, as in production.
"""

import os
import re
import shutil
import threading
import uuid

import flask_babel
import pytest
from flask import g
from flask_migrate import upgrade
from sqlalchemy import delete
from werkzeug.serving import make_server

from petitions import create_app
from petitions.accounts.services import create_user
from petitions.core.config import normalize_database_url
from petitions.core.extensions import db
from petitions.models import Petition, PetitionStatus, User
from tests import factories

USE_POSTGRES = os.environ.get("TEST_DB") == "postgres"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if not USE_POSTGRES:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    import psycopg

    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.fail("TEST_DB=postgres needs TEST_DATABASE_URL")
    name = f"petitions_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = normalize_database_url(server).rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    app = create_app(_test_config(database_url, tmp_path_factory.mktemp("inst0")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def _test_config(database_url, instance):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SERVER_NAME": "localhost",
        "OUTBOX_DIR": str(instance / "outbox"),
        "RATELIMIT_STORAGE_URI": "memory://",
        # Tests read their own writes on the next page; the tests of the shared page
        # cache (test_shared_pages.py) turn it on.
        "PUBLIC_CACHE_SECONDS": 0,
        # Bulk mail is sent in the request, unthrottled; due mail only when a test asks.
        "MAIL_JOBS_INLINE": True,
        "MAIL_RATE_PER_SECOND": 0,
        "MAIL_DUE_CHECK_SECONDS": 0,
    }


def _forget_the_last_request():
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


@pytest.fixture
def app(_schema, tmp_path, monkeypatch):
    monkeypatch.setenv("PETITIONS_INSTANCE", str(tmp_path))
    app = create_app(_test_config(_schema, tmp_path))
    # The fixture keeps one app context open, so test-client requests share `g`; forget
    # the language Flask-Babel cached there, as a fresh request in production would.
    app.before_request(flask_babel.refresh)
    # Likewise what a request keeps in g about itself (its page language, a shared page).
    app.teardown_request(lambda _exc: [g.pop(k, None) for k in ("page_language", "shared_page")])
    # ...and the user Flask-Login and the CSRF token Flask-WTF kept there, so two test
    # clients are two people.
    app.before_request(_forget_the_last_request)
    with app.app_context():
        yield app
        db.session.remove()
        # Empty every table (children first) so each test starts clean.
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                if table.name != "alembic_version":
                    conn.execute(delete(table))
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'name="csrf_token" value="([^"]+)"')  # fmt: skip


def csrf_from(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no csrf_token in page"
    return m.group(1) or m.group(2)


@pytest.fixture
def csrf(client):
    """The session's CSRF token, as a form on the site would carry it."""

    def get(url: str = "/auth/login") -> str:
        return csrf_from(client.get(url, follow_redirects=True).get_data(as_text=True))

    return get


@pytest.fixture
def make_user(app):
    def make(role="organizer", email=None, password=PASSWORD, active=True):
        user, _ = create_user(email or f"{role}-{uuid.uuid4().hex[:6]}@example.org", role, password)
        user.active = active
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client, csrf):
    """Log the test client in as the given user."""

    def do(user: User, password: str = PASSWORD):
        response = client.post(
            "/auth/login",
            data={"email": user.email, "password": password, "csrf_token": csrf()},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return do


@pytest.fixture
def organizer(make_user, login):
    return login(make_user("organizer"))


@pytest.fixture
def make_petition(app):
    def make(**fields):
        values = dict(
            slug=f"p-{uuid.uuid4().hex[:8]}",
            title="Fund more magnet school seats",
            summary="Seats for every child on the waitlist.",
            body="<p>We ask for more seats.</p>",
            addressed_to="State Board of Education",
            goal=100,
            status=PetitionStatus.PUBLISHED,
        )
        values.update(fields)
        petition = Petition(**values)
        db.session.add(petition)
        db.session.commit()
        return petition

    return make


# Events, attendees and signatures: the plain functions in tests/factories.py, as fixtures.


@pytest.fixture
def make_event(app):
    """make_event(petition=None, **fields) -> a published Event (tests/factories.py)."""
    return factories.make_event


@pytest.fixture
def make_attendee(app):
    """make_attendee(event, name=..., email=None, number=None, **fields) -> (attendee, token)."""
    return factories.make_attendee


@pytest.fixture
def make_signature(app):
    """make_signature(petition, given="Ana", family="Rivera", email=None, commit=True,
    confirmed=True, **fields) -> a Signature (tests/factories.py)."""
    return factories.make_signature


# --- browser tests -----------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def chromium_path():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but no chromium on PATH")
        pytest.skip("chromium not installed")
    return path


@pytest.fixture
def live_server(app):
    """The app served over real HTTP in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["SERVER_NAME"] = f"127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def browser_factory(chromium_path):
    """Launch Debian's Chromium through Playwright; extra args for e.g. a fake camera."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browsers = []

        def launch(extra_args=()):
            b = p.chromium.launch(
                executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS + list(extra_args)
            )
            browsers.append(b)
            return b

        yield launch
        for b in browsers:
            b.close()


@pytest.fixture
def phone(browser_factory):
    """A 360×740 phone-sized page."""
    browser = browser_factory()
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    yield page
    context.close()


# --- mail --------------------------------------------------------------------------


@pytest.fixture
def smtp_server(app):
    """A real SMTP server (aiosmtpd) on a free port; the app sends through it.

    Yields the list of received email.message.EmailMessage objects."""
    import email
    import email.policy
    import socket

    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield received
    controller.stop()


# --- redis -------------------------------------------------------------------------


@pytest.fixture
def redis_url():
    """A real Redis for the tests that need one (TEST_REDIS_URL, default db 15 on localhost).

    Missing Redis skips those tests, unless REQUIRE_REDIS=1 (CI) makes it a failure."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"REQUIRE_REDIS=1 but Redis is not reachable at {url}")
        pytest.skip(f"no Redis at {url}")
    return url
