"""Delivery packets: per-petition settings, story exclusions, the record of every
generated packet ("what was delivered") and background jobs for large ones."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from petitions.core.extensions import db
from petitions.models.base import utcnow

SORT_TOWN = "town"
SORT_DATE = "date"
SCOPE_CONSTITUENTS = "constituents"
SCOPE_EVERYONE = "everyone"
SCOPE_COMBINED = "combined"


class PacketSettings(db.Model):
    """What an organizer chose for a petition's packets; one row per petition."""

    __tablename__ = "packet_settings"

    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True
    )
    cover_letter: Mapped[str] = mapped_column(Text, default="")  # "" = the default letter
    show_waitlist_numbers: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[str] = mapped_column(String(8), default=SORT_TOWN)
    delivered_at: Mapped[datetime | None]
    delivered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    delivered_note: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    delivered_by = relationship("User")


class StoryExclusion(db.Model):
    """A consented story the organizer chose to leave out of packets."""

    __tablename__ = "packet_story_exclusions"

    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True
    )
    signature_id: Mapped[int] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), primary_key=True
    )


class PacketRecord(db.Model):
    """One generated packet: who, when, for whom, how many, and the file's SHA-256."""

    __tablename__ = "packet_records"
    __table_args__ = (Index("ix_packet_records_petition_created", "petition_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id", ondelete="SET NULL"))
    addressed_to: Mapped[str] = mapped_column(String(300), default="")  # kept if deleted
    scope: Mapped[str] = mapped_column(String(16))  # constituents, everyone, combined
    filter_text: Mapped[str] = mapped_column(String(500), default="")  # human-readable
    sort_order: Mapped[str] = mapped_column(String(8), default=SORT_TOWN)
    paper: Mapped[str] = mapped_column(String(8), default="letter")
    show_waitlist_numbers: Mapped[bool] = mapped_column(default=False)
    signature_count: Mapped[int] = mapped_column(default=0)
    page_count: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(default=0)
    # Web and job packets: a name under instance/packets/ (downloadable again);
    # command-line packets: the path the command wrote, for the record only.
    file_path: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(8), default="web")  # web, job, cli
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")

    @property
    def downloadable(self) -> bool:
        return self.source != "cli" and bool(self.file_path)


class PacketJob(db.Model):
    """A large packet rendered in the background (a thread, or an RQ worker)."""

    __tablename__ = "packet_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON: official, scope, paper, ...
    status: Mapped[str] = mapped_column(String(12), default="queued")  # running, done, failed
    backend: Mapped[str] = mapped_column(String(8), default="thread")  # thread or rq
    done: Mapped[int] = mapped_column(default=0)  # rows drawn so far
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(String(500), default="")
    record_id: Mapped[int | None] = mapped_column(
        ForeignKey("packet_records.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    record: Mapped[PacketRecord | None] = relationship()
