"""Waitlist-number badges: stock presets (data), designs, who gets a badge, printed sheets.

No request objects here: views and the CLI pass plain values (the petition URL for the
QR code, the language) and commit once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import force_locale, lazy_gettext
from sqlalchemy import exists, func, select

from petitions.badges.pdf import Badge, Stock
from petitions.core.exports import log_export
from petitions.core.extensions import db
from petitions.core.tokens import is_well_formed, normalize_token, token_hash
from petitions.core.urls import share_url
from petitions.models import Attendee, AuditAction, Event, Petition, Signature
from petitions.models.badge import BadgeCalibration, BadgeDesign, BadgePrint, BadgeSheet
from petitions.models.base import utcnow
from petitions.models.event import interpretation_mark

IN = 72.0
MM = 72.0 / 25.4
LETTER = (8.5 * IN, 11 * IN)
A4 = (210 * MM, 297 * MM)

# Badge stock as data: page, badge size, grid, first badge's top-left corner (x0, y0)
# and pitch (dx, dy), as the makers publish them (Avery's templates; glabels agrees).
# kind: sheet = die-cut/perforated stock, cut = plain paper cut along the lines,
# placard = a whole page, single = one badge with crop marks (the signer's download).
STOCK_TABLE: list[dict] = [
    dict(key="avery-5392", name="Avery 5392 — 4 × 3 in name badge inserts, 6 per Letter",
         page=LETTER, size=(4 * IN, 3 * IN), grid=(2, 3), origin=(0.25 * IN, 1 * IN),
         pitch=(4 * IN, 3 * IN), round=0, kind="sheet", paper="letter"),
    dict(key="avery-74459", name="Avery 74459 — 4 × 3 in badge inserts (5392 layout), 6 per Letter",
         page=LETTER, size=(4 * IN, 3 * IN), grid=(2, 3), origin=(0.25 * IN, 1 * IN),
         pitch=(4 * IN, 3 * IN), round=0, kind="sheet", paper="letter"),
    dict(key="avery-5395", name="Avery 5395 — 3⅜ × 2⅓ in adhesive name badges, 8 per Letter",
         page=LETTER, size=(3.375 * IN, 7 / 3 * IN), grid=(2, 4), origin=(0.6875 * IN, 7 / 12 * IN),
         pitch=(3.75 * IN, 2.5 * IN), round=0.1875 * IN, kind="sheet", paper="letter"),
    dict(key="avery-l4785", name="Avery L4785 — 80 × 50 mm name badge labels, 10 per A4",
         page=A4, size=(80 * MM, 50 * MM), grid=(2, 5), origin=(18 * MM, 13 * MM),
         pitch=(95 * MM, 55 * MM), round=4 * MM, kind="sheet", paper="a4"),
    dict(key="a6-4up-a4", name="A6 (105 × 148 mm), 4 per A4, cut along the lines",
         page=A4, size=(105 * MM, 148 * MM), grid=(2, 2), origin=(0, 0.5 * MM),
         pitch=(105 * MM, 148 * MM), round=0, kind="cut", paper="a4"),
    dict(key="placard-letter", name="Placard for marching — a whole US Letter page (landscape)",
         page=LETTER[::-1], size=LETTER[::-1], grid=(1, 1), origin=(0, 0),
         pitch=LETTER[::-1], round=0, kind="placard", paper="letter"),
    dict(key="placard-a4", name="Placard for marching — a whole A4 page (landscape)",
         page=A4[::-1], size=A4[::-1], grid=(1, 1), origin=(0, 0),
         pitch=A4[::-1], round=0, kind="placard", paper="a4"),
    dict(key="single-letter", name="One 4 × 3 in badge with crop marks on US Letter",
         page=LETTER, size=(4 * IN, 3 * IN), grid=(1, 1), origin=(2.25 * IN, 1.5 * IN),
         pitch=(4 * IN, 3 * IN), round=0, kind="single", paper="letter"),
    dict(key="single-a4", name="One 4 × 3 in badge with crop marks on A4",
         page=A4, size=(4 * IN, 3 * IN), grid=(1, 1), origin=((210 * MM - 4 * IN) / 2, 1.5 * IN),
         pitch=(4 * IN, 3 * IN), round=0, kind="single", paper="a4"),
]  # fmt: skip


def _stock(row: dict) -> Stock:
    return Stock(
        key=row["key"], name=row["name"], page_width=row["page"][0], page_height=row["page"][1],
        width=row["size"][0], height=row["size"][1], columns=row["grid"][0], rows=row["grid"][1],
        x0=row["origin"][0], y0=row["origin"][1], dx=row["pitch"][0], dy=row["pitch"][1],
        corner_radius=row["round"], kind=row["kind"], paper=row["paper"],
    )  # fmt: skip


STOCKS: dict[str, Stock] = {row["key"]: _stock(row) for row in STOCK_TABLE}
SHEET_STOCKS: dict[str, Stock] = {k: s for k, s in STOCKS.items() if s.kind != "single"}
PERSONAL_STOCKS = {"letter": STOCKS["single-letter"], "a4": STOCKS["single-a4"]}
DEFAULT_STOCK = "avery-5392"

# How the number reads on the badge: key -> (example, format).
NUMBER_FORMATS: dict[str, tuple[str, str]] = {
    "hash-comma": ("#1,234", "#{:,}"),
    "hash": ("#1234", "#{}"),
    "plain": ("1234", "{}"),
    "comma": ("1,234", "{:,}"),
    "no": ("No. 1234", "No. {}"),
    "no-comma": ("No. 1,234", "No. {:,}"),
}
DEFAULT_FORMAT = "hash-comma"

DEFAULT_LINE_ABOVE = lazy_gettext("I'm on the waitlist")
DEFAULT_LINE_BELOW = lazy_gettext("Every child deserves a great school")
PRINT_NOTE = lazy_gettext("Print at actual size (100%), cut along the marks: fits a 4 × 3 in badge holder.")  # fmt: skip

# Countries that print on US Letter; everyone else gets A4 by default.
LETTER_REGIONS = frozenset("US CA MX PR CL CO VE PH GT CR DO SV HN NI PA".split())
MAX_NUMBERS = 5000  # in one typed list
MAX_BLANKS = 500


class BadgeError(ValueError):
    """Bad input, with a message for the person who typed it."""


def unknown_stock_message(key: str) -> str:
    return f"Unknown stock “{key}”. Valid stocks: {', '.join(STOCKS)}."


def get_stock(key: str) -> Stock:
    try:
        return STOCKS[key]
    except KeyError:
        raise BadgeError(unknown_stock_message(key)) from None


def format_number(n: int, fmt: str = DEFAULT_FORMAT) -> str:
    return NUMBER_FORMATS.get(fmt, NUMBER_FORMATS[DEFAULT_FORMAT])[1].format(n)


def paper_for(accept_language_regions: list[str]) -> str:
    """letter or a4 from the visitor's first language tag with a region (e.g. es-ES → a4)."""
    for region in accept_language_regions:
        if region:
            return "letter" if region.upper() in LETTER_REGIONS else "a4"
    return "letter"


# --- designs ----------------------------------------------------------------------------


@dataclass
class Design:
    """A petition's badge design with the defaults filled in (plain values)."""

    line_above: str
    line_below: str
    line_above_es: str
    line_below_es: str
    number_format: str = DEFAULT_FORMAT
    show_first_name: bool = True

    def lines(self, lang: str) -> tuple[str, str]:
        if lang == "es":
            return self.line_above_es, self.line_below_es
        return self.line_above, self.line_below


def print_note(lang: str) -> str:
    with force_locale(lang):
        return str(PRINT_NOTE)


def default_design() -> Design:
    with force_locale("en"):
        above, below = str(DEFAULT_LINE_ABOVE), str(DEFAULT_LINE_BELOW)
    with force_locale("es"):
        above_es, below_es = str(DEFAULT_LINE_ABOVE), str(DEFAULT_LINE_BELOW)
    return Design(above, below, above_es, below_es)


def design_row(petition: Petition | None) -> BadgeDesign | None:
    if petition is None:
        return None
    return db.session.scalar(select(BadgeDesign).where(BadgeDesign.petition_id == petition.id))


def design_for(petition: Petition | None) -> Design:
    row = design_row(petition)
    if row is None:
        return default_design()
    return Design(
        row.line_above, row.line_below, row.line_above_es, row.line_below_es,
        row.number_format if row.number_format in NUMBER_FORMATS else DEFAULT_FORMAT,
        row.show_first_name,
    )  # fmt: skip


def save_design(petition: Petition, design: Design, offsets: dict[str, tuple[float, float]]):
    """Store the design and the per-stock calibration offsets (mm)."""
    if design.number_format not in NUMBER_FORMATS:
        raise BadgeError("Choose one of the number formats.")
    row = design_row(petition)
    if row is None:
        row = BadgeDesign(petition_id=petition.id)
        db.session.add(row)
    for field in ("line_above", "line_below", "line_above_es", "line_below_es"):
        setattr(row, field, (getattr(design, field) or "").strip()[:120])
    row.number_format = design.number_format
    row.show_first_name = bool(design.show_first_name)
    existing = {c.stock: c for c in row.calibrations}
    for key, (x, y) in offsets.items():
        if key not in STOCKS:
            raise BadgeError(unknown_stock_message(key))
        cal = existing.get(key)
        if cal is None:
            cal = BadgeCalibration(stock=key)
            row.calibrations.append(cal)
        cal.offset_x_mm, cal.offset_y_mm = float(x), float(y)
    return row


def offsets_for(petition: Petition | None) -> dict[str, tuple[float, float]]:
    row = design_row(petition)
    found = {c.stock: (c.offset_x_mm, c.offset_y_mm) for c in row.calibrations} if row else {}
    return {key: found.get(key, (0.0, 0.0)) for key in STOCKS}


# --- typed lists of numbers -------------------------------------------------------------

_TOKEN = re.compile(r"^([0-9]+)(?:\s*[-–]\s*([0-9]+))?$")


def waitlist_range(petition: Petition | None) -> tuple[int, int]:
    lo = petition.waitlist_min if petition and petition.waitlist_min is not None else 1
    hi = petition.waitlist_max if petition and petition.waitlist_max is not None else 999_999_999
    return lo, hi


def parse_numbers(text: str, lo: int = 1, hi: int = 999_999_999) -> list[int]:
    """ "12, 40-45" → [12, 40, 41, 42, 43, 44, 45]; a clear BadgeError otherwise."""
    numbers: list[int] = []
    parts = [p.strip() for p in re.split(r"[,;\n]+", text or "") if p.strip()]
    for part in parts:
        m = _TOKEN.match(part)
        if not m:
            raise BadgeError(
                f"“{part[:30]}” is not a waitlist number. Use digits only, "
                "separated by commas, with a dash for a range: 12, 40-45."
            )
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else first
        if last < first:
            raise BadgeError(f"The range {part} runs backwards; write it as {last}-{first}.")
        for n in (first, last):
            if not lo <= n <= hi:
                raise BadgeError(f"{n:,} is outside this waitlist's range ({lo:,}–{hi:,}).")
        if len(numbers) + (last - first + 1) > MAX_NUMBERS:
            raise BadgeError(f"That is more than {MAX_NUMBERS:,} numbers; print in smaller sets.")
        numbers.extend(range(first, last + 1))
    if not numbers and parts:
        raise BadgeError("Type at least one waitlist number.")
    return sorted(set(numbers))


# --- who gets a badge -------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """One person with a number: kind is "signature" or "attendee"."""

    kind: str
    id: int
    number: int
    first_name: str
    mark: str = ""  # attendees needing interpretation: "ES", "ASL" (interpretation_mark)


def first_name_of(name: str) -> str:
    parts = (name or "").split()
    return parts[0] if parts else ""


def holders(
    petition: Petition | None = None,
    event: Event | None = None,
    *,
    only_unprinted: bool = False,
    numbers: list[int] | None = None,
    sort: str = "number",
) -> list[Holder]:
    """Signers of a petition (counted ones) or an event's RSVPs/attendees with a number."""
    out: list[Holder] = []
    if event is not None:
        q = select(
            Attendee.id,
            Attendee.waitlist_number,
            Attendee.name,
            Attendee.needs,
            Attendee.interpretation_language,
        ).where(
            Attendee.event_id == event.id,
            Attendee.waitlist_number.is_not(None),
            Attendee.revoked.is_(False),
        )
        if only_unprinted:
            q = q.where(~exists().where(BadgePrint.attendee_id == Attendee.id))
        if numbers:
            q = q.where(Attendee.waitlist_number.in_(numbers))
        out = [
            Holder("attendee", i, n, first_name_of(name), interpretation_mark(needs, language))
            for i, n, name, needs, language in db.session.execute(q)
        ]
    elif petition is not None:
        q = select(Signature.id, Signature.waitlist_number, Signature.given_name).where(
            Signature.petition_id == petition.id,
            Signature.waitlist_number.is_not(None),
            Signature.counted,
        )
        if only_unprinted:
            q = q.where(~exists().where(BadgePrint.signature_id == Signature.id))
        if numbers:
            q = q.where(Signature.waitlist_number.in_(numbers))
        out = [
            Holder("signature", i, n, first_name_of(given)) for i, n, given in db.session.execute(q)
        ]
    if sort == "name":
        out.sort(key=lambda h: (h.first_name.casefold(), h.number, h.id))
    else:
        out.sort(key=lambda h: (h.number, h.first_name.casefold(), h.id))
    return out


def badge_qr_url(petition: Petition | None, event: Event | None = None) -> str:
    """What a badge's QR code opens: the petition's page; for an event without a petition,
    the event's page."""
    if petition is None and event is not None:
        return share_url("events.event_page", slug=event.slug)
    return share_url("public.petition", slug=petition.slug)


def badges_for(
    people: list[Holder],
    design: Design,
    *,
    lang: str,
    title: str,
    qr_url: str,
    blanks: int = 0,
) -> list[Badge]:
    above, below = design.lines(lang)
    out = [
        Badge(
            number=format_number(h.number, design.number_format),
            title=title,
            line_above=above,
            line_below=below,
            first_name=h.first_name if design.show_first_name else "",
            qr_url=qr_url,
            mark=h.mark,
        )
        for h in people
    ]
    blank = Badge(None, title, above, below, "", qr_url, show_name_line=design.show_first_name)
    out.extend([blank] * blanks)
    return out


# --- sheets and "mark as printed" -------------------------------------------------------


def record_sheet(
    user, stock: Stock, people: list[Holder], blanks: int, petition=None, event=None
) -> BadgeSheet:
    """Remember what a downloaded sheet held (and log it: it carries names and numbers)."""
    sheet = BadgeSheet(
        petition_id=petition.id if petition else None,
        event_id=event.id if event else None,
        stock=stock.key,
        badge_count=len(people),
        blank_count=blanks,
        signature_ids=" ".join(str(h.id) for h in people if h.kind == "signature"),
        attendee_ids=" ".join(str(h.id) for h in people if h.kind == "attendee"),
        created_by_id=user.id if user else None,
    )
    db.session.add(sheet)
    if user is not None and people:
        subject = event.slug if event else petition.slug if petition else ""
        petition_id = petition.id if petition else event.petition_id if event else None
        log_export(user, "badges", subject, len(people), petition_id, AuditAction.BADGE_DOWNLOAD)
    return sheet


def mark_printed(sheet: BadgeSheet, user=None) -> int:
    """BadgePrint rows for everyone the sheet held; 0 if it was marked before."""
    if sheet.printed_at is not None:
        return 0
    now = utcnow()
    rows = [
        BadgePrint(sheet_id=sheet.id, signature_id=i, stock=sheet.stock, printed_at=now)
        for i in sheet.ids("signature")
    ] + [
        BadgePrint(sheet_id=sheet.id, attendee_id=i, stock=sheet.stock, printed_at=now)
        for i in sheet.ids("attendee")
    ]
    db.session.add_all(rows)
    sheet.printed_at = now
    sheet.printed_by_id = user.id if user else None
    return len(rows)


def mark_holders_printed(people: list[Holder], stock: Stock) -> int:
    now = utcnow()
    db.session.add_all(
        BadgePrint(
            signature_id=h.id if h.kind == "signature" else None,
            attendee_id=h.id if h.kind == "attendee" else None,
            stock=stock.key,
            printed_at=now,
        )
        for h in people
    )
    return len(people)


def recent_sheets(petition=None, event=None, limit: int = 10) -> list[BadgeSheet]:
    q = select(BadgeSheet).order_by(BadgeSheet.created_at.desc(), BadgeSheet.id.desc())
    if event is not None:
        q = q.where(BadgeSheet.event_id == event.id)
    else:
        q = q.where(BadgeSheet.petition_id == petition.id, BadgeSheet.event_id.is_(None))
    return list(db.session.scalars(q.limit(limit)))


def counts(petition: Petition) -> tuple[int, int]:
    """(signers with a number, of them not yet printed) for the dashboard panel."""
    base = select(func.count(Signature.id)).where(
        Signature.petition_id == petition.id,
        Signature.waitlist_number.is_not(None),
        Signature.counted,
    )
    total = db.session.scalar(base) or 0
    printed = exists().where(BadgePrint.signature_id == Signature.id)
    unprinted = db.session.scalar(base.where(~printed)) or 0
    return total, unprinted


# --- the signer's and the attendee's own badge -------------------------------------------


def signature_badge_holder(slug: str, token: str) -> Signature | None:
    token = normalize_token(token)
    if not token or len(token) > 64:
        return None
    signature = db.session.scalar(select(Signature).where(Signature.token == token))
    if (
        signature is None
        or signature.hidden
        or signature.waitlist_number is None
        or signature.petition.slug != slug
    ):
        return None
    return signature


def attendee_badge_holder(ticket: str) -> Attendee | None:
    ticket = normalize_token(ticket)
    if not is_well_formed(ticket):
        return None
    attendee = db.session.scalar(select(Attendee).where(Attendee.token_hash == token_hash(ticket)))
    if attendee is None or attendee.revoked or attendee.waitlist_number is None:
        return None
    return attendee
