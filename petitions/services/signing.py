"""Signing a petition: normalize, dedupe, households, confirmation and removal.

Used by the public sign form, paper entry and rally sign-ins alike. Nothing here
touches a request or commits: the caller commits once.

Rules ("one signature per person") live here *and* in the database: the unique
constraint (petition_id, email_key, name_key) catches the race two identical
requests can win together; the loser becomes a "duplicate", never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import make_transient_to_detached

from .. import hotpath
from ..cache import Expiring
from ..extensions import db
from ..models import ROLES, Petition, PetitionStatus, Signature
from ..models.base import utcnow
from ..urls import public_url
from . import counting
from .text import clean_line, clean_text, name_key, normalize_email
from .tokens import is_well_formed, new_token, normalize_token

SOURCES = ("online", "rally", "paper", "import")
# Sources a person submits themselves: these wait for email confirmation when asked.
SELF_SERVICE = ("online", "rally")

# Column limits (see models.signature); the forms check them with clear messages,
# the service refuses anything longer rather than let the database cut or fail.
LIMITS = {
    "given_name": 100,
    "family_name": 100,
    "email": 254,
    "postal_code": 10,
    "town": 100,
    "comment": 5000,
    "flagged": 100,
}


class SigningError(ValueError):
    """Input the service cannot store (the forms should have caught it)."""


@dataclass
class SignResult:
    status: str  # "signed" | "pending" | "duplicate" | "closed" | "full_household"
    signature: Signature | None

    @property
    def ok(self) -> bool:
        return self.status in ("signed", "pending")


def no_email_key(postal_code: str) -> str:
    """Dedupe key for signatures without an email (paper sheets): name + postal code."""
    return f"@no-email:{postal_code.strip().upper()}"


def tidy_town(town: str) -> str:
    """'HARTFORD' / 'west hartford' → 'Hartford' / 'West Hartford', so towns group together.
    Mixed case and non-Latin scripts are kept exactly as typed."""
    town = clean_line(town)
    if town.isascii() and (town.islower() or town.isupper()):
        return town.title()
    return town


def sign_petition(
    petition: Petition,
    *,
    given_name: str,
    family_name: str,
    email: str,
    postal_code: str,
    town: str = "",
    role: str = "",
    waitlist_number: int | None = None,
    comment: str = "",
    show_name: bool = False,
    opt_in: bool = False,
    source: str = "online",
    sheet_number: str | None = None,
    flagged: str = "",
    now: datetime | None = None,
    tx: hotpath.Transaction | None = None,
) -> SignResult:
    """Add one signature (not committed).

    In the request's ORM session by default, the new Signature added to it. With `tx`
    (the sign POST's own connection, hotpath.py) the statements run there and the
    Signature returned is a plain transient object, in no session.

    - "closed": the petition takes no signatures (online/rally: not published or past
      its deadline; paper/import: still a draft — sheets signed before the deadline
      may be typed in after it).
    - "duplicate": this name already signed with this email (the existing row is returned).
    - "full_household": SIGN_HOUSEHOLD_MAX other names already signed with this email.
    - "pending": stored, waits for email confirmation (petition.require_confirmation and a
      self-service source); "signed": stored and counted.
    """
    if source not in SOURCES:
        raise SigningError(f"unknown source {source!r}")
    now = now or utcnow()
    if source in SELF_SERVICE:
        if not petition.is_open(now):
            return SignResult("closed", None)
    elif petition.status == PetitionStatus.DRAFT:
        return SignResult("closed", None)

    values = {
        "given_name": clean_line(given_name),
        "family_name": clean_line(family_name),
        "email": (email or "").strip(),
        "postal_code": clean_line(postal_code).upper(),
        "town": tidy_town(town),
        "comment": clean_text(comment),
        "flagged": clean_line(flagged)[: LIMITS["flagged"]],
    }
    for field, limit in LIMITS.items():
        if len(values[field]) > limit:
            raise SigningError(f"{field} is longer than {limit} characters")
    if not values["given_name"] and not values["family_name"]:
        raise SigningError("a name is required")
    if role and role not in ROLES:
        raise SigningError(f"unknown role {role!r}")
    if waitlist_number is not None and not isinstance(waitlist_number, int):
        raise SigningError("waitlist_number must be a whole number")
    if source in SELF_SERVICE and not values["email"]:
        raise SigningError("an email address is required")

    email_key = normalize_email(values["email"]) or no_email_key(values["postal_code"])
    key = name_key(values["given_name"], values["family_name"])

    run = tx or hotpath.Transaction.of_session(db.session)
    pending = petition.require_confirmation and source in SELF_SERVICE
    row = dict(
        petition_id=petition.id,
        email_key=email_key,
        name_key=key,
        role=role or "",
        waitlist_number=waitlist_number,
        show_name=bool(show_name),
        opt_in=bool(opt_in),
        source=source,
        sheet_number=sheet_number,
        created_at=now,
        confirmed_at=None if pending else now,
        hidden=False,
        token=new_token(),
        **values,
    )
    # One statement for a new signer, the common case: INSERT ... ON CONFLICT DO NOTHING
    # RETURNING, no savepoint, no unit-of-work flush. The unique index (petition_id,
    # email_key, name_key) turns away the same person, also a double tap an instant
    # earlier; with an email, the household limit is checked in the same statement.
    if values["email"]:
        inserted = run.first(
            _INSERT_IF_HOUSEHOLD_ROOM,
            {**row, "household_petition": petition.id, "household_email": email_key,
             "household_max": int(current_app.config["SIGN_HOUSEHOLD_MAX"])},
        )  # fmt: skip
    else:  # paper without email: name + ZIP code identify the person, no household
        inserted = run.first(_INSERT, row)
    if inserted is None:  # signed already, or (with an email) the household is full
        person = {"petition_id": petition.id, "email_key": email_key, "name_key": key}
        existing = run.first(_SAME_PERSON, person)
        if existing is not None:
            return SignResult("duplicate", _existing(run, existing["id"], in_session=tx is None))
        if values["email"]:
            return SignResult("full_household", None)
        raise SigningError("signature conflicts with another one")
    # The row as the ORM sees it, without reading it back.
    signature = Signature(id=inserted["id"], **row)
    if tx is None:
        make_transient_to_detached(signature)
        db.session.add(signature)
    return SignResult("pending" if pending else "signed", signature)


def _existing(run: hotpath.Transaction, signature_id: int, in_session: bool) -> Signature:
    """An existing signature: from the session, or read on the sign POST's own
    connection into a transient object."""
    if in_session:
        return db.session.get(Signature, signature_id)
    return Signature(**run.first(_SIGNATURE, {"id": signature_id}))


_petitions = Expiring()


def cached_petition(slug: str) -> Petition | None:
    """The petition for the sign POST, read at most every COUNT_CACHE_SECONDS per process.

    A detached copy: every column is loaded and it has no relationships, so it can be
    read (not changed) outside the session. An organizer's change applies at once in
    the process that made it (forget_petition) and within those seconds in the others."""

    def load():
        petition = db.session.scalars(select(Petition).where(Petition.slug == slug)).first()
        if petition is not None:
            db.session.expunge(petition)
        return petition

    return _petitions.get(slug, float(current_app.config["COUNT_CACHE_SECONDS"]), load)


def forget_petition(slug: str) -> None:
    _petitions.forget(slug)


# The statements of a signature, built once and run on the DB-API connection
# (hotpath.py): the sign POST is the busiest write after a check-in scan.
_SAME_PERSON = hotpath.Statement(
    "SELECT id FROM signatures WHERE petition_id = :petition_id AND email_key = :email_key "
    "AND name_key = :name_key",
    columns=("id",),
)
# Column names from the model (never from input).
_STORED = [c.name for c in Signature.__table__.columns if c.name != "id"]
_INTO = f"INSERT INTO signatures ({', '.join(_STORED)}) "  # noqa: S608
_VALUES = ", ".join(":" + name for name in _STORED)
_UNLESS_SIGNED = "ON CONFLICT (petition_id, email_key, name_key) DO NOTHING RETURNING id"
_INSERT = hotpath.Statement(
    f"{_INTO} VALUES ({_VALUES}) {_UNLESS_SIGNED}",
    ["created_at", "confirmed_at"],
    columns=("id",),
)
# The household check's parameters have names of their own: PostgreSQL deduces one type
# per parameter, and here the same value is compared with a column, not stored in one.
# It counts at most household_max rows, in the order of the unique index: so the
# database walks that index even without statistics (a new table; PostgreSQL keeps a
# prepared statement's plan), instead of every signature of the petition.
_INSERT_IF_HOUSEHOLD_ROOM = hotpath.Statement(
    f"{_INTO} SELECT {_VALUES} WHERE (SELECT count(*) FROM (SELECT 1 FROM signatures "  # noqa: S608
    "WHERE petition_id = :household_petition AND email_key = :household_email "
    "ORDER BY name_key LIMIT :household_max) AS household) "
    f"< :household_max {_UNLESS_SIGNED}",
    ["created_at", "confirmed_at"],
    columns=("id",),
)
_SIGNATURE = hotpath.Statement(
    f"SELECT id, {', '.join(_STORED)} FROM signatures WHERE id = :id",  # noqa: S608
    columns=("id", *_STORED),
    datetime_columns=["created_at", "confirmed_at"],
)


# --- the signer's own links (token in the URL) ----------------------------------------


def by_token(token: str) -> Signature | None:
    token = normalize_token(token)
    if not is_well_formed(token):
        return None
    return db.session.scalars(select(Signature).where(Signature.token == token)).first()


def confirm(token: str, now: datetime | None = None) -> Signature | None:
    """Confirm a pending signature (idempotent); None for an unknown token."""
    signature = by_token(token)
    if signature is not None and signature.confirmed_at is None:
        signature.confirmed_at = now or utcnow()
        db.session.flush()
        counting.forget(signature.petition)
    return signature


def remove_signature(token: str) -> Signature | None:
    """Delete the signer's own signature; returns the (now deleted) row, or None."""
    signature = by_token(token)
    if signature is not None:
        petition = signature.petition
        db.session.delete(signature)
        db.session.flush()
        counting.forget(petition)
    return signature


# --- mail ------------------------------------------------------------------------------


def confirmation_message(
    signature: Signature, lang: str | None = None, petition: Petition | None = None
):
    """The signer's mail (an EmailMessage): a confirm link when pending, else a thank-you;
    always a link to remove the signature. Written in `lang` (default: the current
    language); `petition` when the signature is not in the session (the sign POST's).
    Send it after committing (send_message)."""
    from flask import render_template

    from .mail import build_message

    lang = lang or str(get_locale() or "en")
    petition = petition or signature.petition
    with force_locale(lang):
        context = {
            "signature": signature,
            "petition": petition,
            "petition_url": public_url("public.petition", slug=petition.slug),
            "confirm_url": public_url("public.confirm", token=signature.token),
            "remove_url": public_url("public.remove", token=signature.token),
            "pending": signature.confirmed_at is None,
            "lang": lang,
        }
        if context["pending"]:
            subject = _("Please confirm your signature: %(title)s", title=petition.title)
        else:
            subject = _("Thank you for signing: %(title)s", title=petition.title)
        text = render_template("mail/signature.txt", **context)
        html = render_template("mail/signature.html", **context)
    return build_message(signature.email, subject, text, html)


def send_message(message) -> None:
    from .mail import send

    send(message)


def send_confirmation(signature: Signature, lang: str | None = None) -> None:
    send_message(confirmation_message(signature, lang))
