"""Organizer forms for updates (English only, like every organizer page)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from petitions.core.timezones import BadLocalTime, local_day_to_utc, zone

BODY_HINT = (
    "Plain text: leave a blank line between paragraphs. Simple HTML is kept (paragraphs, "
    "bold, italics, lists, links); everything else is removed."
)


class UpdateForm(FlaskForm):
    subject = StringField(
        "Subject", validators=[DataRequired("Give the update a subject."), Length(max=200)]
    )
    body = TextAreaField(
        "Text",
        validators=[DataRequired("Write the text of the update."), Length(max=50_000)],
        description=BODY_HINT,
    )
    subject_es = StringField(
        "Subject (Spanish)",
        validators=[Optional(), Length(max=200)],
        description="Empty: Spanish-speaking signers get the English subject.",
    )
    body_es = TextAreaField(
        "Text (Spanish)",
        validators=[Optional(), Length(max=50_000)],
        description="Empty: Spanish-speaking signers get the English text.",
    )
    audience = RadioField(
        "Who gets it",
        choices=[
            SelectChoice(
                "signers",
                "Everyone who signed (for news about this petition: delivered, answered, won)",
            ),
            SelectChoice("opted_in", "Only those who asked for updates"),
        ],
        default="signers",
        validators=[DataRequired("Choose who gets the update.")],
    )
    published = BooleanField("Also show it on the petition page, under “Updates”")


class SendForm(FlaskForm):
    """Send now (no date), or schedule (a date and time in the site's zone)."""

    send_date = DateField("Date", validators=[Optional()])
    send_time = TimeField("Time", validators=[Optional()])

    send_at_utc = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.send_date.description = f"Local time ({zone().key}). Leave both empty to send now."

    def validate_send_time(self, field):
        if (field.data is None) != (self.send_date.data is None):
            raise ValidationError("Give both a date and a time, or neither to send now.")

    def validate(self, extra_validators=None) -> bool:
        self.send_at_utc = None
        if not super().validate(extra_validators):
            return False
        if self.send_date.data is not None:
            try:
                self.send_at_utc = local_day_to_utc(self.send_date.data, self.send_time.data)
            except BadLocalTime as e:
                self.send_time.errors.append(str(e))
                return False
        return True


class TestSendForm(FlaskForm):
    language = SelectField(
        "Language", choices=[SelectChoice("en", "English"), SelectChoice("es", "Spanish")]
    )


class SuppressionImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])
    reason = SelectField(
        "Why",
        choices=[
            SelectChoice("bounced", "Bounced"),
            SelectChoice("complained", "Complained (marked as spam)"),
            SelectChoice("unsubscribed", "Unsubscribed"),
        ],
    )
