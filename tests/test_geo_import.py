"""Boundary import: every format and CRS, matching by code and by name, the report, repairs,
simplification without gaps, replacing in one transaction, nothing changed on a bad file."""
from __future__ import annotations

import io
import json

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon, shape
from sqlmodel import select

from surveyapp.geo import matching
from surveyapp.geo.names import name_key
from surveyapp.geo.reading import BoundaryFileError
from surveyapp.geo.services import import_boundaries
from surveyapp.models import AdminUnit, AuditEvent, Boundary

from .conftest import shared_file
from .geo_files import VN2000_UTM48, unit_cells, write, write_shapefile, zip_shapefile

DISTRICTS = [f"{code}" for code in range(941, 952)]


def stored(session, level: str = "district") -> dict[str, Boundary]:
    session.expire_all()
    return {b.unit_code: b for b in session.exec(select(Boundary).where(Boundary.level == level))}


def run_import(session, path, level: str = "district", **options):
    report = import_boundaries(session, path, level=level, province_code="94", **options)
    session.commit()
    return report


def centroids_inside(session, boundaries: dict[str, Boundary]) -> bool:
    return all(shape(boundaries[code].geometry).contains(shapely.Point(session.get(AdminUnit, code).lon,
                                                                           session.get(AdminUnit, code).lat))
               for code in boundaries)


@pytest.fixture
def cells(session):
    return unit_cells(session, "district")


def test_geojson_matches_every_district_by_code(session, cells, tmp_path):
    report = run_import(session, write(cells, tmp_path / "districts.geojson"))
    assert report.applied and report.code_field == "code"
    assert len(report.matched) == 11 and report.unmatched == [] and report.units_without_boundary == []
    assert {m.method for m in report.matched} == {"code"}
    boundaries = stored(session)
    assert sorted(boundaries) == DISTRICTS
    assert centroids_inside(session, boundaries)
    assert all(b.source_file == "districts.geojson" for b in boundaries.values())
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "import_boundaries")).one().after["matched"] == 11


def test_geopackage_layer_must_be_chosen_when_several(session, cells, tmp_path):
    path = tmp_path / "province.gpkg"
    cells.to_file(path, layer="huyen")
    cells.head(3).to_file(path, layer="other", mode="w")
    with pytest.raises(BoundaryFileError) as error:
        run_import(session, path)
    assert error.value.kind == "layers" and "huyen" in str(error.value)
    report = run_import(session, path, layer="huyen")
    assert report.layer == "huyen" and len(report.matched) == 11
    with pytest.raises(BoundaryFileError) as missing:
        run_import(session, path, layer="xa")
    assert missing.value.kind == "no_layer"


def test_shapefile_in_vn2000_utm48n_with_side_files(session, cells, tmp_path):
    projected = cells.to_crs(VN2000_UTM48)
    assert projected.total_bounds[0] > 100_000  # metres, not degrees
    shp = write_shapefile(projected, tmp_path / "shp")
    assert {p.suffix for p in shp.parent.iterdir()} >= {".shp", ".shx", ".dbf", ".prj"}
    report = run_import(session, shp)
    assert "3405" in report.source_crs and len(report.matched) == 11
    boundaries = stored(session)
    assert centroids_inside(session, boundaries)  # reprojected back to lon/lat correctly
    (west, south, east, north) = shapely.total_bounds([shape(b.geometry) for b in boundaries.values()])
    assert 105 < west < east < 107 and 9 < south < north < 10.2


def test_zipped_shapefile(session, cells, tmp_path):
    shp = write_shapefile(cells.to_crs(VN2000_UTM48), tmp_path / "shp", "ranh_gioi_huyen")
    report = run_import(session, zip_shapefile(shp, tmp_path / "ranh_gioi_huyen.zip"))
    assert len(report.matched) == 11 and report.file_name == "ranh_gioi_huyen.zip"
    assert centroids_inside(session, stored(session))


def test_shapefile_without_its_side_files_is_refused(session, cells, tmp_path):
    shp = write_shapefile(cells, tmp_path / "shp")
    shp.with_suffix(".dbf").unlink()
    with pytest.raises(BoundaryFileError) as error:
        run_import(session, shp)
    assert error.value.kind == "missing_parts" and ".dbf" in str(error.value)


def test_projected_file_without_crs_is_refused(session, cells, tmp_path):
    shp = write_shapefile(cells.to_crs(VN2000_UTM48), tmp_path / "shp")
    shp.with_suffix(".prj").unlink()
    with pytest.raises(BoundaryFileError) as error:
        run_import(session, shp)
    assert error.value.kind == "no_crs"


@pytest.mark.parametrize(("written", "expected"), [
    ("Huyện Mỹ Tú", "my tu"), ("My Tu", "my tu"), ("H. Mỹ Tú", "my tu"), ("huyen my tu", "my tu"),
    ("Thị xã Vĩnh Châu", "vinh chau"), ("Vinh Chau", "vinh chau"), ("TX. Vĩnh Châu", "vinh chau"),
    ("TP. Sóc Trăng", "soc trang"), ("TP.Sóc Trăng", "soc trang"), ("Thành phố Sóc Trăng", "soc trang"),
    ("Soc Trang City", "soc trang"), ("Q.1", "1"), ("P. 05", "5"), ("Phường 5", "5"), ("P5", "5"),
    ("TT Long Phú", "long phu"), ("Xã Long Phú", "long phu"), ("My Tu District", "my tu"),
])
def test_name_keys(written, expected):
    assert name_key(written).name == expected


def test_names_without_codes_and_the_unmatched_report(session, cells, tmp_path):
    written = {"941": "TP. Sóc Trăng", "942": "Châu Thành", "943": "H. Kế Sách", "944": "My Tu",
               "945": "huyện cù lao dung", "946": "Long Phu", "947": "MỸ XUYÊN", "948": "TX Ngã Năm",
               "949": "Thạnh Trị", "950": "Vinh Chau"}
    frame = cells[cells["code"] != "951"].copy()
    frame["TEN_HUYEN"] = frame["code"].map(written)
    frame = frame.drop(columns=["code", "name"])
    extra = gpd.GeoDataFrame({"TEN_HUYEN": ["Huyện Không Có"]},
                             geometry=[shapely.box(106.4, 9.0, 106.5, 9.1)], crs="EPSG:4326")
    path = write(gpd.pd.concat([frame, extra], ignore_index=True), tmp_path / "names.geojson")
    report = run_import(session, path)
    assert report.code_field is None and report.name_field == "TEN_HUYEN"
    assert {m.source_name: m.unit_code for m in report.matched} == {name: code for code, name in written.items()}
    assert {m.method for m in report.matched} == {"name"}
    [unmatched] = report.unmatched
    assert unmatched.source_name == "Huyện Không Có" and unmatched.problem == matching.NO_MATCH
    assert report.units_without_boundary == [("951", "Huyện Trần Đề")]
    assert sorted(stored(session)) == DISTRICTS[:-1]


def test_commune_names_told_apart_by_type_and_centroid(session, tmp_path):
    """Sóc Trăng has three "Phường 1" (in three towns) and both "Thị trấn" and "Xã" Long Phú."""
    cells = unit_cells(session, "commune")
    frame = gpd.GeoDataFrame({"ten": cells["name"]}, geometry=cells.geometry, crs=cells.crs)
    report = run_import(session, write(frame, tmp_path / "xa.geojson"), level="commune")
    assert len(report.matched) == 108 and report.unmatched == []
    assert {m.unit_code: m.source_name for m in report.matched} == dict(zip(cells["code"], cells["name"]))
    assert len(stored(session, "commune")) == 108


def test_explicit_fields_and_unknown_field(session, cells, tmp_path):
    frame = cells.rename(columns={"code": "MA", "name": "TEN"})
    frame["MA"] = frame["MA"].astype(int)  # numbers in the file
    path = write(frame, tmp_path / "d.gpkg")
    assert len(run_import(session, path, code_field="MA", name_field="TEN").matched) == 11
    with pytest.raises(BoundaryFileError) as error:
        run_import(session, path, code_field="MA_HUYEN")
    assert error.value.kind == "no_field" and "MA, TEN" in str(error.value)


def test_a_new_import_replaces_the_old_one(session, cells, tmp_path):
    run_import(session, write(cells, tmp_path / "all.geojson"))
    report = run_import(session, write(cells[cells["code"] != "945"], tmp_path / "ten.geojson"))
    assert report.replaced == 11
    boundaries = stored(session)
    assert len(boundaries) == 10 and "945" not in boundaries
    assert {b.source_file for b in boundaries.values()} == {"ten.geojson"}


def test_an_unreadable_file_changes_nothing(session, cells, tmp_path):
    run_import(session, write(cells, tmp_path / "good.geojson"))
    before = {code: (b.geometry, b.imported_at) for code, b in stored(session).items()}
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [ {"type": ', encoding="utf-8")
    for path in (broken, tmp_path / "notes.txt"):
        path.touch()
        with pytest.raises(BoundaryFileError):
            run_import(session, path)
    assert {code: (b.geometry, b.imported_at) for code, b in stored(session).items()} == before


def test_no_match_changes_nothing(session, cells, tmp_path):
    run_import(session, write(cells, tmp_path / "good.geojson"))
    before = {code: b.geometry for code, b in stored(session).items()}
    other = cells.assign(code=[str(100 + i) for i in range(11)], name=[f"Quận {i}" for i in range(11)])
    report = run_import(session, write(other, tmp_path / "hanoi.geojson"))
    assert not report.applied and report.matched == [] and len(report.unmatched) == 11
    assert {code: b.geometry for code, b in stored(session).items()} == before


def test_points_only_file_is_refused(session, tmp_path):
    frame = gpd.GeoDataFrame({"code": ["944"]}, geometry=[shapely.Point(105.8, 9.6)], crs="EPSG:4326")
    with pytest.raises(BoundaryFileError) as error:
        run_import(session, write(frame, tmp_path / "points.geojson"))
    assert error.value.kind == "no_polygons"


def test_invalid_geometry_is_repaired(session, cells, tmp_path):
    minx, miny, maxx, maxy = cells.geometry[3].bounds  # 944 Mỹ Tú
    bowtie = Polygon([(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy), (minx, miny)])
    broken = cells.copy()
    broken.loc[3, "geometry"] = bowtie
    assert not bowtie.is_valid
    report = run_import(session, write(broken, tmp_path / "bowtie.geojson"))
    assert report.repaired >= 1 and len(report.matched) == 11
    assert all(shape(b.geometry).is_valid for b in stored(session).values())


def test_simplified_for_the_web_without_gaps_between_neighbours(session, cells, tmp_path):
    dense = cells.copy()
    dense["geometry"] = dense.geometry.segmentize(0.0005)  # thousands of vertices along shared edges
    run_import(session, write(dense, tmp_path / "dense.geojson"))
    shapes = [shape(b.geometry) for b in stored(session).values()]
    assert sum(shapely.get_num_coordinates(shapes)) < 0.2 * sum(shapely.get_num_coordinates(dense.geometry.values))
    assert shapely.coverage_is_valid(shapes)  # shared edges identical: no overlaps
    union = shapely.union_all(shapes)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0  # no gaps


def test_the_real_soc_trang_districts_import_11_of_11(session):
    path = shared_file("geo/soc_trang_districts.geojson")
    report = run_import(session, path)
    assert report.code_field == "level2_id" and report.name_field == "name"
    assert len(report.matched) == 11 and report.unmatched == []
    assert all(m.centroid_inside for m in report.matched)
    boundaries = stored(session)
    size = sum(len(json.dumps(b.geometry, separators=(",", ":"))) for b in boundaries.values())
    assert size < 300_000 and size == report.stored_bytes
    shapes = [shape(b.geometry) for b in boundaries.values()]
    assert all(s.is_valid for s in shapes) and shapely.coverage_is_valid(shapes)
    assert centroids_inside(session, boundaries)
    # Also by name alone: the same 11.
    by_name = run_import(session, path, code_field=None, name_field="name", dry_run=True)
    assert {m.unit_code for m in by_name.matched} == set(DISTRICTS)


def test_dry_run_changes_nothing(session, cells, tmp_path):
    report = run_import(session, write(cells, tmp_path / "d.geojson"), dry_run=True)
    assert report.dry_run and not report.applied and len(report.imported) == 11
    assert stored(session) == {}


def test_cli_prints_the_matched_and_unmatched_table(app, session, cells, tmp_path):
    runner = app.test_cli_runner()
    path = write(cells.assign(name=cells["name"].where(cells["code"] != "941", "Nơi Không Có"),
                              code=cells["code"].where(cells["code"] != "941", "999")), tmp_path / "d.geojson")
    result = runner.invoke(args=["boundaries", "import", str(path), "--level", "district"])
    assert result.exit_code == 0, result.output
    assert "Matched 10 of 11 features; 1 not matched." in result.output
    assert "Nơi Không Có" in result.output and "no unit has this code or name" in result.output
    assert "Units without a boundary in this file: 941 Thành phố Sóc Trăng" in result.output
    assert "Imported 10 of 11 district boundaries" in result.output and "GPS points checked" in result.output
    listing = runner.invoke(args=["boundaries", "list"])
    assert "district    10 of   11 units" in listing.output


def test_cli_refuses_and_changes_nothing(app, session, cells, tmp_path):
    runner = app.test_cli_runner()
    nothing = write(cells.assign(code="1", name="Nowhere"), tmp_path / "none.geojson")
    result = runner.invoke(args=["boundaries", "import", str(nothing), "--level", "district"])
    assert result.exit_code == 1 and "nothing was imported" in result.output
    garbage = tmp_path / "x.geojson"
    garbage.write_text("nonsense", encoding="utf-8")
    result = runner.invoke(args=["boundaries", "import", str(garbage), "--level", "commune"])
    assert result.exit_code == 1 and "Nothing was imported" in result.output
    assert stored(session) == {} and stored(session, "commune") == {}


def test_admin_uploads_a_geojson_and_sees_the_report(client, session, cells, tmp_path):
    data = write(cells, tmp_path / "d.geojson").read_bytes()
    response = client.post("/admin/boundaries", content_type="multipart/form-data",
                           data={"files": (io.BytesIO(data), "huyen.geojson"), "level": "district"})
    assert response.status_code == 200
    assert 'id="import-result" data-applied="1"' in response.text
    assert response.text.count('data-matched="1"') == 11
    assert len(stored(session)) == 11
    page = client.get("/admin/boundaries").text
    assert 'data-level="district" data-count="11"' in page


def test_admin_uploads_a_shapefile_with_its_side_files(client, session, cells, tmp_path):
    shp = write_shapefile(cells.to_crs(VN2000_UTM48), tmp_path / "shp")
    files = [(io.BytesIO(part.read_bytes()), part.name) for part in sorted(shp.parent.iterdir())]
    response = client.post("/admin/boundaries", content_type="multipart/form-data",
                           data={"files": files, "level": "district"})
    assert response.status_code == 200 and len(stored(session)) == 11


def test_upload_problems_are_reported_and_change_nothing(client, session, cells, tmp_path):
    response = client.post("/admin/boundaries", content_type="multipart/form-data",
                           data={"files": (io.BytesIO(b"not gis"), "x.geojson"), "level": "district"})
    assert response.status_code == 422 and 'id="import-error"' in response.text
    response = client.post("/admin/boundaries", content_type="multipart/form-data",
                           data={"files": (io.BytesIO(b"MZ"), "virus.exe"), "level": "district"})
    assert response.status_code == 422 and 'id="import-error"' in response.text
    unmatched = write(cells.assign(code="1", name="Nowhere"), tmp_path / "n.geojson").read_bytes()
    response = client.post("/admin/boundaries", content_type="multipart/form-data",
                           data={"files": (io.BytesIO(unmatched), "n.geojson"), "level": "district"})
    assert response.status_code == 422 and 'data-matched="0"' in response.text
    assert stored(session) == {}


def test_upload_check_only(client, session, cells, tmp_path):
    data = write(cells, tmp_path / "d.geojson").read_bytes()
    response = client.post("/admin/boundaries", content_type="multipart/form-data",
                           data={"files": (io.BytesIO(data), "d.geojson"), "level": "district", "dry_run": "y"})
    assert response.status_code == 200 and 'data-applied="0"' in response.text
    assert stored(session) == {}
