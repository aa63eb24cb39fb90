"""The CSV export's fast path (lines written by the database) gives the file the Python csv writer
gives from row dicts: same quoting, same neutralised formulas, same empty cells, same labels."""
from __future__ import annotations

import csv
import io

import pytest
from flask_babel import force_locale
from sqlmodel import select

from surveyapp.establishments.filters import EstablishmentFilter
from surveyapp.exports import formats, services
from surveyapp.exports.rows import establishment_rows
from surveyapp.models import Establishment


def python_csv(session, wanted, language) -> bytes:
    with force_locale(language):
        return b"".join(formats.csv_chunks(establishment_rows(session, wanted, None, language), language))


def database_csv(session, wanted, language) -> bytes:
    with force_locale(language):
        return b"".join(services.chunks(session, services.ExportRequest("csv", wanted, None, language)))


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_database_writes_the_same_csv_as_python_for_the_demo_census(demo_app, demo_session, language):
    with demo_app.test_request_context():
        wanted = EstablishmentFilter()
        assert database_csv(demo_session, wanted, language) == python_csv(demo_session, wanted, language)
        filtered = EstablishmentFilter(district="947", sector="C10")
        assert database_csv(demo_session, filtered, language) == python_csv(demo_session, filtered, language)


def test_awkward_text_is_quoted_and_neutralised_the_same_way(app, session, add_establishment):
    awkward = [
        dict(name='Cơ sở "Ba Cây Tre", chi nhánh 2', owner="=HYPERLINK(\"http://x\")", address="Ấp 3\nxã Long Phú"),
        dict(name="-5 món ngon", owner="+84 Nguyễn", address="@nhà, bên sông\r\nsố 7", phone="=1+1", tax_code="-1"),
        dict(name="Cơ sở bình thường", owner=None, address=None, phone=None),
        dict(name="\tTab đầu dòng", owner='"', address=","),
        dict(name="Kho C:\\new\\table", owner="tab\tgiữa, \\\\ hai", address="\\n không phải xuống dòng"),
    ]
    for values in awkward:
        add_establishment(**values)
    session.exec(select(Establishment)).first().gps_mismatch = True
    session.commit()
    with app.test_request_context():
        ours = database_csv(session, EstablishmentFilter(), "en")
        assert ours == python_csv(session, EstablishmentFilter(), "en")
    rows = list(csv.DictReader(io.StringIO(ours.decode("utf-8-sig"))))
    by_name = {row["name"]: row for row in rows}
    assert by_name['Cơ sở "Ba Cây Tre", chi nhánh 2']["owner"] == "'=HYPERLINK(\"http://x\")"
    assert by_name["'-5 món ngon"]["address"] == "'@nhà, bên sông\r\nsố 7"
    assert by_name["'-5 món ngon"]["phone"] == "'=1+1" and by_name["'-5 món ngon"]["tax_code"] == "'-1"
    assert by_name["Cơ sở bình thường"]["owner"] == "" and by_name["Cơ sở bình thường"]["phone"] == ""
    assert [row["address"] for row in rows if row["owner"] == '"'] == [","]
    assert sorted(row["gps_mismatch"] for row in rows) == ["", "", "", "", "1"]
    assert by_name["Kho C:\\new\\table"]["owner"] == "tab\tgiữa, \\\\ hai"
    assert by_name["Kho C:\\new\\table"]["address"] == "\\n không phải xuống dòng"


def test_postgresql_sends_the_csv_with_copy_and_sqlite_in_keyset_batches(app, session, add_establishment,
                                                                           monkeypatch):
    """PostgreSQL writes the whole file with one COPY (no batches of SELECTs); SQLite reads keyset batches."""
    from surveyapp.exports import queries

    for number in range(3):
        add_establishment(name=f"Cơ sở {number}")
    batches = []
    reading = queries.establishment_batches
    monkeypatch.setattr(queries, "establishment_batches", lambda *a, **k: batches.append(1) or reading(*a, **k))
    with app.test_request_context():
        lines = database_csv(session, EstablishmentFilter(), "en").decode("utf-8-sig").split("\r\n")
    assert len(lines) == 5 and lines[-1] == ""
    postgres = session.get_bind().dialect.name == "postgresql"
    assert (batches == []) if postgres else batches
