"""Photos: the service that checks, shrinks and stores them once (surveyapp/photos)."""
from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select

from surveyapp.models import Photo
from surveyapp.photos.services import PhotoRefused, PhotoRules, photo_rules, store_photo
from surveyapp.photos.storage import photo_path, sha256_of, thumbnail_path


def jpeg(width: int = 400, height: int = 300, colour=(200, 60, 30), quality: int = 90, **save) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (width, height), colour)
    for x in range(0, width, 50):  # some detail, so sizes are not trivial
        image.paste((x % 255, 120, 255 - x % 255), (x, 0, min(x + 25, width), height))
    image.save(buffer, "JPEG", quality=quality, **save)
    return buffer.getvalue()


def png(width: int = 120, height: int = 80) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 128, 0, 128)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def rules(tmp_path) -> PhotoRules:
    return PhotoRules(tmp_path / "photos", max_bytes=2_000_000, max_px=1600)


@pytest.fixture
def shop(add_establishment):
    return add_establishment(name="Cơ sở Ảnh")


def photo_count(session) -> int:
    return len(session.exec(select(Photo)).all())


def store(session, establishment, data, rules, question="signboard_photo", **kwargs) -> Photo:
    photo = store_photo(session, establishment=establishment, question=question, filename="IMG_0001.jpg",
                        data=data, rules=rules, **kwargs)
    session.commit()
    return photo


def test_a_small_jpeg_is_kept_byte_for_byte_under_its_checksum(session, shop, rules):
    data = jpeg()
    photo = store(session, shop, data, rules, record_uuid="3f2a6e0c-1111-4222-8333-444455556666")
    assert photo.file_name == sha256_of(data) + ".jpg" and photo.sha256 == sha256_of(data)
    assert (photo.width, photo.height, photo.size_bytes) == (400, 300, len(data))
    assert photo.question == "signboard_photo" and photo.original_name == "IMG_0001.jpg"
    stored = photo_path(rules.folder, photo.sha256)
    assert stored.read_bytes() == data
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    with Image.open(thumbnail_path(rules.folder, photo.sha256)) as thumbnail:
        assert max(thumbnail.size) <= 320
    assert not list(rules.folder.rglob("*.tmp"))


def test_a_camera_photo_is_shrunk_to_the_long_side_setting(session, shop, rules):
    big = jpeg(4000, 3000, quality=95)
    photo = store(session, shop, big, PhotoRules(rules.folder, max_bytes=20_000_000, max_px=1600))
    assert (photo.width, photo.height) == (1600, 1200)
    with Image.open(photo_path(rules.folder, photo.sha256)) as stored:
        assert stored.format == "JPEG" and stored.size == (1600, 1200)
    assert photo.size_bytes < len(big)


def test_a_png_is_stored_as_a_jpeg(session, shop, rules):
    photo = store(session, shop, png(), rules)
    with Image.open(photo_path(rules.folder, photo.sha256)) as stored:
        assert stored.format == "JPEG" and stored.size == (120, 80)


def test_a_sideways_camera_photo_is_stored_upright(session, shop, rules):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    photo = store(session, shop, jpeg(400, 300, exif=exif), rules)
    assert (photo.width, photo.height) == (300, 400)


def test_a_resend_stores_the_photo_once(session, shop, rules):
    first = store(session, shop, jpeg(), rules)
    again = store(session, shop, jpeg(), rules, question="products_photo")
    assert again.id == first.id
    assert photo_count(session) == 1
    assert len(list(rules.folder.glob("??/*.jpg"))) == 1


def test_a_resend_of_a_camera_photo_shrunk_here_stores_once(session, shop, rules):
    rules = PhotoRules(rules.folder, max_bytes=20_000_000)
    big = jpeg(3000, 2000)
    assert store(session, shop, big, rules).id == store(session, shop, big, rules).id
    assert photo_count(session) == 1


def test_the_same_photo_of_two_establishments_is_one_file(session, shop, add_establishment, rules):
    other = add_establishment(name="Cơ sở Khác")
    first, second = store(session, shop, jpeg(), rules), store(session, other, jpeg(), rules)
    assert first.id != second.id and first.sha256 == second.sha256
    assert len(list(rules.folder.glob("??/*.jpg"))) == 1


@pytest.mark.parametrize("data", [b"%PDF-1.4 not a photo", b"", b"\xff\xd8\xff\xe0 truncated jpeg", "xin chào".encode()])
def test_a_file_that_is_not_an_image_is_refused(session, shop, rules, data):
    with pytest.raises(PhotoRefused) as refused:
        store(session, shop, data, rules)
    assert str(refused.value)
    assert photo_count(session) == 0
    assert not rules.folder.exists() or not list(rules.folder.rglob("*.*"))


def test_a_file_over_the_size_limit_is_refused_with_the_limit(session, shop, rules):
    with pytest.raises(PhotoRefused, match=r"0,0 MB"):
        store(session, shop, jpeg(), PhotoRules(rules.folder, max_bytes=1_000))
    assert photo_count(session) == 0


def test_a_picture_claiming_billions_of_pixels_is_refused(session, shop, rules):
    buffer = io.BytesIO()
    Image.new("1", (60_000, 60_000)).save(buffer, "PNG")  # tiny file, huge picture
    with pytest.raises(PhotoRefused):
        store(session, shop, buffer.getvalue(), rules)


def test_rules_come_from_the_settings(tmp_path):
    rules = photo_rules({"PHOTO_MAX_BYTES": 5, "PHOTO_MAX_PX": 800}, tmp_path)
    assert rules == PhotoRules(tmp_path / "photos", 5, 800)
    assert photo_rules({}, tmp_path) == PhotoRules(Path(tmp_path) / "photos", 15_000_000, 1600)
