"""The CSV export's fast path (lines written by the database) gives the file the Python csv writer
gives from row dicts: same quoting, same neutralised formulas, same empty cells, same labels."""
from __future__ import annotations

import csv
import io
import threading

import psycopg
import pytest
from flask_babel import force_locale
from sqlalchemy import func, literal
from sqlalchemy.sql.compiler import Compiled
from sqlmodel import select

from surveyapp.establishments.filters import EstablishmentFilter
from surveyapp.exports import formats, services
from surveyapp.exports.rows import establishment_rows
from surveyapp.exports import queries
from surveyapp.models import AdminUnit, Establishment, Photo


def python_csv(session, wanted, language, scope=None) -> bytes:
    with force_locale(language):
        return b"".join(formats.csv_chunks(establishment_rows(session, wanted, scope, language), language))


def database_csv(session, wanted, language, scope=None) -> bytes:
    with force_locale(language):
        return b"".join(services.chunks(session, services.ExportRequest("csv", wanted, scope, language)))


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_database_writes_the_same_csv_as_python_for_the_demo_census(demo_app, demo_session, language):
    with demo_app.test_request_context():
        wanted = EstablishmentFilter()
        assert database_csv(demo_session, wanted, language) == python_csv(demo_session, wanted, language)
        filtered = EstablishmentFilter(district="947", sector="C10")
        assert database_csv(demo_session, filtered, language) == python_csv(demo_session, filtered, language)


AWKWARD = [
    dict(name='Cơ sở "Ba Cây Tre", chi nhánh 2', owner="=HYPERLINK(\"http://x\")", address="Ấp 3\nxã Long Phú"),
    dict(name="-5 món ngon", owner="+84 Nguyễn", address="@nhà, bên sông\r\nsố 7", phone="=1+1", tax_code="-1"),
    dict(name="Cơ sở bình thường", owner=None, address=None, phone=None),
    dict(name="\tTab đầu dòng", owner='"', address=","),
    dict(name="Kho C:\\new\\table", owner="tab\tgiữa, \\\\ hai", address="\\n không phải xuống dòng"),
    dict(name="Bánh tráng Phú Hòa", owner="Ánh", address="Số 5, đường 30/4, Phường 2", phone="0912 345 678"),
    dict(name="@Cơ sở", owner="", address="Dòng 1\rDòng 2", tax_code="0301234567"),
    dict(name="Cơ sở 100% sạch", owner="A%sB%dC", address="Ấp Mỹ Phước"),
]


def test_awkward_text_is_quoted_and_neutralised_the_same_way(app, session, add_establishment):
    for values in AWKWARD[:5]:
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


def small_segments(monkeypatch, rows: int) -> None:
    monkeypatch.setattr(queries, "CSV_BATCH_SIZE", rows)
    monkeypatch.setattr(queries, "COPY_SEGMENT_SIZE", rows)


def test_postgresql_sends_each_segment_with_copy_and_sqlite_joins_its_lines(app, session, add_establishment,
                                                                           monkeypatch):
    for number in range(3):
        add_establishment(name=f"Cơ sở {number}")
    segments, copies = [], []
    building, copying = queries._segment, queries._copy_out
    monkeypatch.setattr(queries, "_segment", lambda *a: segments.append(a[1]) or building(*a))
    monkeypatch.setattr(queries, "_copy_out", lambda *a: copies.append(1) or copying(*a))
    with app.test_request_context():
        lines = database_csv(session, EstablishmentFilter(), "en").decode("utf-8-sig").split("\r\n")
    assert len(lines) == 5 and lines[-1] == ""
    assert len(segments) == 1
    if session.get_bind().dialect.name == "postgresql":
        assert copies == [1] and isinstance(segments[0], Compiled)
    else:
        assert copies == [] and "group_concat" in str(segments[0])




@pytest.fixture
def awkward_registry(session, add_establishment):
    """Awkward text over three communes, one of them named like a formula with a quote and a comma;
    negative numbers, a GPS mismatch, NULLs and photos. Returns the three commune codes."""
    communes = session.exec(select(AdminUnit.code).where(AdminUnit.level == "commune")
                            .order_by(AdminUnit.code)).all()[:3]
    session.get(AdminUnit, communes[1]).name = '=Xã "Mới", ấp 1'
    session.commit()
    added = [add_establishment(commune_code=communes[index % 3], **values)
             for index, values in enumerate(AWKWARD * 3)]
    added[0].revenue_vnd, added[0].workers, added[0].lat, added[0].lon = -1_500_000, -5, -0.5, 105.123456789
    added[1].gps_mismatch, added[2].gps_mismatch, added[3].capital_vnd = True, False, 0
    for establishment, count in ((added[1], 2), (added[9], 1)):
        for number in range(count):
            sha = f"{establishment.id:032x}{number:032x}"
            session.add(Photo(establishment_id=establishment.id, sha256=sha, file_name=f"{sha}.jpg", size_bytes=10,
                              width=1, height=1))
    session.commit()
    return communes


@pytest.mark.parametrize("language", ["en", "vi"])
def test_segments_across_threads_give_the_file_python_writes(app, session, awkward_registry, monkeypatch,
                                                             language):
    """Segments of 4 rows (several per thread), with a filter and an enumerator's scope that leave
    rows out inside segments: byte for byte the file Python's csv writer makes from row dicts."""
    small_segments(monkeypatch, 4)
    threads = set()
    building = queries._segment
    monkeypatch.setattr(queries, "_segment", lambda *a: threads.add(threading.current_thread().name) or building(*a))
    communes = awkward_registry
    cases = [(EstablishmentFilter(), None), (EstablishmentFilter(legal_form="household_business"), None),
             (EstablishmentFilter(), {communes[0], communes[1]}), (EstablishmentFilter(commune=communes[1]), None),
             (EstablishmentFilter(commune=communes[2]), {communes[0]})]
    with app.test_request_context():
        for wanted, scope in cases:
            ours = database_csv(session, wanted, language, scope)
            assert ours == python_csv(session, wanted, language, scope)
        whole = database_csv(session, EstablishmentFilter(), language)
    rows = list(csv.reader(io.StringIO(whole.decode("utf-8-sig"))))
    assert len(rows) == 1 + len(AWKWARD) * 3 and rows[1:] == sorted(rows[1:])  # in code order
    assert "'=Xã \"Mới\", ấp 1" in {cell for row in rows for cell in row}
    assert any(row[-1].count(".jpg") == 2 for row in rows) and "-1500000" in {cell for row in rows for cell in row}
    assert threads and all(name.startswith("csv-lines") for name in threads)


def test_an_error_in_a_segment_reaches_the_download(app, session, awkward_registry, monkeypatch):
    small_segments(monkeypatch, 4)
    built = []
    building = queries._segment

    def failing(*arguments):
        built.append(1)
        if len(built) == 3:
            raise RuntimeError("disk gone")
        return building(*arguments)

    monkeypatch.setattr(queries, "_segment", failing)
    with app.test_request_context(), pytest.raises(RuntimeError, match="disk gone"):
        database_csv(session, EstablishmentFilter(), "en")
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("csv-lines")]


def test_an_abandoned_download_stops_the_threads_and_gives_back_the_connections(app, session, awkward_registry,
                                                                               monkeypatch):
    small_segments(monkeypatch, 2)
    built = []
    building = queries._segment
    monkeypatch.setattr(queries, "_segment", lambda *a: built.append(1) or building(*a))
    pool = session.get_bind().pool
    session.commit()
    before = pool.checkedout()
    with app.test_request_context():
        stream = services.chunks(session, services.ExportRequest("csv", EstablishmentFilter(), None, "en"))
        header, first = next(stream), next(stream)
        assert pool.checkedout() > before
        stream.close()
    session.close()
    assert header.startswith(b"\xef\xbb\xbfestablishment_code,") and first
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("csv-lines")]
    assert pool.checkedout() == before
    assert len(list(csv.reader(io.StringIO(first.decode())))) == 2
    assert len(built) <= 1 + queries.CSV_AHEAD < len(AWKWARD) * 3 // 2  # the rest never started


def test_copy_reads_every_line_and_raises_the_error_of_a_failed_copy(app, session):
    """Lines read as libpq holds them, over many waits for the network, each ended by CRLF while a line feed
    inside a value stays; a COPY the server stops part way raises its error, and the connection serves the
    next statement with the server's own settings."""
    engine = session.get_bind()
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's COPY")
    many = select(func.concat("dòng\n", func.generate_series(1, 200_000).column_valued()))
    failing = select(literal(1) / (func.generate_series(1, 50_000).column_valued() - 40_000))
    with engine.connect() as connection:
        count, data = queries._copy_out(connection, queries._copied(session, many), {})
        assert count == 200_000 and data.count(b"\r\n") == 200_000 and data.count(b"\n") == 400_000
        assert data.startswith('"dòng\n1"\r\n"dòng\n2"\r\n'.encode()) and data.endswith('"dòng\n200000"\r\n'.encode())
        with pytest.raises(psycopg.errors.DivisionByZero):
            queries._copy_out(connection, queries._copied(session, failing), {})
        connection.rollback()
        assert connection.execute(select(literal(7))).scalar() == 7
        assert connection.exec_driver_sql("SHOW random_page_cost").scalar() != "1.1"  # the COPY's own settings
