"""The hostile-upload corpus (issue #8): every file is generated here, POSTed through the API,
and must come back as a 4xx with a message a person understands, or as a clean stored picture
(re-encoded JPEG, RGB, no metadata) — never a 500, and never a file or row left behind."""

import io
import os
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

import inventory.images  # noqa: F401  (registers the HEIF codec the corpus writes with)
from inventory.models import Photo
from tests.factories import image_bytes


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png(width: int, height: int, idat: bytes, bit_depth: int = 8, colour_type: int = 0) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b""))


def decompression_bomb() -> bytes:
    # 20,000 x 20,000 one-bit pixels: ~50 KB on disk, 400 Mpx (1.6 GB in RGBA) once decoded.
    side = 20_000
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + side // 8)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return _png(side, side, idat, bit_depth=1)


def png_with_huge_declared_size() -> bytes:
    # IHDR claims 100,000 x 100,000; the pixel data is a few bytes.
    return _png(100_000, 100_000, zlib.compress(b"\x00" * 64))


def jpeg_with_huge_declared_size() -> bytes:
    data = bytearray(image_bytes(size=(64, 48)))
    sof = data.index(b"\xff\xc0")  # baseline SOF0: length(2) precision(1) height(2) width(2)
    data[sof + 5:sof + 9] = struct.pack(">HH", 60_000, 60_000)
    return bytes(data)


def truncated_jpeg() -> bytes:
    data = image_bytes(size=(1200, 900))
    return data[: len(data) // 2]


def png_with_bad_crc() -> bytes:
    data = bytearray(image_bytes("PNG", size=(64, 64)))
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF  # flip a byte of the compressed pixels; the CRC no longer matches
    return bytes(data)


def polyglot_jpeg_html() -> bytes:
    # A real JPEG whose comment and tail are an HTML page: a browser sniffing it would run it.
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 30, 30)).save(buffer, "JPEG", comment=html)
    return buffer.getvalue() + html


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script><rect width='10' height='10'/></svg>"
)
HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def sixteen_megabytes() -> bytes:
    head = image_bytes(size=(64, 64))
    return head + b"\x00" * (16 * 1024 * 1024 - len(head))


def animated_webp(frames: int = 3000) -> bytes:
    images = [Image.new("RGB", (16, 16), (n % 256, 0, 0)) for n in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, "WEBP", save_all=True, append_images=images[1:], duration=10, lossless=True)
    return buffer.getvalue()


def cmyk_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("CMYK", (300, 200), (0, 255, 255, 0)).save(buffer, "JPEG")  # red, in ink
    return buffer.getvalue()


def sixteen_bit_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("I;16", (300, 200), 40_000).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_with_gps_and_thumbnail() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 47.0, 20.0), 3: "E", 4: (2.0, 27.0, 35.0)}  # Créteil
    # Cameras also hide a small JPEG preview in the EXIF block: a second picture.
    thumb = io.BytesIO()
    Image.new("RGB", (160, 120), (0, 0, 255)).save(thumb, "JPEG")
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 200, 10)).save(buffer, "JPEG", exif=exif.tobytes() + thumb.getvalue())
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as original:  # the corpus file really carries a position
        assert original.getexif().get_ifd(0x8825)[2] == (48.0, 47.0, 20.0)
    return data


def jpeg_with_corrupt_exif() -> bytes:
    # Orientation 6 and a GPS block whose entry count is garbage (10,242 entries): Pillow's
    # exif_transpose raised TypeError on this (a 500) before the pipeline read the tag itself.
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (1.0, 2.0, 3.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (10, 20, 30)).save(buffer, "JPEG", exif=exif.tobytes())
    data = bytearray(buffer.getvalue())
    tiff = data.index(b"Exif\x00\x00") + 6
    data[tiff + 38] = 40  # header 8 + count 2 + two entries 24 + next-IFD 4: the GPS IFD's count
    return bytes(data)


def jpeg_with_gigantic_icc_profile() -> bytes:
    # 8 MB of garbage as a colour profile, split over ~130 APP2 segments.
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), (90, 90, 90)).save(buffer, "JPEG", icc_profile=os.urandom(8 * 1024 * 1024))
    return buffer.getvalue()


def webp_with_huge_canvas() -> bytes:
    # VP8L header claiming 16,384 x 16,384 (268 Mpx) with no real pixel data behind it.
    bits = (16_383) | (16_383 << 14)
    payload = b"\x2f" + struct.pack("<I", bits) + b"\x00" * 16
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def heic_from_a_phone() -> bytes:
    # What an iPhone sends: HEIC, turned by the container (EXIF orientation 6), with a GPS
    # position and the maker in its EXIF.
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (48.0, 47.0, 20.0), 3: "E", 4: (2.0, 27.0, 35.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 200, 10)).save(buffer, "HEIF", exif=exif.tobytes())
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as original:  # the corpus file really is HEIC, with its position
        assert original.format == "HEIF" and original.getexif().get_ifd(0x8825)
    return data


def truncated_heic() -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (640, 480), os.urandom(640 * 480 * 3)).save(buffer, "HEIF")
    data = buffer.getvalue()
    return data[: len(data) // 2]


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (40, 40)).save(buffer, "GIF")
    return buffer.getvalue()


REFUSED = [
    # (name, builder, declared type, expected status)
    ("bomb.png", decompression_bomb, "image/png", 400),
    ("huge-ihdr.png", png_with_huge_declared_size, "image/png", 400),
    ("huge-sof.jpg", jpeg_with_huge_declared_size, "image/jpeg", 400),
    ("huge-canvas.webp", webp_with_huge_canvas, "image/webp", 400),
    ("truncated.jpg", truncated_jpeg, "image/jpeg", 400),
    ("truncated.heic", truncated_heic, "image/heic", 400),
    ("heic-head.heic", lambda: heic_from_a_phone()[:64], "image/heic", 400),
    ("bad-crc.png", png_with_bad_crc, "image/png", 400),
    ("drawing.svg", lambda: SVG_WITH_SCRIPT, "image/svg+xml", 400),
    ("drawing.jpg", lambda: SVG_WITH_SCRIPT, "image/jpeg", 400),
    ("page.jpg", lambda: HTML_PAGE, "image/jpeg", 400),
    ("empty.jpg", lambda: b"", "image/jpeg", 400),
    ("sixteen.jpg", sixteen_megabytes, "image/jpeg", 413),
    ("animation.png", gif_bytes, "image/png", 400),
    ("invoice.jpg", lambda: PDF, "image/jpeg", 400),
    ("photo.png", lambda: image_bytes(size=(64, 64)), "image/png", 400),  # a JPEG named .png
    ("photo.exe", lambda: image_bytes(size=(64, 64)), "application/x-msdownload", 400),
    ("noise.jpg", lambda: os.urandom(50_000), "image/jpeg", 400),
]

ACCEPTED = [
    ("polyglot.jpg", polyglot_jpeg_html, "image/jpeg"),
    ("animated.webp", animated_webp, "image/webp"),
    ("cmyk.jpg", cmyk_jpeg, "image/jpeg"),
    ("deep.png", sixteen_bit_png, "image/png"),
    ("gps.jpg", jpeg_with_gps_and_thumbnail, "image/jpeg"),
    ("IMG_0042.HEIC", heic_from_a_phone, "image/heic"),
    ("icc.jpg", jpeg_with_gigantic_icc_profile, "image/jpeg"),
    ("corrupt-exif.jpg", jpeg_with_corrupt_exif, "image/jpeg"),
    ("../../../etc/cron.d/evil.jpg", lambda: image_bytes(size=(64, 64)), "image/jpeg"),
]


def _files(root) -> list[str]:
    return sorted(os.path.join(d, f) for d, _dirs, files in os.walk(root) for f in files)


def _post(client, item, name, data, content_type):
    return client.post(
        f"/api/v1/items/{item.pk}/photos/",
        {"image": SimpleUploadedFile(name, data, content_type=content_type)},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="fr",
    )


# The French messages of the photo pipeline (and of DRF for an empty file) begin like this.
FRENCH_OPENINGS = ("Le fichier", "La photo", "L’image", "Ce fichier")


def test_the_corpus_has_at_least_fifteen_files():
    assert len(REFUSED) + len(ACCEPTED) >= 15


@pytest.mark.parametrize(("name", "build", "content_type", "expected"), REFUSED, ids=[r[0] for r in REFUSED])
def test_hostile_file_is_refused_with_a_message_and_leaves_nothing(
    api, staff, item, _media_root, name, build, content_type, expected
):
    response = _post(api(staff), item, name, build(), content_type)

    assert response.status_code == expected, response.content
    messages = response.json()["image"]
    assert messages and all(message.startswith(FRENCH_OPENINGS) for message in messages), messages
    assert not Photo.objects.exists() and not Photo.history.exists()
    assert _files(_media_root) == []


def test_a_body_beyond_the_request_cap_is_413_before_it_is_read(api, staff, item, _media_root):
    data = b"\xff\xd8" + b"\x00" * (17 * 1024 * 1024)  # over DATA_UPLOAD_MAX_MEMORY_SIZE (16.5 MB)

    response = _post(api(staff), item, "seventeen.jpg", data, "image/jpeg")

    assert response.status_code == 413
    assert response.json()["detail"] == "La requête est trop volumineuse."
    assert not Photo.objects.exists() and _files(_media_root) == []


@pytest.mark.parametrize(("name", "build", "content_type"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_odd_but_benign_file_is_stored_clean(api, staff, item, _media_root, name, build, content_type):
    data = build()
    client = api(staff)

    response = _post(client, item, name, data, content_type)

    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    assert len(_files(_media_root)) == 2  # the picture and its thumbnail, nothing else
    with Image.open(photo.image.path) as stored:
        assert stored.format == "JPEG" and stored.mode == "RGB"
        assert not stored.getexif() and "icc_profile" not in stored.info and "comment" not in stored.info
    stored_bytes = open(photo.image.path, "rb").read()  # noqa: SIM115
    assert b"<script" not in stored_bytes and b"PhoneMaker" not in stored_bytes
    assert stored_bytes.count(b"\xff\xd8") == 1  # one picture: no embedded preview survives
    assert os.path.dirname(os.path.realpath(photo.image.path)).startswith(os.path.realpath(_media_root))


def test_cmyk_and_sixteen_bit_pictures_keep_their_colours(api, staff, item):
    client = api(staff)
    _post(client, item, "cmyk.jpg", cmyk_jpeg(), "image/jpeg")
    _post(client, item, "deep.png", sixteen_bit_png(), "image/png")

    red, grey = (Image.open(p.image.path).getpixel((10, 10)) for p in item.photos.order_by("order"))

    assert red[0] > 200 and red[1] < 60 and red[2] < 60  # not inverted, not black
    assert all(140 < channel < 170 for channel in grey)  # 40000/65535 of white, not clipped


@pytest.mark.parametrize(("name", "build", "content_type"), ACCEPTED[:3], ids=[a[0] for a in ACCEPTED[:3]])
def test_stored_media_are_served_as_images_without_sniffing(api, staff, item, name, build, content_type):
    from django.test import Client

    _post(api(staff), item, name, build(), content_type)
    photo = Photo.objects.get()
    browser = Client()
    browser.force_login(staff)

    for field, expected_type in ((photo.image, "image/jpeg"), (photo.thumbnail, "image/webp")):
        response = browser.get(field.url)
        assert response.status_code == 200
        assert response["Content-Type"] == expected_type
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content)[:2] in {b"\xff\xd8", b"RI"}


def test_media_are_not_served_to_anonymous_visitors(api, staff, item):
    from django.test import Client

    _post(api(staff), item, "photo.jpg", image_bytes(size=(64, 64)), "image/jpeg")

    response = Client().get(Photo.objects.get().image.url)

    assert response.status_code == 302


def test_a_phones_heic_is_stored_upright(api, staff, item):
    response = _post(api(staff), item, "IMG_0042.HEIC", heic_from_a_phone(), "image/heic")

    assert response.status_code == 201
    assert (response.json()["width"], response.json()["height"]) == (480, 640)


@pytest.mark.parametrize("build", [truncated_heic, lambda: heic_from_a_phone()[:64]], ids=["half", "header-only"])
def test_a_truncated_heic_is_called_damaged(api, staff, item, build):
    response = _post(api(staff), item, "IMG_0042.HEIC", build(), "image/heic")

    assert response.status_code == 400
    assert response.json()["image"][0].startswith("L’image est abîmée")  # not "not a picture"


def test_corrupt_exif_still_applies_the_orientation(api, staff, item):
    response = _post(api(staff), item, "corrupt-exif.jpg", jpeg_with_corrupt_exif(), "image/jpeg")

    assert response.status_code == 201
    assert (response.json()["width"], response.json()["height"]) == (90, 120)
