"""Request parsers that refuse an oversized body before reading it (413, not a full read).

Django checks ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only when ``request.body`` or form fields are
read; DRF's parsers read the raw stream, so the limit is applied here as well.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers


def _refuse_oversized(parser_context) -> None:
    request = (parser_context or {}).get("request")
    if request is None:
        return
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _refuse_oversized(parser_context)
        return super().parse(stream, media_type, parser_context)


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _refuse_oversized(parser_context)
        return super().parse(stream, media_type, parser_context)


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _refuse_oversized(parser_context)
        return super().parse(stream, media_type, parser_context)
