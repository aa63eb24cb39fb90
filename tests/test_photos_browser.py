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
