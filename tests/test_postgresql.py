"""PostgreSQL specifics, checked on a real server whatever backend this run uses."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from surveyapp.db import migrate, session_scope
from surveyapp.establishments.services import register_establishment
from surveyapp.accounts.services import create_user
from surveyapp.adminunits.services import load_admin_units

from .conftest import build_app, dispose, login

pytestmark = pytest.mark.postgresql


@pytest.fixture
def postgres_app(postgres_url):
    server = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    name = f"surveyapp_pg_{uuid.uuid4().hex[:8]}"
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    app = build_app(make_url(postgres_url).set(database=name).render_as_string(hide_password=False))
    with app.app_context():
        migrate()
    yield app
    dispose(app)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    server.dispose()


def test_migrations_run_on_postgresql_with_native_types(postgres_app):
    with postgres_app.app_context(), session_scope(postgres_app) as session:
        types = dict(session.execute(text(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = :t"),
            {"t": "establishment"}).all())
        assert types["revenue_vnd"] == "bigint"  # a large mill's revenue overflows 32 bits
        answers = session.execute(text(
            "SELECT data_type FROM information_schema.columns WHERE table_name='survey_record' "
            "AND column_name='answers'")).scalar()
        assert answers == "jsonb"


def test_big_amounts_and_vietnamese_text_round_trip(postgres_app):
    with postgres_app.app_context(), session_scope(postgres_app) as session:
        load_admin_units(session, "94")
        create_user(session, "admin", "admin", "admin-password")
        establishment = register_establishment(
            session, name="Công ty TNHH Xay xát Đại Thành", commune_code="31498", vsic_code="1061",
            legal_form="enterprise", revenue_vnd=125_000_000_000)
        code = establishment.code
    with postgres_app.app_context(), session_scope(postgres_app) as session:
        row = session.execute(text("SELECT name, revenue_vnd, search_text FROM establishment WHERE code=:c"),
                              {"c": code}).one()
        assert row == ("Công ty TNHH Xay xát Đại Thành", 125_000_000_000, "cong ty tnhh xay xat dai thanh")
    page = login(postgres_app.test_client(), "admin").get("/establishments?q=xay+xat+dai+thanh")
    assert 'data-total="1"' in page.text
