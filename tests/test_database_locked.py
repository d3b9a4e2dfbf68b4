"""SQLite held locked by another process past the busy timeout: the sign POST is a 503
with Retry-After and the form as the signer filled it, in the page's language.

On a SQLite database of its own (also in the PostgreSQL pass): the lock is SQLite's."""

import subprocess
import sys

import pytest
from flask_migrate import upgrade

from petitions import create_app
from petitions.core.extensions import db
from petitions.models import Petition, PetitionStatus, Signature
from tests.conftest import _test_config

TYPED = {
    "given_name": "Ana",
    "family_name": "Quiñones",
    "email": "ana.q@example.org",
    "postal_code": "06106",
    "town": "Hartford",
    "role": "parent",
    "comment": "Mi hija espera un lugar",
    "website": "",
}

HOLD_LOCK = """if True:
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    sys.stdin.read()  # until the test closes our stdin
    conn.rollback()
"""


@pytest.fixture
def locked_app(tmp_path, monkeypatch):
    monkeypatch.setenv("PETITIONS_INSTANCE", str(tmp_path))
    path = tmp_path / "locked.sqlite3"
    config = _test_config(f"sqlite:///{path}", tmp_path)
    app = create_app({**config, "SQLITE_BUSY_TIMEOUT_SECONDS": 0.2})
    with app.app_context():
        upgrade()
        db.session.add(
            Petition(
                slug="seats",
                title="More magnet seats",
                summary="Seats.",
                body="<p>Seats.</p>",
                addressed_to="State Board of Education",
                goal=100,
                status=PetitionStatus.PUBLISHED,
            )
        )
        db.session.commit()
        yield app, path
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def lock_held(locked_app):
    _app, path = locked_app
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.stdin.close()
        holder.wait(10)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "/p/seats/sign",
            "We couldn&#39;t save that just now — your details are still below, "
            "please press Sign again.",
        ),
        (
            "/es/p/seats/sign",
            "No pudimos guardarlo en este momento: sus datos siguen abajo. Pulse Firmar otra vez.",
        ),
    ],
)
def test_sign_while_locked_is_503_with_the_form_filled(locked_app, lock_held, url, message):
    app, _path = locked_app
    client = app.test_client()
    r = client.post(url, data=TYPED)
    html = r.get_data(as_text=True)
    assert r.status_code == 503
    assert r.headers["Retry-After"] == str(app.config["RETRY_AFTER_SECONDS"])
    assert r.headers["Cache-Control"] == "private, no-store"
    assert message in html
    for name in ("given_name", "family_name", "email", "postal_code", "town"):
        assert f'value="{TYPED[name]}"' in html, name
    assert '<option selected value="parent">' in html
    assert TYPED["comment"] in html
    for leak in ("database is locked", "OperationalError", "Traceback", "sqlite3"):
        assert leak not in html
    # Nothing was stored.
    assert db.session.query(Signature).count() == 0


def test_signing_again_after_the_lock_is_let_go(locked_app):
    app, path = locked_app
    client = app.test_client()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    assert client.post("/p/seats/sign", data=TYPED).status_code == 503
    holder.stdin.close()
    holder.wait(10)
    r = client.post("/p/seats/sign", data=TYPED)
    assert r.status_code in (302, 303), r.get_data(as_text=True)
    db.session.rollback()
    assert [s.email for s in db.session.query(Signature)] == [TYPED["email"]]


def test_embed_sign_while_locked_is_503_inside_the_frame(locked_app, lock_held):
    """The embed's form comes back filled, in the embed's layout, still framable."""
    app, _path = locked_app
    r = app.test_client().post("/p/seats/embed/sign", data=TYPED)
    html = r.get_data(as_text=True)
    assert r.status_code == 503
    assert "X-Frame-Options" not in r.headers
    assert "frame-ancestors *" in r.headers["Content-Security-Policy"]
    assert 'class="embed"' in html and "please press Sign again." in html
    for name in ("given_name", "family_name", "email", "postal_code", "town"):
        assert f'value="{TYPED[name]}"' in html, name
    assert db.session.query(Signature).count() == 0
