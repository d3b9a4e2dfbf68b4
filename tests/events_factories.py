"""Factories and helpers for the rally tests (tests/test_events_*.py)."""

import re
import uuid
from datetime import timedelta

import pytest

from petitions.extensions import db
from petitions.models import Attendee, Event, EventStatus
from petitions.models.base import utcnow
from petitions.services.rallies import new_signin_key
from petitions.services.tokens import new_token, token_hash

TICKET_RE = re.compile(r"http://localhost/t/([0-9A-Z]{26})")


@pytest.fixture
def make_event(app):
    def make(**fields):
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
            status=EventStatus.PUBLISHED,
            signin_key=new_signin_key(),
        )
        values.update(fields)
        event = Event(**values)
        db.session.add(event)
        db.session.commit()
        return event

    return make


@pytest.fixture
def make_attendee(app):
    """Returns (attendee, token)."""

    def make(event, name="Ana Rivera", email=None, **fields):
        token = new_token()
        email = email or f"a-{uuid.uuid4().hex[:6]}@example.org"
        attendee = Attendee(
            event_id=event.id,
            token_hash=token_hash(token),
            name=name,
            email=email,
            email_key=email.lower(),
            postal_code="06106",
            **fields,
        )
        db.session.add(attendee)
        db.session.commit()
        return attendee, token

    return make


def person(**overrides):
    data = dict(
        given_name="Ana",
        family_name="Rivera",
        email="ana@example.org",
        postal_code="06106",
        phone="",
    )
    data.update(overrides)
    return data


def ticket_token(message) -> str:
    """The ticket token from a received ticket mail (plain-text part)."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    m = TICKET_RE.search(text)
    assert m, text
    return m.group(1)
