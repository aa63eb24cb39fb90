"""Photos in Chromium: a camera-sized photo is shrunk on the phone, sent, stored and shown."""
from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from surveyapp.models import Photo, SurveyRecord

from .conftest import page_errors, sign_in
from .test_photos import jpeg
from .test_photos_web import app, folder, photo_round, shop  # noqa: F401 - fixtures of this module too

pytestmark = pytest.mark.browser


def test_a_camera_photo_is_shrunk_on_the_phone_stored_and_shown(phone, live_app, session, shop, folder):  # noqa: F811
    errors = page_errors(phone)
    sign_in(phone, live_app, "enumerator")
    phone.goto(f"{live_app}/survey/establishments/{shop.code}/record?round=P1")
    phone.fill("#shop_name", "Tiệm bánh pía Út Hên")
    camera = jpeg(4000, 3000, quality=92)
    phone.set_input_files("#signboard_photo-file", files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg",
                                                             "buffer": camera}])
    holder = phone.locator('.photo-question[data-field="signboard_photo"]')
    expect(holder).to_have_attribute("data-photo-ready", re.compile(r"^[0-9a-f]{64}\.jpg$"), timeout=20_000)
    name = holder.get_attribute("data-photo-ready")
    assert phone.input_value("#signboard_photo") == name
    expect(holder.locator(".photo-status")).to_contain_text("1600 × 1200")
    sent = phone.evaluate("""() => { const f = document.getElementById('signboard_photo-file').files[0];
                                     return {size: f.size, type: f.type}; }""")
    assert sent["type"] == "image/jpeg" and sent["size"] < len(camera)

    phone.locator('button[name="action"][value="submit"]').click()
    phone.wait_for_url(f"**/establishments/{shop.code}")
    session.expire_all()
    photo = session.exec(select(Photo)).one()
    assert photo.file_name == name  # the phone named it as the server stores it: byte for byte
    assert (photo.width, photo.height) == (1600, 1200) and photo.size_bytes == sent["size"]
    record = session.exec(select(SurveyRecord)).one()
    assert record.answers["signboard_photo"] == name
    thumbnail = phone.locator(f'#establishment-photos img[src$="/photos/{name}/thumbnail"]')
    expect(thumbnail).to_be_visible()
    phone.wait_for_function("(image) => image.complete && image.naturalWidth > 0", arg=thumbnail.element_handle())
    assert errors == []


def test_the_plain_script_sha256_agrees_with_pythons(phone, live_app, shop):  # noqa: F811
    """Pages served without HTTPS have no crypto.subtle: the photo's name comes from the plain script."""
    sign_in(phone, live_app, "enumerator")
    phone.goto(f"{live_app}/survey/establishments/{shop.code}/record?round=P1")
    samples = ["", "abc", "x" * 55, "y" * 56, "z" * 64, "Ảnh biển hiệu" * 50]
    computed = phone.evaluate("""(texts) => texts.map((text) =>
        window.SurveyPhotos.sha256Plain(new TextEncoder().encode(text)))""", samples)
    assert computed == [hashlib.sha256(text.encode()).hexdigest() for text in samples]


def test_a_photo_taken_offline_waits_in_the_outbox_and_syncs_once(phone, live_app, session, shop):  # noqa: F811
    errors = page_errors(phone)
    sign_in(phone, live_app, "enumerator")
    phone.goto(live_app + "/survey/offline?round=P1")
    phone.evaluate("navigator.serviceWorker.ready")
    phone.reload()
    assert phone.evaluate("""() => navigator.serviceWorker.controller !== null || new Promise(
        (resolve) => navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true), {once: true}))""")

    phone.context.set_offline(True)
    phone.select_option("#offline-establishment", shop.code)
    phone.fill("#shop_name", "Tiệm bánh pía")
    phone.set_input_files("#signboard_photo-file", files=[{"name": "IMG_0002.jpg", "mimeType": "image/jpeg",
                                                             "buffer": jpeg(3000, 4000)}])
    holder = phone.locator('.photo-question[data-field="signboard_photo"]')
    expect(holder).to_have_attribute("data-photo-ready", re.compile(r"^[0-9a-f]{64}\.jpg$"), timeout=20_000)
    name = holder.get_attribute("data-photo-ready")
    phone.click('button[value="submit"]')
    expect(phone.locator("#offline-notice")).to_have_class(re.compile(r"\balert-success\b"))
    badge = phone.locator("#outbox-badge")
    expect(badge).to_have_attribute("data-outbox-count", "1")

    phone.reload()  # still offline: the photo itself waits in IndexedDB with its questionnaire
    expect(badge).to_have_attribute("data-outbox-count", "1")
    kept = phone.evaluate("""() => window.SurveyOutbox.all().then((items) => items[0].photos.map(
        (p) => ({name: p.file_name, size: p.blob.size, type: p.blob.type})))""")
    assert len(kept) == 1 and kept[0]["name"] == name and kept[0]["type"] == "image/jpeg" and kept[0]["size"] > 0
    assert session.exec(select(Photo)).all() == []

    phone.context.set_offline(False)
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    expect(badge).to_have_attribute("data-outbox-count", "0", timeout=20_000)
    session.expire_all()
    [photo] = session.exec(select(Photo)).all()
    assert photo.file_name == name and (photo.width, photo.height) == (1200, 1600)
    assert session.exec(select(SurveyRecord)).one().answers["signboard_photo"] == name
    sent = phone.evaluate("() => window.SurveyOutbox.all().then((items) => items[0].photos[0])")
    assert sent["uploaded"] is True and sent["blob"] is None  # the blob left the phone's storage once sent
    phone.evaluate("() => window.SurveyOutbox.sync()")  # a second sync sends nothing again
    session.expire_all()
    assert len(session.exec(select(Photo)).all()) == 1
    assert errors == []
