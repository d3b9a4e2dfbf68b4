from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from petitions.core import places
from petitions.core.extensions import db
from petitions.models.base import removed, utcnow
from petitions.models.petition import Petition

# Stored values, in the order forms offer them.
ROLES = ("parent", "student", "educator", "community", "other")
# What each stored value is called on pages, forms, charts and packets ("" = not given).
ROLE_LABELS = {
    "parent": _l("Parent or guardian"),
    "student": _l("Student"),
    "educator": _l("Educator"),
    "community": _l("Community member"),
    "other": _l("Other"),
    "": _l("Not given"),
}


class Signature(db.Model):
    __tablename__ = "signatures"
    __table_args__ = (
        # One signature per person per petition; households may share an email.
        UniqueConstraint("petition_id", "email_key", "name_key"),
        Index("ix_signatures_petition_counted", "petition_id", "hidden", "confirmed_at"),
        Index("ix_signatures_petition_created", "petition_id", "created_at"),
        Index("ix_signatures_person", "person_id"),
        # The API's pages of a petition's signatures, in id order (api.queries.page_of).
        Index("ix_signatures_petition_listed", "petition_id", "hidden", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    # The holder of the email (models.person); None without an email, and after retention.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))  # normalized for dedupe
    name_key: Mapped[str] = mapped_column(String(210))  # casefolded, NFKC, spaces collapsed
    postal_code: Mapped[str] = mapped_column(String(10))
    town: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(16), default="")
    waitlist_number: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    show_name: Mapped[bool] = mapped_column(default=False)
    opt_in: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(8), default="en")  # of the page they used
    source: Mapped[str] = mapped_column(
        String(16), default="online"
    )  # online, rally, kiosk, paper, import
    sheet_number: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Counted only when confirmed (set at once when the petition needs no email confirmation).
    confirmed_at: Mapped[datetime | None]
    hidden: Mapped[bool] = mapped_column(default=False)  # hidden by an organizer (spam)
    flagged: Mapped[str] = mapped_column(String(100), default="")  # reason for quiet review
    # Random secret for the signer's own links (confirm, remove, badge); never shown publicly.
    token: Mapped[str] = mapped_column(String(40), unique=True)

    petition: Mapped[Petition] = relationship()

    @classmethod
    def personal_data_removed(cls) -> dict:
        """What retention writes over a signer's personal data, in one UPDATE: a column of
        personal data added here is removed with the rest (counts by town, role and day
        stay)."""
        return dict(
            given_name="",
            family_name="",
            email="",
            email_key=removed(cls.id),
            name_key="",
            postal_code="",
            waitlist_number=None,
            comment="",
            show_name=False,
            opt_in=False,
            token=removed(cls.id),
            person_id=None,
        )

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @hybrid_property
    def counted(self) -> bool:
        """Counted in totals, charts, packets and badges: confirmed, and not hidden as spam.
        In a query, `Signature.counted` is the same rule as SQL (it uses the index
        ix_signatures_petition_counted together with petition_id)."""
        return self.confirmed_at is not None and not self.hidden

    @counted.inplace.expression
    @classmethod
    def _counted_expression(cls) -> ColumnElement[bool]:
        return and_(cls.hidden.is_(False), cls.confirmed_at.is_not(None))

    @hybrid_property
    def pending(self) -> bool:
        """Waiting for its email confirmation (and not hidden): not counted yet. Every
        signature is exactly one of counted, pending or hidden."""
        return self.confirmed_at is None and not self.hidden

    @pending.inplace.expression
    @classmethod
    def _pending_expression(cls) -> ColumnElement[bool]:
        return and_(cls.hidden.is_(False), cls.confirmed_at.is_(None))

    @hybrid_property
    def counted_at(self) -> datetime | None:
        """When a counted signature started counting, the day charts and packets put it
        on: its confirmation. Signing sets that at the moment of signing when nothing is
        to be confirmed (paper, imports, petitions without email confirmation), and on
        the confirmation otherwise, which can be days after `created_at`. As SQL it
        stays inside ix_signatures_petition_counted."""
        return self.confirmed_at

    @counted_at.inplace.expression
    @classmethod
    def _counted_at_expression(cls) -> ColumnElement[datetime]:
        return cls.confirmed_at

    @hybrid_property
    def zip5(self) -> str:
        """The five-digit ZIP officials are matched on (core.places: the stored form, and
        the first five digits of a ZIP+4 stored before)."""
        return (self.postal_code or "")[:5]

    @zip5.inplace.expression
    @classmethod
    def _zip5_expression(cls) -> ColumnElement[str]:
        return func.substr(cls.postal_code, 1, 5)

    @hybrid_property
    def town_key(self) -> str:
        """The town as counts group it and officials' towns match it: "HARTFORD",
        "hartford " and "Hartford" are one town (core.places.town_key)."""
        return places.town_key(self.town)

    @town_key.inplace.expression
    @classmethod
    def _town_key_expression(cls) -> ColumnElement[str]:
        return func.lower(func.trim(cls.town))

    @classmethod
    def town_group(cls) -> tuple[ColumnElement[str], ColumnElement[str]]:
        """(key, spelling) for counting by town: GROUP BY the key, and show each group
        as core.places.town_label(spelling)."""
        return cls.town_key, func.max(cls.town)


class ExportLog(db.Model):
    """Who took personal data out of the system, and when."""

    __tablename__ = "export_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "signatures", "attendees"
    subject: Mapped[str] = mapped_column(String(120))  # slug of the petition/event
    row_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")
