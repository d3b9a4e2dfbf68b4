"""GET /healthz: 200 when the database (and Redis, when configured) answer, 503 when not.

The failing cases point the app at a port that refuses connections: a real failed
connection, not a mock."""

import os
import socket
import subprocess
import sys

import pytest

from petitions import create_app
from tests.conftest import _test_config


@pytest.fixture
def refused_port():
    """A port bound but not listening: connecting to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def test_healthy_without_redis(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "not configured"},
    }
    assert r.headers["Cache-Control"] == "private, no-store"
    assert "Set-Cookie" not in r.headers


def test_healthy_with_redis(app, client, redis_url):
    app.config["REDIS_URL"] = redis_url
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_redis_unreachable_is_503(app, client, refused_port):
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{refused_port}/0"
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.get_json() == {"status": "failed", "checks": {"database": "ok", "redis": "failed"}}
    assert str(refused_port) not in r.get_data(as_text=True)  # no connection details


def test_database_unreachable_is_503(tmp_path, monkeypatch, refused_port):
    monkeypatch.setenv("PETITIONS_INSTANCE", str(tmp_path))
    url = f"postgresql+psycopg://postgres@127.0.0.1:{refused_port}/petitions"
    app = create_app(_test_config(url, tmp_path))
    r = app.test_client().get("/healthz")
    assert r.status_code == 503
    body = r.get_json()
    assert body == {"status": "failed", "checks": {"database": "failed", "redis": "not configured"}}
    assert r.headers["Cache-Control"] == "private, no-store"


def test_healthz_is_exempt_from_rate_limits(app, tmp_path):
    # A site-wide default limit (FLASK_RATELIMIT_DEFAULT), which other pages do get: probes
    # are never refused. In a process of its own: Flask-Limiter keeps default limits on
    # its extension object, which every app in this process shares.
    script = """if True:
        from petitions import create_app
        client = create_app({"TESTING": True}).test_client()
        print(sorted({client.get("/healthz").status_code for _ in range(10)}))
        print([client.get("/auth/login").status_code for _ in range(4)])
    """
    env = {
        "PATH": os.environ["PATH"],
        "PETITIONS_INSTANCE": str(tmp_path),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "FLASK_RATELIMIT_DEFAULT": "3 per minute",
    }
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert r.stdout.splitlines() == ["[200]", "[200, 200, 200, 429]"], r.stderr
