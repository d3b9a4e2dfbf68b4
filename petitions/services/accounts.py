"""Organizer accounts."""

import secrets

from sqlalchemy import func, select

from ..extensions import db
from ..models import Role, User
from ..models.base import utcnow


class AccountError(ValueError):
    pass


def create_user(email: str, role: str, password: str | None = None, name: str = ""):
    """Returns (user, password); a random password is generated when none is given."""
    email = email.strip().lower()
    if role not in {r.value for r in Role}:
        raise AccountError(f"Unknown role {role!r}: use admin, organizer or volunteer.")
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise AccountError(f"A user with email {email} already exists.")
    password = password or secrets.token_urlsafe(12)
    user = User(email=email, role=role, name=name)
    user.set_password(password)
    db.session.add(user)
    return user, password


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0
