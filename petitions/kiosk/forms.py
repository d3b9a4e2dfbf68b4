"""What the kiosk asks, checked as the web forms check it: the sign form's and the rally
form's own fields and validators (one definition each), in the entry's language."""

from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, StringField
from wtforms.fields.choices import SelectChoice

from petitions.core.content import localized
from petitions.core.forms import PersonForm, strip, waitlist_number
from petitions.core.limits import LIMITS
from petitions.models import ROLE_LABELS, ROLES, Event, Petition
from petitions.petition.forms import ROLE_CHOICES, SignForm
from petitions.rallies.forms import AttendForm
from petitions.rallies.needs import (
    NO_NEEDS,
    NeedsError,
    language_choices,
    need_choices,
    parse_needs,
)

FIELDS = (
    "given_name",
    "family_name",
    "email",
    "postal_code",
    "phone",
    "town",
    "role",
    "interpretation_language",
    "needs_note",
)
FLAGS = ("sign", "show_name", "opt_in")


class KioskForm(PersonForm):
    phone = AttendForm.phone
    validate_phone = AttendForm.validate_phone
    town = SignForm.town
    validate_town = SignForm.validate_town
    role = SignForm.role
    validate_role = SignForm.validate_role
    waitlist_number = StringField(filters=[strip])
    needs = AttendForm.needs
    interpretation_language = AttendForm.interpretation_language
    needs_note = AttendForm.needs_note
    sign = BooleanField()
    show_name = SignForm.show_name
    opt_in = SignForm.opt_in

    def __init__(self, *args, setup: "Setup", **kwargs):
        super().__init__(*args, **kwargs)
        self.setup = setup
        self.needs_choice = NO_NEEDS
        event = setup.event
        if event is None:
            del self.needs, self.interpretation_language, self.needs_note
        else:  # as the poster's sign-in asks them (rallies.forms.AttendForm)
            self.needs.choices = [SelectChoice(v, label) for v, label in need_choices(event)]
            languages = [SelectChoice(c, label) for c, label in language_choices(event)]
            if len(languages) > 1:
                self.interpretation_language.choices = languages
            else:
                del self.interpretation_language
        if not setup.ask_phone:
            del self.phone
        if not setup.ask_waitlist:
            del self.waitlist_number
        if not setup.can_sign:
            del self.sign
        if setup.petition is None:
            for name in ("town", "role", "show_name", "opt_in"):
                delattr(self, name)

    def validate_waitlist_number(self, field):
        field.number = None
        field.number = waitlist_number(field.data or "", *self.setup.waitlist_range)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.setup.event is None:
            return ok
        language = getattr(self, "interpretation_language", None)
        try:
            self.needs_choice = parse_needs(
                self.setup.event,
                self.needs.data or [],
                language.data if language is not None else "",
                self.needs_note.data,
            )
        except NeedsError as e:
            for name, message in e.errors.items():
                target = getattr(self, name, None) or self.needs
                target.errors = [*target.errors, message]
            return False
        return ok


class Setup:
    """What one kiosk asks: a rally's (phone, "also sign" when it has a petition) or a
    petition's (town, role, consent boxes)."""

    def __init__(self, event: Event | None = None, petition: Petition | None = None):
        self.event = event
        self.petition = petition if event is None else event.petition
        self.kind = "rally" if event is not None else "petition"
        self.ask_phone = event is not None
        self.can_sign = event is not None and self.petition is not None
        if event is not None:
            self.ask_waitlist = event.ask_waitlist
        else:
            self.ask_waitlist = petition.ask_waitlist
        # What the needs boxes offer (rallies.needs): none for a petition's kiosk.
        self.need_values = [v for v, _ in need_choices(event)] if event is not None else []
        self.languages = [c for c, _ in language_choices(event)] if event is not None else []
        p = self.petition
        self.waitlist_range = (p.waitlist_min, p.waitlist_max) if p is not None else (None, None)


def check(setup: Setup, entry: dict, language: str) -> tuple[KioskForm, dict[str, str]]:
    """The entry as the form sees it, and its errors (field → message in `language`)."""
    data = MultiDict()
    for name in FIELDS + ("waitlist_number",):
        value = entry.get(name)
        if value is not None:
            data[name] = str(value)
    for name in FLAGS:
        if entry.get(name) is True:
            data[name] = "y"
    for value in entry.get("needs") or ():
        data.add("needs", str(value))
    with force_locale(language):
        form = KioskForm(formdata=data, setup=setup, meta={"csrf": False})
        form.validate()
        errors = {name: str(messages[0]) for name, messages in form.errors.items() if messages}
    return form, errors


def page_texts(setup: Setup, language: str) -> dict:
    """Every word the kiosk page shows a person, in `language`, for its script: labels,
    buttons and the forms' own error messages (client-side checks say what the server's do)."""
    with force_locale(language):
        form = KioskForm(formdata=None, setup=setup, meta={"csrf": False})
        texts = {f"label_{f.name}": str(f.label.text) for f in form}
        texts["label_waitlist_number"] = _("Waitlist number")
        if setup.petition is not None and setup.petition.ask_waitlist:
            label = str(localized(setup.petition, "waitlist_label", language))
            texts["label_waitlist_number"] = label or texts["label_waitlist_number"]
        if setup.can_sign:
            texts["label_sign"] = _(
                "Also sign the petition: %(title)s",
                title=str(localized(setup.petition, "title", language)),
            )
        texts["label_role_choose"] = str(ROLE_CHOICES[0].label)
        if setup.event is not None:
            for value, label in need_choices(setup.event):
                texts[f"need_{value}"] = str(label)
            for code, label in language_choices(setup.event):
                texts[f"language_{code}"] = str(label)
            texts["needs_hint"] = _(
                "Tell us so we can have it ready. Only the organizers see this."
            )
            texts["language_choose"] = _("Choose a language")
        for role in ROLES:
            texts[f"role_{role}"] = str(ROLE_LABELS[role])
        texts.update(
            {
                "msg_given_name": _("Please enter your first name."),
                "msg_family_name": _("Please enter your last name."),
                "msg_markup": _("Please leave out the < and > characters."),
                "msg_too_long": _("Please keep this under %(max)d characters.", max=999999).replace(
                    "999999", "{max}"
                ),
                "msg_email_missing": _("Please enter your email address."),
                "msg_email": _(
                    "Please check your email address; it should look like name@example.com."
                ),
                "msg_zip_missing": _("Please enter your ZIP code."),
                "msg_zip": _("Please enter a 5-digit ZIP code, like 06106."),
                "msg_phone": _("Please enter a phone number, like 860-555-0123."),
                "msg_waitlist_digits": _("Please use digits only, like 1234."),
                "msg_waitlist_range": _waitlist_range_message(*setup.waitlist_range),
                "heading": _("Welcome! Please sign in"),
                "intro": _("One person at a time. Nothing you type stays on this screen."),
                "submit": _("Done"),
                "thanks": _("Thank you, %(name)s!", name="{name}"),
                "thanks_next": _("The next person can start in a moment."),
                "switch": "Español" if language == "en" else "English",  # each in its own language
                "sync_now": _("Sync now"),
                "waiting": _("%(n)s waiting to send", n="{n}"),
                "last_sent": _("last sent %(time)s", time="{time}"),
                "never_sent": _("nothing sent yet"),
                "online": _("Online"),
                "offline": _("Offline: entries are saved on this phone"),
                "logged_out": _("Log in again to send: the entries are still on this phone."),
                "refused": _("%(n)s could not be stored: %(why)s", n="{n}", why="{why}"),
                "expired": _(
                    "Removed from this phone without being sent, after waiting longer "
                    "than %(days)s days: %(n)s",
                    n="{n}",
                    days="{days}",
                ),
                "sync_failed": _("Could not send just now; the entries are kept on this phone."),
            }
        )
    names = ("given_name", "family_name", "email", "town", "needs_note")
    texts["max_lengths"] = {k: LIMITS[k] for k in names}
    return texts


def _waitlist_range_message(low: int | None, high: int | None) -> str:
    """The range message waitlist.parse gives for a number outside the range ("" for none)."""
    if low is not None and high is not None:
        return _("Please enter a number from %(min)d to %(max)d.", min=low, max=high)
    if low is not None:
        return _("Please enter a number of at least %(min)d.", min=low)
    if high is not None:
        return _("Please enter a number no larger than %(max)d.", max=high)
    return ""
