from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

from petitions.rallies.checkin import NONCE_RE


class TicketCheckInForm(FlaskForm):
    """The ticket page's "Check in" button; the nonce makes a double tap count once."""

    nonce = HiddenField(validators=[DataRequired(), Regexp(NONCE_RE)])
