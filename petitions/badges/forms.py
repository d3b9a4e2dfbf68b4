from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from petitions.badges.services import MAX_BLANKS, NUMBER_FORMATS, SHEET_STOCKS, STOCKS


class SheetForm(FlaskForm):
    source = SelectField(
        "Who", choices=[SelectChoice("all", "Everyone with a number")], default="all"
    )
    stock = SelectField(
        "Badge stock",
        choices=[SelectChoice(k, s.name) for k, s in SHEET_STOCKS.items()],
        default="avery-5392",
    )
    sort = SelectField(
        "Order",
        choices=[SelectChoice("number", "By number"), SelectChoice("name", "By first name")],
        default="number",
    )
    only_unprinted = BooleanField("Only badges not printed yet")
    numbers = StringField(
        "Only these numbers", validators=[Optional(), Length(max=4000)], default=""
    )
    blanks = IntegerField(
        "Blank badges for walk-ups",
        default=0,
        validators=[
            Optional(),
            NumberRange(0, MAX_BLANKS, f"Between 0 and {MAX_BLANKS} blank badges."),
        ],
    )
    cut_lines = BooleanField("Print cut lines")
    lang = SelectField(
        "Language",
        choices=[SelectChoice("en", "English"), SelectChoice("es", "Español")],
        default="en",
    )


def _offset_field(label):
    return FloatField(
        label,
        default=0.0,
        validators=[InputRequired("Type an offset in mm (0 for none)."), NumberRange(-25, 25)],
    )


class DesignForm(FlaskForm):
    line_above = StringField("Line above the number", validators=[Length(max=120)])
    line_below = StringField("Line below", validators=[Length(max=120)])
    line_above_es = StringField("Line above, Spanish", validators=[Length(max=120)])
    line_below_es = StringField("Line below, Spanish", validators=[Length(max=120)])
    number_format = SelectField(
        "Number format", choices=[SelectChoice(k, ex) for k, (ex, _fmt) in NUMBER_FORMATS.items()]
    )
    show_first_name = BooleanField("Print the first name")

    def offset_fields(self):
        """[(stock, x field, y field)] in the order of the stock table."""
        return [(s, self[f"{k}_x"], self[f"{k}_y"]) for k, s in STOCKS.items()]


# One pair of calibration fields per stock, from the table (no per-stock code).
for _key in STOCKS:
    setattr(DesignForm, f"{_key}_x", _offset_field("Right (mm)"))
    setattr(DesignForm, f"{_key}_y", _offset_field("Down (mm)"))
