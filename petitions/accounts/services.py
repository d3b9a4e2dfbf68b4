"""Organizer accounts: creation, invitations, passwords, sessions, two-factor sign-in.

Passwords are hashed with werkzeug's scrypt (see User.set_password). One-time links
(invitations, password resets) are random tokens of which only the SHA-256 is stored, so
a database copy gives no working link, and a used link is marked used and cannot be
replayed. Raising User.session_version ends every session of that person, "remember me"
cookies included, at their next request (see auth.views.load_user)."""

import enum
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pyotp
from flask import current_app
from flask_babel import gettext
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from petitions.core.extensions import db
from petitions.core.tokens import new_token, normalize_token, token_hash
from petitions.models import AccountToken, RecoveryCode, Role, TokenPurpose, User
from petitions.models.base import utcnow

COMMON_PASSWORDS = Path(__file__).resolve().parent / "common_passwords.txt"
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10  # Crockford base32: 50 bits, typed from paper as XXXXX-XXXXX


class AccountError(ValueError):
    pass


class LinkState(enum.StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"  # forged, mistyped, or for an account since removed
    EXPIRED = "expired"
    USED = "used"


def create_user(email: str, role: str, password: str | None = None, name: str = ""):
    """Returns (user, password); a random password is generated when none is given."""
    email = normalize_email(email)
    _check_role(role)
    if find_user(email) is not None:
        raise AccountError(f"A user with email {email} already exists.")
    password = password or secrets.token_urlsafe(12)
    user = User(email=email, role=role, name=name)
    user.set_password(password)
    db.session.add(user)
    return user, password


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def _check_role(role: str) -> None:
    if role not in {r.value for r in Role}:
        raise AccountError(f"Unknown role {role!r}: use admin, organizer or volunteer.")


@cache
def _unusable_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None or not user.password_hash:
        # Hash anyway: an unknown address should take as long to refuse as a known one.
        check_password_hash(_unusable_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def login_attempt_label(typed: str) -> str:
    """What the audit log keeps of the email typed in a failed login: the address, but
    not something else typed there by mistake (a password in the wrong box)."""
    email = normalize_email(typed)
    return email if "@" in email and " " not in email else "(not an email address)"


def mark_logged_in(user: User) -> None:
    user.last_login_at = utcnow()


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0


# --- password policy -------------------------------------------------------------------


@cache
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str, email: str = "") -> str | None:
    """Why this password will not do, or None. One rule for every place that sets one."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return gettext("Use at least %(n)s characters.", n=minimum)
    lowered = password.lower()
    if lowered in _common_passwords():
        return gettext("That password is on the list of the most common ones. Choose another.")
    if email and lowered in {normalize_email(email), normalize_email(email).split("@")[0]}:
        return gettext("Do not use your email address as your password.")
    return None


def set_password(user: User, password: str) -> None:
    """A new password (already checked by password_problem) ends every other session."""
    user.set_password(password)
    user.end_sessions()
    _spend_links(user, TokenPurpose.RESET)


# --- one-time links --------------------------------------------------------------------


def _issue_link(user: User, purpose: TokenPurpose, lifetime: timedelta) -> str:
    clear = new_token()
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash(clear),
            expires_at=utcnow() + lifetime,
        )
    )
    return clear


def _spend_links(user: User, purpose: TokenPurpose) -> None:
    """Every open link of this kind stops working (a newer one, or the password changed)."""
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )


def check_link(clear: str, purpose: TokenPurpose) -> tuple[LinkState, AccountToken | None]:
    token = normalize_token(clear)[:64]
    row = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == token_hash(token), AccountToken.purpose == purpose
        )
    )
    if row is None or not row.user.active:
        return LinkState.UNKNOWN, None
    if row.used_at is not None:
        return LinkState.USED, row
    if row.expires_at <= utcnow():
        return LinkState.EXPIRED, row
    return LinkState.OK, row


def use_link(row: AccountToken, password: str) -> User:
    """Set the password through a checked link; the link (and its siblings) is spent."""
    user = row.user
    _spend_links(user, TokenPurpose(row.purpose))
    set_password(user, password)
    return user


def invite(email: str, role: str, name: str = "") -> tuple[User, str]:
    """A new account with no password yet, and the clear invitation token (mail it)."""
    email = normalize_email(email)
    _check_role(role)
    if find_user(email) is not None:
        raise AccountError(f"A user with email {email} already exists.")
    user = User(email=email, role=role, name=name, password_hash="")
    db.session.add(user)
    db.session.flush()
    return user, invitation_link(user)


def invitation_link(user: User) -> str:
    """A fresh invitation for someone who has not come in yet; earlier ones stop working."""
    _spend_links(user, TokenPurpose.INVITE)
    days = current_app.config["INVITE_LINK_DAYS"]
    return _issue_link(user, TokenPurpose.INVITE, timedelta(days=days))


def reset_link(email: str) -> tuple[User, str] | None:
    """A reset link for an active account with this address; None for any other address."""
    user = find_user(email)
    if user is None or not user.active:
        return None
    _spend_links(user, TokenPurpose.RESET)
    minutes = current_app.config["RESET_LINK_MINUTES"]
    return user, _issue_link(user, TokenPurpose.RESET, timedelta(minutes=minutes))


# --- access ----------------------------------------------------------------------------


def set_active(user: User, active: bool) -> None:
    user.active = active
    if not active:
        user.end_sessions()


def set_role(user: User, role: str) -> None:
    _check_role(role)
    user.role = role


# --- two-factor sign-in (TOTP) ---------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    issuer = current_app.config["TOTP_ISSUER"]
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def _matching_counter(secret: str, code: str, after: int | None) -> int | None:
    """The time step this code belongs to (now, or one step either side for clock drift),
    if it is later than `after`: each code is good once."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(datetime.now(UTC))
    for counter in (current - 1, current, current + 1):
        if after is not None and counter <= after:
            continue
        if secrets.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def confirm_totp(user: User, secret: str, code: str) -> list[str] | None:
    """Turn two-factor on when the code from the app matches; the new recovery codes."""
    counter = _matching_counter(secret, code, None)
    if counter is None:
        return None
    user.totp_secret = secret
    user.totp_last_counter = counter
    return new_recovery_codes(user)


def disable_totp(user: User) -> None:
    user.totp_secret = None
    user.totp_last_counter = None
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))


def new_recovery_codes(user: User) -> list[str]:
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = [new_token(RECOVERY_CODE_LENGTH) for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=token_hash(c)) for c in codes)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


class SecondFactor(enum.StrEnum):
    CODE = "code"
    RECOVERY_CODE = "recovery_code"
    WRONG = "wrong"


def verify_second_factor(user: User, code: str) -> SecondFactor:
    """An authenticator code, or else an unused recovery code (spent by this call)."""
    if user.totp_secret is None:
        return SecondFactor.WRONG
    counter = _matching_counter(user.totp_secret, code, user.totp_last_counter)
    if counter is not None:
        user.totp_last_counter = counter
        return SecondFactor.CODE
    typed = normalize_token(code)
    if len(typed) == RECOVERY_CODE_LENGTH:
        spent = db.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == token_hash(typed),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=utcnow())
        )
        if spent.rowcount == 1:
            return SecondFactor.RECOVERY_CODE
    return SecondFactor.WRONG


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )
