"""Form pieces shared by the public forms: the petition's sign form and the rally's RSVP /
"I'm here" form ask for a person the same way (OSDI field names)."""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import Email, InputRequired, Length, ValidationError

from petitions.core import waitlist
from petitions.core.text import clean_line

# Lazy strings count as safe markup in templates (flask_babel's LazyString has __html__):
# messages that show a "<" use gettext at validation time, so they are escaped.

ZIP_RE = re.compile(r"^[0-9]{5}(-?[0-9]{4})?$")
NAME_MAX = 100


def strip(value):
    return value.strip() if isinstance(value, str) else value


def no_markup(field):
    if field.data and ("<" in field.data or ">" in field.data):
        raise ValidationError(_("Please leave out the < and > characters."))


def _name(label, missing):
    return StringField(
        label,
        filters=[strip],
        validators=[
            InputRequired(missing),
            Length(max=NAME_MAX, message=_l("Please keep this under %(max)d characters.")),
        ],
    )


class PersonForm(FlaskForm):
    """Given name, family name, email and ZIP code, checked alike everywhere.

    Only public forms ask for a person, and their pages are shared by every visitor, so
    they carry no CSRF token: petitions/origin.py refuses them from other sites."""

    class Meta:
        csrf = False

    given_name = _name(_l("First name"), _l("Please enter your first name."))
    family_name = _name(_l("Last name"), _l("Please enter your last name."))
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            InputRequired(_l("Please enter your email address.")),
            Length(max=254, message=_l("Please keep this under %(max)d characters.")),
            Email(_l("Please check your email address; it should look like name@example.com.")),
        ],
    )
    postal_code = StringField(
        _l("ZIP code"),
        filters=[strip],
        validators=[
            InputRequired(_l("Please enter your ZIP code.")),
            Length(max=10, message=_l("Please enter a 5-digit ZIP code.")),
        ],
    )

    def validate_given_name(self, field):
        _check_name(field, _l("Please enter your first name."))

    def validate_family_name(self, field):
        _check_name(field, _l("Please enter your last name."))

    def validate_postal_code(self, field):
        if not ZIP_RE.match(field.data or ""):
            raise ValidationError(_l("Please enter a 5-digit ZIP code, like 06106."))


def _check_name(field, missing_message):
    if not clean_line(field.data):
        raise ValidationError(missing_message)
    no_markup(field)


def waitlist_number(value: str, low: int | None, high: int | None) -> int | None:
    """The waitlist number typed in a form, checked by services.waitlist.parse."""
    try:
        return waitlist.parse(value, low, high)
    except waitlist.WaitlistError as e:
        raise ValidationError(str(e)) from e
