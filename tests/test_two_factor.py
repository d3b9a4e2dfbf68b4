"""Two-factor sign-in (TOTP) through HTTP: enrolment, the second login step, recovery
codes, replayed codes, the rate limit, and REQUIRE_2FA_FOR_ADMINS."""

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from petitions.core.extensions import db
from petitions.models import AuditEntry, RecoveryCode
from tests.conftest import PASSWORD, csrf_from

SECRET_RE = re.compile(r'<code id="totp-secret">([A-Z2-7 ]+)</code>')
CODE_RE = re.compile(r"<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})</code></li>")


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def enrol(client) -> tuple[pyotp.TOTP, list[str]]:
    """Turn two-factor on for the logged-in client; the authenticator and recovery codes.
    The code it used is kept as `totp.used`."""
    page = client.get("/auth/two-factor/setup")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html  # the QR code, drawn on the server: no JavaScript needed
    totp = pyotp.TOTP(SECRET_RE.search(html).group(1).replace(" ", ""))
    totp.used = totp.now()
    r = client.post(
        "/auth/two-factor/setup", data={"code": totp.used, "csrf_token": csrf_from(html)}
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    codes = CODE_RE.findall(r.get_data(as_text=True))
    assert len(codes) == 10
    return totp, codes


def password_step(client, user, remember=False):
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    data = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    return client.post("/auth/login", data=data)


def code_step(client, code):
    token = csrf_from(client.get("/auth/login/code").get_data(as_text=True))
    return client.post("/auth/login/code", data={"code": code, "csrf_token": token})


def later_code(totp: pyotp.TOTP) -> str:
    # The next time step (accepted for clock drift): the enrolment used the current one.
    return totp.at(time.time() + totp.interval)


@pytest.fixture
def enrolled(app, client, make_user, login):
    user = login(make_user("organizer"))
    totp, codes = enrol(client)
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/auth/two-factor").text)})
    return user, totp, codes


def test_enrolment_wants_a_right_code(client, organizer):
    html = client.get("/auth/two-factor/setup").get_data(as_text=True)
    r = client.post(
        "/auth/two-factor/setup", data={"code": "000000", "csrf_token": csrf_from(html)}
    )
    assert r.status_code == 400 and "not right" in r.get_data(as_text=True)
    # The same secret is shown again until enrolment succeeds (the phone has it already).
    assert SECRET_RE.search(html).group(1) in r.get_data(as_text=True)
    db.session.refresh(organizer)
    assert not organizer.two_factor_enabled
    totp, _ = enrol(client)
    db.session.refresh(organizer)
    assert organizer.two_factor_enabled and organizer.totp_secret == totp.secret
    hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(hashes) == 10 and all(len(h) == 64 for h in hashes)  # only hashes are kept
    assert "2fa.on" in _actions()


def test_login_asks_for_the_code(client, enrolled):
    user, totp, _ = enrolled
    r = password_step(client, user)
    assert r.status_code == 302 and r.headers["Location"] == "/auth/login/code"
    assert client.get("/manage/").status_code == 302  # not logged in yet

    wrong = code_step(client, "123456")
    assert wrong.status_code == 401
    replay = code_step(client, totp.used)  # each code works once
    assert replay.status_code == 401
    r = code_step(client, later_code(totp))
    assert r.status_code == 302 and r.headers["Location"] == "/manage/"
    assert client.get("/manage/").status_code == 200
    assert _actions()[-3:] == ["login.2fa_failed", "login.2fa_failed", "login"]


def test_a_recovery_code_works_once(app, client, enrolled):
    user, _, codes = enrolled
    password_step(client, user)
    r = code_step(client, codes[0].lower().replace("-", " "))  # as typed from paper
    assert r.status_code == 302
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
    assert (entry.action, entry.detail) == ("login", "with a recovery code")

    again = app.test_client()
    password_step(again, user)
    assert code_step(again, codes[0]).status_code == 401
    assert code_step(again, codes[1]).status_code == 302


def test_the_code_step_is_rate_limited(client, enrolled):
    user, totp, _ = enrolled
    password_step(client, user)
    statuses = [code_step(client, "000000").status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429


def test_the_code_step_without_a_password_step(client, enrolled):
    r = client.get("/auth/login/code")
    assert r.status_code == 302 and r.headers["Location"] == "/auth/login"


def test_a_pending_login_ends_with_deactivation(client, enrolled):
    user, totp, _ = enrolled
    password_step(client, user)
    token = csrf_from(client.get("/auth/login/code").get_data(as_text=True))
    user.active = False
    db.session.commit()
    r = client.post("/auth/login/code", data={"code": later_code(totp), "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/auth/login"
    assert client.get("/manage/").status_code == 302


def test_turning_it_off_needs_the_password(client, enrolled):
    user, totp, _ = enrolled
    password_step(client, user)
    code_step(client, later_code(totp))
    page = client.get("/auth/two-factor").get_data(as_text=True)
    assert "Recovery codes left: 10" in page
    client.post(
        "/auth/two-factor/off", data={"off-current": "wrong", "csrf_token": csrf_from(page)}
    )
    db.session.refresh(user)
    assert user.two_factor_enabled
    client.post(
        "/auth/two-factor/off", data={"off-current": PASSWORD, "csrf_token": csrf_from(page)}
    )
    db.session.refresh(user)
    assert not user.two_factor_enabled
    assert db.session.scalars(select(RecoveryCode)).all() == []
    assert "2fa.off" in _actions()


def test_new_recovery_codes_replace_the_old(client, enrolled):
    user, totp, codes = enrolled
    password_step(client, user)
    code_step(client, later_code(totp))
    page = client.get("/auth/two-factor").get_data(as_text=True)
    r = client.post(
        "/auth/two-factor/recovery-codes",
        data={"codes-current": PASSWORD, "csrf_token": csrf_from(page)},
    )
    fresh = CODE_RE.findall(r.get_data(as_text=True))
    assert len(fresh) == 10 and not set(fresh) & set(codes)


def test_admins_must_enrol_when_required(app, client, make_user):
    app.config["REQUIRE_2FA_FOR_ADMINS"] = True
    admin = make_user("admin")
    r = password_step(client, admin)
    assert r.status_code == 302 and r.headers["Location"] == "/auth/two-factor/setup"
    r = client.get("/manage/users")
    assert r.status_code == 302 and r.headers["Location"] == "/auth/two-factor/setup"
    totp, _ = enrol(client)
    assert client.get("/manage/users").status_code == 200
    page = client.get("/auth/two-factor").get_data(as_text=True)
    assert "Turn two-factor sign-in off" not in page
    client.post(
        "/auth/two-factor/off", data={"off-current": PASSWORD, "csrf_token": csrf_from(page)}
    )
    db.session.refresh(admin)
    assert admin.two_factor_enabled


def test_organizers_need_not_enrol_when_admins_must(app, client, make_user):
    app.config["REQUIRE_2FA_FOR_ADMINS"] = True
    r = password_step(client, make_user("organizer"))
    assert r.headers["Location"] == "/manage/"
    assert client.get("/manage/").status_code == 200


def test_remember_me_survives_the_second_step(app, client, enrolled):
    user, totp, _ = enrolled
    password_step(client, user, remember=True)
    code_step(client, later_code(totp))
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie("remember_token", cookie.value, domain="localhost")
    assert other.get("/manage/").status_code == 200


def test_an_unfinished_enrolment_is_not_handed_to_the_next_person(client, make_user, login):
    login(make_user("organizer"))
    first = SECRET_RE.search(client.get("/auth/two-factor/setup").text).group(1)
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/auth/two-factor").text)})
    login(make_user("organizer"))
    second = SECRET_RE.search(client.get("/auth/two-factor/setup").text).group(1)
    assert first != second
