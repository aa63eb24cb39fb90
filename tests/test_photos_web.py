"""Photos through the app: the questionnaire (no JavaScript), the API of the outbox, who may see them,
the pages that show them, and the exports (tests/forms/photos.md: a required signboard photo, product rows
each with a photo)."""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select

from surveyapp.models import Photo, SurveyRecord, SurveyRound
from surveyapp.photos.storage import photo_path, sha256_of

from .conftest import build_app, dispose
from .test_photos import jpeg

FORMS = Path(__file__).parent / "forms"


@pytest.fixture
def app(databases, template_url, tmp_path):
    """The app over a fresh database, with the test forms and a photo folder of its own."""
    url = databases.copy(template_url)
    app = build_app(url, FORMS_DIR=str(FORMS), PHOTO_FOLDER=str(tmp_path / "photos"))
    yield app
    dispose(app)
    databases.drop(url)


@pytest.fixture
def folder(app) -> Path:
    return Path(app.config["PHOTO_FOLDER"])


@pytest.fixture
def photo_round(session):
    """An open round on the photos form; enumerator in Phường 5 (31498), enumerator2 in Phường 7 (31501)."""
    from surveyapp.accounts.services import assign_communes, user_by_username

    survey_round = SurveyRound(code="P1", title="Ảnh", questionnaire_id="photos", questionnaire_version="1",
                               is_open=True)
    session.add(survey_round)
    session.flush()
    for username, commune in (("enumerator", "31498"), ("enumerator2", "31501")):
        assign_communes(session, user_by_username(session, username), survey_round, [commune], None)
    session.commit()
    return survey_round


@pytest.fixture
def shop(add_establishment, photo_round):
    return add_establishment(name="Tiệm bánh pía", commune_code="31498")


def record_url(code: str) -> str:
    return f"/survey/establishments/{code}/record?round=P1"


def post_form(client, code: str, action: str = "submit", **fields):
    data = {"action": action, "base_uuid": "", "shop_name": "Tiệm bánh pía", **fields}
    return client.post(record_url(code), data=data, content_type="multipart/form-data")


def upload(data: bytes, name: str = "IMG_0001.jpg"):
    return io.BytesIO(data), name, "image/jpeg"


def current_record(session) -> SurveyRecord:
    session.expire_all()
    return session.exec(select(SurveyRecord).where(SurveyRecord.is_current == True)).one()  # noqa: E712


def photos(session) -> list[Photo]:
    session.expire_all()
    return list(session.exec(select(Photo).order_by(Photo.id)).all())


# --- the questionnaire, without JavaScript ---------------------------------------------------------------

def test_a_camera_photo_sent_without_javascript_is_shrunk_stored_and_shown(client_as, session, shop, folder):
    enumerator = client_as("enumerator")
    camera = jpeg(4000, 3000, quality=92)
    response = post_form(enumerator, shop.code, signboard_photo=upload(camera))
    assert response.status_code == 302, response.text
    [photo] = photos(session)
    assert (photo.width, photo.height) == (1600, 1200) and photo.size_bytes < len(camera)
    assert current_record(session).answers["signboard_photo"] == photo.file_name == sha256_of(
        photo_path(folder, photo.sha256).read_bytes()) + ".jpg"
    page = enumerator.get(record_url(shop.code)).text
    thumbnail = f"/establishments/{shop.code}/photos/{photo.file_name}/thumbnail"
    assert thumbnail in page and 'accept="image/*"' in page and 'capture="environment"' in page
    served = enumerator.get(thumbnail)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(served.data)).size) <= 320
    assert enumerator.get(f"/establishments/{shop.code}").text.count(thumbnail) == 1


def test_a_required_photo_left_out_is_asked_for(client_as, session, shop):
    response = post_form(client_as("enumerator"), shop.code)
    assert response.status_code == 422
    assert "Ảnh biển hiệu: Câu này bắt buộc." in response.text
    assert photos(session) == []


def test_a_file_that_is_not_an_image_is_refused_on_the_form(client_as, session, shop):
    response = post_form(client_as("enumerator"), shop.code, signboard_photo=upload(b"%PDF-1.7 invoice", "hoadon.pdf"))
    assert response.status_code == 422
    assert "Ảnh biển hiệu: Tệp này không phải là ảnh (ảnh JPEG hoặc PNG)." in response.text
    assert photos(session) == []
    assert session.exec(select(SurveyRecord)).all() == []


def test_a_photo_over_the_size_limit_is_refused_on_the_form(app, client_as, session, shop):
    app.config["PHOTO_MAX_BYTES"] = 50_000
    big = jpeg(2000, 1500, quality=95)
    response = post_form(client_as("enumerator"), shop.code, signboard_photo=upload(big))
    assert response.status_code == 422
    assert "vượt quá mức cho phép 0,1 MB" in response.text
    assert photos(session) == []


def test_a_draft_sent_again_keeps_its_photo_and_stores_it_once(client_as, session, shop):
    enumerator = client_as("enumerator")
    assert post_form(enumerator, shop.code, "draft", signboard_photo=upload(jpeg())).status_code == 302
    name = current_record(session).answers["signboard_photo"]
    # The page sends the stored name back (its hidden input); the same photo chosen again changes nothing.
    assert post_form(enumerator, shop.code, "draft", base_uuid=current_record(session).uuid,
                     signboard_photo=[name, upload(jpeg())]).status_code == 302
    assert post_form(enumerator, shop.code, "submit", base_uuid=current_record(session).uuid,
                     signboard_photo=name).status_code == 302
    assert current_record(session).answers["signboard_photo"] == name
    assert len(photos(session)) == 1


def test_each_product_row_keeps_its_own_photo(client_as, session, shop):
    response = post_form(client_as("enumerator"), shop.code, signboard_photo=upload(jpeg()),
                         **{"products-0-product_name": "Bánh pía", "products-0-product_photo": upload(jpeg(300, 300)),
                            "products-1-product_name": "Lạp xưởng"})
    assert response.status_code == 302, response.text
    answers = current_record(session).answers
    assert answers["products"][0]["product_photo"].endswith(".jpg")
    assert answers["products"][1]["product_photo"] is None
    assert {p.question for p in photos(session)} == {"signboard_photo", "product_photo"}


def test_an_answer_naming_a_photo_never_received_is_refused(client_as, session, shop):
    response = post_form(client_as("enumerator"), shop.code, signboard_photo="ab" * 32 + ".jpg")
    assert response.status_code == 422
    assert "Máy chủ chưa nhận được ảnh này" in response.text


def test_an_answer_that_is_no_photo_name_is_refused(client_as, session, shop):
    response = post_form(client_as("enumerator"), shop.code, signboard_photo="../../etc/passwd")
    assert response.status_code == 422
    assert "Hãy chụp hoặc chọn lại ảnh." in response.text


# --- the API of the outbox --------------------------------------------------------------------------------

def api_photo(client, code: str, data: bytes, question: str = "signboard_photo"):
    token = client.get("/api/v1/session").json["csrf_token"]
    return client.post(f"/api/v1/establishments/{code}/photos?round=P1&question={question}", data=data,
                       headers={"Content-Type": "image/jpeg", "X-CSRFToken": token})


def test_the_outbox_sends_the_photo_then_the_record_and_a_resend_stores_once(client_as, session, shop):
    enumerator = client_as("enumerator")
    shrunk = jpeg(1600, 1200)
    first = api_photo(enumerator, shop.code, shrunk)
    assert first.status_code == 201, first.json
    assert first.json["file_name"] == sha256_of(shrunk) + ".jpg" and first.json["created"] is True
    again = api_photo(enumerator, shop.code, shrunk)
    assert again.status_code == 200 and again.json["file_name"] == first.json["file_name"]
    assert again.json["created"] is False
    token = enumerator.get("/api/v1/session").json["csrf_token"]
    record = enumerator.post("/api/v1/records", headers={"X-CSRFToken": token}, json={
        "uuid": "0f5a2c3e-9d41-4b6f-8a27-3c1e5d7b9a10", "establishment_code": shop.code, "round": "P1",
        "status": "submitted", "answers": {"shop_name": "Tiệm", "signboard_photo": first.json["file_name"]}})
    assert record.status_code == 201, record.json
    assert len(photos(session)) == 1


def test_the_api_refuses_what_is_not_a_photo_with_a_message(client_as, session, shop):
    response = api_photo(client_as("enumerator"), shop.code, "xin chào".encode())
    assert response.status_code == 422
    assert response.json["error"]["code"] == "photo_refused"
    assert response.json["error"]["message"] == "Tệp này không phải là ảnh (ảnh JPEG hoặc PNG)."
    assert photos(session) == []


def test_the_api_refuses_a_photo_over_the_limit(app, client_as, session, shop):
    app.config["PHOTO_MAX_BYTES"] = 1_000
    response = api_photo(client_as("enumerator"), shop.code, jpeg())
    assert response.status_code == 422 and "MB" in response.json["error"]["message"]


def test_the_api_takes_a_photo_only_in_ones_own_communes(client_as, session, shop):
    assert api_photo(client_as("enumerator2"), shop.code, jpeg()).status_code == 404
    assert photos(session) == []


# --- who sees them ----------------------------------------------------------------------------------------

@pytest.fixture
def stored(client_as, session, shop):
    assert post_form(client_as("enumerator"), shop.code, signboard_photo=upload(jpeg())).status_code == 302
    return photos(session)[0]


@pytest.mark.parametrize("username, status", [("enumerator", 200), ("analyst", 200), ("supervisor", 200),
                                              ("admin", 200), ("enumerator2", 404)])
def test_a_photo_is_served_only_to_readers_of_its_establishment(client_as, shop, stored, username, status):
    reader = client_as(username)
    for suffix in ("", "/thumbnail"):
        response = reader.get(f"/establishments/{shop.code}/photos/{stored.file_name}{suffix}")
        assert response.status_code == status, (username, suffix)
        if status == 200:
            assert response.headers["Cache-Control"].startswith("private")


def test_a_photo_is_not_served_to_anonymous_visitors(anon_client, shop, stored):
    response = anon_client.get(f"/establishments/{shop.code}/photos/{stored.file_name}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_photo_is_not_served_under_another_establishment(client, add_establishment, shop, stored):
    other = add_establishment(name="Cơ sở khác", commune_code="31498")
    assert client.get(f"/establishments/{other.code}/photos/{stored.file_name}").status_code == 404
    assert client.get(f"/establishments/{shop.code}/photos/{'0' * 64}.jpg").status_code == 404
    assert client.get(f"/establishments/{shop.code}/photos/secret.txt").status_code == 404


def test_a_merge_takes_the_duplicates_photos_to_the_survivor_and_undo_brings_them_back(client, session,
                                                                                        add_establishment, shop, stored):
    survivor = add_establishment(name="Tiệm bánh pía Tân Huê Viên", commune_code="31498")
    url = f"/establishments/{{code}}/photos/{stored.file_name}"
    assert client.get(url.format(code=survivor.code)).status_code == 404
    assert client.post("/duplicates/merge", data={"a": survivor.code, "b": shop.code, "keep": survivor.code}
                       ).status_code == 302
    assert [photo.establishment_id for photo in photos(session)] == [survivor.id]
    assert client.get(url.format(code=survivor.code)).status_code == 200
    assert stored.file_name in client.get(f"/establishments/{survivor.code}").text

    assert client.post("/duplicates/merges/1/revert").status_code == 302
    assert [photo.establishment_id for photo in photos(session)] == [shop.id]
    assert client.get(url.format(code=survivor.code)).status_code == 404


def test_a_lost_thumbnail_is_made_again(client, folder, shop, stored):
    from surveyapp.photos.storage import thumbnail_path

    thumbnail_path(folder, stored.sha256).unlink()
    assert client.get(f"/establishments/{shop.code}/photos/{stored.file_name}/thumbnail").status_code == 200
    assert thumbnail_path(folder, stored.sha256).is_file()


def test_an_approved_record_shows_its_photo_read_only_and_in_print(client_as, session, shop, stored):
    record = current_record(session)
    record.status = "approved"
    session.add(record)
    session.commit()
    thumbnail = f"/establishments/{shop.code}/photos/{stored.file_name}/thumbnail"
    page = client_as("enumerator").get(record_url(shop.code)).text
    assert 'id="record-readonly"' in page and thumbnail in page
    printed = client_as("analyst").get(f"/establishments/{shop.code}/records/{record.uuid}/print").text
    assert thumbnail in printed and stored.file_name in printed


# --- exports ------------------------------------------------------------------------------------------------

def test_the_csv_names_the_photos_and_the_zip_holds_them(client_as, add_establishment, session, shop, stored):
    other = add_establishment(name="Cơ sở không ảnh", commune_code="31498")
    admin = client_as("admin")
    listing = admin.get("/establishments").text
    assert "/exports/photos.zip" in listing
    rows = {row["establishment_code"]: row for row in csv.DictReader(io.StringIO(
        admin.get("/exports/establishments.csv").data.decode("utf-8-sig")))}
    assert rows[shop.code]["photo_files"] == stored.file_name and rows[other.code]["photo_files"] == ""
    assert list(rows[shop.code])[-2:] == ["province_name_2025", "photo_files"]  # the last column
    archive = zipfile.ZipFile(io.BytesIO(admin.get("/exports/photos.zip").data))
    assert archive.namelist() == [stored.file_name]
    assert sha256_of(archive.read(stored.file_name)) == stored.sha256


def test_the_zip_keeps_to_the_filter_and_the_enumerators_communes(client_as, shop, stored):
    assert zipfile.ZipFile(io.BytesIO(client_as("enumerator2").get("/exports/photos.zip").data)).namelist() == []
    assert zipfile.ZipFile(io.BytesIO(client_as("enumerator").get("/exports/photos.zip").data)).namelist() == [
        stored.file_name]
    filtered = client_as("admin").get("/exports/photos.zip", query_string={"commune": "31501"})
    assert zipfile.ZipFile(io.BytesIO(filtered.data)).namelist() == []


def test_twenty_phones_sending_the_same_photo_at_once_store_it_once(app, session, shop, folder):
    """Resends race (a sync retried while the first is still running): the unique (establishment, sha256)
    lets one insert win; the others answer 200 with the same name."""
    import threading
    import urllib.error
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from surveyapp.accounts.services import user_by_username
    from surveyapp.accounts.tokens import create_token

    from .conftest import serving

    _token, secret = create_token(session, user_by_username(session, "enumerator"), "phone", actor_id=None)
    session.commit()
    data, start = jpeg(1200, 900), threading.Barrier(20)

    def send(url):
        start.wait()
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "Authorization": f"Bearer {secret}", "Content-Type": "image/jpeg"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with serving(app) as base, ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(send, [f"{base}/api/v1/establishments/{shop.code}/photos?round=P1"] * 20))
    assert statuses.count(201) == 1 and statuses.count(200) == 19, statuses
    assert len(photos(session)) == 1
    assert len(list(folder.glob("??/*.jpg"))) == 1 and not list(folder.rglob("*.tmp"))
