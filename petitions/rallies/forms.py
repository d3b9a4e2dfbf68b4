"""Forms for rallies: the public RSVP / "I'm here" form and the organizer's event form."""

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from petitions.core.forms import PersonForm, strip, waitlist_number, within_limit
from petitions.core.timezones import BadLocalTime, local_to_utc, valid_timezone
from petitions.models.event import DEFAULT_MAX_PARTY_SIZE
from petitions.petition.lifecycle import RETENTION_MAX
from petitions.rallies.events import slug_taken
from petitions.rallies.mail import parse_reminder_hours
from petitions.rallies.needs import (
    NO_NEEDS,
    NeedsError,
    language_choices,
    need_choices,
    parse_needs,
)

PHONE_RE = re.compile(r"^\+?[0-9 ().\-]{7,25}$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class AttendForm(PersonForm):
    """RSVP, and the poster's "I'm here" sign-in (same fields)."""

    phone = StringField(
        _l("Mobile phone (optional)"),
        filters=[strip],
        validators=[Optional(), within_limit("phone", _l("Please enter a phone number."))],
    )
    waitlist_number = StringField(_l("Your child's waitlist number (optional)"), filters=[strip])
    needs = SelectMultipleField(
        _l("Anything we can arrange for you? (optional)"),
        validate_choice=False,  # checked by rallies.needs.parse_needs, with its messages
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    interpretation_language = SelectField(
        _l("Interpretation in"), validate_choice=False, default=""
    )
    needs_note = StringField(
        _l("Anything else we should know? (optional)"),
        filters=[strip],
        validators=[Optional(), within_limit("needs_note")],
    )
    party_size = SelectField(_l("How many people are coming?"), validate_choice=False, default="1")
    sign = BooleanField(_l("Also sign the petition"))

    def __init__(self, *args, event=None, household=False, **kwargs):
        """`household`: the RSVP form asks how many people come (the poster sign-in is
        one person at a time)."""
        super().__init__(*args, **kwargs)
        self.event = event
        self.needs_choice = NO_NEEDS
        petition = event.petition if event is not None else None
        if event is None or not event.ask_waitlist:
            del self.waitlist_number
        if event is not None:
            self.needs.choices = [SelectChoice(v, label) for v, label in need_choices(event)]
            languages = [SelectChoice(c, label) for c, label in language_choices(event)]
            if len(languages) > 1:
                self.interpretation_language.choices = [
                    SelectChoice("", _l("Choose a language")),
                    *languages,
                ]
            else:
                del self.interpretation_language
        if event is None or not household:
            del self.party_size
        else:
            self.party_size.choices = party_choices(event.max_party_size)
        if petition is None:
            del self.sign
        else:
            self.sign.label.text = _l("Also sign the petition: %(title)s", title=petition.title)

    def validate_phone(self, field):
        value = field.data or ""
        digits = sum(c.isdigit() for c in value)
        if not value.isascii() or not PHONE_RE.match(value) or not 7 <= digits <= 15:
            raise ValidationError(_l("Please enter a phone number, like 860-555-0123."))

    def validate_waitlist_number(self, field):
        field.number = None
        petition = self.event.petition
        field.number = waitlist_number(
            field.data or "",
            petition.waitlist_min if petition is not None else None,
            petition.waitlist_max if petition is not None else None,
        )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.event is None:
            return ok
        language = getattr(self, "interpretation_language", None)
        party = getattr(self, "party_size", None)
        try:
            self.needs_choice = parse_needs(
                self.event,
                self.needs.data or [],
                language.data if language is not None else "",
                self.needs_note.data,
                party.data if party is not None else 1,
            )
        except NeedsError as e:
            for name, message in e.errors.items():
                target = getattr(self, name, None) or self.needs
                if message not in target.errors:
                    target.errors = [*target.errors, message]
            return False
        return ok

    def attendee(self) -> dict:
        """What rallies.rsvp.rsvp / sign_in take about the person."""
        return dict(
            given_name=self.given_name.data,
            family_name=self.family_name.data,
            email=self.email.data,
            postal_code=self.postal_code.data,
            phone=self.phone.data or "",
            waitlist_number=self.waitlist_value,
            sign=self.wants_to_sign,
            needs=self.needs_choice,
        )

    @property
    def waitlist_value(self) -> int | None:
        field = getattr(self, "waitlist_number", None)
        return getattr(field, "number", None) if field is not None else None

    @property
    def wants_to_sign(self) -> bool:
        field = getattr(self, "sign", None)
        return bool(field is not None and field.data)


def party_choices(max_party_size: int) -> list[tuple[str, str]]:
    """ "Just me", "2 people (me and 1 more)"… up to the event's cap."""
    choices = [SelectChoice("1", _l("Just me"))]
    for n in range(2, max_party_size + 1):
        choices.append(
            SelectChoice(str(n), _l("%(n)d people (me and %(more)d more)", n=n, more=n - 1))
        )
    return choices


class EventForm(FlaskForm):
    """Organizer-facing (English)."""

    name = StringField("Name", filters=[strip], validators=[InputRequired(), Length(max=200)])
    slug = StringField(
        "Short name for the link (/e/…)",
        filters=[strip],
        validators=[InputRequired(), Length(min=2, max=80)],
    )
    description = TextAreaField(
        "Description (plain text, or simple HTML: paragraphs, lists, links)",
        validators=[Optional(), Length(max=20000)],
    )
    timezone = StringField("Time zone", filters=[strip], validators=[InputRequired()])
    starts_at = DateTimeLocalField(
        "Starts (local time)",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired(message="Please enter the start date and time.")],
    )
    ends_at = DateTimeLocalField(
        "Ends (local time, optional)",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()],
    )
    place = StringField(
        "Place (e.g. Legislative Office Building)",
        filters=[strip],
        validators=[Optional(), Length(max=200)],
    )
    address = StringField(
        "Street address", filters=[strip], validators=[Optional(), Length(max=300)]
    )
    meeting_point = StringField(
        "Meeting point", filters=[strip], validators=[Optional(), Length(max=300)]
    )
    route_notes = TextAreaField(
        "Route and notes", filters=[strip], validators=[Optional(), Length(max=5000)]
    )
    petition_id = SelectField("Linked petition", coerce=int, default=0, validate_choice=True)
    capacity = IntegerField(
        "Capacity (optional)",
        validators=[Optional(), NumberRange(min=1, max=1_000_000)],
    )
    ask_waitlist = BooleanField("Ask attendees for their child's waitlist number")
    interpretation_languages = SelectMultipleField(
        "Interpretation offered in",
        choices=[
            SelectChoice("es", "Spanish"),
            SelectChoice("asl", "ASL (American Sign Language)"),
        ],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description="The RSVP and sign-in forms ask who needs it; none ticked: not asked.",
    )
    max_party_size = IntegerField(
        "Most people on one RSVP",
        default=DEFAULT_MAX_PARTY_SIZE,
        validators=[
            Optional(),
            NumberRange(1, 20, "Please enter a number from 1 to 20."),
        ],
        description="A parent RSVPing for themselves and two children is a party of 3; "
        "it holds 3 places and gets one ticket. 1: one person per RSVP.",
    )
    # Spanish twins, beside their English field; empty ones show the English text.
    name_es = StringField(
        "Name (Spanish)", filters=[strip], validators=[Optional(), Length(max=200)]
    )
    description_es = TextAreaField(
        "Description (Spanish)", validators=[Optional(), Length(max=20000)]
    )
    meeting_point_es = StringField(
        "Meeting point (Spanish)", filters=[strip], validators=[Optional(), Length(max=300)]
    )
    route_notes_es = TextAreaField(
        "Route and notes (Spanish)", filters=[strip], validators=[Optional(), Length(max=5000)]
    )
    reminder_hours = StringField(
        "Reminders (hours before the start)",
        filters=[strip],
        default="24, 2",
        validators=[Length(max=40)],
        description="Everyone with an RSVP gets a reminder this many hours before the start, "
        "e.g. “24, 2”: the day before and two hours before. Empty: no reminders.",
    )

    def validate_reminder_hours(self, field):
        try:
            self.reminder_hours_list = parse_reminder_hours(field.data or "")
        except ValueError as e:
            raise ValidationError(str(e)) from e

    retention_days = IntegerField(
        "Keep attendees' personal data for (days)",
        validators=[Optional(), NumberRange(0, RETENTION_MAX, f"Use 0 to {RETENTION_MAX:,} days.")],
    )

    def __init__(self, *args, petitions=(), event_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.event_id = event_id
        self.petition_id.choices = [(0, "— none —")] + [(p.id, p.title) for p in petitions]
        self.starts_utc = self.ends_utc = None
        self.reminder_hours_list: list[int] = []

    def validate_slug(self, field):
        field.data = (field.data or "").lower()
        if not SLUG_RE.match(field.data):
            raise ValidationError("Use lowercase letters, digits and hyphens, e.g. march-14-rally.")
        if slug_taken(field.data, exclude_id=self.event_id):
            raise ValidationError("Another event uses this short name already.")

    def validate_timezone(self, field):
        if not valid_timezone(field.data):
            raise ValidationError("Use a time zone name like America/New_York.")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not ok or self.timezone.errors:
            return False
        try:
            self.starts_utc = local_to_utc(self.starts_at.data, self.timezone.data)
        except BadLocalTime as e:
            self.starts_at.errors.append(str(e))
            return False
        if self.ends_at.data is not None:
            try:
                self.ends_utc = local_to_utc(self.ends_at.data, self.timezone.data)
            except BadLocalTime as e:
                self.ends_at.errors.append(str(e))
                return False
            if self.ends_utc <= self.starts_utc:
                self.ends_at.errors.append("The end must be after the start.")
                return False
        return True

    def fill(self, event, local_start: datetime | None, local_end: datetime | None) -> None:
        """Prefill from an event (local times already converted)."""
        for name in ("name", "slug", "timezone", "place", "address", "meeting_point"):
            getattr(self, name).data = getattr(event, name)
        for name in ("name_es", "meeting_point_es", "description_es", "route_notes_es"):
            getattr(self, name).data = getattr(event, name)
        self.reminder_hours.data = ", ".join(event.reminder_hours.split(","))
        self.description.data = event.description
        self.route_notes.data = event.route_notes
        self.starts_at.data = local_start
        self.ends_at.data = local_end
        self.petition_id.data = event.petition_id or 0
        self.capacity.data = event.capacity
        self.ask_waitlist.data = event.ask_waitlist
        self.interpretation_languages.data = event.offered_languages
        self.max_party_size.data = event.max_party_size
        self.retention_days.data = event.retention_days
