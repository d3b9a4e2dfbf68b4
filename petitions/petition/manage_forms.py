"""Organizer forms (English only: organizer pages are not translated)."""

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, StringField, TextAreaField, TimeField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from petitions.core.timezones import BadLocalTime, local_day_to_utc, zone
from petitions.petition.lifecycle import GOAL_MAX, RETENTION_MAX, SLUG_MAX, WAITLIST_MAX


class PetitionForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired("Give the petition a title."), Length(max=200)]
    )
    slug = StringField(
        "Web address",
        validators=[Optional(), Length(max=SLUG_MAX)],
        description="Leave empty to make one from the title. Fixed once published.",
    )
    summary = TextAreaField(
        "Short summary",
        validators=[Optional(), Length(max=300)],
        description="One or two sentences, shown on share cards and in the petition list (300 characters at most).",
    )
    body = TextAreaField(
        "Petition text",
        validators=[Optional(), Length(max=50_000)],
        description=(
            "Plain text: leave a blank line between paragraphs. Simple HTML is kept "
            "(paragraphs, bold, italics, lists, links); everything else is removed."
        ),
    )
    addressed_to = StringField(
        "Addressed to",
        validators=[Optional(), Length(max=500)],
        description="Who decides, e.g. “Connecticut State Board of Education”.",
    )
    goal = IntegerField(
        "Signature goal",
        default=1000,
        validators=[
            InputRequired("Give a goal: a whole number of signatures."),
            NumberRange(1, GOAL_MAX, f"The goal must be a whole number from 1 to {GOAL_MAX:,}."),
        ],
    )
    deadline_date = DateField("Deadline (date)", validators=[Optional()])  # described in __init__
    deadline_time = TimeField(
        "Deadline (time)",
        validators=[Optional()],
        description="Optional; 11:59 pm when left empty.",
    )
    sponsors = TextAreaField(
        "Sponsors",
        validators=[Optional(), Length(max=5000)],
        description="Coalition partners, one per line.",
    )
    ask_waitlist = BooleanField("Ask signers for a waitlist number")
    waitlist_label = StringField(
        "Label for the waitlist number",
        validators=[Optional(), Length(max=200)],
        description="E.g. “Your child's magnet school waitlist number”. Empty: the standard label, in the signer's language.",
    )
    waitlist_min = IntegerField(
        "Smallest accepted number",
        validators=[Optional(), NumberRange(0, WAITLIST_MAX)],
    )
    waitlist_max = IntegerField(
        "Largest accepted number",
        validators=[Optional(), NumberRange(0, WAITLIST_MAX)],
    )
    require_confirmation = BooleanField(
        "Online signatures need email confirmation (counted once confirmed)"
    )

    # Spanish twins, shown beside their English field; empty ones show the English text.
    title_es = StringField("Title (Spanish)", validators=[Optional(), Length(max=200)])
    summary_es = TextAreaField("Short summary (Spanish)", validators=[Optional(), Length(max=300)])
    body_es = TextAreaField("Petition text (Spanish)", validators=[Optional(), Length(max=50_000)])
    addressed_to_es = StringField(
        "Addressed to (Spanish)", validators=[Optional(), Length(max=500)]
    )
    waitlist_label_es = StringField(
        "Label for the waitlist number (Spanish)", validators=[Optional(), Length(max=200)]
    )
    embed_origins = TextAreaField(
        "Sites that may show the embed",
        validators=[Optional(), Length(max=5000)],
        description=(
            "Optional. Site addresses such as https://example.org, one per line. "
            "Empty: any website may show the petition's embed in a frame."
        ),
    )
    retention_days = IntegerField(
        "Keep signers' personal data for (days)",
        validators=[Optional(), NumberRange(0, RETENTION_MAX, f"Use 0 to {RETENTION_MAX:,} days.")],
    )  # described in __init__

    deadline_utc = None  # set by validate(): the deadline as naive UTC, or None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The configured zone, read per request (DEFAULT_TIMEZONE).
        self.deadline_date.description = (
            f"Optional. Local time ({zone().key}). Signing stops at the deadline."
        )
        self.retention_days.description = (
            "Counted from the day the petition closes (or its packet is delivered, if later); "
            "then names, emails, ZIP codes, comments and waitlist numbers are removed and only "
            f"town, role and day are kept. Empty: {current_app.config['RETENTION_DAYS']} days."
        )

    def validate_deadline_time(self, field):
        if field.data is not None and self.deadline_date.data is None:
            raise ValidationError("Give a date for the deadline too.")

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the deadline as a moment in the site's time zone."""
        self.deadline_utc = None
        if not super().validate(extra_validators):
            return False
        if self.deadline_date.data is not None:
            try:
                self.deadline_utc = local_day_to_utc(
                    self.deadline_date.data, self.deadline_time.data
                )
            except BadLocalTime as e:
                self.deadline_time.errors.append(str(e))
                return False
        return True


class ConfirmForm(FlaskForm):
    """A button that confirms an action (its CSRF token is the whole form)."""
