"""Petition lifecycle rules: create, update, publish, close, reopen.

No request objects here: views pass plain values and commit once afterwards.
Errors are PetitionError with a message an organizer can act on (and, for
form-level problems, the name of the field it belongs to).
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from html import unescape

from markupsafe import escape
from sqlalchemy import func, select, update

from petitions.core.extensions import db
from petitions.core.text import clean_line, clean_text, sanitize_html
from petitions.models import ExportLog, Petition, PetitionStatus, Signature
from petitions.models.base import utcnow
from petitions.petition.embeds import parse_origins

SLUG_MAX = 80
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Paths under /manage/p/ and /p/ that a slug must not shadow.
RESERVED_SLUGS = frozenset({"new", "index", "admin", "manage", "static", "api"})
GOAL_MAX = 10_000_000
WAITLIST_MAX = 10_000_000
RETENTION_MAX = 3650


class PetitionError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """ASCII, lower case, hyphen separated: 'Fund magnet seats — now!' -> 'fund-magnet-seats-now'.

    Accents are folded (ñ -> n); scripts without an ASCII folding drop out, so the
    result can be empty and the caller falls back to a generic slug."""
    text = unicodedata.normalize("NFKD", text or "")
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug.strip("-")


def slug_problem(slug: str) -> str | None:
    """Why a slug typed by an organizer is not acceptable, or None."""
    if not slug:
        return "Give the petition a web address."
    if len(slug) > SLUG_MAX:
        return f"Use at most {SLUG_MAX} characters."
    if not SLUG_RE.match(slug):
        return (
            "Use lower-case letters a–z, digits and single hyphens only (e.g. fund-magnet-seats)."
        )
    if slug in RESERVED_SLUGS:
        return f"“{slug}” is reserved; choose another address."
    return None


def slug_taken(slug: str, exclude_id: int | None = None) -> bool:
    stmt = select(Petition.id).where(Petition.slug == slug)
    if exclude_id is not None:
        stmt = stmt.where(Petition.id != exclude_id)
    return db.session.scalar(stmt.limit(1)) is not None


def unique_slug(base: str, exclude_id: int | None = None) -> str:
    """base, or base-2, base-3, ... whichever is free (for slugs made from the title)."""
    base = base or "petition"
    if base in RESERVED_SLUGS:
        base = f"{base}-petition"
    candidate, n = base, 1
    while slug_taken(candidate, exclude_id):
        n += 1
        suffix = f"-{n}"
        candidate = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
    return candidate


@dataclass
class PetitionData:
    """What an organizer can set on a petition (already parsed by the form)."""

    title: str
    slug: str  # empty: made from the title
    summary: str = ""
    body: str = ""
    addressed_to: str = ""
    goal: int = 1000
    deadline: datetime | None = None  # naive UTC
    sponsors: str = ""
    ask_waitlist: bool = False
    waitlist_label: str = ""
    waitlist_min: int | None = None
    waitlist_max: int | None = None
    require_confirmation: bool = False
    retention_days: int | None = None  # None: the site's RETENTION_DAYS
    embed_origins: str = ""  # the sites that may frame the embed; empty: any (embeds.py)
    # Spanish twins; empty ones fall back to the English text (see petitions.core.content).
    title_es: str = ""
    summary_es: str = ""
    body_es: str = ""
    addressed_to_es: str = ""
    waitlist_label_es: str = ""


def _check(data: PetitionData, petition: Petition | None, now: datetime) -> None:
    if not clean_line(data.title):
        raise PetitionError("Give the petition a title.", "title")
    if not 1 <= data.goal <= GOAL_MAX:
        raise PetitionError(f"The goal must be a whole number from 1 to {GOAL_MAX:,}.", "goal")
    changed_deadline = petition is None or data.deadline != petition.deadline
    if data.deadline is not None and changed_deadline and data.deadline <= now:
        raise PetitionError("The deadline must be in the future.", "deadline_date")
    if data.retention_days is not None and not 0 <= data.retention_days <= RETENTION_MAX:
        raise PetitionError(f"Use 0 to {RETENTION_MAX:,} days.", "retention_days")
    try:
        parse_origins(data.embed_origins)
    except ValueError as e:
        raise PetitionError(str(e), "embed_origins") from None
    lo, hi = data.waitlist_min, data.waitlist_max
    for value, field in ((lo, "waitlist_min"), (hi, "waitlist_max")):
        if value is not None and not 0 <= value <= WAITLIST_MAX:
            raise PetitionError(f"Use a number from 0 to {WAITLIST_MAX:,}.", field)
    if lo is not None and hi is not None and lo > hi:
        raise PetitionError(
            "The smallest number must not be larger than the largest.", "waitlist_max"
        )


_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_BLOCK = re.compile(r"<(p|ul|ol|h2|h3|blockquote|div|table)[\s>]", re.IGNORECASE)


def body_html(text: str) -> str:
    """Organizer text to the stored, sanitized HTML.

    Plain text (a "<" or "&" in it stays text) and inline-only HTML become paragraphs at
    blank lines and line breaks at single newlines; HTML with its own paragraphs or lists
    is kept as structured. Either way services.text.sanitize_html has the last word."""
    text = (text or "").replace("\r\n", "\n").strip()
    if text and not _BLOCK.search(text):
        inline = bool(_TAG.search(text))
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        text = "".join(
            "<p>" + (p if inline else str(escape(p))).replace("\n", "<br>") + "</p>"
            for p in paragraphs
        )
    return sanitize_html(text)


_SIMPLE = re.compile(r"^(?:<p>(?:[^<]|<br>)*</p>)+$")


def body_for_editing(html: str) -> str:
    """The stored text back in the form it was most likely written: plain paragraphs return
    as plain text (blank lines, line breaks, < and & as typed); anything richer as HTML."""
    html = (html or "").strip()
    if not _SIMPLE.match(html):
        return html
    paragraphs = re.findall(r"<p>(.*?)</p>", html, flags=re.S)
    return "\n\n".join(unescape(p.replace("<br>", "\n")) for p in paragraphs)


def _apply(petition: Petition, data: PetitionData) -> None:
    petition.title = clean_line(data.title)[:200]
    petition.summary = clean_line(data.summary)[:300]
    petition.body = body_html(data.body)
    petition.addressed_to = clean_line(data.addressed_to)[:500]
    petition.goal = data.goal
    petition.deadline = data.deadline
    sponsors = [clean_line(line) for line in clean_text(data.sponsors).splitlines()]
    petition.sponsors = "\n".join(s for s in sponsors if s)
    petition.ask_waitlist = data.ask_waitlist
    petition.waitlist_label = clean_line(data.waitlist_label)[:200]
    petition.waitlist_min = data.waitlist_min
    petition.waitlist_max = data.waitlist_max
    petition.require_confirmation = data.require_confirmation
    petition.retention_days = data.retention_days
    petition.embed_origins = "\n".join(parse_origins(data.embed_origins))
    petition.title_es = clean_line(data.title_es)[:200]
    petition.summary_es = clean_line(data.summary_es)[:300]
    petition.body_es = body_html(data.body_es)
    petition.addressed_to_es = clean_line(data.addressed_to_es)[:500]
    petition.waitlist_label_es = clean_line(data.waitlist_label_es)[:200]


def create_petition(data: PetitionData, user=None, now: datetime | None = None) -> Petition:
    """A new draft. An explicit slug must be valid and free; an empty one is made from the title."""
    now = now or utcnow()
    _check(data, None, now)
    slug = (data.slug or "").strip().lower()
    if slug:
        if problem := slug_problem(slug):
            raise PetitionError(problem, "slug")
        if slug_taken(slug):
            raise PetitionError("Another petition already uses this address.", "slug")
    else:
        slug = unique_slug(slugify(data.title))
    petition = Petition(slug=slug, status=PetitionStatus.DRAFT)
    if user is not None:
        petition.created_by_id = user.id
    _apply(petition, data)
    db.session.add(petition)
    db.session.flush()
    return petition


def slug_locked(petition: Petition) -> bool:
    """Once published, posters and QR codes point at the address: it never changes again."""
    return petition.published_at is not None or petition.status != PetitionStatus.DRAFT


def update_petition(petition: Petition, data: PetitionData, now: datetime | None = None) -> None:
    now = now or utcnow()
    _check(data, petition, now)
    slug = (data.slug or "").strip().lower() or petition.slug
    if slug != petition.slug:
        if slug_locked(petition):
            raise PetitionError(
                "This petition has been published, so its address can no longer change: "
                "printed QR codes and shared links point at it.",
                "slug",
            )
        if problem := slug_problem(slug):
            raise PetitionError(problem, "slug")
        if slug_taken(slug, exclude_id=petition.id):
            raise PetitionError("Another petition already uses this address.", "slug")
        # Keep the export log pointing at this petition.
        db.session.execute(
            update(ExportLog)
            .where(ExportLog.kind == "signatures", ExportLog.subject == petition.slug)
            .values(subject=slug)
        )
        petition.slug = slug
    _apply(petition, data)


def publish(petition: Petition, now: datetime | None = None) -> None:
    now = now or utcnow()
    if petition.status == PetitionStatus.PUBLISHED:
        raise PetitionError("This petition is already published.")
    if petition.status == PetitionStatus.CLOSED:
        raise PetitionError("This petition is closed; reopen it instead.")
    if not _TAG.sub("", petition.body).strip():
        raise PetitionError("Write the petition text before publishing.")
    if petition.deadline is not None and petition.deadline <= now:
        raise PetitionError("The deadline has passed; set a later deadline before publishing.")
    petition.status = PetitionStatus.PUBLISHED
    petition.published_at = petition.published_at or now
    petition.closed_at = None


def close(petition: Petition, now: datetime | None = None) -> None:
    if petition.status != PetitionStatus.PUBLISHED:
        raise PetitionError("Only a published petition can be closed.")
    petition.status = PetitionStatus.CLOSED
    petition.closed_at = now or utcnow()


def reopen(petition: Petition, now: datetime | None = None) -> None:
    now = now or utcnow()
    if petition.archived:
        raise PetitionError("This petition is archived: it stays closed.")
    if petition.status != PetitionStatus.CLOSED:
        raise PetitionError("Only a closed petition can be reopened.")
    if petition.deadline is not None and petition.deadline <= now:
        raise PetitionError(
            "The deadline has passed; edit the petition and set a later deadline first."
        )
    petition.status = PetitionStatus.PUBLISHED
    petition.closed_at = None
    # Rows signed from now on hold personal data again, until the next removal.
    petition.personal_data_removed_at = None


def archive(petition: Petition, now: datetime | None = None) -> None:
    """Close for good and leave the public list; the page stays for printed QR codes, and
    the retention clock starts when it closed."""
    now = now or utcnow()
    if petition.status == PetitionStatus.DRAFT:
        raise PetitionError("A draft has never been public; delete it instead.")
    if petition.archived:
        raise PetitionError("This petition is archived already.")
    if petition.status == PetitionStatus.PUBLISHED:
        # A deadline that passed closed it then; otherwise it closes now.
        petition.closed_at = petition.deadline if not petition.is_open(now) else now
    petition.status = PetitionStatus.CLOSED
    petition.closed_at = petition.closed_at or now
    petition.archived_at = now


def delete_draft(petition: Petition) -> None:
    """Delete a draft that was never published, with its settings (the database cascades)."""
    if petition.status != PetitionStatus.DRAFT or petition.published_at is not None:
        raise PetitionError(
            "Only a draft that was never published can be deleted; archive this one instead."
        )
    rows = db.session.scalar(
        select(func.count(Signature.id)).where(Signature.petition_id == petition.id)
    )
    if rows:
        raise PetitionError(
            f"This draft holds {rows} signatures (entered from paper or imported); "
            "it cannot be deleted."
        )
    db.session.delete(petition)
    db.session.flush()


# --- moderation: spam is hidden, never deleted (so it can be restored) ---


def set_hidden(signature, hidden: bool) -> None:
    signature.hidden = hidden
    if hidden is False and signature.flagged:
        # Restoring is a decision: the signature has been reviewed.
        signature.flagged = ""


def mark_reviewed(signature) -> None:
    """Keep a flagged signature: it leaves the "needs review" list and stays counted."""
    signature.flagged = ""
