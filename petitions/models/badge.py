"""Badge designs (one per petition), per-stock printer calibration, printed sheets."""

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from petitions.core.extensions import db
from petitions.models.base import utcnow


class BadgeDesign(db.Model):
    """How a petition's badges read. Without a row, the translated defaults apply."""

    __tablename__ = "badge_designs"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), unique=True
    )
    line_above: Mapped[str] = mapped_column(String(120), default="")
    line_below: Mapped[str] = mapped_column(String(120), default="")
    line_above_es: Mapped[str] = mapped_column(String(120), default="")
    line_below_es: Mapped[str] = mapped_column(String(120), default="")
    number_format: Mapped[str] = mapped_column(String(20), default="hash-comma")
    show_first_name: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    calibrations: Mapped[list["BadgeCalibration"]] = relationship(
        back_populates="design", cascade="all, delete-orphan"
    )


class BadgeCalibration(db.Model):
    """A printer's shift on one stock, in mm (+x right, +y down), saved with the design."""

    __tablename__ = "badge_calibrations"
    __table_args__ = (UniqueConstraint("design_id", "stock"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    design_id: Mapped[int] = mapped_column(ForeignKey("badge_designs.id", ondelete="CASCADE"))
    stock: Mapped[str] = mapped_column(String(40))
    offset_x_mm: Mapped[float] = mapped_column(Float, default=0.0)
    offset_y_mm: Mapped[float] = mapped_column(Float, default=0.0)

    design: Mapped[BadgeDesign] = relationship(back_populates="calibrations")


class BadgeSheet(db.Model):
    """A badge sheet someone downloaded: what it held, so it can be marked as printed."""

    __tablename__ = "badge_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int | None] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    stock: Mapped[str] = mapped_column(String(40))
    badge_count: Mapped[int] = mapped_column(default=0)
    blank_count: Mapped[int] = mapped_column(default=0)
    # Space-separated ids of the signatures or attendees on the sheet, in sheet order.
    signature_ids: Mapped[str] = mapped_column(Text, default="")
    attendee_ids: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    printed_at: Mapped[datetime | None]
    printed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by = relationship("User", foreign_keys=[created_by_id])

    def ids(self, kind: str) -> list[int]:
        text = self.signature_ids if kind == "signature" else self.attendee_ids
        return [int(t) for t in text.split()]


class BadgePrint(db.Model):
    """One badge marked as printed, keyed by the signature or the attendee it was for."""

    __tablename__ = "badge_prints"
    __table_args__ = (
        Index("ix_badge_prints_signature", "signature_id"),
        Index("ix_badge_prints_attendee", "attendee_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int | None] = mapped_column(ForeignKey("badge_sheets.id", ondelete="SET NULL"))
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE")
    )
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id", ondelete="CASCADE"))
    stock: Mapped[str] = mapped_column(String(40))
    printed_at: Mapped[datetime] = mapped_column(default=utcnow)
