"""The public sign form. Field names follow OSDI (given_name, family_name, email, postal_code)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from petitions.core.content import localized
from petitions.core.forms import PersonForm, no_markup, strip, waitlist_number, within_limit
from petitions.core.limits import LIMITS
from petitions.core.text import clean_text
from petitions.models import ROLE_LABELS, ROLES

ROLE_CHOICES = [
    SelectChoice("", _l("Choose one (optional)")),
    *(SelectChoice(role, ROLE_LABELS[role]) for role in ROLES),
]


class SignForm(PersonForm):
    town = StringField(
        _l("Town or city"),
        filters=[strip],
        validators=[Optional(), within_limit("town")],
        render_kw={"autocomplete": "address-level2", "maxlength": LIMITS["town"]},
    )
    role = SelectField(
        _l("I am a…"),
        choices=ROLE_CHOICES,
        default="",
        validate_choice=False,  # checked below with a message of our own
    )
    waitlist_number = StringField(
        _l("Waitlist number"),
        filters=[strip],
        description=_l("Optional. Kept private: only organizers see it."),
        render_kw={
            "inputmode": "numeric",
            "autocomplete": "off",
            "maxlength": LIMITS["waitlist_number"],
        },
    )
    comment = TextAreaField(
        _l("Why this matters to you (optional)"),
        # Checked as it is stored: a line break sent as CR LF counts once, as in the browser.
        filters=[clean_text],
        validators=[Optional(), within_limit("comment")],
        render_kw={"maxlength": LIMITS["comment"], "rows": 3},
    )
    show_name = BooleanField(_l("Show my first name and town on this page as a supporter"))
    opt_in = BooleanField(_l("Send me updates about this campaign"))
    # Honeypot: hidden from people by CSS (.hp); bots fill every field they see.
    website = StringField("Website")
    NOT_QUESTIONS = frozenset({"website"})

    def __init__(self, *args, petition=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.petition = petition
        if petition is None or not petition.ask_waitlist:
            del self.waitlist_number
        elif label := localized(petition, "waitlist_label"):
            self.waitlist_number.label.text = label

    def validate_town(self, field):
        no_markup(field)

    def validate_role(self, field):
        if field.data not in {choice.value for choice in ROLE_CHOICES}:
            field.data = ""
            raise ValidationError(_l("Please choose one of the options."))

    def validate_waitlist_number(self, field):
        field.number = None
        field.number = waitlist_number(
            field.data or "", self.petition.waitlist_min, self.petition.waitlist_max
        )

    @property
    def waitlist_value(self) -> int | None:
        field = getattr(self, "waitlist_number", None)
        return getattr(field, "number", None) if field is not None else None

    def questions(self):
        """The fields a signer fills in, in order: the template shows them in a loop."""
        return [f for f in self if f.name not in self.NOT_QUESTIONS]

    def signer(self) -> dict:
        """What the signer gave, as signing.sign_petition takes it."""
        values = {f.name: f.data for f in self.questions()}
        if "waitlist_number" in values:
            values["waitlist_number"] = self.waitlist_value
        for name in ("town", "role", "comment"):
            values[name] = values[name] or ""
        return values

    @property
    def is_bot(self) -> bool:
        return bool((self.website.data or "").strip())
