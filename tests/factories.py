"""Rows for the tests, made directly. tests/conftest.py offers these as fixtures
(make_event, make_attendee, make_signature); plain helpers such as
tests/packets_helpers.py call them as they are. Each needs an app context.

The defaults are plain and valid; a test that relies on a value passes it.
"""

import uuid
from datetime import timedelta

from petitions.core import people
from petitions.core.extensions import db
from petitions.core.text import name_key, normalize_email
from petitions.core.tokens import new_token, token_hash
from petitions.models import Attendee, Event, EventStatus, Signature
from petitions.models.base import utcnow
from petitions.rallies.events import new_signin_key


def make_event(petition=None, **fields) -> Event:
    """A published rally two days from now, linked to `petition` if given."""
    values = dict(
        slug=f"rally-{uuid.uuid4().hex[:8]}",
        name="Rally for magnet school seats",
        description="<p>Join us at the Capitol.</p>",
        starts_at=utcnow() + timedelta(days=2),
        ends_at=utcnow() + timedelta(days=2, hours=2),
        timezone="America/New_York",
        place="Legislative Office Building",
        address="300 Capitol Ave, Hartford, CT 06106",
        meeting_point="North entrance steps",
        route_notes="Gather at 10:30, march to the State Board of Education.",
        petition_id=petition.id if petition is not None else None,
        status=EventStatus.PUBLISHED,
        signin_key=new_signin_key(),
    )
    values.update(fields)
    event = Event(**values)
    db.session.add(event)
    db.session.commit()
    return event


def make_attendee(
    event, name="Ana Rivera", email=None, number=None, **fields
) -> tuple[Attendee, str]:
    """An RSVP for `event` (`number`: waitlist number). Returns (attendee, ticket token)."""
    token = new_token()
    email = f"a-{uuid.uuid4().hex[:8]}@example.org" if email is None else email
    values = dict(
        event_id=event.id,
        token_hash=token_hash(token),
        name=name,
        email=email,
        email_key=normalize_email(email),
        postal_code="06106",
        waitlist_number=number,
    )
    values.update(fields)
    if "person_id" not in values:  # linked to the holder of the address, as an RSVP is
        given, _, family = name.partition(" ")
        values["person_id"] = people.link(
            email=email, given_name=given, family_name=family, postal_code="06106"
        )
    attendee = Attendee(**values)
    db.session.add(attendee)
    db.session.commit()
    return attendee, token


def make_signature(
    petition, given="Ana", family="Rivera", email=None, commit=True, *, confirmed=True, **fields
) -> Signature:
    """An online signature, confirmed when made unless confirmed=False. With commit=False it is
    only added to the session."""
    email = f"s-{uuid.uuid4().hex[:10]}@example.org" if email is None else email
    values = dict(
        petition_id=petition.id,
        given_name=given,
        family_name=family,
        email=email,
        email_key=normalize_email(email),
        name_key=name_key(given, family),
        postal_code="06106",
        town="Hartford",
        token=new_token(),
        created_at=utcnow(),
    )
    values.update(fields)
    values.setdefault("confirmed_at", values["created_at"] if confirmed else None)
    signature = Signature(**values)
    db.session.add(signature)
    if commit:
        db.session.commit()
    return signature
