import pytest
from sqlalchemy import select

from petitions import create_app
from petitions.core.extensions import db
from petitions.models import User
from tests.conftest import PASSWORD, csrf_from


def test_refuses_default_secret_key_outside_debug(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    monkeypatch.setenv("PETITIONS_INSTANCE", str(tmp_path))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_env_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("PETITIONS_INSTANCE", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    monkeypatch.setenv("FLASK_RATELIMIT_ENABLED", "false")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_security_headers(client):
    r = client.get("/auth/login")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"]


def test_session_cookie_flags(client, make_user, csrf):
    user = make_user("organizer")
    r = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf()}
    )
    cookie = r.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_rejects_wrong_password_and_inactive(client, make_user, csrf):
    user = make_user("organizer")
    r = client.post(
        "/auth/login", data={"email": user.email, "password": "nope", "csrf_token": csrf()}
    )
    assert r.status_code == 401
    inactive = make_user("organizer", active=False)
    r = client.post(
        "/auth/login", data={"email": inactive.email, "password": PASSWORD, "csrf_token": csrf()}
    )
    assert r.status_code == 401
    assert client.get("/manage/").status_code == 302


def test_login_without_csrf_is_refused(client, make_user):
    user = make_user("organizer")
    r = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 400
    assert "expired" in r.get_data(as_text=True)


def test_login_is_rate_limited(client, csrf):
    token = csrf()
    codes = [
        client.post(
            "/auth/login", data={"email": "x@example.org", "password": "bad", "csrf_token": token}
        ).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [401] * 10
    assert codes[-1] == 429


def test_login_next_is_never_offsite(client, make_user, csrf):
    user = make_user("organizer")
    r = client.post(
        "/auth/login?next=//evil.example/",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf()},
    )
    assert r.headers["Location"] == "/manage/"


def test_admin_adds_and_deactivates_users(client, make_user, login, csrf):
    login(make_user("admin"))
    r = client.post(
        "/manage/users",
        data={
            "email": "Vol@Example.org",
            "role": "volunteer",
            "name": "Dana",
            "csrf_token": csrf(),
        },
        follow_redirects=True,
    )
    assert "Sent an invitation to vol@example.org" in r.get_data(as_text=True)
    volunteer = db.session.scalar(select(User).where(User.email == "vol@example.org"))
    assert volunteer.role == "volunteer" and volunteer.active
    client.post(f"/manage/users/{volunteer.id}/active", data={"csrf_token": csrf()})
    db.session.refresh(volunteer)
    assert not volunteer.active


@pytest.mark.parametrize("role", ["organizer", "volunteer"])
def test_only_admins_manage_users(client, make_user, login, role):
    login(make_user(role))
    assert client.get("/manage/users").status_code == 403


def test_users_create_cli(runner, app):
    result = runner.invoke(
        args=["users", "create", "new@example.org", "--role", "volunteer", "--password", "x" * 12]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert user.role == "volunteer" and user.check_password("x" * 12)
    again = runner.invoke(args=["users", "create", "new@example.org", "--password", "y" * 12])
    assert again.exit_code != 0 and "already exists" in again.output


def test_users_create_cli_prompts_for_password(runner):
    result = runner.invoke(
        args=["users", "create", "p@example.org", "--role", "admin"],
        input="secret-password\nsecret-password\n",
    )
    assert result.exit_code == 0, result.output


def test_bootstrap_creates_admin_once(runner):
    first = runner.invoke(args=["bootstrap"])
    assert "password:" in first.output
    second = runner.invoke(args=["bootstrap"])
    assert "nothing to do" in second.output


def test_rate_limits_live_in_redis_when_redis_url_is_set(app, monkeypatch, redis_url):
    """Several app hosts share one Redis: a limit counted on one holds on the others."""
    import uuid

    import redis

    monkeypatch.setenv("REDIS_URL", redis_url)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_LOGIN": "3 per minute",
    }
    host_a, host_b = create_app(dict(config)), create_app(dict(config))
    assert host_a.config["RATELIMIT_STORAGE_URI"] == redis_url

    def attempt(host):
        client = host.test_client()
        with host.app_context():
            token = csrf_from(client.get("/auth/login").get_data(as_text=True))
            return client.post(
                "/auth/login",
                data={"email": "x@example.org", "password": "no", "csrf_token": token},
            ).status_code

    assert [attempt(host_a), attempt(host_b), attempt(host_a)] == [401, 401, 401]
    assert attempt(host_b) == 429
    store = redis.Redis.from_url(redis_url)
    keys = store.keys(f"*{prefix}*")
    assert keys
    store.delete(*keys)
