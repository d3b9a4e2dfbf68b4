"""Rows for the check-in tests, made directly (the events part owns the RSVP flow)."""

import uuid
from datetime import timedelta

from petitions.extensions import db
from petitions.models import Attendee, Event, EventStatus
from petitions.models.base import utcnow
from petitions.services.tokens import new_token, token_hash


def make_event(**fields) -> Event:
    values = dict(
        slug=f"rally-{uuid.uuid4().hex[:6]}",
        name="Rally for magnet school seats",
        starts_at=utcnow() + timedelta(hours=1),
        timezone="America/New_York",
        place="Legislative Office Building",
        status=EventStatus.PUBLISHED,
        signin_key=new_token(),
    )
    values.update(fields)
    event = Event(**values)
    db.session.add(event)
    db.session.commit()
    return event


def make_attendee(event: Event, name: str = "María Pérez", **fields) -> tuple[Attendee, str]:
    token = new_token()
    email = fields.pop("email", f"{uuid.uuid4().hex[:8]}@example.org")
    attendee = Attendee(
        event_id=event.id,
        token_hash=token_hash(token),
        name=name,
        email=email,
        email_key=email.lower(),
        phone=fields.pop("phone", "860-555-0142"),
        postal_code=fields.pop("postal_code", "06106"),
        **fields,
    )
    db.session.add(attendee)
    db.session.commit()
    return attendee, token
