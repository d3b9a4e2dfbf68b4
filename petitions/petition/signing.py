"""Signing a petition: normalize, dedupe, households, confirmation and removal.

Used by the public sign form, paper entry and rally sign-ins alike. Nothing here
touches a request or commits: the caller commits once (a signature stored `alone` on
PostgreSQL is its own autocommit statement). The statement that stores a signature is
in fast_sign.py, with the reasons it is not plain ORM code.

Rules ("one signature per person") live here *and* in the database: the unique
constraint (petition_id, email_key, name_key) catches the race two identical
requests can win together; the loser becomes a "duplicate", never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from enum import StrEnum
from functools import cached_property

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from petitions.core import places, signals
from petitions.core.content import LANGUAGES, localized
from petitions.core.extensions import db
from petitions.core.limits import too_long
from petitions.core.text import clean_line, clean_text, full_name, name_key, normalize_email
from petitions.core.tokens import is_well_formed, new_token, normalize_token
from petitions.core.urls import public_url, share_url
from petitions.mail.message import build_message
from petitions.models import ROLES, Petition, PetitionStatus, Signature
from petitions.models.base import utcnow
from petitions.petition import counting, fast_sign

SOURCES = ("online", "rally", "kiosk", "paper", "import")
# Sources a person submits themselves (a kiosk is handed to them): these wait for email
# confirmation when asked.
SELF_SERVICE = ("online", "rally", "kiosk")

# The review note is written by the code, not typed: kept to its column.
FLAGGED_MAX = 100


class SigningError(ValueError):
    """Input the service cannot store (the forms should have caught it)."""


class SignStatus(StrEnum):
    SIGNED = "signed"  # stored and counted
    PENDING = "pending"  # stored, waits for email confirmation
    DUPLICATE = "duplicate"  # this person signed already
    CLOSED = "closed"  # the petition takes no signatures
    FULL_HOUSEHOLD = "full_household"  # SIGN_HOUSEHOLD_MAX names signed with this email


@dataclass
class SignResult:
    status: SignStatus
    existing: Signature | None = None  # the row found: the duplicate
    row: dict | None = None  # a new signature's columns, with its id

    @cached_property
    def signature(self) -> Signature | None:
        """The signature as the session's own object. A new one joins the session only
        when asked for (fast_sign.attach): a sign POST needs only its id and token."""
        if self.row is None:
            return self.existing
        return fast_sign.attach(self.row)

    @property
    def signature_id(self) -> int:
        return self.row["id"] if self.row is not None else self.signature.id

    @property
    def token(self) -> str:
        return self.row["token"] if self.row is not None else self.signature.token


def no_email_key(postal_code: str) -> str:
    """Dedupe key for signatures without an email (paper sheets): name + postal code."""
    return f"@no-email:{postal_code.strip().upper()}"


def signature_row(
    petition_id: int,
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
    language: str = "en",
    source: str = "online",
    sheet_number: str | None = None,
    flagged: str = "",
    created_at: datetime,
    confirmed_at: datetime | None,
) -> dict:
    """The columns of a new signature: cleaned, checked, with its dedupe keys and token.
    Every way in (the sign form, rallies, paper, CSV import, demo data) builds its rows
    here. Raises SigningError for what cannot be stored: longer than its field's limit
    (core.limits, the forms' limits), or a postal code that is no ZIP code; a ZIP code is
    stored as its five digits (core.places)."""
    if source not in SOURCES:
        raise SigningError(f"unknown source {source!r}")
    zip_code = places.zip5(postal_code) if clean_line(postal_code) else ""
    if zip_code is None:
        raise SigningError("postal_code is not a ZIP code")
    values = {
        "given_name": clean_line(given_name),
        "family_name": clean_line(family_name),
        "email": (email or "").strip(),
        "postal_code": zip_code,
        "town": places.tidy_town(town),
        "comment": clean_text(comment),
        "flagged": clean_line(flagged)[:FLAGGED_MAX],
    }
    whole = full_name(values["given_name"], values["family_name"])
    for field, limit in too_long(dict(values, full_name=whole)).items():
        raise SigningError(f"{field} is longer than {limit} characters")
    if not values["given_name"] and not values["family_name"]:
        raise SigningError("a name is required")
    if role and role not in ROLES:
        raise SigningError(f"unknown role {role!r}")
    if waitlist_number is not None and not isinstance(waitlist_number, int):
        raise SigningError("waitlist_number must be a whole number")
    if source in SELF_SERVICE and not values["email"]:
        raise SigningError("an email address is required")
    if language not in LANGUAGES:
        raise SigningError(f"unknown language {language!r}")
    return dict(
        values,
        petition_id=petition_id,
        email_key=normalize_email(values["email"]) or no_email_key(values["postal_code"]),
        name_key=name_key(values["given_name"], values["family_name"]),
        role=role or "",
        waitlist_number=waitlist_number,
        show_name=bool(show_name),
        opt_in=bool(opt_in),
        language=language,
        source=source,
        sheet_number=sheet_number,
        created_at=created_at,
        confirmed_at=confirmed_at,
        hidden=False,
        token=new_token(),
        person_id=None,  # set when stored (fast_sign; core.people.link_unlinked in bulk)
    )


def sign_petition(
    petition: Petition,
    *,
    source: str = "online",
    now: datetime | None = None,
    alone: bool = False,
    **person,
) -> SignResult:
    """Store one signature in the session's transaction (not committed: the caller
    commits; the row joins the session as an object when `result.signature` is asked for).
    With `alone`, the caller writes nothing else: on PostgreSQL the signature is then
    stored by its one statement, committed at once (fast_sign.insert_signature).

    `person` takes signature_row's fields (given_name, family_name, email, postal_code,
    town, role, waitlist_number, comment, show_name, opt_in, language, sheet_number, flagged).

    - "closed": the petition takes no signatures (online/rally: not published or past
      its deadline; paper/import: still a draft — sheets signed before the deadline
      may be typed in after it).
    - "duplicate": this name already signed with this email (the existing row is returned).
    - "full_household": SIGN_HOUSEHOLD_MAX other names already signed with this email.
    - "pending": stored, waits for email confirmation (petition.require_confirmation and a
      self-service source); "signed": stored and counted.
    """
    now = now or utcnow()
    if source in SELF_SERVICE:
        if not petition.is_open(now):
            return SignResult(SignStatus.CLOSED, None)
    elif petition.status == PetitionStatus.DRAFT:
        return SignResult(SignStatus.CLOSED, None)
    pending = petition.require_confirmation and source in SELF_SERVICE
    row = signature_row(
        petition.id, source=source, created_at=now, confirmed_at=None if pending else now, **person
    )
    # The household limit applies to people sharing an email (not to paper rows without one).
    household_max = int(current_app.config["SIGN_HOUSEHOLD_MAX"]) if row["email"] else None
    new_id = fast_sign.insert_signature(row, household_max, alone)
    if new_id is None:
        existing = db.session.scalars(
            select(Signature).where(
                Signature.petition_id == petition.id,
                Signature.email_key == row["email_key"],
                Signature.name_key == row["name_key"],
            )
        ).first()
        if existing is not None:
            return SignResult(SignStatus.DUPLICATE, existing)
        return SignResult(SignStatus.FULL_HOUSEHOLD)
    if not pending:  # a pending one is announced when it is confirmed
        signals.after_commit(signals.signature_created, signature_id=new_id)
    return SignResult(
        SignStatus.PENDING if pending else SignStatus.SIGNED, row=dict(row, id=new_id)
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
        signals.after_commit(signals.signature_created, signature_id=signature.id)
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


def confirmation_message(signature: Signature, lang: str | None = None) -> EmailMessage:
    """The signer's mail: a confirm link when pending, else a thank-you; always a link to
    remove the signature. Written in `lang` (default: the current language). Send it
    after committing (services.mail.send)."""
    lang = lang or str(get_locale() or "en")
    petition = signature.petition
    title = localized(petition, "title", lang)
    with force_locale(lang):
        context = {
            "signature": signature,
            "petition": petition,
            "petition_url": share_url("public.petition", slug=petition.slug),
            "confirm_url": public_url("public.confirm", token=signature.token),
            "remove_url": public_url("public.remove", token=signature.token),
            "pending": signature.confirmed_at is None,
            "lang": lang,
            "title": title,
        }
        if context["pending"]:
            subject = _("Please confirm your signature: %(title)s", title=title)
        else:
            subject = _("Thank you for signing: %(title)s", title=title)
        text = render_template("petition/mail/signature.txt", **context)
        html = render_template("petition/mail/signature.html", **context)
    return build_message(
        signature.email, subject, text, html, language=lang, to_name=signature.full_name
    )
