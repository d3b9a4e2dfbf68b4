"""Petition updates: news an organizer sends to signers, each in their own language.

Audiences: "signers" (everyone who signed, for news about this petition) and "opted_in"
(only those who asked for updates). Hidden, unconfirmed and unsubscribed people, and
paper signatures without an email, never get mail. One mail per address (a household
sharing one address gets one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import func, select

from petitions.core import audit
from petitions.core.content import localized
from petitions.core.extensions import db
from petitions.core.text import clean_line
from petitions.core.timezones import utc_to_local
from petitions.mail import mailings
from petitions.models import (
    Audience,
    AuditAction,
    Mailing,
    MailingKind,
    MailingStatus,
    PacketSettings,
    Petition,
    Signature,
    Suppression,
    Update,
)
from petitions.models.base import utcnow
from petitions.petition import counting
from petitions.petition.lifecycle import body_for_editing, body_html

SUBJECT_MAX = 200
BODY_MAX = 50_000


class UpdateError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class UpdateData:
    subject: str
    body: str
    subject_es: str = ""
    body_es: str = ""
    audience: str = Audience.SIGNERS
    published: bool = False


def _apply(update: Update, data: UpdateData) -> None:
    if not clean_line(data.subject):
        raise UpdateError("Give the update a subject.", "subject")
    if not (data.body or "").strip():
        raise UpdateError("Write the text of the update.", "body")
    if data.audience not in set(Audience):
        raise UpdateError("Choose who gets the update.", "audience")
    update.subject = clean_line(data.subject)[:SUBJECT_MAX]
    update.body = body_html(data.body[:BODY_MAX])
    update.subject_es = clean_line(data.subject_es)[:SUBJECT_MAX]
    update.body_es = body_html((data.body_es or "")[:BODY_MAX])
    update.audience = data.audience
    update.published = bool(data.published)


def create_update(petition: Petition, data: UpdateData, user=None) -> Update:
    update = Update(petition_id=petition.id, created_by_id=user.id if user else None)
    _apply(update, data)
    db.session.add(update)
    db.session.flush()
    return update


def edit_update(update: Update, data: UpdateData) -> None:
    if update.mailing is not None:
        raise UpdateError("This update has been sent or scheduled; it can no longer be changed.")
    _apply(update, data)


def for_editing(update: Update) -> tuple[str, str]:
    """The English and Spanish texts as the organizer most likely wrote them."""
    return body_for_editing(update.body), body_for_editing(update.body_es)


def audience_query(petition_id: int, audience: str):
    """(email_key, email, language, name) of each address the audience reaches; the name,
    of one of the people signing with it, is the one the mail's To shows."""
    conditions = [
        Signature.petition_id == petition_id,
        Signature.counted,
        Signature.email != "",
        Signature.email_key.not_in(select(Suppression.email_key)),
    ]
    if audience == Audience.OPTED_IN:
        conditions.append(Signature.opt_in.is_(True))
    return (
        select(
            Signature.email_key,
            func.min(Signature.email),
            func.max(Signature.language),
            func.min(Signature.given_name + " " + Signature.family_name),
        )
        .where(*conditions)
        .group_by(Signature.email_key)
        .order_by(Signature.email_key)
    )


def audience_size(petition: Petition, audience: str) -> int:
    subquery = audience_query(petition.id, audience).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(subquery)) or 0


def send_update(
    update: Update, user=None, at: datetime | None = None, now: datetime | None = None
) -> Mailing:
    """Queue the update for its audience, now or at `at` (naive UTC). Sending the same
    update twice (a double click) returns the first mailing and queues nobody again.
    The caller commits, then calls mailings.start(mailing.id) for a send now."""
    now = now or utcnow()
    if at is not None and at <= now:
        raise UpdateError("The time to send is in the past; choose a later one.", "send_at")
    if update.mailing is not None:
        return update.mailing
    if audience_size(update.petition, update.audience) == 0:
        raise UpdateError(
            "Nobody in this audience can get mail yet (no confirmed signer with an email "
            "who has not unsubscribed). Nothing was sent."
        )
    mailing, created = mailings.create_mailing(
        f"update:{update.id}",
        kind=MailingKind.UPDATE,
        update_id=update.id,
        audience=update.audience,
        status=MailingStatus.SCHEDULED,
        scheduled_at=at,
        sent_by_id=user.id if user is not None else None,
        recipients=0,
        delivered=0,
        failed=0,
        note="",
    )
    if created:
        rows = db.session.execute(audience_query(update.petition_id, update.audience))
        mailings.queue(
            mailing,
            (mailings.Recipient(email=e, language=lang, name=n) for _k, e, lang, n in rows),
        )
        db.session.flush()
        when = f", scheduled for {at:%Y-%m-%d %H:%M} UTC" if at is not None else ""
        audit.record(
            AuditAction.UPDATE_SEND,
            user=user,
            object_type="update",
            object_id=update.id,
            petition=update.petition_id,
            detail=f"{update.audience}: {mailing.recipients} recipients{when}",
        )
    db.session.flush()
    db.session.expire(update, ["mailing"])
    return mailing


def delivered_at(petition: Petition) -> datetime | None:
    """When an organizer marked the petition delivered (packets), or None."""
    return db.session.scalar(
        select(PacketSettings.delivered_at).where(PacketSettings.petition_id == petition.id)
    )


def delivered_draft(petition: Petition) -> UpdateData | None:
    """The ready-made `signers` update offered once the petition is marked delivered."""
    when = delivered_at(petition)
    if when is None:
        return None
    count = counting.signature_count(petition)
    day = utc_to_local(when)
    to_en = petition.addressed_to or "the people it is addressed to"
    to_es = localized(petition, "addressed_to", "es") or "sus destinatarios"
    return UpdateData(
        subject=f"We delivered the petition: {petition.title}"[:SUBJECT_MAX],
        body=(
            f"On {format_date(day, 'long', locale='en')}, we delivered the petition with "
            f"{count:,} signatures to {to_en}.\n\nThank you for signing. We will tell you "
            "what happens next."
        ),
        subject_es=f"Entregamos la petición: {localized(petition, 'title', 'es')}"[:SUBJECT_MAX],
        body_es=(
            f"El {format_date(day, 'long', locale='es')} entregamos la petición con "
            f"{format_decimal(count, locale='es')} firmas a {to_es}.\n\nGracias por firmar. "
            "Le contaremos lo que pase."
        ),
        audience=Audience.SIGNERS,
    )


def updates_of(petition: Petition) -> list[Update]:
    return list(
        db.session.scalars(
            select(Update).where(Update.petition_id == petition.id).order_by(Update.id.desc())
        )
    )


@dataclass
class PublishedUpdate:
    subject: str
    body: str
    date: datetime


def published_updates(petition: Petition, lang: str | None = None) -> list[PublishedUpdate]:
    """The updates shown on the petition page, newest first, in the reader's language."""
    rows = db.session.execute(
        select(Update, Mailing.finished_at)
        .outerjoin(Mailing, Mailing.update_id == Update.id)
        .where(
            Update.petition_id == petition.id,
            Update.published.is_(True),
            Mailing.id.is_(None) | (Mailing.status != MailingStatus.SCHEDULED),
        )
        .order_by(Update.created_at.desc())
    ).all()
    out = []
    for update, finished_at in rows:
        out.append(
            PublishedUpdate(
                subject=localized(update, "subject", lang),
                body=localized(update, "body", lang),
                date=finished_at or update.created_at,
            )
        )
    return out
