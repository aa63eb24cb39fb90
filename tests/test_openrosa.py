"""The OpenRosa 1.0 server as ODK Collect uses it: form list, form, manifest and media, HEAD and POST
/submission, with Digest and Basic authentication (https://docs.getodk.org/openrosa/)."""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import uuid
import xml.etree.ElementTree as ET
import zlib

import pytest
from PIL import Image
from sqlmodel import select

from surveyapp.accounts.services import user_by_username
from surveyapp.accounts.tokens import create_token
from surveyapp.models import AppPassword, AuditEvent, Photo, SurveyRecord
from surveyapp.openrosa.auth import create_app_password, ha1

from .test_api import mine, theirs  # noqa: F401 - fixtures: an establishment in the enumerator's commune, one outside
from .test_survey import minimal_submission

HTTPS = "https://localhost"
XF = "{http://www.w3.org/2002/xforms}"
JR_TEMPLATE = "{http://openrosa.org/javarosa}template"
FORM_LIST = "{http://openrosa.org/xforms/xformsList}"
MANIFEST = "{http://openrosa.org/xforms/xformsManifest}"
RESPONSE = "{http://openrosa.org/http/response}"


def jpeg() -> bytes:
    """A photo as a phone's camera app saves it (small, JPEG)."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 30)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def photo_folder(app, tmp_path):
    app.config["PHOTO_FOLDER"] = str(tmp_path / "photos")
    return tmp_path / "photos"


@pytest.fixture
def app_password(app, session):
    """The enumerator's app password (realm "surveyapp", the tests' SECRET_KEY)."""
    user = user_by_username(session, "enumerator")
    password = create_app_password(session, user, realm="surveyapp", secret_key=app.config["SECRET_KEY"], actor_id=None)
    session.commit()
    return password


def basic(username: str, password: str) -> dict:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}", "X-OpenRosa-Version": "1.0"}


def challenge_params(header: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="?([^",]*)"?', header.split(" ", 1)[1]))


def digest(challenge: dict[str, str], method: str, uri: str, username: str, password: str, nc: int = 1) -> dict:
    """The Authorization header Collect (okhttp-digest) answers a challenge with: MD5, qop=auth."""
    cnonce = uuid.uuid4().hex[:16]
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    response = hashlib.md5(":".join([ha1(username, challenge["realm"], password), challenge["nonce"], f"{nc:08x}",
                                     cnonce, "auth", ha2]).encode()).hexdigest()
    value = (f'Digest username="{username}", realm="{challenge["realm"]}", nonce="{challenge["nonce"]}", '
             f'uri="{uri}", qop=auth, nc={nc:08x}, cnonce="{cnonce}", response="{response}", algorithm=MD5')
    return {"Authorization": value, "X-OpenRosa-Version": "1.0"}


def digest_get(client, path: str, username: str, password: str):
    """A GET as Collect makes it over plain HTTP: without credentials, then answering the Digest challenge."""
    first = client.get(path, headers={"X-OpenRosa-Version": "1.0"})
    assert first.status_code == 401
    header = next(h for h in first.headers.getlist("WWW-Authenticate") if h.startswith("Digest "))
    return client.get(path, headers=digest(challenge_params(header), "GET", path, username, password))


def form_list(client, password: str) -> ET.Element:
    response = client.get("/openrosa/formList", base_url=HTTPS, headers=basic("enumerator", password))
    assert response.status_code == 200, response.text
    return ET.fromstring(response.data)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def xform_of(client, password: str) -> tuple[str, bytes]:
    entry = form_list(client, password).find(f"{FORM_LIST}xform")
    form_id = entry.findtext(f"{FORM_LIST}formID")
    return form_id, client.get(path_of(entry.findtext(f"{FORM_LIST}downloadUrl")), base_url=HTTPS,
                               headers=basic("enumerator", password)).data


def filled_instance(xform: bytes, answers: dict, instance_id: str, deprecated_id: str | None = None,
                    rows: dict[str, list[dict]] | None = None) -> bytes:
    """The form's primary instance filled in and serialised the way Collect sends it: every element of the
    form (empty when not answered), no repeat template, meta/instanceID (and deprecatedID on an edit)."""
    model = ET.fromstring(xform).find(f".//{XF}model")
    data = next(i for i in model.findall(f"{XF}instance") if i.get("id") is None)[0]
    for parent in list(data.iter()):
        for child in list(parent):
            if child.get(JR_TEMPLATE) is not None:
                parent.remove(child)
    for element in data.iter():
        element.tag = element.tag.split("}")[-1]  # Collect writes the instance without the XForms namespace
    for name, template_rows in (rows or {}).items():
        parent = next(p for p in data.iter() if p.find(name) is not None)
        template = parent.find(name)
        index = list(parent).index(template)
        parent.remove(template)
        for offset, values in enumerate(template_rows):
            row = ET.fromstring(ET.tostring(template))
            for child in row:
                child.text = str(values.get(child.tag, ""))
            parent.insert(index + offset, row)
    for element in data.iter():
        if element.tag in answers:
            value = answers[element.tag]
            element.text = " ".join(value) if isinstance(value, list) else str(value)
    meta = data.find("meta")
    meta.find("instanceID").text = f"uuid:{instance_id}"
    if deprecated_id:
        ET.SubElement(meta, "deprecatedID").text = f"uuid:{deprecated_id}"
    return ET.tostring(data, encoding="utf-8", xml_declaration=True)


def collect_answers(establishment, **changes) -> dict:
    """minimal_submission as Collect stores it: XForm values (numbers with a dot, lists space-separated)."""
    answers = minimal_submission(revenue_million_vnd="1200", location="9.6031 105.9745 4.0 6.5", **changes)
    answers["establishment_code"] = establishment.code
    return answers


def post_submission(client, xml: bytes, password: str, attachments: dict[str, bytes] | None = None, **kwargs):
    """multipart/form-data as Collect posts it: xml_submission_file (text/xml), then each attachment."""
    data = {"xml_submission_file": (io.BytesIO(xml), "submission.xml", "text/xml")}
    for name, content in (attachments or {}).items():
        data[name] = (io.BytesIO(content), name, "image/jpeg")
    headers = kwargs.pop("headers", None) or basic("enumerator", password)
    return client.post("/openrosa/submission", base_url=HTTPS, data=data, content_type="multipart/form-data",
                       headers=headers, **kwargs)


def message(response) -> tuple[str | None, str]:
    root = ET.fromstring(response.data)
    assert root.tag == f"{RESPONSE}OpenRosaResponse"
    element = root.find(f"{RESPONSE}message")
    return element.get("nature"), element.text


def records(session) -> list[SurveyRecord]:
    session.expire_all()
    return list(session.exec(select(SurveyRecord).order_by(SurveyRecord.id)))


def assert_openrosa_headers(response) -> None:
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert int(response.headers["X-OpenRosa-Accept-Content-Length"]) > 0
    assert response.headers["Date"].endswith(" GMT")


def test_form_list_follows_the_spec(anon_client, app_password, mine):
    response = anon_client.get("/openrosa/formList", base_url=HTTPS, headers=basic("enumerator", app_password))
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert_openrosa_headers(response)
    root = ET.fromstring(response.data)
    assert root.tag == f"{FORM_LIST}xforms"
    (entry,) = root.findall(f"{FORM_LIST}xform")
    assert [child.tag.removeprefix(FORM_LIST) for child in entry] == [
        "formID", "name", "version", "hash", "downloadUrl", "manifestUrl"]
    assert entry.findtext(f"{FORM_LIST}formID").startswith("cnnt-2019-round")
    assert entry.findtext(f"{FORM_LIST}version") == "2" and "(2019)" in entry.findtext(f"{FORM_LIST}name")
    form = anon_client.get(path_of(entry.findtext(f"{FORM_LIST}downloadUrl")), base_url=HTTPS,
                           headers=basic("enumerator", app_password))
    assert entry.findtext(f"{FORM_LIST}hash") == "md5:" + hashlib.md5(form.data).hexdigest()
    assert form.status_code == 200 and b"jr://file-csv/establishments.csv" in form.data


def test_form_list_names_only_the_open_rounds_of_the_user(anon_client, session, app, app_password, round_2019):
    password = create_app_password(session, user_by_username(session, "analyst"), realm="surveyapp",
                                   secret_key=app.config["SECRET_KEY"], actor_id=None)
    session.commit()
    assert ET.fromstring(anon_client.get("/openrosa/formList", base_url=HTTPS,
                                         headers=basic("analyst", password)).data).findall(f"{FORM_LIST}xform") == []
    round_2019.is_open = False
    session.add(round_2019)
    session.commit()
    assert form_list(anon_client, app_password).findall(f"{FORM_LIST}xform") == []


def test_manifest_lists_the_establishments_of_the_users_communes(anon_client, app_password, mine, theirs):
    form_id, _xform = xform_of(anon_client, app_password)
    entry = form_list(anon_client, app_password).find(f"{FORM_LIST}xform")
    response = anon_client.get(path_of(entry.findtext(f"{FORM_LIST}manifestUrl")), base_url=HTTPS,
                               headers=basic("enumerator", app_password))
    assert response.status_code == 200
    assert_openrosa_headers(response)
    root = ET.fromstring(response.data)
    assert root.tag == f"{MANIFEST}manifest"
    (media,) = root.findall(f"{MANIFEST}mediaFile")
    assert media.findtext(f"{MANIFEST}filename") == "establishments.csv"
    csv_file = anon_client.get(path_of(media.findtext(f"{MANIFEST}downloadUrl")), base_url=HTTPS,
                               headers=basic("enumerator", app_password))
    assert media.findtext(f"{MANIFEST}hash") == "md5:" + hashlib.md5(csv_file.data).hexdigest()
    rows = list(csv.reader(io.StringIO(csv_file.data.decode("utf-8"))))
    assert rows == [["name", "label", "commune_code", "commune"],
                    [mine.code, f"Cơ sở Bánh Pía ({mine.code}, Phường 5)", "31498", "Phường 5"]]


def test_head_submission_is_204_with_the_openrosa_headers(anon_client, app_password, round_2019):
    response = anon_client.head("/openrosa/submission", base_url=HTTPS, headers=basic("enumerator", app_password))
    assert response.status_code == 204
    assert_openrosa_headers(response)


def test_submission_as_collect_sends_it_then_resend_then_other_content(anon_client, session, app_password, mine,
                                                                      photo_folder):
    form_id, xform = xform_of(anon_client, app_password)
    instance_id = str(uuid.uuid4())
    xml = filled_instance(xform, collect_answers(mine), instance_id)
    assert f'id="{form_id}"'.encode() in xml and b"<establishment_code>" in xml

    photo = jpeg()
    created = post_submission(anon_client, xml, app_password,
                              attachments={"1733459123.jpg": photo, "note.m4a": b"not an image"})
    assert created.status_code == 201, created.text
    assert_openrosa_headers(created)
    assert message(created)[0] == "submit_success"
    (record,) = records(session)
    assert record.uuid == instance_id and record.status == "submitted"
    assert record.establishment_id == mine.id and record.answers["revenue_million_vnd"] == 1200
    assert record.answers["needs"] == ["training"] and record.lat == 9.6031 and record.gps_accuracy_m == 6.5
    assert session.exec(select(AuditEvent).where(AuditEvent.entity_id == instance_id,
                                                 AuditEvent.action == "create")).one().actor_id is not None

    (stored,) = session.exec(select(Photo)).all()  # the image is kept, the audio file is not
    assert (stored.establishment_id, stored.record_uuid, stored.original_name) == (mine.id, instance_id,
                                                                                    "1733459123.jpg")
    assert stored.sha256 == hashlib.sha256(photo).hexdigest() and (photo_folder / "").exists()

    resent = post_submission(anon_client, xml, app_password, attachments={"1733459123.jpg": photo})
    assert resent.status_code == 202 and message(resent)[0] == "submit_success"
    assert len(records(session)) == 1 and len(session.exec(select(Photo)).all()) == 1  # not stored twice

    other = filled_instance(xform, collect_answers(mine, owner_name="Người khác"), instance_id)
    conflict = post_submission(anon_client, other, app_password)
    assert conflict.status_code == 409 and message(conflict)[1]
    assert len(records(session)) == 1


def test_submission_needs_no_csrf_token_but_the_account_page_does(app, anon_client, client_as, session, app_password,
                                                                   mine):
    """Collect has no cookie and sends no CSRF token: the OpenRosa routes are exempt; our own forms are not."""
    _form_id, xform = xform_of(anon_client, app_password)
    app.config["WTF_CSRF_ENABLED"] = True
    xml = filled_instance(xform, collect_answers(mine), str(uuid.uuid4()))
    assert post_submission(anon_client, xml, app_password).status_code == 201
    assert client_as("enumerator").post("/account/collect/app-password").status_code == 400


def test_an_edit_names_the_version_it_replaces_with_deprecated_id(anon_client, session, app_password, mine):
    _form_id, xform = xform_of(anon_client, app_password)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    assert post_submission(anon_client, filled_instance(xform, collect_answers(mine), first),
                           app_password).status_code == 201
    edit = filled_instance(xform, collect_answers(mine, workers_total="7"), second, deprecated_id=first)
    assert post_submission(anon_client, edit, app_password).status_code == 201
    old, new = records(session)
    assert (old.is_current, new.is_current, new.supersedes, new.version_number) == (False, True, first, 2)
    assert new.answers["workers_total"] == 7
    unnamed = filled_instance(xform, collect_answers(mine, workers_total="8"), str(uuid.uuid4()))
    assert post_submission(anon_client, unnamed, app_password).status_code == 409  # the record exists: say so


def test_repeats_groups_and_decimals_map_to_answers(anon_client, app, app_password, mine):
    """An instance read back: groups flattened, one row per repeat element, XForm numbers read with a dot
    ("1500.5", never the Vietnamese 1.500 = fifteen hundred), select_multiple and geopoint as sent."""
    from surveyapp.openrosa.documents import instance_of, read_instance
    from surveyapp.questionnaire.registry import registry

    _form_id, xform = xform_of(anon_client, app_password)
    answers = collect_answers(mine, visit_type="new", markets="district province", capital_million_vnd="1.500")
    rows = {"products": [{"product_name": "Bánh pía", "product_output": "1500.5", "product_value_million_vnd": "12"},
                         {"product_name": "Lạp xưởng", "product_output": "", "product_value_million_vnd": "0.25"}]}
    instance_id = str(uuid.uuid4())
    form_id, version, root = read_instance(filled_instance(xform, answers, instance_id, rows=rows))
    with app.app_context():
        definition = registry().get("cnnt-2019", "2")
    instance = instance_of(root, form_id, version, definition, "establishment_code")
    assert (instance.instance_uuid, instance.deprecated_uuid, instance.establishment_code) == (
        instance_id, None, mine.code)
    assert instance.answers["products"] == [
        {"product_name": "Bánh pía", "product_unit": None, "product_output": 1500.5, "product_value_million_vnd": 12},
        {"product_name": "Lạp xưởng", "product_unit": None, "product_output": None, "product_value_million_vnd": 0.25}]
    assert instance.answers["capital_million_vnd"] == 1.5 and instance.answers["markets"] == "district province"
    assert instance.answers["establishment_name"] == "Cơ sở Bánh Pía Tân Huê Viên"  # inside group sec_identity
    assert instance.answers["location"] == "9.6031 105.9745 4.0 6.5" and instance.answers["registration_date"] is None


def test_invalid_answers_are_400_naming_the_question(anon_client, session, app_password, mine):
    _form_id, xform = xform_of(anon_client, app_password)
    answers = collect_answers(mine, workers_total="abc")
    response = post_submission(anon_client, filled_instance(xform, answers, str(uuid.uuid4())), app_password)
    assert response.status_code == 400 and records(session) == []
    assert "lao động" in message(response)[1].lower()


def test_commune_not_assigned_is_403(anon_client, session, app_password, theirs):
    _form_id, xform = xform_of(anon_client, app_password)
    response = post_submission(anon_client, filled_instance(xform, collect_answers(theirs), str(uuid.uuid4())),
                               app_password)
    assert response.status_code == 403 and records(session) == []
    assert theirs.name in message(response)[1]


def test_too_large_is_413(app, anon_client, session, app_password, mine):
    """Over the advertised size and the room left for the multipart headers (tests/test_openrosa_split.py)."""
    from surveyapp.openrosa.blueprint import MULTIPART_ALLOWANCE

    _form_id, xform = xform_of(anon_client, app_password)
    app.config["OPENROSA_MAX_SUBMISSION_BYTES"] = 20_000
    response = post_submission(anon_client, filled_instance(xform, collect_answers(mine), str(uuid.uuid4())),
                               app_password, attachments={"photo.jpg": jpeg() + b"\0" * (20_000 + MULTIPART_ALLOWANCE)})
    assert response.status_code == 413 and records(session) == []
    assert response.headers["X-OpenRosa-Accept-Content-Length"] == "20000"


@pytest.mark.parametrize("xml", [
    b"<data id='x'", b"not xml at all",
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]><data id="cnnt-2019-round1">&e;</data>',
    b"<data>no id</data>",
])
def test_malformed_xml_is_400(anon_client, session, app_password, round_2019, xml):
    response = post_submission(anon_client, xml, app_password)
    assert response.status_code == 400 and message(response)[1]


def test_missing_instance_id_or_unknown_form_is_refused(anon_client, session, app_password, mine):
    form_id, xform = xform_of(anon_client, app_password)
    xml = filled_instance(xform, collect_answers(mine), str(uuid.uuid4())).replace(b"<instanceID>uuid:", b"<instanceID>")
    without_uuid = re.sub(rb"<instanceID>[^<]*</instanceID>", b"<instanceID />", xml)
    assert post_submission(anon_client, without_uuid, app_password).status_code == 400
    unknown = xml.replace(form_id.encode(), b"cnnt-2019-round999")
    assert post_submission(anon_client, unknown, app_password).status_code == 404
    assert post_submission(anon_client, xml.replace(b'version="2"', b'version="1"'), app_password).status_code == 409
    assert records(session) == []


def test_no_xml_submission_file_is_400(anon_client, app_password, round_2019):
    response = anon_client.post("/openrosa/submission", base_url=HTTPS, headers=basic("enumerator", app_password),
                                data={"other": (io.BytesIO(b"<data/>"), "x.xml", "text/xml")},
                                content_type="multipart/form-data")
    assert response.status_code == 400


def test_digest_as_collect_does_it(anon_client, app_password, mine):
    response = digest_get(anon_client, "/openrosa/formList", "enumerator", app_password)
    assert response.status_code == 200
    assert ET.fromstring(response.data).find(f"{FORM_LIST}xform") is not None


def test_wrong_password_is_401_with_a_challenge_and_is_throttled(anon_client, session, app_password, round_2019):
    wrong = digest_get(anon_client, "/openrosa/formList", "enumerator", "wrong-password")
    assert wrong.status_code == 401 and message(wrong)[1]
    challenges = wrong.headers.getlist("WWW-Authenticate")
    assert any(c.startswith('Digest realm="surveyapp"') and 'qop="auth"' in c for c in challenges)
    assert_openrosa_headers(wrong)
    basic_wrong = anon_client.get("/openrosa/formList", base_url=HTTPS, headers=basic("enumerator", "wrong"))
    assert basic_wrong.status_code == 401
    assert any(c.startswith("Basic ") for c in basic_wrong.headers.getlist("WWW-Authenticate"))
    for _ in range(3):
        anon_client.get("/openrosa/formList", base_url=HTTPS, headers=basic("enumerator", "wrong"))
    throttled = anon_client.get("/openrosa/formList", base_url=HTTPS, headers=basic("enumerator", app_password))
    assert throttled.status_code == 429  # five failures a minute, as on the sign-in page
    failures = session.exec(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert len(failures) == 5 and all(f.after["via"] == "openrosa" for f in failures)


def test_unknown_user_and_no_credentials_are_401(anon_client, round_2019):
    assert anon_client.get("/openrosa/formList", base_url=HTTPS, headers=basic("nobody", "x")).status_code == 401
    no_credentials = anon_client.head("/openrosa/submission")
    assert no_credentials.status_code == 401 and no_credentials.headers.getlist("WWW-Authenticate")


def test_basic_is_refused_over_plain_http(anon_client, app_password, round_2019):
    response = anon_client.get("/openrosa/formList", headers=basic("enumerator", app_password))
    assert response.status_code == 401
    assert [c.split(" ")[0] for c in response.headers.getlist("WWW-Authenticate")] == ["Digest"]


def test_the_session_cookie_alone_is_401(client_as, round_2019):
    signed_in = client_as("enumerator")
    assert signed_in.get("/openrosa/formList", base_url=HTTPS).status_code == 401
    assert signed_in.head("/openrosa/submission", base_url=HTTPS).status_code == 401


def test_sign_in_password_does_not_work_but_an_api_token_does(anon_client, session, round_2019):
    assert anon_client.get("/openrosa/formList", base_url=HTTPS,
                           headers=basic("enumerator", "enumerator-password")).status_code == 401
    _row, token = create_token(session, user_by_username(session, "enumerator"), "Collect", actor_id=None)
    session.commit()
    assert anon_client.get("/openrosa/formList", base_url=HTTPS, headers=basic("enumerator", token)).status_code == 200
    assert anon_client.get("/openrosa/formList", base_url=HTTPS, headers=basic("enumerator2", token)).status_code == 401


def test_stale_nonce_gets_a_new_challenge(app, anon_client, app_password, round_2019):
    import datetime as dt

    from surveyapp import clock
    from surveyapp.openrosa import auth

    old = auth.new_nonce(app.config["SECRET_KEY"], clock.utc_now() - dt.timedelta(hours=2))
    headers = digest({"realm": "surveyapp", "nonce": old}, "GET", "/openrosa/formList", "enumerator", app_password)
    response = anon_client.get("/openrosa/formList", headers=headers)
    assert response.status_code == 401
    assert any("stale=true" in c for c in response.headers.getlist("WWW-Authenticate"))


def test_app_password_page_shows_it_once_and_stores_no_password(client_as, session, app):
    page = client_as("enumerator").get("/account/collect")
    assert page.status_code == 200 and "<svg" in page.text and "/openrosa" in page.text
    created = client_as("enumerator").post("/account/collect/app-password")
    password = re.search(r'id="app-password-once">.*?<code[^>]*>([^<]+)</code>', created.text, re.S).group(1)
    row = session.exec(select(AppPassword)).one()
    assert password not in (row.sealed_ha1, row.salt) and ha1("enumerator", "surveyapp", password) != row.sealed_ha1
    assert "app-password-once" not in client_as("enumerator").get("/account/collect").text
    client_as("enumerator").post("/account/collect/app-password/revoke")
    session.expire_all()
    assert session.exec(select(AppPassword)).first() is None


def test_collect_settings_qr_holds_server_url_and_username():
    from surveyapp.openrosa.blueprint import collect_settings_payload

    payload = collect_settings_payload("https://dieutra.example.vn/openrosa", "enumerator")
    settings = json.loads(zlib.decompress(base64.b64decode(payload)))
    assert settings == {"general": {"server_url": "https://dieutra.example.vn/openrosa", "username": "enumerator"},
                        "admin": {}}


def test_xform_of_each_questionnaire(app):
    """pyxform builds every questionnaire of forms/ and tests/forms/ (these have no hint or appearance
    column): the establishment asked first from the media file, the version attribute ours, our own
    columns (unit, establishment_field) nowhere in the XForm."""
    from pathlib import Path

    from surveyapp.questionnaire.registry import Registry, registry
    from surveyapp.questionnaire.xform import xform_xml

    with app.app_context():
        definitions = registry().definitions() + Registry(Path(__file__).parent / "forms").definitions()
    assert {"cnnt-2019", "photos", "validation"} <= {definition.form_id for definition in definitions}
    for definition in definitions:
        root = ET.fromstring(xform_xml(definition))
        data = next(i for i in root.iter(f"{XF}instance") if i.get("id") is None)[0]
        assert (data.get("id"), data.get("version")) == (definition.form_id, definition.version)
        assert list(data)[0].tag == f"{XF}establishment_code"
        assert root.find(f".//{XF}instance[@id='establishments']").get("src") == "jr://file-csv/establishments.csv"
        text = ET.tostring(root, encoding="unicode")
        assert '="million_vnd"' not in text and "establishment_field" not in text
        named = ET.fromstring(xform_xml(definition, form_id="x-round1", title="Tên"))
        assert next(i for i in named.iter(f"{XF}instance") if i.get("id") is None)[0].get("id") == "x-round1"


@pytest.mark.parametrize("nonce", ["123.forged", "zz.x", "ễ.ễ", ""])
def test_forged_or_odd_digest_values_are_401_not_errors(anon_client, app_password, round_2019, nonce):
    headers = digest({"realm": "surveyapp", "nonce": nonce}, "GET", "/openrosa/formList", "enumerator", app_password)
    response = anon_client.get("/openrosa/formList", headers=headers)
    assert response.status_code == 401
    assert not any("stale=true" in c for c in response.headers.getlist("WWW-Authenticate"))
