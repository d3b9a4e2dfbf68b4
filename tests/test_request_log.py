"""REQUEST_LOG: one JSON line per request on stdout, with nothing personal in it."""

import json

import pytest

from petitions import create_app
from tests.conftest import _test_config


@pytest.fixture
def logged_app(app, tmp_path, monkeypatch):
    """A second app on the same database, with request logs on (and behind one proxy)."""
    monkeypatch.setenv("PETITIONS_INSTANCE", str(tmp_path))
    config = _test_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    return create_app({**config, "REQUEST_LOG": True, "TRUSTED_PROXIES": 1})


def lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_one_json_line_per_request(logged_app, make_petition, capsys):
    petition = make_petition()
    client = logged_app.test_client()
    capsys.readouterr()
    r = client.get(
        f"/p/{petition.slug}?ref=poster&q=ana.rivera@example.org",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Request-ID": "abc123def456"},
    )
    client.get("/no-such-page")
    first, second = lines(capsys)
    assert first.pop("duration_ms") >= 0
    assert first == {
        "method": "GET",
        "path": f"/p/{petition.slug}",
        "status": 200,
        "request_id": "abc123def456",
        "remote_addr": "203.0.113.7",
    }
    assert r.headers["X-Request-ID"] == "abc123def456"
    assert second["status"] == 404 and second["path"] == "/no-such-page"
    assert len(second["request_id"]) == 32  # made here when the proxy sent none
    assert second["request_id"] != first["request_id"]


def test_no_personal_data_or_tokens(logged_app, make_petition, make_event, make_attendee, capsys):
    petition = make_petition()
    event = make_event()
    _, ticket = make_attendee(event, name="Ana Rivera", email="ana.rivera@example.org")
    client = logged_app.test_client()
    client.get(f"/p/{petition.slug}")
    form = {
        "given_name": "Ana",
        "family_name": "Rivera",
        "email": "ana.rivera@example.org",
        "postal_code": "06106",
    }
    signed = client.post(f"/p/{petition.slug}/sign", data=form)
    assert signed.status_code in (200, 302, 303)
    assert client.get(f"/t/{ticket}").status_code == 200
    client.get("/auth/login?next=/manage/p/secret-plans")
    out = capsys.readouterr().out
    for secret in ("ana.rivera", "Rivera", "06106", ticket, "secret-plans", "?"):
        assert secret not in out
    logged = [json.loads(line) for line in out.splitlines()]
    assert [x["path"] for x in logged] == [
        f"/p/{petition.slug}",
        f"/p/{petition.slug}/sign",
        "/t/<token>",
        "/auth/login",
    ]
    assert logged[1]["method"] == "POST"


def test_refused_requests_are_logged_too(logged_app, capsys):
    # CSRF is checked before any view runs; its refusal is still one line.
    r = logged_app.test_client().post("/auth/login", data={"email": "x@example.org"})
    assert r.status_code == 400
    (line,) = lines(capsys)
    assert line["status"] == 400 and line["duration_ms"] is not None


def test_off_unless_asked(client, capsys):
    capsys.readouterr()
    r = client.get("/healthz")
    assert r.status_code == 200 and "X-Request-ID" not in r.headers
    assert capsys.readouterr().out == ""
