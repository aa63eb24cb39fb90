"""The boundary upload against hostile and careless files (issue 20, items 1, 2 and 9).

The corpus is built here, small: VRT files that read a local "secret" or fetch a URL (plain, renamed
.geojson, inside a zip), GeoJSON tricks, unsafe zips, fake GeoPackages, a wrong CRS, broken rings,
and files over the (test-sized) caps. Nothing may leak, nothing may be fetched, nothing may be
written, and every refusal says why.
"""
from __future__ import annotations

import http.server
import io
import json
import sqlite3
import threading
import zipfile
from contextlib import closing

import geopandas as gpd
import pyogrio
import pytest
from sqlmodel import select

from surveyapp.geo import reading
from surveyapp.geo.reading import BoundaryFileError
from surveyapp.geo.services import import_boundaries
from surveyapp.models import AdminUnit, Boundary, Establishment

from .geo_files import feature_collection, tiny_squares, unit_cells, vrt_xml, write, write_shapefile, zip_members

SECRET = "s3cr3t-session-signing-key"


@pytest.fixture
def secret_file(tmp_path):
    """A local file the server can read and must never show: like instance/secret_key."""
    path = tmp_path / "instance" / "secret_key"
    path.parent.mkdir()
    path.write_text(f"name\n{SECRET}\n", encoding="utf-8")
    return path


@pytest.fixture
def web_server():
    """A tiny HTTP server on localhost that records every request it gets."""
    requests: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server interface
            requests.append(self.path)
            body = b"name\nFETCHED-FROM-THE-NETWORK\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET  # noqa: N815

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()
    thread.join()


def stored(session) -> dict[str, Boundary]:
    session.expire_all()
    return {b.unit_code: b for b in session.exec(select(Boundary))}


def upload(client, files: list[tuple[bytes, str]], dry_run: bool = True, **form):
    data = {"files": [(io.BytesIO(content), name) for content, name in files], "level": "district", **form}
    if dry_run:
        data["dry_run"] = "y"
    return client.post("/admin/boundaries", content_type="multipart/form-data", data=data)


# Item 1: only GeoJSON, GeoPackage and Shapefile reach GDAL, decided by the bytes; no network.

def hostile_vrts(secret_file, url: str) -> dict[str, list[tuple[bytes, str]]]:
    local = vrt_xml(f"CSV:{secret_file}", "secret_key").encode()
    remote = vrt_xml(f"CSV:/vsicurl/{url}/names.csv", "names").encode()
    return {
        "vrt renamed .geojson": [(local, "huyen.geojson")],
        "vrt renamed .json": [(local, "huyen.json")],
        "vrt renamed .gpkg": [(local, "huyen.gpkg")],
        "vrt renamed .shp": [(local, "huyen.shp"), (b"", "huyen.shx"), (b"", "huyen.dbf")],
        "vrt renamed .zip": [(local, "huyen.zip")],
        "vrt in a zip": [(_zip_bytes({"huyen.vrt": local}), "huyen.zip")],
        "vrt beside a shapefile in a zip": [(_zip_bytes({"a.vrt": local, "a.shp": b"", "a.dbf": b""}), "a.zip")],
        "vsicurl vrt renamed .geojson": [(remote, "remote.geojson")],
        "vsicurl vrt in a zip": [(_zip_bytes({"remote.vrt": remote}), "remote.zip")],
    }


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_vrt_files_neither_leak_local_files_nor_fetch_urls(client, session, secret_file, web_server):
    url, requests = web_server
    for kind, files in hostile_vrts(secret_file, url).items():
        for dry_run in (True, False):
            response = upload(client, files, dry_run=dry_run, name_field="name")  # before: the secret, listed
            assert response.status_code == 422, kind
            assert SECRET not in response.text and "FETCHED" not in response.text, kind
            assert 'id="import-error"' in response.text, kind
    assert requests == []
    assert stored(session) == {}


def test_the_refusal_names_the_accepted_formats_in_vietnamese(client, secret_file):
    response = upload(client, [(vrt_xml(f"CSV:{secret_file}", "secret_key").encode(), "huyen.geojson")])
    assert "không phải GeoJSON, GeoPackage hay Shapefile" in response.text


def test_gdal_network_access_is_off_in_the_app(app, web_server):
    url, requests = web_server
    with pytest.raises(pyogrio.errors.DataSourceError):
        pyogrio.read_info(f"/vsicurl/{url}/districts.geojson")
    assert requests == []


@pytest.mark.parametrize("path", ["/vsicurl/http://127.0.0.1:9/x.geojson", "/vsizip//tmp/x.zip/x.shp",
                                  "/vsimem/x.geojson", "/VSISTDIN/"])
def test_gdal_virtual_paths_are_refused_before_gdal(session, path):
    with pytest.raises(BoundaryFileError) as error:
        import_boundaries(session, path, level="district", province_code="94")
    assert error.value.kind == "not_local"


def test_geojson_with_a_crs_link_or_ref_is_refused(session, tmp_path, web_server):
    url, requests = web_server
    square = tiny_squares(1)
    linked = feature_collection(square)
    linked["crs"] = {"type": "link", "properties": {"href": f"{url}/crs.wkt", "type": "ogcwkt"}}
    referenced = {"$ref": f"{url}/districts.geojson", "type": "FeatureCollection", "features": []}
    topology = {"type": "Topology", "objects": {}, "arcs": []}
    esri = {"geometryType": "esriGeometryPolygon", "features": [{"geometry": {"rings": []}}]}
    for number, content in enumerate((linked, referenced, topology, esri, [1, 2], "text")):
        path = tmp_path / f"{number}.geojson"
        path.write_text(json.dumps(content), encoding="utf-8")
        with pytest.raises(BoundaryFileError) as error:
            import_boundaries(session, path, level="district", province_code="94")
        assert error.value.kind in ("external", "not_gis"), content
    assert requests == []


def test_geojson_may_name_its_crs_by_code(session, cells, tmp_path):
    collection = json.loads(cells.to_crs("EPSG:3405").to_json())
    for crs in ({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3405"}},
                {"type": "name", "properties": {"name": "EPSG:3405"}}, {"type": "EPSG", "properties": {"code": 3405}}):
        path = tmp_path / "vn2000.geojson"
        path.write_text(json.dumps({**collection, "crs": crs}), encoding="utf-8")
        report = import_boundaries(session, path, level="district", province_code="94", dry_run=True)
        assert len(report.matched) == 11 and "3405" in report.source_crs, crs


def test_unsafe_zips_are_refused(session, cells, tmp_path):
    shp = write_shapefile(cells, tmp_path / "shp")
    parts = {p.name: p.read_bytes() for p in shp.parent.iterdir()}
    cases = {
        "climbs out": (zip_members(tmp_path / "a.zip", {f"../{name}": data for name, data in parts.items()}),
                       "zip_unsafe"),
        "absolute": (zip_members(tmp_path / "b.zip", {f"/tmp/{name}": data for name, data in parts.items()}),
                     "zip_unsafe"),
        "symlink": (zip_members(tmp_path / "c.zip", {n: d for n, d in parts.items() if not n.endswith(".dbf")},
                                symlinks={"districts.dbf": "/etc/passwd"}), "zip_unsafe"),
        "no shapefile": (zip_members(tmp_path / "d.zip", {"notes.txt": b"hello"}), "not_gis"),
        "not a zip": (tmp_path / "e.zip", "not_gis"),
        "shp without magic": (zip_members(tmp_path / "f.zip", {**parts, "districts.shp": b"<OGRVRTDataSource/>"}),
                              "not_gis"),
    }
    (tmp_path / "e.zip").write_bytes(b"PK\x03\x04garbage")
    for case, (path, kind) in cases.items():
        with pytest.raises(BoundaryFileError) as error:
            import_boundaries(session, path, level="district", province_code="94")
        assert error.value.kind == kind, case
    assert stored(session) == {}


def test_zip_bomb_is_refused_before_extraction(session, tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("districts.dbf", b"\0" * 3_000_000)
        archive.writestr("districts.shp", b"\0\0\x27\x0a" + b"\0" * 96)
        archive.writestr("districts.shx", b"\0\0\x27\x0a" + b"\0" * 96)
    with pytest.raises(BoundaryFileError) as error:
        reading.read_boundary_file(path, limits=reading.Limits(max_bytes=1_000_000))
    assert error.value.kind == "too_big"


def test_a_sqlite_file_that_is_not_a_geopackage_is_refused(session, tmp_path):
    path = tmp_path / "districts.gpkg"
    with closing(sqlite3.connect(path)) as database:
        database.execute("CREATE TABLE gpkg_contents (table_name TEXT)")
        database.commit()
    with pytest.raises(BoundaryFileError) as error:
        import_boundaries(session, path, level="district", province_code="94")
    assert error.value.kind == "not_gis"


def test_a_geopackage_with_a_foreign_virtual_table_is_refused(session, cells, tmp_path):
    """SpatiaLite's VirtualShape (and the like) would read files the database names."""
    path = write(cells, tmp_path / "d.gpkg")
    with closing(sqlite3.connect(path)) as database:
        database.execute("CREATE VIRTUAL TABLE notes USING fts5(text)")
        database.commit()
    with pytest.raises(BoundaryFileError) as error:
        import_boundaries(session, path, level="district", province_code="94")
    assert error.value.kind == "not_gis"


def test_a_renamed_geopackage_is_read_by_its_bytes(session, cells, tmp_path):
    """The content decides: a GeoPackage called .geojson is still a GeoPackage (and fine)."""
    path = write(cells, tmp_path / "d.gpkg")
    renamed = path.rename(tmp_path / "d.geojson")
    report = import_boundaries(session, renamed, level="district", province_code="94", dry_run=True)
    assert len(report.matched) == 11


# Item 2: a wrong CRS is refused with the reason; nothing is written; maps survive broken shapes.

@pytest.fixture
def cells(session):
    return unit_cells(session, "district")


def lonlat_declared_as_vn2000(cells, tmp_path):
    collection = json.loads(cells.to_json())
    collection["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3405"}}
    path = tmp_path / "wrong_crs.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def test_wrong_crs_is_refused_in_the_dry_run_and_the_import(client, session, cells, tmp_path):
    good = write(cells, tmp_path / "good.geojson").read_bytes()
    assert upload(client, [(good, "good.geojson")], dry_run=False).status_code == 200
    before = {code: b.geometry for code, b in stored(session).items()}
    wrong = lonlat_declared_as_vn2000(cells, tmp_path).read_bytes()
    for dry_run in (True, False):
        response = upload(client, [(wrong, "wrong.geojson")], dry_run=dry_run)
        assert response.status_code == 422
        assert "toạ độ nằm ngoài tỉnh: kiểm tra hệ toạ độ" in response.text.lower()
        assert 'data-applied="1"' not in response.text
    assert {code: b.geometry for code, b in stored(session).items()} == before
    for page in ("/maps/districts", "/maps/districts/download", "/data-quality/gps"):
        assert client.get(page).status_code == 200, page


def test_wrong_crs_is_refused_by_the_cli(app, session, cells, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["boundaries", "import", str(lonlat_declared_as_vn2000(cells, tmp_path)), "--level", "district"])
    assert result.exit_code == 1 and "outside the province" in result.output
    assert stored(session) == {}


def test_without_the_province_box_its_centroids_decide(session, cells, tmp_path):
    province = session.get(AdminUnit, "94")
    province.min_lat = province.min_lon = province.max_lat = province.max_lon = None
    session.add(province)
    session.commit()
    good = import_boundaries(session, write(cells, tmp_path / "d.geojson"), level="district", province_code="94",
                             dry_run=True)
    assert len(good.matched) == 11
    with pytest.raises(BoundaryFileError) as error:
        import_boundaries(session, lonlat_declared_as_vn2000(cells, tmp_path), level="district", province_code="94")
    assert error.value.kind == "outside"


def test_a_failing_gps_check_leaves_nothing_written(client, session, cells, tmp_path, monkeypatch):
    from surveyapp.geo import blueprint

    def broken(*args, **kwargs):
        raise RuntimeError("GPS check failed")

    monkeypatch.setattr(blueprint, "recheck_gps_mismatch", broken)
    data = write(cells, tmp_path / "d.geojson").read_bytes()
    with pytest.raises(RuntimeError):
        upload(client, [(data, "d.geojson")], dry_run=False)
    assert stored(session) == {}


def test_the_gps_check_runs_in_the_import_transaction(client, session, cells, tmp_path, add_establishment):
    add_establishment(lat=1.0, lon=1.0)  # far away
    data = write(cells, tmp_path / "d.geojson").read_bytes()
    assert upload(client, [(data, "d.geojson")], dry_run=False).status_code == 200
    session.expire_all()
    assert [e.gps_mismatch for e in session.exec(select(Establishment))] == [True]
    assert len(stored(session)) == 11


BROKEN_SHAPES = [
    {"type": "Polygon", "coordinates": []},
    {"type": "Polygon", "coordinates": [[[1e300, 1e300], [1e300, -1e300], [-1e300, 0], [1e300, 1e300]]]},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]},
    {"type": "Point", "coordinates": [105.9, 9.6]},
    {"type": "Polygon", "coordinates": [[[105.9, 9.6], [106.0, 9.7], [106.0, 9.6], [105.9, 9.7], [105.9, 9.6]]]},
]


def import_with_one_establishment(client, session, cells, tmp_path, add_establishment) -> Establishment:
    commune = session.get(AdminUnit, "31498")
    located = add_establishment(lat=commune.lat, lon=commune.lon)
    data = write(cells, tmp_path / "d.geojson").read_bytes()
    assert upload(client, [(data, "d.geojson")], dry_run=False).status_code == 200
    return located


def break_boundaries(session, codes, broken: dict) -> None:
    for boundary in session.exec(select(Boundary).where(Boundary.unit_code.in_(codes))):
        boundary.geometry = broken
        session.add(boundary)
    session.commit()


def assert_maps_answer(client, query: str = "") -> None:
    for page in ("/maps/districts", "/maps/districts/download", "/data-quality/gps"):
        assert client.get(page + query).status_code == 200, page + query
    assert client.post("/data-quality/gps/check").status_code == 302


@pytest.mark.parametrize("broken", BROKEN_SHAPES)
def test_a_map_with_a_broken_shape_shows_the_rest(client, session, cells, tmp_path, broken, add_establishment):
    located = import_with_one_establishment(client, session, cells, tmp_path, add_establishment)
    break_boundaries(session, [located.district_code], broken)
    assert_maps_answer(client, f"?district={located.district_code}")
    page = client.get("/maps/districts").text
    assert page.count('"code": "9') == 10  # the ten other districts are drawn


def test_maps_answer_when_every_stored_shape_is_empty(client, session, cells, tmp_path, add_establishment):
    """What the wrong-CRS import left behind before the fix: 11 empty geometries."""
    import_with_one_establishment(client, session, cells, tmp_path, add_establishment)
    break_boundaries(session, list(cells["code"]), {"type": "Polygon", "coordinates": []})
    assert_maps_answer(client)


# Item 9: broken rings and files over the caps are refused with the reason, in bounded time.

@pytest.mark.parametrize(("coordinates", "kind"), [
    ([[[105.9, 9.6], [106.0, 9.7]]], "unclosed_ring"),  # a ring of two points
    ([[[105.9, 9.6], [float("nan"), 9.6], [106.0, 9.7], [105.9, 9.6]]], "no_polygons"),
    ([[[105.9, 9.6], [float("inf"), 9.6], [106.0, 9.7], [105.9, 9.6]]], "no_polygons"),
    ([[[580_000, 1_060_000], [590_000, 1_060_000], [590_000, 1_070_000], [580_000, 1_060_000]]], "outside"),
])
def test_broken_coordinates_are_refused_with_the_reason(session, tmp_path, coordinates, kind):
    """NaN, infinity, too few points, metres in a file that says lon/lat: a reason, never a crash."""
    path = tmp_path / "broken.geojson"
    path.write_text(json.dumps(feature_collection([{"type": "Polygon", "coordinates": coordinates}])),
                    encoding="utf-8")
    with pytest.raises(BoundaryFileError) as error:
        import_boundaries(session, path, level="district", province_code="94")
    assert error.value.kind == kind


def test_an_unclosed_ring_is_refused_with_the_reason(client, session, tmp_path):
    ring = [[105.9, 9.6], [106.0, 9.6], [106.0, 9.7], [105.9, 9.7]]  # first point not repeated
    collection = feature_collection([{"type": "Polygon", "coordinates": [ring]}])
    response = upload(client, [(json.dumps(collection).encode(), "open.geojson")])
    assert response.status_code == 422 and 'id="import-error"' in response.text
    assert "không khép kín" in response.text
    assert stored(session) == {}


def test_too_many_features_are_refused_before_the_work(app, client, session, tmp_path):
    app.config["BOUNDARY_MAX_FEATURES"] = 50
    collection = feature_collection(tiny_squares(51))
    response = upload(client, [(json.dumps(collection).encode(), "many.geojson")])
    assert response.status_code == 422 and "50" in response.text and "đối tượng" in response.text
    frame = gpd.GeoDataFrame.from_features(collection["features"], crs="EPSG:4326")
    with pytest.raises(BoundaryFileError) as error:
        reading.read_boundary_file(write(frame, tmp_path / "many.gpkg"), limits=reading.Limits(max_features=50))
    assert error.value.kind == "too_many_features"


def test_too_many_vertices_are_refused(app, client, session, cells):
    app.config["BOUNDARY_MAX_VERTICES"] = 1_000
    dense = cells.copy()
    dense["geometry"] = dense.geometry.segmentize(0.001)
    response = upload(client, [(dense.to_json().encode(), "dense.geojson")])
    assert response.status_code == 422 and "1.000" in response.text


def test_a_file_over_the_byte_cap_is_refused(app, client, cells):
    app.config["BOUNDARY_MAX_BYTES"] = 1_000
    response = upload(client, [(cells.to_json().encode(), "big.geojson")])
    assert response.status_code == 422 and 'id="import-error"' in response.text


def test_reading_time_is_capped(app, client, cells):
    app.config["BOUNDARY_MAX_SECONDS"] = 0
    response = upload(client, [(cells.to_json().encode(), "slow.geojson")])
    assert response.status_code == 422 and 'id="import-error"' in response.text


def test_the_caps_keep_an_ordinary_province_file(session, cells, tmp_path):
    report = import_boundaries(session, write(cells, tmp_path / "d.geojson"), level="district",
                               province_code="94", dry_run=True)
    assert len(report.matched) == 11
