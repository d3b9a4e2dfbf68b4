from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from petitions.webhooks.delivery import EVENTS
from petitions.webhooks.endpoints import MAX_URL


class WebhookForm(FlaskForm):
    url = StringField("Endpoint URL", validators=[DataRequired(), Length(max=MAX_URL)])
    events = SelectMultipleField(
        "Events",
        choices=[SelectChoice(e, e) for e in EVENTS],
        default=list(EVENTS),
        validators=[DataRequired("Choose at least one event.")],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
