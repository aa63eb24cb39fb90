"""Admin forms: users, assignments, rounds."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..models import Role

ROLE_LABELS = {Role.admin: _l("Administrator"), Role.supervisor: _l("Supervisor"),
               Role.enumerator: _l("Enumerator"), Role.analyst: _l("Analyst")}
ROLE_CHOICES = [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


class NewUserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Enter a username.")),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,59}$", message=_l("3–60 letters, digits, dot, dash or underscore."))])
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    password = PasswordField(_l("Password (empty: generate one)"), validators=[
        Optional(), Length(min=10, max=200, message=_l("At least %(n)d characters.", n=10))])
    submit = SubmitField(_l("Create the user"))


class EditUserForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    is_active = BooleanField(_l("Active (may sign in)"))
    submit = SubmitField(_l("Save"))


class AssignmentForm(FlaskForm):
    round = SelectField(_l("Survey round"), validators=[DataRequired(_l("Choose a survey round."))])
    district = SelectField(_l("Whole district"), validators=[Optional()])
    communes = SelectMultipleField(_l("Communes"), validators=[Optional()], render_kw={"size": 8})
    #: For a round organised by the communes after 1 July 2025.
    communes_2025 = SelectMultipleField(_l("Communes (from 1/7/2025)"), validators=[Optional()], render_kw={"size": 8})


class RoundForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter a short code, e.g. 2026.")), Length(max=30)])
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title.")), Length(max=200)])
    questionnaire = SelectField(_l("Questionnaire"), validators=[DataRequired(_l("Choose a questionnaire."))])
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    is_open = BooleanField(_l("Open for enumerators"))
    #: Checked by `create_round` (missing: the NEW_ROUND_ADMIN_UNITS setting).
    admin_units = SelectField(_l("Organised by"), validate_choice=False, choices=[
        SelectChoice("2025", _l("Administrative units after 1/7/2025")),
        SelectChoice("legacy", _l("Administrative units before 1/7/2025"))])
    submit = SubmitField(_l("Create the survey round"))
