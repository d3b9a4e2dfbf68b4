from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from petitions.core.limits import LIMITS
from petitions.models import ROLE_LABELS
from petitions.paper.services import ROLE_LETTERS


def role_choices() -> list[SelectChoice]:
    """Each label starts with the letter printed on the sheet, so typing it picks the role."""
    return [
        SelectChoice("", "—"),
        *(
            SelectChoice(role, f"{letter} · {ROLE_LABELS[role]}")
            for role, letter in ROLE_LETTERS.items()
        ),
    ]


class PaperEntryForm(FlaskForm):
    """One row of a paper sheet. Checking happens in services.paper.check_fields, shared
    with the CSV import; the form carries CSRF and keeps what was typed."""

    sheet_number = StringField("Sheet no.", validators=[Length(max=LIMITS["sheet_number"])])
    given_name = StringField("Given name")
    family_name = StringField("Family name")
    email = StringField("Email")
    postal_code = StringField("ZIP")
    town = StringField("Town")
    role = SelectField("Role", choices=role_choices, validate_choice=False)
    waitlist_number = StringField("Waitlist no.")
    opt_in = BooleanField("Wants updates")
    spanish = BooleanField("Spanish")  # the sheet's "Spanish? ✓" column: mail in Spanish
    different_person = BooleanField("This is a different person with the same name: save anyway")


class ImportUploadForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])


class ImportConfirmForm(FlaskForm):
    token = HiddenField()
    expected = HiddenField()  # accepted count shown in the dry run
