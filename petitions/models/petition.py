import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from petitions.core.extensions import db
from petitions.models.base import utcnow


class PetitionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


class Petition(db.Model):
    __tablename__ = "petitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300), default="")
    # Sanitized HTML (see services.text.sanitize_html); paragraphs, lists, links, emphasis.
    body: Mapped[str] = mapped_column(Text, default="")
    addressed_to: Mapped[str] = mapped_column(String(500), default="")
    # Spanish twins of what a signer reads (empty: the English text is shown, marked lang="en").
    title_es: Mapped[str] = mapped_column(String(200), default="")
    summary_es: Mapped[str] = mapped_column(String(300), default="")
    body_es: Mapped[str] = mapped_column(Text, default="")  # sanitized HTML, like body
    addressed_to_es: Mapped[str] = mapped_column(String(500), default="")
    goal: Mapped[int] = mapped_column(default=1000)
    deadline: Mapped[datetime | None]  # naive UTC
    status: Mapped[str] = mapped_column(String(16), default=PetitionStatus.DRAFT)
    sponsors: Mapped[str] = mapped_column(Text, default="")  # one coalition partner per line
    ask_waitlist: Mapped[bool] = mapped_column(default=False)
    waitlist_label: Mapped[str] = mapped_column(String(200), default="")
    waitlist_label_es: Mapped[str] = mapped_column(String(200), default="")
    waitlist_min: Mapped[int | None]
    waitlist_max: Mapped[int | None]
    require_confirmation: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Archived: closed for good, off the public list (its page stays for printed QR codes).
    archived_at: Mapped[datetime | None]
    # Days the signers' personal data is kept after the petition ends (None: RETENTION_DAYS).
    retention_days: Mapped[int | None]
    personal_data_removed_at: Mapped[datetime | None]
    # Sites that may show the embed (/p/<slug>/embed) in a frame: origins such as
    # https://example.org, one per line; empty: any site (petition/embeds.py).
    embed_origins: Mapped[str] = mapped_column(Text, default="")

    @property
    def sponsor_list(self) -> list[str]:
        return [line.strip() for line in self.sponsors.splitlines() if line.strip()]

    @property
    def embed_origin_list(self) -> list[str]:
        return self.embed_origins.split()

    def is_open(self, now: datetime | None = None) -> bool:
        """Takes signatures: published and before its deadline."""
        if self.status != PetitionStatus.PUBLISHED:
            return False
        return self.deadline is None or (now or utcnow()) < self.deadline

    @property
    def public_status(self) -> str:
        if self.status == PetitionStatus.PUBLISHED and not self.is_open():
            return PetitionStatus.CLOSED
        return self.status

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def __repr__(self) -> str:
        return f"<Petition {self.slug}>"
