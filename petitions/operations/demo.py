"""Idempotent demo data: petition `demo` (and, with rallies, `demo-rally`)."""

import random
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from petitions.core.extensions import db
from petitions.core.text import normalize_email
from petitions.core.timezones import local_to_utc
from petitions.core.tokens import new_token, token_hash
from petitions.models import Attendee, Event, EventStatus, Petition, PetitionStatus, Signature
from petitions.models.base import utcnow
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


def add_fake_signatures(petition: Petition, n: int, seed: int = 1) -> int:
    """Bulk insert n fake signatures (executemany in batches); returns how many were added."""
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
                comment=rng.choice(STORIES) if rng.random() < 0.05 else "",
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
    return n


DEMO_RALLY_SLUG = "demo-rally"

RALLY_DESCRIPTION = (
    "<p>Families, students and teachers from across Greater Hartford gather at the Capitol "
    "to ask for a seat for every child on the magnet school waitlist.</p>"
    "<p>Bring your waitlist number on a sign or a badge. Spanish interpretation on site.</p>"
)


def ensure_demo_rally(petition: Petition) -> Event:
    """Rally `demo-rally`, linked to the demo petition: next Saturday 11:00–13:00 in Hartford."""
    event = db.session.scalar(select(Event).where(Event.slug == DEMO_RALLY_SLUG))
    if event is None:
        tz = "America/New_York"
        today = utcnow().date()
        saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
        start = datetime(saturday.year, saturday.month, saturday.day, 11, 0)
        event = Event(
            slug=DEMO_RALLY_SLUG,
            name="Rally: a seat for every child",
            description=RALLY_DESCRIPTION,
            starts_at=local_to_utc(start, tz),
            ends_at=local_to_utc(start + timedelta(hours=2), tz),
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
    return n


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
