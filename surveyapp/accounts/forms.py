"""Sign-in and password forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from .services import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Enter your username.")), Length(max=60)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password."))],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")),
        Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH))],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Enter the new password again.")), EqualTo("new", _l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Change password"))
