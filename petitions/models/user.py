import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from petitions.core.extensions import db
from petitions.models.base import utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    ORGANIZER = "organizer"
    VOLUNTEER = "volunteer"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=Role.ORGANIZER)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Part of the id Flask-Login keeps in the session and the "remember me" cookie:
    # raising it (deactivation, a new password) ends every session at its next request.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    password_changed_at: Mapped[datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # set once enrolment is confirmed
    totp_last_counter: Mapped[int | None]  # the last time step used: a code works once

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot log in
        return self.active

    def get_id(self) -> str:  # Flask-Login "alternative tokens"
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        self.session_version = (self.session_version or 1) + 1

    @property
    def invited(self) -> bool:
        """Invited and not yet come in: no password of their own so far."""
        return not self.password_hash

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_secret is not None

    def set_password(self, password: str) -> None:
        # werkzeug's scrypt (its default method), salted, the parameters kept in the hash.
        self.password_hash = generate_password_hash(password)
        self.password_changed_at = utcnow()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_organize(self) -> bool:
        """Organizers and admins manage petitions and see personal data; volunteers do not."""
        return self.role in (Role.ADMIN, Role.ORGANIZER)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
