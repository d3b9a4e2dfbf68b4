"""Officials a petition is delivered to, and the towns / ZIP codes each represents.

The areas are rows (not a text blob) so signers can be matched to officials with a
SQL join: a ZIP area matches the first five digits of a signer's postal code, a town
area matches the signer's town, case-insensitively (`key` holds the folded form).
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from petitions.core.extensions import db
from petitions.models.base import utcnow

AREA_ZIP = "zip"
AREA_TOWN = "town"


class Official(db.Model):
    __tablename__ = "officials"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(120), default="")  # e.g. "State Representative"
    body: Mapped[str] = mapped_column(String(200), default="")  # e.g. "Connecticut House of ..."
    district: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    areas: Mapped[list["OfficialArea"]] = relationship(
        back_populates="official",
        cascade="all, delete-orphan",
        order_by="(OfficialArea.kind, OfficialArea.id)",
    )

    @property
    def towns(self) -> list[str]:
        return [a.value for a in self.areas if a.kind == AREA_TOWN]

    @property
    def zip_codes(self) -> list[str]:
        return [a.value for a in self.areas if a.kind == AREA_ZIP]

    @property
    def label(self) -> str:
        """ "Rep. Ana Rivera (District 7)" style, for lists and packet headers."""
        text = f"{self.title} {self.name}".strip()
        return f"{text} ({self.district})" if self.district else text

    def __repr__(self) -> str:
        return f"<Official {self.id} {self.name}>"


class OfficialArea(db.Model):
    __tablename__ = "official_areas"
    __table_args__ = (
        UniqueConstraint("official_id", "kind", "key"),
        Index("ix_official_areas_kind_key", "kind", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # "zip" or "town"
    value: Mapped[str] = mapped_column(String(100))  # as written (for display and export)
    key: Mapped[str] = mapped_column(String(100))  # 5-digit ZIP, or the town lower-cased

    official: Mapped[Official] = relationship(back_populates="areas")


class PetitionTarget(db.Model):
    """The officials a petition is addressed to."""

    __tablename__ = "petition_targets"

    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True
    )
    official_id: Mapped[int] = mapped_column(
        ForeignKey("officials.id", ondelete="CASCADE"), primary_key=True
    )

    official: Mapped[Official] = relationship()
