"""A submission ODK Collect splits over several POSTs: when its files together pass the server's
X-OpenRosa-Accept-Content-Length, Collect sends the form with some of the files, marked `*isIncomplete*`,
then the form again with the next files, the last POST unmarked. Every POST must be answered 201 or 202,
and the last one's answers name the files of all of them (tests/forms/photos.md: a signboard photo, and
product rows each with a photo)."""
from __future__ import annotations

import hashlib
import io
import uuid

import pytest
from sqlmodel import select

from surveyapp.models import SubmissionAttachment, SurveyRecord
from surveyapp.openrosa.blueprint import MULTIPART_ALLOWANCE

from .test_openrosa import HTTPS, app_password, basic, filled_instance, message, records, xform_of  # noqa: F401 - fixture
from .test_photos import jpeg
from .test_photos_web import app, folder, photo_round, photos, shop  # noqa: F401 - fixtures

SIGNBOARD, PRODUCT = "1733459001.jpg", "1733459002.jpg"


def instance(client, password: str, shop, instance_id: str, deprecated_id: str | None = None) -> bytes:
    _form_id, xform = xform_of(client, password)
    return filled_instance(xform, {"establishment_code": shop.code, "shop_name": "Tiệm bánh pía",
                                   "signboard_photo": SIGNBOARD}, instance_id, deprecated_id,
                           rows={"products": [{"product_name": "Bánh pía", "product_photo": PRODUCT}]})


def post_part(client, xml: bytes, password: str, files: dict[str, bytes], incomplete: bool, username="enumerator"):
    """One POST as Collect builds it: the form, the files of this part, then `*isIncomplete*` unless last."""
    data = {"xml_submission_file": (io.BytesIO(xml), "submission.xml", "text/xml")}
    for name, content in files.items():
        data[name] = (io.BytesIO(content), name, "image/jpeg")
    if incomplete:
        data["*isIncomplete*"] = "yes"
    return client.post("/openrosa/submission", base_url=HTTPS, data=data, content_type="multipart/form-data",
                       headers=basic(username, password))


def stored_name(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest() + ".jpg"


@pytest.fixture
def pictures() -> dict[str, bytes]:
    return {SIGNBOARD: jpeg(), PRODUCT: jpeg(300, 200)}


def test_the_parts_make_one_record_whose_answers_name_every_stored_photo(anon_client, session, app_password, shop,
                                                                       pictures):
    instance_id = str(uuid.uuid4())
    xml = instance(anon_client, app_password, shop, instance_id)

    first = post_part(anon_client, xml, app_password, {SIGNBOARD: pictures[SIGNBOARD]}, incomplete=True)
    assert first.status_code == 201, first.text
    assert message(first) == ("submit_success", "Đã nhận một phần của phiếu: các tệp còn lại đang được gửi tiếp.")
    assert records(session) == []  # the record waits for the last part
    assert [(p.original_name, p.record_uuid, p.question) for p in photos(session)] == [
        (SIGNBOARD, instance_id, "signboard_photo")]

    last = post_part(anon_client, xml, app_password, {PRODUCT: pictures[PRODUCT]}, incomplete=False)
    assert last.status_code == 201, last.text
    assert message(last)[0] == "submit_success"
    (record,) = records(session)
    assert record.uuid == instance_id and record.status == "submitted"
    assert record.answers["signboard_photo"] == stored_name(pictures[SIGNBOARD])
    assert record.answers["products"] == [{"product_name": "Bánh pía",
                                           "product_photo": stored_name(pictures[PRODUCT])}]
    assert [p.original_name for p in photos(session)] == [SIGNBOARD, PRODUCT]


def test_the_parts_sent_again_change_nothing(anon_client, session, app_password, shop, pictures):
    instance_id = str(uuid.uuid4())
    xml = instance(anon_client, app_password, shop, instance_id)
    for _attempt in range(2):  # Collect sends every part again when it did not hear the last answer
        first = post_part(anon_client, xml, app_password, {SIGNBOARD: pictures[SIGNBOARD]}, incomplete=True)
        last = post_part(anon_client, xml, app_password, {PRODUCT: pictures[PRODUCT]}, incomplete=False)
    assert (first.status_code, last.status_code) == (202, 202), last.text
    assert message(last)[1] == "Phiếu này đã được nhận trước đó."
    assert len(records(session)) == 1 and len(photos(session)) == 2
    assert len(session.exec(select(SubmissionAttachment)).all()) == 1  # what the first part brought, once


def test_a_part_sent_again_with_another_photo_under_the_same_name_names_the_latest(anon_client, session, app_password,
                                                                                  shop, pictures):
    xml = instance(anon_client, app_password, shop, str(uuid.uuid4()))
    retaken = jpeg(80, 60)
    for signboard in (pictures[SIGNBOARD], retaken):
        assert post_part(anon_client, xml, app_password, {SIGNBOARD: signboard}, incomplete=True).status_code == 201
    assert post_part(anon_client, xml, app_password, {PRODUCT: pictures[PRODUCT]}, incomplete=False).status_code == 201
    (record,) = records(session)
    assert record.answers["signboard_photo"] == stored_name(retaken)


def test_an_edit_split_over_parts_names_the_photos_its_first_version_stored(anon_client, session, app_password, shop,
                                                                            pictures):
    """Each photo row keeps the version it first came with: the parts' own list says what this one sent."""
    first_version = str(uuid.uuid4())
    assert post_part(anon_client, instance(anon_client, app_password, shop, first_version), app_password,
                     pictures, incomplete=False).status_code == 201
    edit = str(uuid.uuid4())
    xml = instance(anon_client, app_password, shop, edit, deprecated_id=first_version)
    assert post_part(anon_client, xml, app_password, {SIGNBOARD: pictures[SIGNBOARD]}, incomplete=True).status_code == 201
    last = post_part(anon_client, xml, app_password, {PRODUCT: pictures[PRODUCT]}, incomplete=False)
    assert last.status_code == 201, last.text
    record = session.exec(select(SurveyRecord).where(SurveyRecord.uuid == edit)).one()
    assert record.supersedes == first_version
    assert record.answers["signboard_photo"] == stored_name(pictures[SIGNBOARD])
    assert record.answers["products"][0]["product_photo"] == stored_name(pictures[PRODUCT])
    assert {p.record_uuid for p in photos(session)} == {first_version}


def test_a_last_part_naming_a_photo_no_part_brought_is_refused(anon_client, session, app_password, shop, pictures):
    xml = instance(anon_client, app_password, shop, str(uuid.uuid4()))
    assert post_part(anon_client, xml, app_password, {SIGNBOARD: pictures[SIGNBOARD]}, incomplete=True).status_code == 201
    last = post_part(anon_client, xml, app_password, {}, incomplete=False)
    assert last.status_code == 400
    assert "Ảnh sản phẩm" in message(last)[1]
    assert records(session) == []


def test_a_part_is_checked_as_a_submission_is(anon_client, session, app_password, photo_round, add_establishment,
                                              pictures):
    """A part for an establishment outside the enumerator's communes stores nothing."""
    elsewhere = add_establishment(name="Cơ sở khác", commune_code="31501")
    xml = instance(anon_client, app_password, elsewhere, str(uuid.uuid4()))
    refused = post_part(anon_client, xml, app_password, {SIGNBOARD: pictures[SIGNBOARD]}, incomplete=True)
    assert refused.status_code == 403
    assert photos(session) == [] and session.exec(select(SubmissionAttachment)).all() == []


def test_a_part_filled_to_the_advertised_size_is_taken(app, anon_client, session, app_password, shop):
    """Collect counts the files alone against X-OpenRosa-Accept-Content-Length; the multipart headers
    come on top of them."""
    xml = instance(anon_client, app_password, shop, str(uuid.uuid4()))
    limit = 60_000
    app.config["OPENROSA_MAX_SUBMISSION_BYTES"] = limit
    signboard = jpeg()
    signboard += b"\0" * (limit - len(xml) - len(signboard))  # form + file: exactly the limit
    response = post_part(anon_client, xml, app_password, {SIGNBOARD: signboard}, incomplete=True)
    assert response.status_code == 201, response.text
    assert response.headers["X-OpenRosa-Accept-Content-Length"] == str(limit)
    over = post_part(anon_client, xml, app_password, {SIGNBOARD: signboard + b"\0" * MULTIPART_ALLOWANCE},
                     incomplete=True)
    assert over.status_code == 413
