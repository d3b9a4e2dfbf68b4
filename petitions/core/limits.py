"""How long each field a person fills in may be: one table for every way in.

The public forms (sign, RSVP, poster sign-in) check these with a message in the
signer's language; the services that store them (signing, rallies, paper entry and
its CSV import) refuse anything longer with a message of their own; the templates
take their `maxlength` from the Jinja global `limits` (limits.comment). A value over
its limit is refused everywhere, never cut.
"""

from collections.abc import Mapping
from types import MappingProxyType

LIMITS: Mapping[str, int] = MappingProxyType(
    {
        "given_name": 100,
        "family_name": 100,
        "email": 254,
        # As typed: a ZIP+4 with its hyphen fits; the five digits are stored (core.places).
        "postal_code": 10,
        "town": 100,
        "comment": 2000,  # the signer's story
        "waitlist_number": 9,  # digits
        "phone": 25,
        "sheet_number": 20,
        # Given and family name together (core.text.full_name), as a rally keeps an
        # attendee's name: every way in refuses a longer one, so one person gets one answer.
        "full_name": 200,
        # What an attendee adds about their needs (RSVP, poster sign-in, kiosk).
        "needs_note": 200,
    }
)


def too_long(values: Mapping[str, str | None]) -> dict[str, int]:
    """{field: limit} for each of `values` longer than its field's limit."""
    return {
        name: LIMITS[name]
        for name, value in values.items()
        if name in LIMITS and len(value or "") > LIMITS[name]
    }
