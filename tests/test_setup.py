"""`flask setup` (what `make run` calls) and `flask users create`."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from surveyapp.accounts.queries import assigned_communes
from surveyapp.accounts.services import user_by_username
from surveyapp.db import session_scope
from surveyapp.geo.bundled import bundled_layers, load_bundled_boundaries
from surveyapp.geo.queries import boundary_counts
from surveyapp.models import AdminUnit, AuditEvent, Boundary, Establishment, User

from .conftest import build_app, dispose


def test_setup_on_an_empty_database_then_again(databases):
    url = databases.new_url()
    app = build_app(url)
    runner = app.test_cli_runner()
    try:
        first = runner.invoke(args=["setup", "--demo-establishments", "40"])
        assert first.exit_code == 0, first.output
        passwords = dict(re.findall(r"^  \w+ +(\w+) +(\S+)$", first.output, re.M))
        assert set(passwords) == {"admin", "giamsat", "dieutra", "phantich"}
        password = passwords["admin"]
        assert "shown only once" in first.output
        assert "synthetic demo census of 40 establishments" in first.output
        with app.app_context(), session_scope(app) as session:
            admin = user_by_username(session, "admin")
            assert admin.role == "admin" and check_password_hash(admin.password_hash, password)
            enumerator = user_by_username(session, "dieutra")
            assert enumerator.role == "enumerator" and check_password_hash(enumerator.password_hash, passwords["dieutra"])
            assert len(assigned_communes(session, enumerator.id)) == 3
            assert len(assigned_communes(session, user_by_username(session, "giamsat").id)) == 9
            assert session.scalar(select(func.count()).select_from(AdminUnit)) == 63 + 696 + 10035
            establishments_before = session.scalar(select(func.count()).select_from(Establishment))
            assert boundary_counts(session, "94") == {"district": 11}
            sources = set(session.scalars(select(Boundary.source_file)))
            assert sources == {"dvhcvn (GPL-3.0), gis.chinhphu.vn"}
        assert "Loaded 11 district boundaries shipped with the app" in first.output
        assert "Loaded 10794 administrative units (before 1 July 2025) and 3355 after it." in first.output

        second = runner.invoke(args=["setup", "--demo-establishments", "40"])
        assert second.exit_code == 0, second.output
        assert "password" not in second.output and "demo census" not in second.output
        assert "boundaries" not in second.output
        with app.app_context(), session_scope(app) as session:
            assert session.scalar(select(func.count()).select_from(User)) == 4
            assert session.scalar(select(func.count()).select_from(Establishment)) == establishments_before
            assert check_password_hash(user_by_username(session, "admin").password_hash, password)
    finally:
        dispose(app)
        databases.drop(url)


def test_users_create(runner, session):
    result = runner.invoke(args=["users", "create", "--username", "Lan.NT", "--role", "analyst"])
    assert result.exit_code == 0, result.output
    password = re.search(r"password \(shown once\): (\S+)", result.output).group(1)
    user = user_by_username(session, "lan.nt")
    assert user.role == "analyst" and check_password_hash(user.password_hash, password)
    assert user.password_hash.startswith("scrypt:")
    events = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "user",
                                                   AuditEvent.entity_id == str(user.id))).all()
    assert [(e[0].action, e[0].after["username"]) for e in events] == [("create", "lan.nt")]


def test_users_create_with_communes(runner, session):
    from surveyapp.models import SurveyRound

    session.add(SurveyRound(code="2019", title="2019", is_open=True))
    session.commit()
    result = runner.invoke(args=["users", "create", "--username", "hoa", "--role", "enumerator",
                                 "--communes", "31498, 31501", "--round", "2019"])
    assert result.exit_code == 0, result.output
    assert "2 communes in round 2019" in result.output
    assert assigned_communes(session, user_by_username(session, "hoa").id) == {"31498", "31501"}
    assert runner.invoke(args=["users", "create", "--username", "lan2", "--role", "enumerator",
                               "--communes", "31498"]).exit_code == 2
    unknown = runner.invoke(args=["users", "create", "--username", "lan3", "--role", "enumerator",
                                  "--communes", "99999", "--round", "2019"])
    assert unknown.exit_code == 1 and "Unknown commune code: 99999" in unknown.output
    assert user_by_username(session, "lan3") is None  # nothing half-made


def test_users_create_refuses_bad_input(runner):
    assert runner.invoke(args=["users", "create", "--username", "ab", "--role", "analyst"]).exit_code == 1
    assert runner.invoke(args=["users", "create", "--username", "lan", "--role", "king"]).exit_code == 2
    assert runner.invoke(args=["users", "create", "--username", "lan", "--role", "admin", "--password", "short"]).exit_code == 1
    assert runner.invoke(args=["users", "create", "--username", "lan", "--role", "admin"]).exit_code == 0
    taken = runner.invoke(args=["users", "create", "--username", "LAN", "--role", "analyst"])
    assert taken.exit_code == 1 and "taken" in taken.output


MAPS = Path(__file__).resolve().parent.parent / "maps"


def test_the_reference_province_ships_its_district_outlines_with_their_licence():
    [layer] = bundled_layers(MAPS, "94")
    assert layer.level == "district" and layer.path.is_file()
    folder = layer.path.parent
    assert "GNU GENERAL PUBLIC LICENSE" in (folder / "LICENSE").read_text(encoding="utf-8")
    assert "dvhcvn" in (folder / "SOURCE.md").read_text(encoding="utf-8")
    assert bundled_layers(MAPS, "95") == []  # no outline shipped for Bạc Liêu: circles, as before


def test_bundled_outlines_never_replace_an_admins_own_import(session, tmp_path):
    first = load_bundled_boundaries(session, MAPS, "94")
    assert [len(report.imported) for report in first] == [11]
    session.commit()
    mine = session.scalars(select(Boundary).where(Boundary.unit_code == "944")).one()
    mine.source_file = "my-own-districts.gpkg"
    session.commit()
    assert load_bundled_boundaries(session, MAPS, "94") == []
    assert session.scalars(select(Boundary.source_file).where(Boundary.unit_code == "944")).one() \
        == "my-own-districts.gpkg"


def test_a_bundle_for_another_province_is_refused(session, tmp_path):
    folder = tmp_path / "provinces" / "94"
    folder.mkdir(parents=True)
    (folder / "bundle.json").write_text(json.dumps({"province_code": "95", "layers": []}), encoding="utf-8")
    with pytest.raises(ValueError, match="province_code '95' is not '94'"):
        load_bundled_boundaries(session, tmp_path, "94")
