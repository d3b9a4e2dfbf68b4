"""Idempotent demo data: petition `demo` and rally `demo-rally`.

`load_demo()` makes the bare demo (what `flask demo` and scripts expect); `load_first_look()`
(what `flask bootstrap` runs on an empty database) fills it with a few hundred signers, RSVPs,
check-ins and officials, so every page shows something at the first login."""

import random
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update

from petitions.core import people
from petitions.core.extensions import db
from petitions.core.text import normalize_email
from petitions.core.timezones import local_to_utc, utc_to_local
from petitions.core.tokens import new_token, token_hash
from petitions.models import (
    Attendee,
    CheckIn,
    Event,
    EventStatus,
    Petition,
    PetitionStatus,
    Signature,
    User,
)
from petitions.models.base import utcnow
from petitions.models.official import Official
from petitions.packets.officials import OfficialData, parse_areas, set_targets, targets
from petitions.petition.signing import signature_row
from petitions.rallies.events import new_signin_key

DEMO_SLUG = "demo"

TOWNS = [
    ("Hartford", "06106"), ("Hartford", "06112"), ("West Hartford", "06107"),
    ("East Hartford", "06108"), ("Bloomfield", "06002"), ("Windsor", "06095"),
    ("Manchester", "06040"), ("New Britain", "06051"), ("Wethersfield", "06109"),
    ("Newington", "06111"), ("Enfield", "06082"), ("Glastonbury", "06033"),
]  # fmt: skip
GIVEN = ["Ana", "Luis", "Maria", "José", "Keisha", "Darnell", "Emily", "Priya", "Wei", "Fatima",
         "Carmen", "Jamal", "Sofia", "Kevin", "Aaliyah", "Miguel", "Grace", "Yesenia", "Omar"]  # fmt: skip
FAMILY = ["Rivera", "Johnson", "Santiago", "Nguyen", "Williams", "Ortiz", "Brown", "Patel",
          "Cruz", "Smith", "Torres", "Davis", "Ramos", "Chen", "Jackson", "Colón", "Pérez"]  # fmt: skip
STORIES = [
    "My daughter has been on the magnet school waitlist for two years.",
    "Every child in our region deserves a seat in a great school.",
    "Mi hijo merece la misma oportunidad que los demás niños.",
    "As a teacher I see what integrated classrooms do for kids.",
]

BODY = (
    "<p>More than twenty thousand families apply for a seat in an integrated magnet or "
    "open-choice school every year, and most are turned away for lack of seats.</p>"
    "<p>We ask the State Board of Education and our legislators to fund enough seats so that "
    "no family in Greater Hartford waits years for a fair chance at a great public school.</p>"
)


def ensure_demo_petition() -> Petition:
    petition = db.session.scalar(select(Petition).where(Petition.slug == DEMO_SLUG))
    if petition is None:
        petition = Petition(
            slug=DEMO_SLUG,
            title="Fund a seat for every child on the waitlist",
            summary="Tell the State Board of Education: fund integrated school seats now.",
            body=BODY,
            addressed_to="Connecticut State Board of Education; Connecticut General Assembly",
            goal=15000,
            status=PetitionStatus.PUBLISHED,
            sponsors="Parents for Integrated Schools\nHartford Area Teachers Coalition",
            ask_waitlist=True,
            waitlist_label="Your child's magnet school waitlist number",
            waitlist_min=1,
            waitlist_max=99999,
            published_at=utcnow(),
        )
        db.session.add(petition)
        db.session.flush()
    return petition


def add_fake_signatures(
    petition: Petition, n: int, seed: int = 1, story_share: float = 0.05
) -> int:
    """Bulk insert n fake signatures (executemany in batches) over the last 30 days, in the
    towns of Greater Hartford, a share of them with a story; returns how many were added."""
    rng = random.Random(seed)
    start = db.session.scalar(
        select(func.count(Signature.id)).where(Signature.petition_id == petition.id)
    )
    now = utcnow()
    batch: list[dict] = []
    for i in range(start, start + n):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        town, zip_code = rng.choice(TOWNS)
        when = now - timedelta(days=rng.random() * 30)
        batch.append(
            signature_row(
                petition.id,
                given_name=given,
                family_name=family,
                email=f"signer{i}@example.org",
                postal_code=zip_code,
                town=town,
                role=rng.choice(["parent", "parent", "student", "educator", "community"]),
                waitlist_number=rng.randint(1, 9999) if rng.random() < 0.3 else None,
                comment=rng.choice(STORIES) if rng.random() < story_share else "",
                show_name=rng.random() < 0.5,
                opt_in=rng.random() < 0.6,
                created_at=when,
                confirmed_at=when,
            )
        )
        if len(batch) >= 5000:
            db.session.execute(insert(Signature), batch)
            batch.clear()
    if batch:
        db.session.execute(insert(Signature), batch)
    people.link_unlinked()
    return n


DEMO_RALLY_SLUG = "demo-rally"

RALLY_DESCRIPTION = (
    "<p>Families, students and teachers from across Greater Hartford gather at the Capitol "
    "to ask for a seat for every child on the magnet school waitlist.</p>"
    "<p>Bring your waitlist number on a sign or a badge. Spanish interpretation on site.</p>"
)


DEMO_TIMEZONE = "America/New_York"


def ensure_demo_rally(petition: Petition, start: datetime | None = None, hours: int = 2) -> Event:
    """Rally `demo-rally`, linked to the demo petition, for `hours` in Hartford from `start`
    (local wall-clock time; by default next Saturday 11:00)."""
    event = db.session.scalar(select(Event).where(Event.slug == DEMO_RALLY_SLUG))
    if event is None:
        tz = DEMO_TIMEZONE
        if start is None:
            today = utcnow().date()
            saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
            start = datetime(saturday.year, saturday.month, saturday.day, 11, 0)
        event = Event(
            slug=DEMO_RALLY_SLUG,
            name="Rally: a seat for every child",
            description=RALLY_DESCRIPTION,
            starts_at=local_to_utc(start, tz),
            ends_at=local_to_utc(start + timedelta(hours=hours), tz),
            timezone=tz,
            place="Legislative Office Building",
            address="300 Capitol Ave, Hartford, CT 06106",
            meeting_point="Front steps on Capitol Avenue, by the big banner",
            route_notes=(
                "10:30 gather outside the Legislative Office Building.\n"
                "11:00 speakers: parents, students, teachers.\n"
                "12:00 march together to the State Board of Education (450 Columbus Blvd)."
            ),
            petition_id=petition.id,
            capacity=None,
            ask_waitlist=True,
            interpretation_languages="es,asl",
            status=EventStatus.PUBLISHED,
            signin_key=new_signin_key(),
        )
        db.session.add(event)
        db.session.flush()
    return event


def add_fake_attendees(event: Event, n: int, seed: int = 2) -> int:
    """Bulk insert n fake RSVPs (tickets are random; only their hashes are stored)."""
    rng = random.Random(seed)
    start = db.session.scalar(select(func.count(Attendee.id)).where(Attendee.event_id == event.id))
    now = utcnow()
    batch: list[dict] = []
    for i in range(start, start + n):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        email = f"rsvp{i}@example.org"
        batch.append(
            dict(
                event_id=event.id,
                token_hash=token_hash(new_token()),
                name=f"{given} {family}",
                email=email,
                email_key=normalize_email(email),
                phone=f"860-555-{rng.randint(0, 9999):04d}" if rng.random() < 0.5 else "",
                postal_code=rng.choice(TOWNS)[1],
                waitlist_number=rng.randint(1, 9999) if rng.random() < 0.3 else None,
                walk_up=False,
                signed_petition=rng.random() < 0.4,
                revoked=False,
                created_at=now - timedelta(days=rng.random() * 14),
            )
        )
        if len(batch) >= 5000:
            db.session.execute(insert(Attendee), batch)
            batch.clear()
    if batch:
        db.session.execute(insert(Attendee), batch)
    people.link_unlinked()
    return n


def add_fake_checkins(event: Event, n: int, by: User | None = None, seed: int = 3) -> int:
    """Check in n of the event's attendees who are not in yet (bulk, with their CheckIn log
    rows), most of them around the start, none later than now; returns how many."""
    rng = random.Random(seed)
    waiting = db.session.scalars(
        select(Attendee.id)
        .where(
            Attendee.event_id == event.id,
            Attendee.checked_in_at.is_(None),
            Attendee.revoked.is_(False),
        )
        .order_by(Attendee.id)
    ).all()
    chosen = sorted(rng.sample(waiting, min(n, len(waiting))))
    now = utcnow()
    last = min(now, event.end)
    first = min(event.starts_at - timedelta(minutes=30), last - timedelta(hours=1))
    peak = min(max(event.starts_at, first), last)  # the doors open: most people come then
    span, mode = (last - first).total_seconds(), (peak - first).total_seconds()
    times = [first + timedelta(seconds=rng.triangular(0, span, mode)) for _ in chosen]
    by_id = by.id if by is not None else None
    if chosen:
        db.session.execute(
            update(Attendee),
            [
                {"id": a, "checked_in_at": t, "checked_in_by_id": by_id}
                for a, t in zip(chosen, times, strict=True)
            ],
        )
        db.session.execute(
            insert(CheckIn),
            [
                dict(
                    nonce=f"demo-{new_token()}",
                    event_id=event.id,
                    attendee_id=a,
                    user_id=by_id,
                    device="demo",
                    result="ok",
                    scanned_at=t,
                    created_at=t,
                )
                for a, t in zip(chosen, times, strict=True)
            ],
        )
    return len(chosen)


# Made up, as their @example.org addresses say: the packets need someone to address.
DEMO_OFFICIALS = [
    OfficialData(
        name="Alex Morgan", title="State Senator", body="Connecticut State Senate",
        district="District 1 (demo)", email="senator.morgan@example.org",
        address="Legislative Office Building, 300 Capitol Ave, Hartford, CT 06106",
        areas=parse_areas(["Hartford", "Wethersfield", "Newington"], []),
    ),
    OfficialData(
        name="Jordan Lee", title="State Representative", body="Connecticut House of Representatives",
        district="District 5 (demo)", email="rep.lee@example.org",
        areas=parse_areas(["Bloomfield", "Windsor"], ["06112"]),
    ),
    OfficialData(
        name="Sam Ortiz", title="State Senator", body="Connecticut State Senate",
        district="District 3 (demo)", email="senator.ortiz@example.org",
        areas=parse_areas(["East Hartford", "Manchester", "Glastonbury"], []),
    ),
]  # fmt: skip


def ensure_demo_officials(petition: Petition) -> list[Official]:
    """The demo officials in the directory (made once), as the demo petition's addressees."""
    officials = []
    for data in DEMO_OFFICIALS:
        official = db.session.scalar(
            select(Official).where(Official.email == data.email, Official.name == data.name)
        )
        if official is None:
            official = data.apply(Official())
            db.session.add(official)
        officials.append(official)
    db.session.flush()
    if not targets(petition.id):
        set_targets(petition.id, [o.id for o in officials])
    return officials


def load_demo(signatures: int = 0, attendees: int = 0) -> str:
    petition = ensure_demo_petition()
    added = add_fake_signatures(petition, signatures) if signatures else 0
    rally = ensure_demo_rally(petition)
    rsvps = add_fake_attendees(rally, attendees) if attendees else 0
    db.session.commit()
    lines = [
        f"Demo petition: /p/{petition.slug} ({added} signatures added)",
        f"Demo rally: /e/{rally.slug} ({rsvps} RSVPs added)",
    ]
    return "\n".join(lines)


# The first look: enough for every chart, list and packet to have something in it.
FIRST_LOOK_SIGNATURES = 400
FIRST_LOOK_RSVPS = 150
FIRST_LOOK_CHECKINS = 60


def load_first_look(by: User | None = None) -> str:
    """The demo with data in it: signers (towns, days, roles, stories, waitlist numbers), the
    demo officials as addressees, and the rally under way now (it began within the last
    two hours and lasts three) with RSVPs and check-ins scanned by `by`."""
    petition = ensure_demo_petition()
    added = add_fake_signatures(petition, FIRST_LOOK_SIGNATURES, story_share=0.2)
    officials = ensure_demo_officials(petition)
    hour = utc_to_local(utcnow(), DEMO_TIMEZONE).replace(minute=0, second=0, microsecond=0)
    start = hour.replace(tzinfo=None) - timedelta(hours=1)
    rally = ensure_demo_rally(petition, start=start, hours=3)
    rsvps = add_fake_attendees(rally, FIRST_LOOK_RSVPS)
    db.session.flush()
    checked_in = add_fake_checkins(rally, FIRST_LOOK_CHECKINS, by=by)
    db.session.commit()
    lines = [
        f"Demo petition: /p/{petition.slug} ({added} signatures added, "
        f"addressed to {len(officials)} demo officials)",
        f"Demo rally: /e/{rally.slug} ({rsvps} RSVPs added, {checked_in} checked in)",
    ]
    return "\n".join(lines)
