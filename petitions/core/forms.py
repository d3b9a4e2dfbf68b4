"""Form pieces shared by the public forms: the petition's sign form and the rally's RSVP /
"I'm here" form ask for a person the same way (OSDI field names), within the field
limits of core.limits and by the ZIP rule of core.places."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import Email, InputRequired, Length, ValidationError

from petitions.core import places, waitlist
from petitions.core.limits import LIMITS
from petitions.core.text import clean_line, full_name

# Lazy strings count as safe markup in templates (flask_babel's LazyString has __html__):
# messages that show a "<" use gettext at validation time, so they are escaped.


def within_limit(field_name: str, message=None) -> Length:
    """The length check of a field, from the one table of limits (core.limits)."""
    return Length(
        max=LIMITS[field_name],
        message=message or _l("Please keep this under %(max)d characters."),
    )


def strip(value):
    return value.strip() if isinstance(value, str) else value


def no_markup(field):
    if field.data and ("<" in field.data or ">" in field.data):
        raise ValidationError(_("Please leave out the < and > characters."))


def _name(field_name, label, missing, autocomplete):
    return StringField(
        label,
        filters=[strip],
        validators=[InputRequired(missing), within_limit(field_name)],
        render_kw={"autocomplete": autocomplete, "required": True, "maxlength": LIMITS[field_name]},
    )


class PersonForm(FlaskForm):
    """Given name, family name, email and ZIP code, checked alike everywhere.

    Only public forms ask for a person, and their pages are shared by every visitor, so
    they carry no CSRF token: petitions/origin.py refuses them from other sites."""

    class Meta:
        csrf = False

    # A field's HTML attributes (render_kw) and hint (description) live with the field, so a
    # template can show a form's questions in a loop (templates/petition/petition.html).
    given_name = _name(
        "given_name", _l("First name"), _l("Please enter your first name."), "given-name"
    )
    family_name = _name(
        "family_name", _l("Last name"), _l("Please enter your last name."), "family-name"
    )
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            InputRequired(_l("Please enter your email address.")),
            within_limit("email"),
            Email(_l("Please check your email address; it should look like name@example.com.")),
        ],
        description=_l("We send nothing you did not ask for, and never show it."),
        render_kw={
            "autocomplete": "email",
            "inputmode": "email",
            "required": True,
            "maxlength": LIMITS["email"],
        },
    )
    postal_code = StringField(
        _l("ZIP code"),
        filters=[strip],
        validators=[
            InputRequired(_l("Please enter your ZIP code.")),
            within_limit("postal_code", _l("Please enter a 5-digit ZIP code.")),
        ],
        render_kw={
            "autocomplete": "postal-code",
            "inputmode": "numeric",
            "required": True,
            "maxlength": LIMITS["postal_code"],
        },
    )

    def validate_given_name(self, field):
        _check_name(field, _l("Please enter your first name."))

    def validate_family_name(self, field):
        _check_name(field, _l("Please enter your last name."))
        # Both names together within their limit, as every way in checks them.
        room = LIMITS["full_name"] - len(full_name(self.given_name.data, "")) - 1
        if len(full_name(self.given_name.data, field.data)) > LIMITS["full_name"]:
            raise ValidationError(_("Please keep this under %(max)d characters.", max=room))

    def validate_postal_code(self, field):
        if places.zip5(field.data) is None:
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
