"""Helpers for the rally tests (tests/test_events_*.py). The event and attendee factories are
fixtures in tests/conftest.py."""

import re

TICKET_RE = re.compile(r"http://localhost/t/([0-9A-Z]{26})")


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
