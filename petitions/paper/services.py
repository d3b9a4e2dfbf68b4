"""Paper petitions: checking and recording signatures typed in from paper sheets.

`check_fields` validates one signer's fields, the same way for paper entry and the CSV
import (services/imports.py). Recording goes through services.signing.sign_petition
(source "paper": counted at once, no confirmation mail).

Paper signers often leave the email blank, but `Signature.email` is NOT NULL and the
dedupe constraint is (petition, email_key, name_key). Such a signature is stored with
email "" and the signing service's key for it, ``email_key = "@no-email:<ZIP>"``: the
same name in the same ZIP without an email is the same person, as the database
constraint enforces; that is why paper rows need a ZIP, like the online form. When a
volunteer confirms that a same-named neighbour is a different person, the key gets a
suffix ("@no-email:06106:2").
"""

import html
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from html.parser import HTMLParser

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import or_, select

from petitions.core import places, waitlist
from petitions.core.extensions import db
from petitions.core.limits import LIMITS
from petitions.core.text import clean_line, clean_text, full_name, name_key, normalize_email
from petitions.models import ROLES, Petition, PetitionStatus, Signature
from petitions.models.base import utcnow
from petitions.petition.signing import SignStatus, no_email_key, sign_petition, signature_row

# The letter for each role on the sheet's role column, the same in every language: the
# stored value's initial. The sheet's legend and the entry form spell out each letter with
# its ROLE_LABELS name; volunteers type the letter.
ROLE_LETTERS = {role: role[0].upper() for role in ROLES}
_ROLE_BY_LETTER = {letter: role for role, letter in ROLE_LETTERS.items()}
_ROLE_WORDS = {
    "parent": "parent", "padre": "parent", "madre": "parent", "mother": "parent",
    "father": "parent", "guardian": "parent", "madre/padre": "parent", "tutor": "parent",
    "student": "student", "estudiante": "student", "alumno": "student", "alumna": "student",
    "educator": "educator", "teacher": "educator", "maestro": "educator", "maestra": "educator",
    "educador": "educator", "educadora": "educator", "educador/a": "educator",
    "community": "community", "community member": "community", "comunidad": "community",
    "other": "other", "otro": "other", "otra": "other",
}  # fmt: skip


class PaperError(Exception):
    """The petition does not take paper signatures (e.g. it was closed)."""


def accepts_paper(petition: Petition) -> bool:
    """As services.signing has it: any petition but a draft, even past its deadline
    (sheets signed before it come back after the rally)."""
    return petition.status != PetitionStatus.DRAFT


def normalize_role(value: str) -> str | None:
    """A stored role from a code, a stored value or a common word; None when not understood."""
    v = clean_line(value).casefold()
    if not v:
        return ""
    if v.upper() in _ROLE_BY_LETTER:
        return _ROLE_BY_LETTER[v.upper()]
    return _ROLE_WORDS.get(v)


@dataclass
class Entry:
    """One signer's checked, cleaned fields."""

    given_name: str = ""
    family_name: str = ""
    email: str = ""
    postal_code: str = ""
    town: str = ""
    role: str = ""
    waitlist_number: int | None = None
    comment: str = ""
    show_name: bool = False
    opt_in: bool = False
    language: str = "en"
    sheet_number: str | None = None

    @property
    def name_key(self) -> str:
        return name_key(self.given_name, self.family_name)

    @property
    def email_key(self) -> str:
        return normalize_email(self.email) or no_email_key(self.postal_code)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def person(self) -> dict:
        """The fields as signing.sign_petition and signing.signature_row take them."""
        return asdict(self)


# What sheets and spreadsheets call the two languages a signer can get mail in.
LANGUAGE_NAMES = {
    "": "en", "en": "en", "english": "en", "ingles": "en", "inglés": "en", "e": "en",
    "es": "es", "spanish": "es", "espanol": "es", "español": "es", "s": "es",
}  # fmt: skip


def parse_language(value: str) -> str | None:
    """ "es", "Spanish", "Español", "es-MX" → "es"; empty → "en"; None when not understood."""
    value = clean_line(value).casefold().replace("_", "-")
    return LANGUAGE_NAMES.get(value.split("-")[0] if "-" in value else value)


def check_fields(
    petition: Petition, raw: dict, *, pad_zip: bool = False
) -> tuple[Entry, dict[str, str]]:
    """Clean and check one signer's fields. Returns (entry, {field: message}). The limits
    are the sign form's (core.limits): what it refuses, paper and imports refuse too."""
    errors: dict[str, str] = {}
    e = Entry()
    e.given_name = clean_line(raw.get("given_name"))
    e.family_name = clean_line(raw.get("family_name"))
    for key, label in (("given_name", "Given name"), ("family_name", "Family name")):
        value = getattr(e, key)
        if not value:
            errors[key] = f"{label} is missing."
        elif len(value) > LIMITS[key]:
            errors[key] = f"{label} is longer than {LIMITS[key]} characters."
    if not errors and len(full_name(e.given_name, e.family_name)) > LIMITS["full_name"]:
        errors["family_name"] = (
            f"Given and family name are longer than {LIMITS['full_name']} characters together."
        )

    email = clean_line(raw.get("email"))
    if email:
        try:
            e.email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = f"“{email[:60]}” is not an email address."
        else:
            if len(e.email) > LIMITS["email"]:
                errors["email"] = f"Email address is longer than {LIMITS['email']} characters."

    e.town = places.tidy_town(raw.get("town"))
    if len(e.town) > LIMITS["town"]:
        errors["town"] = f"Town is longer than {LIMITS['town']} characters."
    postal = clean_line(raw.get("postal_code"))
    if postal:
        zip5 = places.zip5(postal, pad=pad_zip)
        if zip5 is None:
            errors["postal_code"] = f"“{postal[:20]}” is not a ZIP code (5 digits)."
        else:
            e.postal_code = zip5
    else:
        errors["postal_code"] = "ZIP code is missing."

    role = normalize_role(raw.get("role") or "")
    if role is None:
        errors["role"] = "Role must be one of " + ", ".join(ROLES) + "."
    else:
        e.role = role

    wl = raw.get("waitlist_number")
    try:
        e.waitlist_number = waitlist.parse(
            clean_line(str(wl)) if wl is not None else "",
            petition.waitlist_min,
            petition.waitlist_max,
        )
    except waitlist.WaitlistError as problem:
        # Named, as the import report lists a row's problems together.
        errors["waitlist_number"] = f"Waitlist number: {problem}"

    e.comment = clean_text(raw.get("comment"))
    if len(e.comment) > LIMITS["comment"]:
        errors["comment"] = f"Comment is longer than {LIMITS['comment']} characters."
    e.show_name = bool(raw.get("show_name"))
    e.opt_in = bool(raw.get("opt_in"))
    language = parse_language(raw.get("language") or "")
    if language is None:
        errors["language"] = f"Language “{str(raw.get('language'))[:20]}” is not en or es."
    else:
        e.language = language
    sheet = clean_line(raw.get("sheet_number"))
    if len(sheet) > LIMITS["sheet_number"]:
        errors["sheet_number"] = f"Sheet number is longer than {LIMITS['sheet_number']} characters."
    e.sheet_number = sheet or None
    return e, errors


@dataclass
class Match:
    """An existing signature that may be the same person."""

    signature: Signature
    certain: bool  # same dedupe key: the database would refuse a second one


class PaperStatus(StrEnum):
    SAVED = "saved"
    DUPLICATE = "duplicate"  # certainly signed already
    POSSIBLE_DUPLICATE = "possible_duplicate"  # same name in the same ZIP: ask the volunteer
    FULL_HOUSEHOLD = "full_household"


@dataclass
class PaperResult:
    status: PaperStatus
    signature: Signature | None = None
    matches: list[Match] = field(default_factory=list)


def find_matches(petition: Petition, entry: Entry) -> list[Match]:
    """Signatures with the same dedupe key, or the same name in the same ZIP (or town)."""
    near = [Signature.email_key == entry.email_key, Signature.zip5 == entry.postal_code]
    rows = db.session.scalars(
        select(Signature)
        .where(Signature.petition_id == petition.id, Signature.name_key == entry.name_key)
        .where(or_(*near))
        .order_by(Signature.created_at)
        .limit(10)
    ).all()
    return [Match(s, certain=s.email_key == entry.email_key) for s in rows]


def record_paper_signature(
    petition: Petition, entry: Entry, *, different_person: bool = False
) -> PaperResult:
    """Add one paper signature (source "paper", counted at once). Flushes, does not commit.

    A certain duplicate with an email is never added again. A likely one (same name in the
    same ZIP) is added only when the volunteer confirmed `different_person`."""
    matches = find_matches(petition, entry)
    if matches:
        if any(m.certain and entry.email for m in matches):
            return PaperResult(PaperStatus.DUPLICATE, matches=matches)
        if not different_person:
            return PaperResult(PaperStatus.POSSIBLE_DUPLICATE, matches=matches)
    result = sign_petition(petition, source="paper", **entry.person())
    if result.status == SignStatus.CLOSED:
        raise PaperError("This petition is a draft: publish it before entering signatures.")
    if result.status == SignStatus.FULL_HOUSEHOLD:
        return PaperResult(PaperStatus.FULL_HOUSEHOLD)
    if result.status == SignStatus.DUPLICATE:
        if different_person and not entry.email:
            return PaperResult(PaperStatus.SAVED, signature=_add_namesake(petition, entry))
        return PaperResult(PaperStatus.DUPLICATE, matches=find_matches(petition, entry) or matches)
    return PaperResult(PaperStatus.SAVED, signature=result.signature)


def _add_namesake(petition: Petition, entry: Entry) -> Signature:
    """A different person with the same name and ZIP and no email: stored under a
    suffixed dedupe key, as the volunteer confirmed."""
    now = utcnow()
    person = dict(entry.person(), email="", show_name=False)
    row = signature_row(petition.id, source="paper", created_at=now, confirmed_at=now, **person)
    sig = Signature(**dict(row, email_key=_free_key(petition, entry)))
    db.session.add(sig)
    db.session.flush()
    return sig


def _free_key(petition: Petition, entry: Entry) -> str:
    base = entry.email_key
    taken = set(
        db.session.scalars(
            select(Signature.email_key).where(
                Signature.petition_id == petition.id,
                Signature.name_key == entry.name_key,
                Signature.email_key.startswith(base, autoescape=True),
            )
        )
    )
    n = 2
    while f"{base}:{n}" in taken:
        n += 1
    return f"{base}:{n}"


def recent_sheet_entries(petition: Petition, sheet_number: str | None, limit: int = 25):
    """The latest paper entries of one sheet (or of all sheets when no number is set)."""
    q = select(Signature).where(Signature.petition_id == petition.id, Signature.source == "paper")
    if sheet_number:
        q = q.where(Signature.sheet_number == sheet_number)
    return db.session.scalars(q.order_by(Signature.id.desc()).limit(limit)).all()


# --- petition text for the printed sheet ---------------------------------------------


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "li", "h2", "h3", "blockquote", "br", "ul", "ol"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.current: list[str] = []

    def _flush(self):
        text = clean_line("".join(self.current))
        if text:
            self.paragraphs.append(text)
        self.current = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self._flush()
        if tag == "li":
            self.current.append("• ")

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data):
        self.current.append(data)


def petition_paragraphs(petition: Petition) -> list[str]:
    """The petition's sanitized HTML body as plain paragraphs for print."""
    parser = _TextExtractor()
    parser.feed(petition.body or "")
    parser.close()
    parser._flush()
    paragraphs = parser.paragraphs or [clean_line(html.unescape(petition.summary or ""))]
    return [p for p in paragraphs if p]
