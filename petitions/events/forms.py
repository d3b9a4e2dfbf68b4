"""Forms for rallies: the public RSVP / "I'm here" form and the organizer's event form."""

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..services.rallies import BadLocalTime, local_to_utc, slug_taken, valid_timezone
from ..services.text import clean_line

ZIP_RE = re.compile(r"^\d{5}(-?\d{4})?$")
PHONE_RE = re.compile(r"^\+?[0-9 ().\-]{7,25}$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_MAX = 100
WAITLIST_MAX_DIGITS = 9


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _no_markup(field):
    if field.data and ("<" in field.data or ">" in field.data):
        raise ValidationError(_l("Please leave out the < and > characters."))


class AttendForm(FlaskForm):
    """RSVP, and the poster's "I'm here" sign-in (same fields)."""

    given_name = StringField(
        _l("First name"),
        filters=[_strip],
        validators=[
            InputRequired(_l("Please enter your first name.")),
            Length(max=NAME_MAX, message=_l("Please keep this under %(max)d characters.")),
        ],
    )
    family_name = StringField(
        _l("Last name"),
        filters=[_strip],
        validators=[
            InputRequired(_l("Please enter your last name.")),
            Length(max=NAME_MAX, message=_l("Please keep this under %(max)d characters.")),
        ],
    )
    email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[
            InputRequired(_l("Please enter your email address.")),
            Length(max=254, message=_l("Please keep this under %(max)d characters.")),
            Email(_l("Please check your email address; it should look like name@example.com.")),
        ],
    )
    phone = StringField(
        _l("Mobile phone (optional)"),
        filters=[_strip],
        validators=[Optional(), Length(max=25, message=_l("Please enter a phone number."))],
    )
    postal_code = StringField(
        _l("ZIP code"),
        filters=[_strip],
        validators=[
            InputRequired(_l("Please enter your ZIP code.")),
            Length(max=10, message=_l("Please enter a 5-digit ZIP code, like 06106.")),
        ],
    )
    waitlist_number = StringField(_l("Your child's waitlist number (optional)"), filters=[_strip])
    sign = BooleanField(_l("Also sign the petition"))

    def __init__(self, *args, event=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        petition = event.petition if event is not None else None
        if event is None or not event.ask_waitlist:
            del self.waitlist_number
        if petition is None:
            del self.sign
        else:
            self.sign.label.text = _l("Also sign the petition: %(title)s", title=petition.title)

    def validate_given_name(self, field):
        if not clean_line(field.data):
            raise ValidationError(_l("Please enter your first name."))
        _no_markup(field)

    def validate_family_name(self, field):
        if not clean_line(field.data):
            raise ValidationError(_l("Please enter your last name."))
        _no_markup(field)

    def validate_postal_code(self, field):
        if not ZIP_RE.match(field.data or ""):
            raise ValidationError(_l("Please enter a 5-digit ZIP code, like 06106."))

    def validate_phone(self, field):
        value = field.data or ""
        digits = sum(c.isdigit() for c in value)
        if not value.isascii() or not PHONE_RE.match(value) or not 7 <= digits <= 15:
            raise ValidationError(_l("Please enter a phone number, like 860-555-0123."))

    def validate_waitlist_number(self, field):
        value = field.data or ""
        field.number = None
        if not value:
            return
        if not value.isascii() or not value.isdigit() or len(value) > WAITLIST_MAX_DIGITS:
            raise ValidationError(_l("Please use digits only, like 1234."))
        number = int(value)
        petition = self.event.petition
        low = petition.waitlist_min if petition is not None else None
        high = petition.waitlist_max if petition is not None else None
        if (low is not None and number < low) or (high is not None and number > high):
            if low is not None and high is not None:
                raise ValidationError(
                    _l("Please enter a number from %(min)d to %(max)d.", min=low, max=high)
                )
            if low is not None:
                raise ValidationError(_l("Please enter a number of at least %(min)d.", min=low))
            raise ValidationError(_l("Please enter a number no larger than %(max)d.", max=high))
        field.number = number

    @property
    def waitlist_value(self) -> int | None:
        field = getattr(self, "waitlist_number", None)
        return getattr(field, "number", None) if field is not None else None

    @property
    def wants_to_sign(self) -> bool:
        field = getattr(self, "sign", None)
        return bool(field is not None and field.data)


class EventForm(FlaskForm):
    """Organizer-facing (English)."""

    name = StringField("Name", filters=[_strip], validators=[InputRequired(), Length(max=200)])
    slug = StringField(
        "Short name for the link (/e/…)",
        filters=[_strip],
        validators=[InputRequired(), Length(min=2, max=80)],
    )
    description = TextAreaField(
        "Description (plain text, or simple HTML: paragraphs, lists, links)",
        validators=[Optional(), Length(max=20000)],
    )
    timezone = StringField("Time zone", filters=[_strip], validators=[InputRequired()])
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
        filters=[_strip],
        validators=[Optional(), Length(max=200)],
    )
    address = StringField(
        "Street address", filters=[_strip], validators=[Optional(), Length(max=300)]
    )
    meeting_point = StringField(
        "Meeting point", filters=[_strip], validators=[Optional(), Length(max=300)]
    )
    route_notes = TextAreaField(
        "Route and notes", filters=[_strip], validators=[Optional(), Length(max=5000)]
    )
    petition_id = SelectField("Linked petition", coerce=int, default=0, validate_choice=True)
    capacity = IntegerField(
        "Capacity (optional)",
        validators=[Optional(), NumberRange(min=1, max=1_000_000)],
    )
    ask_waitlist = BooleanField("Ask attendees for their child's waitlist number")

    def __init__(self, *args, petitions=(), event_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.event_id = event_id
        self.petition_id.choices = [(0, "— none —")] + [(p.id, p.title) for p in petitions]
        self.starts_utc = self.ends_utc = None

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
        self.description.data = event.description
        self.route_notes.data = event.route_notes
        self.starts_at.data = local_start
        self.ends_at.data = local_end
        self.petition_id.data = event.petition_id or 0
        self.capacity.data = event.capacity
        self.ask_waitlist.data = event.ask_waitlist
