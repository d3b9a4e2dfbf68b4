from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional

from petitions.models.packet import SORT_DATE, SORT_TOWN
from petitions.packets.letter import PLACEHOLDERS
from petitions.packets.officials import OfficialError, parse_areas, split_list


class OfficialForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=200)])
    title = StringField("Title", validators=[Length(max=120)],
                        description="e.g. State Representative")  # fmt: skip
    body = StringField("Body", validators=[Length(max=200)],
                       description="e.g. Connecticut House of Representatives")  # fmt: skip
    district = StringField("District", validators=[Length(max=120)])
    towns = TextAreaField("Towns represented", validators=[Length(max=5000)],
                          description="One per line, or separated by semicolons.")  # fmt: skip
    zip_codes = TextAreaField("ZIP codes represented", validators=[Length(max=5000)],
                              description="5-digit ZIP codes, one per line or separated by "
                                          "semicolons or commas.")  # fmt: skip
    email = StringField("Email", validators=[Optional(), Email(), Length(max=254)])
    phone = StringField("Phone", validators=[Length(max=40)])
    address = TextAreaField("Mailing address", validators=[Length(max=1000)])

    def validate_towns(self, field):
        for town in split_list(field.data):
            if len(town) > 100:
                raise ValidationError(f"Town name too long: “{town[:40]}…”.")

    def validate_zip_codes(self, field):
        try:
            parse_areas([], split_list(field.data))
        except OfficialError as e:
            raise ValidationError(str(e)) from e


class ImportForm(FlaskForm):
    file = FileField("Officials CSV file", validators=[FileRequired("Choose a CSV file.")])


class CsrfOnlyForm(FlaskForm):
    next = HiddenField()


class TargetsForm(FlaskForm):
    next = HiddenField()
    officials = SelectMultipleField(
        "Officials this petition is delivered to",
        coerce=int,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        validate_choice=True,
    )


class SettingsForm(FlaskForm):
    cover_letter = TextAreaField(
        "Cover letter",
        validators=[Length(max=20000)],
        description="Placeholders: "
        + "; ".join(f"{{{k}}} — {v}" for k, v in PLACEHOLDERS.items())
        + ". Leave empty for the standard letter.",
    )
    show_waitlist_numbers = BooleanField(
        "Print each signer's waitlist number in the signature list (otherwise only the count)"
    )
    sort_order = SelectField(
        "Signature list order",
        choices=[
            SelectChoice(SORT_TOWN, "By town, then family name"),
            SelectChoice(SORT_DATE, "By date signed"),
        ],
    )


class GenerateForm(FlaskForm):
    next = HiddenField()
    official = SelectField("For", coerce=str, validate_choice=True)
    scope = SelectField(
        "Signers",
        choices=[
            SelectChoice("constituents", "Constituents only"),
            SelectChoice("everyone", "Everyone who signed"),
        ],
    )
    paper = SelectField(
        "Paper", choices=[SelectChoice("letter", "US Letter"), SelectChoice("a4", "A4")]
    )
    sort_order = SelectField(
        "Order",
        choices=[
            SelectChoice("", "As in the settings"),
            SelectChoice(SORT_TOWN, "By town"),
            SelectChoice(SORT_DATE, "By date"),
        ],
        validate_choice=True,
    )


class DeliveredForm(FlaskForm):
    next = HiddenField()
    delivered = HiddenField()
    note = StringField("Note (e.g. where and to whom)", validators=[Length(max=300)])


class StoryForm(FlaskForm):
    excluded = HiddenField()
