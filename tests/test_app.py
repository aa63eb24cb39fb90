"""The application factory, configuration, the database engine and the migrations."""
from __future__ import annotations

import os
import stat

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from surveyapp.db import get_engine, schema_is_current
from surveyapp.establishments import search_index, tally


def test_secret_key_is_generated_once_in_instance(tmp_path):
    instance = tmp_path / "instance"
    app = _app_in(instance)
    key_file = instance / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(app.config["SECRET_KEY"]) == 64
    again = _app_in(instance)
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def _app_in(instance):
    from flask import Flask

    from surveyapp import config

    app = Flask("surveyapp", instance_path=str(instance))
    config.configure(app, None)
    return app


def test_default_database_is_sqlite_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    from flask import Flask

    from surveyapp import config

    app = Flask("surveyapp", instance_path=str(tmp_path))
    config.configure(app, None)
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/surveyapp.sqlite"


def test_database_url_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@127.0.0.1:1/x")
    from flask import Flask

    from surveyapp import config

    app = Flask("surveyapp", instance_path=str(tmp_path))
    config.configure(app, None)
    assert app.config["DATABASE_URL"] == "postgresql+psycopg://u@127.0.0.1:1/x"


def test_test_config_overrides_everything(app):
    assert app.config["TESTING"] is True
    assert app.config["SECRET_KEY"] == "test"


def test_sqlite_pragmas(app):
    engine = get_engine(app)
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def _outside_models(*about) -> bool:
    return search_index.include_object(*about) and tally.include_object(*about)


def test_migrations_match_the_models(app):
    """Autogenerate finds nothing to do: every model change has its migration."""
    with app.app_context():
        assert schema_is_current(app)
        with get_engine(app).connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                  "include_object": _outside_models})
            differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_filters_are_indexed(app):
    from sqlalchemy import inspect

    indexed = set()
    for index in inspect(get_engine(app)).get_indexes("establishment"):
        indexed.add(index["column_names"][0])
    assert {"district_code", "commune_code", "sector", "legal_form", "status"} <= indexed
    record_indexes = [i["column_names"] for i in inspect(get_engine(app)).get_indexes("survey_record")]
    assert ["round_id", "establishment_id"] in record_indexes


def test_foreign_keys_are_enforced(app):
    from sqlalchemy.exc import IntegrityError

    from surveyapp.db import session_scope
    from surveyapp.models import Establishment

    import pytest

    with app.app_context(), pytest.raises(IntegrityError):
        with session_scope(app) as session:
            session.add(Establishment(code="94-941-999999", name="X", legal_form="household", vsic_code="1071",
                                      sector="C10", commune_code="00000", district_code="941", province_code="94"))


def test_init_db_command_is_idempotent(runner):
    first = runner.invoke(args=["init-db"])
    second = runner.invoke(args=["init-db"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "Database ready" in second.output


def test_environment_has_no_debug_leak():
    assert os.environ.get("FLASK_DEBUG") in (None, "", "0")


def test_migrations_upgrade_a_database_that_holds_data(databases):
    """From the first schema with establishments and records in it, every migration runs and keeps the rows."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from surveyapp.db import alembic_config, migrate

    from .conftest import build_app, dispose

    url = databases.new_url()
    app = build_app(url)
    try:
        config = alembic_config(url)
        first = ScriptDirectory.from_config(config).get_base()
        with get_engine(app).begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, first)
        with get_engine(app).begin() as connection:
            connection.execute(text(
                "INSERT INTO admin_unit (code, name, short_name, unit_type, level, province_code, name_normalized, "
                "successor_split) VALUES ('94', 'Tỉnh Sóc Trăng', 'Sóc Trăng', 'Tỉnh', 'province', '94', 'x', false), "
                "('941', 'TP', 'TP', 'Thành phố', 'district', '94', 'x', false)"))
            connection.execute(text(
                "UPDATE admin_unit SET parent_code = '94' WHERE code = '941'"))
            connection.execute(text(
                "INSERT INTO admin_unit (code, name, short_name, unit_type, level, parent_code, province_code, "
                "name_normalized, successor_split) VALUES ('31498', 'Phường 5', '5', 'Phường', 'commune', '941', '94', "
                "'x', false)"))
            connection.execute(text(
                "INSERT INTO establishment (code, name, legal_form, vsic_code, sector, commune_code, district_code, "
                "province_code, status, search_text, is_demo, version, created_at, updated_at) VALUES "
                "('94-941-000001', 'Cơ sở A', 'household', '1071', 'C10', '31498', '941', '94', 'active', 'co so a', "
                "false, 1, '2019-01-01', '2019-01-01')"))
            connection.execute(text(
                "INSERT INTO survey_round (code, title, questionnaire_id, is_open, is_demo, created_at) VALUES "
                "('2019', '2019', 'cnnt-2019', true, false, '2019-01-01')"))
            connection.execute(text(
                "INSERT INTO survey_record (uuid, establishment_id, round_id, answers, status, created_at, updated_at) "
                "SELECT 'u-1', e.id, r.id, '{}', 'submitted', '2019-01-01', '2019-01-01' FROM establishment e, survey_round r"))
        with app.app_context():
            migrate()
            assert schema_is_current(app)
        with get_engine(app).connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM establishment")).scalar() == 1
            row = connection.execute(text("SELECT questionnaire_id, version_number, is_current FROM survey_record")).one()
            assert tuple(row) == ("cnnt-2019", 1, True)  # filled in by the migration that added them
    finally:
        dispose(app)
        databases.drop(url)
