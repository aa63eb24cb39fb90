"""The upload and confirmation forms of the import page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, SubmitField


class UploadForm(FlaskForm):
    file = FileField(_l("Spreadsheet (.xlsx or .csv)"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["xlsx", "csv"], _l("Only .xlsx and .csv files can be imported."))])
    round = SelectField(_l("Also give each establishment an approved record in survey round"), choices=[])
    submit = SubmitField(_l("Check the file"))


class ConfirmForm(FlaskForm):
    """Only the CSRF token: the upload's token in the URL names the file and its round."""

    submit = SubmitField(_l("Import"))
