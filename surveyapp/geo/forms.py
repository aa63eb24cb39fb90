"""The boundary upload form (admin)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, MultipleFileField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from .indicators import LEVEL_LABELS


class BoundaryUploadForm(FlaskForm):
    files = MultipleFileField(
        _l("Boundary file"),
        description=_l("GeoJSON, GeoPackage, a zipped Shapefile, or a .shp chosen together with its .shx, .dbf "
                       "and .prj. Any coordinate system (e.g. VN-2000)."),
        render_kw={"accept": ".geojson,.json,.gpkg,.zip,.shp,.shx,.dbf,.prj,.cpg"})
    level = SelectField(_l("Level"), choices=[SelectChoice(level, label) for level, label in LEVEL_LABELS.items()])
    code_field = StringField(_l("Attribute with GSO codes (empty: detect)"), validators=[Optional(), Length(max=64)])
    name_field = StringField(_l("Attribute with names (empty: detect)"), validators=[Optional(), Length(max=64)])
    layer = StringField(_l("Layer (GeoPackage with several layers)"), validators=[Optional(), Length(max=128)])
    dry_run = BooleanField(_l("Only check the file, change nothing"))
    submit = SubmitField(_l("Import boundaries"))
