"""The photo pipeline, alone and through the ``photo_add`` service."""

import io
import os

import pytest
from PIL import Image

from inventory import services
from inventory.images import MAX_SIDE, THUMBNAIL_SIDE, PhotoError, process_photo
from inventory.models import Photo
from tests.factories import image_bytes, upload


def _files_under(root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def _jpeg_with_exif(size=(1200, 800), orientation=6, fmt="JPEG") -> bytes:
    """A landscape picture whose EXIF says "rotate 90° clockwise" and which carries GPS.

    As HEIF (what iPhones take), pillow-heif writes the EXIF orientation as the container's
    rotation, which is the one readers apply.
    """
    image = Image.new("RGB", size, (200, 30, 30))
    # Paint the left half blue so the rotation can be checked from the pixels.
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 47.0, 30.0), 3: "E", 4: (2.0, 27.0, 10.0)})
    buffer = io.BytesIO()
    image.save(buffer, fmt, exif=exif.tobytes())
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "fmt", "content_type"),
                         [("IMG_0001.JPG", "JPEG", "image/jpeg"), ("IMG_0001.HEIC", "HEIF", "image/heic")])
def test_exif_orientation_is_applied_and_all_metadata_removed(name, fmt, content_type):
    data = _jpeg_with_exif(fmt=fmt)
    original = Image.open(io.BytesIO(data))
    assert original.format == fmt and original.getexif().get_ifd(0x8825)  # the input really carries GPS

    result = process_photo(upload(name, data, content_type=content_type))

    stored = Image.open(io.BytesIO(result.image.read()))
    assert stored.format == "JPEG"
    # Rotated 90° clockwise: 1200 x 800 becomes 800 x 1200, and the blue left half is now on top.
    assert stored.size == (800, 1200) == (result.width, result.height)
    top, bottom = stored.getpixel((400, 100)), stored.getpixel((400, 1100))
    assert top[2] > 150 and top[0] < 100
    assert bottom[0] > 150 and bottom[2] < 100
    assert len(stored.getexif()) == 0
    assert "exif" not in stored.info and "icc_profile" not in stored.info
    raw = result.image.open().read() if hasattr(result.image, "open") else b""
    assert b"PhoneMaker" not in raw and b"Exif" not in raw


def test_large_picture_is_capped_and_thumbnailed_as_webp():
    result = process_photo(upload("big.jpg", image_bytes(size=(4000, 3000))))
    assert max(result.width, result.height) <= MAX_SIDE
    assert result.width / result.height == pytest.approx(4 / 3, rel=0.01)
    thumb = Image.open(io.BytesIO(result.thumbnail.read()))
    assert thumb.format == "WEBP"
    assert max(thumb.size) == THUMBNAIL_SIDE
    assert result.image.name.endswith(".jpg") and result.thumbnail.name.endswith(".webp")
    assert "big" not in result.image.name  # random names, not the user's


def test_png_with_transparency_and_webp_are_accepted():
    png = process_photo(upload("logo.png", image_bytes("PNG", alpha=True), "image/png"))
    webp = process_photo(upload("pic.webp", image_bytes("WEBP"), "image/webp"))
    assert Image.open(io.BytesIO(png.image.read())).mode == "RGB"
    assert webp.width == 800


@pytest.mark.parametrize(
    ("name", "data", "content_type", "code"),
    [
        ("photo.jpg", image_bytes("PNG"), "image/jpeg", "type_mismatch"),  # PNG renamed .jpg
        ("notes.png", b"Just some text, certainly not a picture.\n" * 20, "image/png", "not_an_image"),
        ("cut.jpg", image_bytes(size=(1600, 1200))[:6000], "image/jpeg", "broken"),  # truncated
        ("empty.jpg", b"", "image/jpeg", "empty"),
        ("photo.webp", image_bytes("JPEG"), "image/webp", "type_mismatch"),  # declared type lies
    ],
    ids=["png-renamed-jpg", "text-renamed-png", "truncated-jpeg", "empty", "declared-type-lies"],
)
def test_bad_files_are_refused_with_a_reason(name, data, content_type, code):
    with pytest.raises(PhotoError) as caught:
        process_photo(upload(name, data, content_type))
    assert caught.value.code == code
    assert caught.value.messages[0]  # a sentence a person can read


def test_decompression_bomb_is_refused_before_decoding():
    # A 20,000 x 20,000 PNG compresses to a few hundred kB but would need 1.2 GB decoded.
    buffer = io.BytesIO()
    Image.new("L", (20_000, 20_000)).save(buffer, "PNG")
    with pytest.raises(PhotoError) as caught:
        process_photo(upload("bomb.png", buffer.getvalue(), "image/png"))
    assert caught.value.code == "too_many_pixels"


def test_oversized_file_is_refused_as_too_large(settings):
    data = image_bytes() + b"\0" * (16 * 1024 * 1024)
    with pytest.raises(PhotoError) as caught:
        process_photo(upload("huge.jpg", data))
    assert caught.value.code == "too_large"
    assert "15" in caught.value.messages[0]  # the limit is named


#
# Through the service: refused uploads leave no file and no row
#
@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("photo.jpg", image_bytes("PNG"), "image/jpeg"),
        ("notes.png", b"plain text" * 100, "image/png"),
        ("cut.jpg", image_bytes(size=(1600, 1200))[:6000], "image/jpeg"),
        ("huge.jpg", b"\xff\xd8" + b"\0" * (16 * 1024 * 1024), "image/jpeg"),
    ],
    ids=["png-renamed-jpg", "text-renamed-png", "truncated-jpeg", "16-MB"],
)
def test_refused_upload_leaves_nothing_behind(staff, item, _media_root, name, data, content_type):
    with pytest.raises(PhotoError):
        services.photo_add(actor=staff, item=item, upload=upload(name, data, content_type))
    assert Photo.objects.count() == 0
    assert Photo.history.count() == 0
    assert _files_under(_media_root) == []


def test_bomb_through_the_service_leaves_nothing_behind(staff, item, _media_root):
    buffer = io.BytesIO()
    Image.new("L", (20_000, 20_000)).save(buffer, "PNG")
    with pytest.raises(PhotoError):
        services.photo_add(actor=staff, item=item, upload=upload("bomb.png", buffer.getvalue(), "image/png"))
    assert Photo.objects.count() == 0
    assert _files_under(_media_root) == []


def test_accepted_upload_stores_two_files_and_one_row(staff, item, _media_root):
    photo = services.photo_add(actor=staff, item=item, upload=upload("IMG.jpg", _jpeg_with_exif()))
    assert sorted(os.path.basename(p) for p in _files_under(_media_root)) == sorted(
        [os.path.basename(photo.image.name), os.path.basename(photo.thumbnail.name)]
    )
    assert photo.history.get().history_user == staff
