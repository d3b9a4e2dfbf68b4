"""Waitlist numbers: one check for every way a number comes in (the sign form, the rally
forms, paper entry and its CSV import, signing the petition at a rally)."""

from flask_babel import gettext as _

from petitions.core.limits import LIMITS


class WaitlistError(ValueError):
    """Not a number the petition takes; str() is the message for whoever typed it."""


def in_range(number: int, low: int | None, high: int | None) -> bool:
    """Within the organizer's range; an end left unset is open."""
    return (low is None or number >= low) and (high is None or number <= high)


def parse(value: str, low: int | None, high: int | None) -> int | None:
    """The number as typed ("" → None): digits only, within the organizer's range."""
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > LIMITS["waitlist_number"]:
        raise WaitlistError(_("Please use digits only, like 1234."))
    number = int(value)
    if in_range(number, low, high):
        return number
    if low is not None and high is not None:
        raise WaitlistError(_("Please enter a number from %(min)d to %(max)d.", min=low, max=high))
    if low is not None:
        raise WaitlistError(_("Please enter a number of at least %(min)d.", min=low))
    raise WaitlistError(_("Please enter a number no larger than %(max)d.", max=high))
