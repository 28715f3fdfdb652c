"""The API's JSON, written by orjson.

DRF's ``JSONRenderer`` runs the standard library's encoder with a Python ``default`` for
every date, decimal and lazy translation; orjson writes the same compact UTF-8 JSON several
times faster (a page of 50 items: ``bench/bench_catalogue.py``). What orjson does not write
itself goes through DRF's own encoder (``default``), so dates, times, decimals and
translations come out as DRF writes them; U+2028 and U+2029 are escaped as DRF escapes them.
Indented output (``Accept: application/json; indent=2``), ``UNICODE_JSON`` or ``COMPACT_JSON``
switched off, and what orjson refuses (integers beyond 64 bits) are left to DRF's renderer. One
difference: a non-finite float (NaN), which DRF's strict JSON refuses with an error, is written
``null``. ``tests/api/test_renderer.py`` holds both outputs equal.
"""

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class ORJSONRenderer(JSONRenderer):
    _default = staticmethod(JSONEncoder().default)

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if (self.get_indent(accepted_media_type, renderer_context or {}) is not None or self.ensure_ascii
                or not self.compact):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=self._default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80" in body:
            for raw, escaped in _LINE_SEPARATORS:
                body = body.replace(raw, escaped)
        return body
