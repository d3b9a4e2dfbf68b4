"""Rallies: what an attendee needs (interpretation, childcare, accessibility) and how many
places their RSVP holds, read and checked once for every way in: the RSVP form, the
poster sign-in and the kiosk.

No request objects in here: callers pass plain values (a form's data or a synced dict).
Errors carry a message in the person's language (lazy gettext), keyed by the form field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from petitions.core.limits import LIMITS
from petitions.core.text import clean_line
from petitions.models import INTERPRETATION_LABELS, NEED_LABELS, NEED_VALUES, Event, Need
from petitions.models.event import split_codes


class NeedsError(ValueError):
    """Needs or a party size that cannot be stored; `errors` is {field: message}."""

    def __init__(self, errors: dict[str, object]):
        super().__init__("needs not stored: " + ", ".join(errors))  # fields, no lazy text
        self.errors = errors


@dataclass(frozen=True)
class NeedsChoice:
    """Checked needs, ready to store (Attendee.needs, interpretation_language, needs_note)."""

    needs: tuple[Need, ...] = ()
    interpretation_language: str = ""
    note: str = ""
    party_size: int = 1
    errors: dict = field(default_factory=dict, compare=False, repr=False)

    def columns(self) -> dict:
        """The Attendee columns, as rsvp / sign_in store them."""
        return {
            "needs": ",".join(self.needs),
            "interpretation_language": self.interpretation_language,
            "needs_note": self.note,
            "party_size": self.party_size,
        }


NO_NEEDS = NeedsChoice()


def need_choices(event: Event) -> list[tuple[str, str]]:
    """(value, label) of the needs an event's forms offer: interpretation only when the
    event offers a language, named by it when it offers just one."""
    languages = event.offered_languages
    choices = []
    for need in Need:
        if need == Need.INTERPRETATION:
            if not languages:
                continue
            label = (
                INTERPRETATION_LABELS[languages[0]] if len(languages) == 1 else NEED_LABELS[need]
            )
        else:
            label = NEED_LABELS[need]
        choices.append((need.value, label))
    return choices


def language_choices(event: Event) -> list[tuple[str, str]]:
    """(code, label) of the event's interpretation languages."""
    return [(code, INTERPRETATION_LABELS[code]) for code in event.offered_languages]


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return split_codes(value)
    return [str(v).strip() for v in value if str(v).strip()]


def parse_party_size(event: Event, value: object) -> int:
    """A party size from a form or a synced entry: 1 when not given, else a whole number
    from 1 to event.max_party_size. Raises NeedsError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1
    try:
        size = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        size = 0
    if isinstance(value, bool) or not 1 <= size <= event.max_party_size:
        raise NeedsError(
            {
                "party_size": _l(
                    "Please choose a party of 1 to %(max)d people.", max=event.max_party_size
                )
            }
        )
    return size


def parse_needs(
    event: Event,
    needs: Iterable[str] | str | None = (),
    interpretation_language: str | None = "",
    note: str | None = "",
    party_size: object = 1,
) -> NeedsChoice:
    """Check what a person asks for against what `event` offers. `needs` is Need values
    (a list, or one comma-separated string); a language alone means interpretation in it;
    interpretation with the event's only language needs no language given. The note is
    cleaned to one line and refused over LIMITS["needs_note"]. Raises NeedsError with
    every problem found."""
    errors: dict[str, object] = {}
    chosen = set(_as_list(needs))
    language = clean_line(interpretation_language).lower()
    offered = event.offered_languages
    if chosen - set(NEED_VALUES):
        errors["needs"] = _l("Please choose among the needs listed.")
    if language and Need.INTERPRETATION.value not in chosen:
        chosen.add(Need.INTERPRETATION.value)
    if Need.INTERPRETATION.value in chosen:
        if not offered:
            errors["needs"] = _l("This event does not offer interpretation.")
        elif language and language not in offered:
            errors["interpretation_language"] = _l(
                "Please choose one of the languages this event offers interpretation in."
            )
        elif not language and len(offered) == 1:
            language = offered[0]
        elif not language:
            errors["interpretation_language"] = _l(
                "Please choose the language you need interpretation in."
            )
    else:
        language = ""
    note_text = clean_line(note)
    if len(note_text) > LIMITS["needs_note"]:
        errors["needs_note"] = _l(
            "Please keep this under %(max)d characters.", max=LIMITS["needs_note"]
        )
    try:
        size = parse_party_size(event, party_size)
    except NeedsError as e:
        errors.update(e.errors)
        size = 1
    if errors:
        raise NeedsError(errors)
    ordered = tuple(need for need in Need if need.value in chosen)
    return NeedsChoice(ordered, language, note_text, size)


def needs_from_mapping(event: Event, data: Mapping) -> NeedsChoice:
    """parse_needs from a dict (the kiosk's synced entry, a JSON body): keys `needs`
    (list or comma-separated), `interpretation_language`, `needs_note`, `party_size`."""
    return parse_needs(
        event,
        data.get("needs"),
        data.get("interpretation_language"),
        data.get("needs_note"),
        data.get("party_size"),
    )
