"""Accounts through HTTP and the CLI: sessions that end everywhere, invitations, forgotten
and changed passwords, the password policy, and links that do not work."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from petitions.core.extensions import db
from petitions.models import AccountToken, AuditEntry, User
from petitions.models.base import utcnow
from tests.conftest import PASSWORD, csrf_from
from tests.mail_helpers import addressee

NEW_PASSWORD = "paper lanterns over hartford"
LINK_RE = re.compile(r"http://localhost(/auth/(?:reset|invite)/[0-9A-Z]+)")


def _link(message) -> str:
    m = LINK_RE.search(message.get_body(("plain",)).get_content())
    assert m, "no link in the mail"
    return m.group(1)


def _form(client, url, **data):
    page = client.get(url)
    return client.post(url, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


def _login_post(client, email, password, remember=False):
    page = client.get("/auth/login").get_data(as_text=True)
    data = {"email": email, "password": password, "csrf_token": csrf_from(page)}
    if remember:
        data["remember"] = "y"
    return client.post("/auth/login", data=data)


def _actions(**where) -> list[str]:
    query = select(AuditEntry.action).order_by(AuditEntry.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEntry, key) == value)
    return list(db.session.scalars(query))


# --- sessions end everywhere -------------------------------------------------------------


def _remembered_elsewhere(app, client):
    """A second device that holds only the first one's "remember me" cookie."""
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie("remember_token", cookie.value, domain="localhost")
    return other


def test_deactivation_ends_sessions_and_remember_cookies(app, client, make_user, login):
    user = make_user("organizer")
    assert _login_post(client, user.email, PASSWORD, remember=True).status_code == 302
    other = _remembered_elsewhere(app, client)
    assert other.get("/manage/").status_code == 200  # the cookie alone logs in

    admin_client = app.test_client()
    admin = make_user("admin")
    assert _login_post(admin_client, admin.email, PASSWORD).status_code == 302
    page = admin_client.get("/manage/users").get_data(as_text=True)
    r = admin_client.post(f"/manage/users/{user.id}/active", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 302

    assert client.get("/manage/").status_code == 302  # to the login page
    assert other.get("/manage/").status_code == 302
    assert _actions(action="user.deactivate") == ["user.deactivate"]


def test_reactivation_does_not_bring_old_sessions_back(app, client, make_user, login):
    user = make_user("organizer")
    _login_post(client, user.email, PASSWORD)
    admin_client = app.test_client()
    _login_post(admin_client, make_user("admin").email, PASSWORD)
    page = admin_client.get("/manage/users").get_data(as_text=True)
    for _ in range(2):  # deactivate, reactivate
        admin_client.post(f"/manage/users/{user.id}/active", data={"csrf_token": csrf_from(page)})
    db.session.refresh(user)
    assert user.active
    assert client.get("/manage/").status_code == 302
    assert _login_post(client, user.email, PASSWORD).status_code == 302
    assert _actions(action="user.reactivate") == ["user.reactivate"]


def test_cli_deactivate_ends_sessions(app, client, runner, make_user):
    user = make_user("organizer")
    _login_post(client, user.email, PASSWORD, remember=True)
    other = _remembered_elsewhere(app, client)
    result = runner.invoke(args=["users", "deactivate", user.email.upper()])
    assert result.exit_code == 0, result.output
    assert "sessions have ended" in result.output
    assert client.get("/manage/").status_code == 302
    assert other.get("/manage/").status_code == 302
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.deactivate"))
    assert entry.user_id is None and entry.object_id == str(user.id) and entry.address == ""
    missing = runner.invoke(args=["users", "deactivate", "nobody@example.org"])
    assert missing.exit_code != 0 and "No account" in missing.output


def test_old_style_session_ids_are_refused(app, client, make_user):
    user = make_user("organizer")
    with client.session_transaction() as s:
        s["_user_id"] = str(user.id)  # before session versions: no version in it
        s["_fresh"] = True
    assert client.get("/manage/").status_code == 302


# --- change my password ------------------------------------------------------------------


def test_change_password_needs_the_current_one_and_ends_other_sessions(app, client, make_user):
    user = make_user("organizer")
    _login_post(client, user.email, PASSWORD, remember=True)
    other = _remembered_elsewhere(app, client)

    wrong = _form(
        client, "/auth/password", current="not it", password=NEW_PASSWORD, confirm=NEW_PASSWORD
    )
    assert wrong.status_code == 400
    assert "not your current password" in wrong.get_data(as_text=True)

    r = _form(
        client, "/auth/password", current=PASSWORD, password=NEW_PASSWORD, confirm=NEW_PASSWORD
    )
    assert r.status_code == 302
    assert client.get("/manage/").status_code == 200  # this device carries on
    assert other.get("/manage/").status_code == 302  # the other one is out
    # This device's own "remember me" cookie was renewed, not lost.
    again = _remembered_elsewhere(app, client)
    assert again.get("/manage/").status_code == 200

    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    assert "password.change" in _actions(user_id=user.id)


@pytest.mark.parametrize(
    "password, message",
    [
        ("short1", "at least 10 characters"),
        ("1234567890", "most common"),
        ("Password123", "most common"),
        ("different one", "differ"),
    ],
)
def test_password_policy(client, organizer, password, message):
    confirm = "something else" if message == "differ" else password
    r = _form(client, "/auth/password", current=PASSWORD, password=password, confirm=confirm)
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)


def test_password_equal_to_the_email_is_refused(client, make_user, login):
    user = login(make_user("organizer", email="maria.gonzalez@example.org"))
    r = _form(client, "/auth/password", current=PASSWORD, password=user.email, confirm=user.email)
    assert r.status_code == 400 and "email address" in r.get_data(as_text=True)


def test_cli_create_applies_the_policy(runner):
    result = runner.invoke(args=["users", "create", "a@example.org", "--password", "qwertyuiop"])
    assert result.exit_code != 0 and "most common" in result.output


# --- forgot password ---------------------------------------------------------------------


def test_forgot_password_mails_a_single_use_link(app, client, make_user, smtp_server):
    user = make_user("organizer")
    _login_post(client, user.email, PASSWORD)  # a session that must end with the reset
    stranger = app.test_client()
    r = _form(stranger, "/auth/forgot", email=user.email.upper())
    assert r.status_code == 200
    assert len(smtp_server) == 1 and addressee(smtp_server[0]) == user.email
    link = _link(smtp_server[0])

    page = stranger.get(link)
    assert page.status_code == 200 and user.email in page.get_data(as_text=True)
    r = stranger.post(
        link,
        data={
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert r.status_code == 302 and r.headers["Location"] == "/auth/login"
    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD)
    assert client.get("/manage/").status_code == 302  # the old session has ended

    used = stranger.get(link)
    assert used.status_code == 410 and "used already" in used.get_data(as_text=True)
    assert _login_post(stranger, user.email, NEW_PASSWORD).status_code == 302

    # An address nobody has: no mail goes out.
    assert _form(app.test_client(), "/auth/forgot", email="nobody@example.org").status_code == 200
    assert len(smtp_server) == 1
    assert "password.reset" in _actions(user_id=user.id)


def test_forgot_password_answers_the_same_for_every_address(app, make_user, smtp_server):
    user = make_user("organizer", email="known@example.org")
    known = _form(app.test_client(), "/auth/forgot", email="known@example.org")
    unknown = _form(app.test_client(), "/auth/forgot", email="other@example.org")
    assert known.status_code == unknown.status_code == 200
    a = known.get_data(as_text=True).replace("known@example.org", "X")
    b = unknown.get_data(as_text=True).replace("other@example.org", "X")
    assert a == b
    assert [addressee(m) for m in smtp_server] == [user.email]


def test_forgot_password_is_rate_limited(app, client):
    page = client.get("/auth/forgot").get_data(as_text=True)
    token = csrf_from(page)
    codes = [
        client.post(
            "/auth/forgot", data={"email": f"n{i}@example.org", "csrf_token": token}
        ).status_code
        for i in range(6)
    ]
    assert codes[:5] == [200] * 5 and codes[5] == 429


def test_reset_link_expires_after_an_hour(app, client, make_user, smtp_server):
    user = make_user("organizer")
    _form(client, "/auth/forgot", email=user.email)
    link = _link(smtp_server[0])
    db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    r = client.get(link)
    assert r.status_code == 410 and "expired" in r.get_data(as_text=True)
    # and a post to it changes nothing
    token = csrf_from(client.get("/auth/forgot").get_data(as_text=True))
    r = client.post(
        link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 410
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_a_newer_reset_link_replaces_the_older(app, client, make_user, smtp_server):
    user = make_user("organizer")
    _form(client, "/auth/forgot", email=user.email)
    _form(client, "/auth/forgot", email=user.email)
    first, second = _link(smtp_server[0]), _link(smtp_server[1])
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/auth/reset/NOTATOKEN",
        "/auth/reset/" + "0" * 26,
        "/auth/reset/" + "Z" * 500,
        "/auth/reset/%00%ff",
        "/auth/invite/" + "A" * 26,
        "/auth/invite/abc-def%20ghi",
    ],
)
def test_forged_links_get_a_clear_page(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert "This link does not work" in r.get_data(as_text=True)
    token = csrf_from(client.get("/auth/forgot").get_data(as_text=True))
    r = client.post(
        path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 404


# --- invitations -------------------------------------------------------------------------


def test_admin_invites_and_the_invitee_sets_a_password(app, client, make_user, login, smtp_server):
    admin = login(make_user("admin"))
    page = client.get("/manage/users").get_data(as_text=True)
    r = client.post(
        "/manage/users",
        data={
            "email": "Rosa@Example.org",
            "name": "Rosa",
            "role": "organizer",
            "csrf_token": csrf_from(page),
        },
        follow_redirects=True,
    )
    assert "Sent an invitation to rosa@example.org" in r.get_data(as_text=True)
    rosa = db.session.scalar(select(User).where(User.email == "rosa@example.org"))
    assert rosa.invited and rosa.role == "organizer"
    assert "invited" in client.get("/manage/users").get_data(as_text=True)
    assert addressee(smtp_server[0]) == "rosa@example.org"
    link = _link(smtp_server[0])

    invitee = app.test_client()
    # No password yet: nothing logs in as her until she chooses one.
    assert _login_post(invitee, "rosa@example.org", "").status_code == 400
    page = invitee.get(link)
    assert page.status_code == 200 and "rosa@example.org" in page.get_data(as_text=True)
    weak = invitee.post(
        link,
        data={"password": "password", "confirm": "password", "csrf_token": csrf_from(page.text)},
    )
    assert weak.status_code == 400
    r = invitee.post(
        link,
        data={
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_from(page.text),
        },
    )
    assert r.status_code == 302
    assert invitee.get(link).status_code == 410  # single use
    assert _login_post(invitee, "rosa@example.org", NEW_PASSWORD).status_code == 302
    assert invitee.get("/manage/").status_code == 200

    assert _actions(object_id=str(rosa.id)) == ["user.invite", "user.invite_accepted", "login"]
    invite = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.invite"))
    assert invite.user_id == admin.id and invite.detail == "organizer"


def test_invitation_when_the_mail_fails_shows_the_link(app, client, make_user, login):
    login(make_user("admin"))
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    r = _form(client, "/manage/users", email="luis@example.org", role="volunteer")
    assert r.status_code == 302
    text = client.get("/manage/users").get_data(as_text=True)
    assert "Could not mail luis@example.org" in text and "/auth/invite/" in text


def test_resending_an_invitation_spends_the_old_link(app, client, make_user, login, smtp_server):
    login(make_user("admin"))
    _form(client, "/manage/users", email="ana@example.org", role="volunteer")
    ana = db.session.scalar(select(User).where(User.email == "ana@example.org"))
    page = client.get("/manage/users").get_data(as_text=True)
    client.post(f"/manage/users/{ana.id}/invite", data={"csrf_token": csrf_from(page)})
    first, second = _link(smtp_server[0]), _link(smtp_server[1])
    other = app.test_client()
    assert other.get(first).status_code == 410
    assert other.get(second).status_code == 200


def test_duplicate_invitation_is_refused(client, make_user, login):
    admin = login(make_user("admin"))
    r = _form(client, "/manage/users", email=admin.email, role="organizer")
    assert r.status_code == 400 and "already exists" in r.get_data(as_text=True)


def test_role_change_is_logged(client, make_user, login):
    login(make_user("admin"))
    volunteer = make_user("volunteer")
    page = client.get("/manage/users").get_data(as_text=True)
    r = client.post(
        f"/manage/users/{volunteer.id}/role",
        data={"role": "organizer", "csrf_token": csrf_from(page)},
    )
    assert r.status_code == 302
    db.session.refresh(volunteer)
    assert volunteer.role == "organizer"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.role"))
    assert entry.detail == "volunteer → organizer"
    bad = client.post(
        f"/manage/users/{volunteer.id}/role", data={"role": "owner", "csrf_token": csrf_from(page)}
    )
    assert bad.status_code == 302
    db.session.refresh(volunteer)
    assert volunteer.role == "organizer"
    assert client.post("/manage/users/999999999999/role", data={}).status_code in (400, 404)


def test_login_page_links_to_the_password_reset(client):
    assert 'href="/auth/forgot"' in client.get("/auth/login").get_data(as_text=True)


def test_account_pages_speak_spanish(client):
    text = client.get("/auth/forgot?lang=es").get_data(as_text=True)
    assert "¿Olvidaste tu contraseña?" in text and "Enviarme un enlace" in text
    bad = client.get("/auth/reset/NOPE?lang=es").get_data(as_text=True)
    assert "Este enlace no funciona" in bad
