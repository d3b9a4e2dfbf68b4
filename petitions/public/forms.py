"""The public sign form. Field names follow OSDI (given_name, family_name, email, postal_code)."""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from ..services.text import clean_line

# Lazy strings count as safe markup in templates (flask_babel's LazyString has __html__):
# messages that show a "<" use gettext at validation time, so they are escaped.

# Labels for models.signature.ROLES, in that order.
ROLE_CHOICES = [
    SelectChoice("", _l("Choose one (optional)")),
    SelectChoice("parent", _l("Parent or guardian")),
    SelectChoice("student", _l("Student")),
    SelectChoice("educator", _l("Educator")),
    SelectChoice("community", _l("Community member")),
    SelectChoice("other", _l("Other")),
]

ZIP_RE = re.compile(r"^[0-9]{5}(-?[0-9]{4})?$")
NAME_MAX = 100
COMMENT_MAX = 2000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SignForm(FlaskForm):
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
    postal_code = StringField(
        _l("ZIP code"),
        filters=[_strip],
        validators=[
            InputRequired(_l("Please enter your ZIP code.")),
            Length(max=10, message=_l("Please enter a 5-digit ZIP code.")),
        ],
    )
    town = StringField(
        _l("Town or city"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=NAME_MAX, message=_l("Please keep this under %(max)d characters.")),
        ],
    )
    role = SelectField(
        _l("I am a…"),
        choices=ROLE_CHOICES,
        default="",
        validate_choice=False,  # checked below with a message of our own
    )
    waitlist_number = StringField(_l("Waitlist number"), filters=[_strip])
    comment = TextAreaField(
        _l("Why this matters to you (optional)"),
        validators=[
            Optional(),
            Length(max=COMMENT_MAX, message=_l("Please keep this under %(max)d characters.")),
        ],
    )
    show_name = BooleanField(_l("Show my first name and town on this page as a supporter"))
    opt_in = BooleanField(_l("Send me updates about this campaign"))
    # Honeypot: hidden from people by CSS (.hp); bots fill every field they see.
    website = StringField("Website")

    def __init__(self, *args, petition=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.petition = petition
        if petition is None or not petition.ask_waitlist:
            del self.waitlist_number
        elif petition.waitlist_label:
            self.waitlist_number.label.text = petition.waitlist_label

    def validate_given_name(self, field):
        _check_name(field, _l("Please enter your first name."))

    def validate_family_name(self, field):
        _check_name(field, _l("Please enter your last name."))

    def validate_town(self, field):
        if field.data and ("<" in field.data or ">" in field.data):
            raise ValidationError(_("Please leave out the < and > characters."))

    def validate_postal_code(self, field):
        if not ZIP_RE.match(field.data or ""):
            raise ValidationError(_l("Please enter a 5-digit ZIP code, like 06106."))

    def validate_role(self, field):
        if field.data not in {choice.value for choice in ROLE_CHOICES}:
            field.data = ""
            raise ValidationError(_l("Please choose one of the options."))

    def validate_waitlist_number(self, field):
        value = field.data or ""
        if not value:
            field.number = None
            return
        if not value.isascii() or not value.isdigit() or len(value) > 9:
            raise ValidationError(_l("Please use digits only, like 1234."))
        number = int(value)
        low, high = self.petition.waitlist_min, self.petition.waitlist_max
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
    def is_bot(self) -> bool:
        return bool((self.website.data or "").strip())


def _check_name(field, missing_message):
    if not clean_line(field.data):
        raise ValidationError(missing_message)
    if "<" in field.data or ">" in field.data:
        raise ValidationError(_("Please leave out the < and > characters."))
