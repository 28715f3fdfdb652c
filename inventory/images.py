"""The photo pipeline: every uploaded picture goes through ``process_photo`` and nothing else.

Phone pictures are large, rotated by an EXIF tag rather than in their pixels, and carry the
place they were taken (GPS); iPhones take HEIC (HEIF), which libheif decodes through
pillow-heif and which comes out as the same JPEG and WebP as any other picture. Uploads may
also be hostile: a file whose name lies about its type, a truncated JPEG, a "decompression
bomb" declaring billions of pixels. The pipeline decodes only what it must, refuses all of
these with a message a person understands, and returns new files that contain pixels and
nothing else.
"""

import io
import logging
import uuid
import warnings
from dataclasses import dataclass
from pathlib import PurePath

import pillow_heif
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, UnidentifiedImageError

MAX_SIDE = 2048
THUMBNAIL_SIDE = 400
# Phones produce 12-50 Mpx pictures; nothing legitimate is bigger than this, while a
# 20,000 x 20,000 "bomb" (400 Mpx, 1.6 GB once decoded) is refused before decoding.
MAX_PIXELS = 64_000_000
# A JPEG can be decoded at 1/2, 1/4 or 1/8 scale for a fraction of the cost. We accept a
# draft whose longest side is at least this much of MAX_SIDE: a 4000 x 3000 phone picture
# then comes out at 2000 x 1500 after decoding a quarter of the pixels.
DRAFT_MIN_SIDE = int(MAX_SIDE * 0.9)
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80

# Real format (read from the bytes) -> the names and declared types it may travel under.
ACCEPTED = {
    "JPEG": ({".jpg", ".jpeg", ".jpe", ".jfif"}, {"image/jpeg", "image/pjpeg"}),
    "MPO": ({".jpg", ".jpeg", ".jpe", ".jfif"}, {"image/jpeg", "image/pjpeg"}),  # phone JPEGs
    "PNG": ({".png"}, {"image/png"}),
    "WEBP": ({".webp"}, {"image/webp"}),
    "HEIF": ({".heic", ".heif", ".hif"}, {"image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"}),
}
# The decoders asked to read an upload (MPO is read by the JPEG one).
OPENERS = ["JPEG", "PNG", "WEBP", "HEIF"]
UNKNOWN_TYPES = {"", "application/octet-stream", "binary/octet-stream"}
# EXIF orientation -> the transposition that puts the pixels upright.
ORIENTATIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

logger = logging.getLogger(__name__)

# HEIF through Pillow; the primary picture only (no thumbnails, depth maps or auxiliary images,
# which we would not keep anyway). libheif applies the file's rotation itself and resets the
# EXIF orientation to 1, so ``_upright`` leaves those pixels alone.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)


class PhotoError(ValidationError):
    """A refused upload; ``code`` is ``too_large`` (HTTP 413) or an invalid-input code (400)."""


@dataclass(frozen=True)
class ProcessedPhoto:
    image: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def _refuse(message: str, code: str) -> PhotoError:
    return PhotoError(message, code=code)


def _check_declared_type(upload, real_format: str) -> None:
    extensions, content_types = ACCEPTED[real_format]
    suffix = PurePath(getattr(upload, "name", "") or "").suffix.lower()
    if suffix and suffix not in extensions:
        raise _refuse(
            _("The file is named “%(name)s” but contains a %(format)s image. "
              "Rename it or send the original picture.")
            % {"name": PurePath(upload.name).name, "format": real_format.replace("MPO", "JPEG")},
            "type_mismatch",
        )
    declared = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if declared not in UNKNOWN_TYPES and declared not in content_types:
        raise _refuse(
            _("The file was sent as “%(declared)s” but contains a %(format)s image.")
            % {"declared": declared, "format": real_format.replace("MPO", "JPEG")},
            "type_mismatch",
        )


def _broken() -> PhotoError:
    return _refuse(
        _("The picture is damaged or incomplete (it may not have finished uploading). "
          "Try sending it again."),
        "broken",
    )


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation to the pixels.

    Not ``ImageOps.exif_transpose``: it re-serialises the whole EXIF block, and a corrupt tag
    elsewhere in it (a GPS entry of the wrong type) made it raise TypeError — a 500. We only
    need the one tag, and the metadata is dropped anyway.
    """
    try:
        orientation = image.getexif().get(0x0112)
    except Exception:  # unreadable EXIF: keep the pixels as they are
        return image
    method = ORIENTATIONS.get(orientation) if isinstance(orientation, int) else None
    return image.transpose(method) if method is not None else image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert pixels described by an embedded colour profile to plain sRGB."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in {"RGB", "RGBA", "CMYK"}:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile is dropped; the pixels stay as they are


def _to_rgb(image: Image.Image) -> Image.Image:
    """Bring any decoded mode to 8-bit RGB, flattening transparency onto white."""
    if image.mode in {"I;16", "I;16B", "I;16L", "I;16N"}:
        image = image.convert("I")
    if image.mode in {"I", "F"}:
        image = image.point(lambda value: value / 256).convert("L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in {"LA", "La", "PA", "RGBa"}:
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image


def _encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    # A fresh ``info`` so no EXIF, XMP, ICC or comment of the original can be carried over.
    image.info = {}
    if fmt == "JPEG":
        image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    else:
        image.save(buffer, "WEBP", quality=quality, method=4)
    return buffer.getvalue()


def process_photo(upload) -> ProcessedPhoto:
    """Validate and re-encode an uploaded picture.

    Args:
        upload: a Django ``UploadedFile`` (or any file object with ``name`` and ``size``).

    Returns:
        The re-encoded JPEG (longest side at most ``MAX_SIDE``, upright, without metadata)
        and a WebP thumbnail, both under random names.

    Raises:
        PhotoError: with code ``too_large``, ``empty``, ``not_an_image``, ``type_mismatch``,
            ``too_many_pixels`` or ``broken``.
    """
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size == 0:
        raise _refuse(_("The file is empty."), "empty")
    if size > settings.PHOTO_MAX_BYTES:
        raise _refuse(
            _("The photo is too large (%(size)s); the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(settings.PHOTO_MAX_BYTES)},
            "too_large",
        )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload, formats=OPENERS)
            real_format = image.format
            _check_declared_type(upload, real_format)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _refuse(
                    _("The picture is %(w)s × %(h)s pixels; the limit is %(mp)s megapixels.")
                    % {"w": width, "h": height, "mp": MAX_PIXELS // 1_000_000},
                    "too_many_pixels",
                )
            if getattr(image, "is_animated", False):
                image.seek(0)  # keep the first frame of an animation
            if real_format in {"JPEG", "MPO"}:
                longest = max(width, height)
                scale = 1
                while scale < 8 and longest // (scale * 2) >= DRAFT_MIN_SIDE:
                    scale *= 2
                if scale > 1:
                    image.draft("RGB", (width // scale, height // scale))
            image.load()
            image = _upright(image)
            image = _to_rgb(_to_srgb(image))
    except PhotoError:
        raise
    except UnidentifiedImageError:
        upload.seek(0)
        if pillow_heif.is_supported(upload):  # a HEIF header, but libheif could not read the rest
            raise _broken() from None
        raise _refuse(
            # (HEIC is accepted too: the message gains it with its French translation.)
            _("This file is not a picture Rebond accepts. Send a JPEG, PNG, WebP or HEIC photo."),
            "not_an_image",
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(_("The picture declares too many pixels to be opened safely."), "too_many_pixels") from None
    except Exception as error:
        # Pillow's decoders raise OSError, SyntaxError, ValueError, EOFError, but also
        # struct.error, TypeError or IndexError on some malformed files: whatever the
        # decoder trips on, the file is damaged for us, and never a 500.
        logger.info("Photo refused as damaged: %r", error)
        raise _broken() from None

    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    thumbnail = image.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)

    stem = uuid.uuid4().hex
    return ProcessedPhoto(
        image=ContentFile(_encode(image, "JPEG", JPEG_QUALITY), name=f"{stem}.jpg"),
        thumbnail=ContentFile(_encode(thumbnail, "WEBP", THUMBNAIL_QUALITY), name=f"{stem}_t.webp"),
        width=image.width,
        height=image.height,
    )
