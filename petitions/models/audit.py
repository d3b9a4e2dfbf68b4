"""The audit log: who did what to personal data or access, when, and from where."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from petitions.core.extensions import db
from petitions.models.base import utcnow


class AuditAction(enum.StrEnum):
    """The actions recorded today; other parts may record their own names."""

    LOGIN = "login"
    LOGIN_FAILED = "login.failed"
    TWO_FACTOR_FAILED = "login.2fa_failed"
    RECOVERY_CODE_USED = "login.recovery_code"
    EXPORT = "export"
    PACKET_DOWNLOAD = "packet.download"
    BADGE_DOWNLOAD = "badges.download"
    SIGNATURE_HIDE = "signature.hide"
    SIGNATURE_RESTORE = "signature.restore"
    USER_INVITE = "user.invite"
    USER_ROLE = "user.role"
    USER_DEACTIVATE = "user.deactivate"
    USER_REACTIVATE = "user.reactivate"
    PASSWORD_CHANGE = "password.change"
    PASSWORD_RESET = "password.reset"
    INVITE_ACCEPT = "user.invite_accepted"
    TWO_FACTOR_ON = "2fa.on"
    TWO_FACTOR_OFF = "2fa.off"
    PETITION_PUBLISH = "petition.publish"
    PETITION_CLOSE = "petition.close"
    PETITION_REOPEN = "petition.reopen"
    PETITION_ARCHIVE = "petition.archive"
    PETITION_DELETE = "petition.delete"
    RETENTION_RUN = "retention.run"
    BACKUP = "backup"
    UPDATE_SEND = "update.send"
    API_TOKEN_CREATE = "api_token.create"
    API_TOKEN_REVOKE = "api_token.revoke"


class AuditEntry(db.Model):
    """One row per action; never changed or removed by the application (append-only).

    `petition_id` is a plain column, not a foreign key: the trail outlives what it
    names. `actor` keeps the email the action was done as (or tried as, for a failed
    login), so the row still reads right after an account changes."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_created_at", "created_at"),
        Index("ix_audit_log_petition_id", "petition_id"),
        Index("ix_audit_log_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(120), default="")
    petition_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(String(500), default="")
    address: Mapped[str] = mapped_column(String(45), default="")  # IPv6 at most

    user = relationship("User")


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _append_only(_mapper, _connection, target):
    raise RuntimeError("The audit log is append-only.")
