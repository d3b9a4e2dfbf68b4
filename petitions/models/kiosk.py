from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from petitions.core.extensions import db
from petitions.models.base import utcnow


class KioskEntry(db.Model):
    """One person entered at a welcome-table kiosk, once: the client-made id is unique, so
    a retried or concurrent sync of the same entry stores nothing twice. Holds no personal
    data of its own (it points at the attendee or signature it made), only who ran the
    kiosk, on which device, and what came of the entry."""

    __tablename__ = "kiosk_entries"
    __table_args__ = (Index("ix_kiosk_entries_event_result", "event_id", "result"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # rally, petition
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    device: Mapped[str] = mapped_column(String(120), default="")
    # walk_up, checked_in, already, signed, pending, duplicate, closed, revoked, refused...
    result: Mapped[str] = mapped_column(String(16))
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id", ondelete="SET NULL"))
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("signatures.id", ondelete="SET NULL")
    )
    entered_at: Mapped[datetime | None]  # the device's time (entries queue offline)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
