"""Registering a newly found establishment (before its questionnaire is filled)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..reference import LEGAL_FORM_LABELS


class RegistrationForm(FlaskForm):
    name = StringField(_l("Establishment name"), validators=[DataRequired(_l("The name is required.")), Length(max=200)])
    owner = StringField(_l("Owner or representative"), validators=[Optional(), Length(max=120)])
    legal_form = SelectField(
        _l("Legal form"), choices=[SelectChoice(form.value, text) for form, text in LEGAL_FORM_LABELS.items()],
        validators=[DataRequired(_l("Choose a legal form."))])
    vsic_code = StringField(_l("Main activity (VSIC code)"), validators=[
        DataRequired(_l("The VSIC code is required.")),
        Regexp(r"^\s*\d{4,5}\s*$", message=_l("A VSIC code has 4 or 5 digits, e.g. 1061."))])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=250)])
    phone = StringField(_l("Phone"), validators=[Optional(), Regexp(r"^0\d{9,10}$", message=_l("A phone number has 10 or 11 digits and starts with 0."))])
