"""What makes an upload a photo we keep: Pillow decodes it, it is at most PHOTO_MAX_BYTES, and it is
stored as a JPEG whose long side is at most PHOTO_MAX_PX (phones shrink it before sending; a plain
upload without JavaScript, or a photo from ODK Collect, is shrunk here the same way)."""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

#: Formats a phone or a browser sends; anything else (a PDF, a renamed text file) is refused.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP"}
#: More pixels than any phone camera makes: refused before decoding (a small file can claim billions).
MAX_PIXELS = 60_000_000
JPEG_QUALITY = 85
THUMBNAIL_PX = 320


class PhotoRefused(ValueError):
    """The upload is not a photo we keep; str(error) is the message for the user."""


@dataclass(frozen=True)
class Picture:
    """A photo ready to store: JPEG bytes and their size in pixels."""

    data: bytes
    width: int
    height: int


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f}".replace(".", ",")


def checked_picture(data: bytes, *, max_bytes: int, max_px: int) -> Picture:
    """The photo as stored: the bytes unchanged when already a JPEG small enough and upright, else
    turned upright and re-encoded as JPEG with its long side at most `max_px`. Raises PhotoRefused."""
    if len(data) > max_bytes:
        raise PhotoRefused(str(_l("The photo is %(size)s MB, more than the %(limit)s MB allowed.",
                                  size=megabytes(len(data)), limit=megabytes(max_bytes))))
    if not data:
        raise PhotoRefused(str(_l("The file is empty.")))
    image = _decoded(data)
    orientation = image.getexif().get(0x0112, 1)
    if image.format in ("JPEG", "MPO") and max(image.size) <= max_px and orientation in (1, None) \
            and image.mode in ("RGB", "L"):
        return Picture(data, *image.size)
    return _reencoded(image, max_px)


def _decoded(data: bytes) -> Image.Image:
    from PIL import Image  # Pillow only when a photo arrives: start-up stays light

    refused = PhotoRefused(str(_l("This file is not a photo (JPEG or PNG image).")))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise refused
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRefused(str(_l("This picture has too many pixels to be a photo.")))
            image.load()
    except PhotoRefused:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            EOFError) as error:
        raise refused from error
    return image


def _reencoded(image: Image.Image, max_px: int) -> Picture:
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(image)
    image = _on_white(image)
    image.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Picture(buffer.getvalue(), *image.size)


def _on_white(image: Image.Image) -> Image.Image:
    """RGB, transparent parts white (JPEG has no transparency)."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def thumbnail_of(data: bytes, size: int = THUMBNAIL_PX) -> bytes:
    """A small JPEG of a stored photo, for lists and pages."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        small = _on_white(image)
        small.thumbnail((size, size), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        small.save(buffer, "JPEG", quality=80, optimize=True)
    return buffer.getvalue()
