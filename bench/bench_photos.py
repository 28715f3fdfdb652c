"""Photo pipeline vs naive Pillow on a realistic 12 Mpx phone picture.

Both sides start from the same JPEG bytes (4000 x 3000, noisy gradient so it compresses
like a photo, EXIF orientation 6 as phones write it) and produce the same outputs: an upright
JPEG whose longest side fits 2048 px and a 400 px WebP thumbnail, with the same encoder
settings. What differs is how the pixels are obtained: the pipeline decodes the JPEG at a
reduced scale (``Image.draft``) when that still leaves enough pixels; the naive version
decodes all 12 Mpx and resizes them.

Run: ``.venv/bin/python bench/bench_photos.py`` (or ``make bench``).
"""

import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

from inventory import images  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "10"))
SIZE = (4000, 3000)


def phone_picture() -> bytes:
    """A 4000 x 3000 JPEG with photo-like entropy and an EXIF "rotate 90°" tag."""
    width, height = SIZE
    horizontal = Image.linear_gradient("L").rotate(90).resize(SIZE)
    vertical = Image.linear_gradient("L").resize(SIZE)
    noise = [Image.effect_noise(SIZE, sigma) for sigma in (40, 55, 70)]
    channels = [
        Image.blend(horizontal, noise[0], 0.35),
        Image.blend(vertical, noise[1], 0.35),
        Image.blend(ImageOps.invert(horizontal), noise[2], 0.35),
    ]
    picture = Image.merge("RGB", channels)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "BenchPhone"
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def ours(data: bytes) -> tuple[int, int]:
    result = images.process_photo(SimpleUploadedFile("IMG_0001.jpg", data, content_type="image/jpeg"))
    result.image.read(), result.thumbnail.read()
    return result.width, result.height


def naive(data: bytes) -> tuple[int, int]:
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    scale = images.MAX_SIDE / max(image.size)
    resized = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    resized.save(out, "JPEG", quality=images.JPEG_QUALITY, optimize=True, progressive=True)
    scale = images.THUMBNAIL_SIDE / max(resized.size)
    thumbnail = resized.resize((round(resized.width * scale), round(resized.height * scale)), Image.Resampling.LANCZOS)
    thumbnail.save(io.BytesIO(), "WEBP", quality=images.THUMBNAIL_QUALITY, method=4)
    return resized.size


def median_ms(function, data: bytes) -> tuple[float, tuple[int, int]]:
    size = function(data)  # warm-up (imports, codec initialisation)
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        function(data)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), size


def main() -> None:
    data = phone_picture()
    print(f"input: {SIZE[0]} x {SIZE[1]} JPEG, {len(data) / 1e6:.1f} MB, EXIF orientation 6; {RUNS} runs each")
    naive_ms, naive_size = median_ms(naive, data)
    ours_ms, ours_size = median_ms(ours, data)
    print(f"naive Pillow (full decode + resize): median {naive_ms:7.1f} ms -> {naive_size[0]} x {naive_size[1]}")
    print(f"inventory.images.process_photo:      median {ours_ms:7.1f} ms -> {ours_size[0]} x {ours_size[1]}")
    print(f"ratio naive / ours: {naive_ms / ours_ms:.2f}x")


if __name__ == "__main__":
    main()
