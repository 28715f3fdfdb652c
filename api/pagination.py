"""Pagination of the API's lists.

Page numbers (``?page=``) everywhere, with a count bounded by ``REBOND_EXACT_COUNT_LIMIT``
(``inventory.pagination``); ``/api/v1/items/`` also takes a keyset cursor (``?cursor=``,
API.md "Lists at scale"): each page is an index range read from where the last one ended,
whatever its depth, and it carries no count.
"""

from django.core import signing
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.utils.urls import replace_query_param

from inventory.pagination import BoundedCountPaginator

CURSOR_SALT = "rebond.api.cursor"


class Pagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``; ``?page_size=`` up to 100.

    ``count`` is exact up to ``REBOND_EXACT_COUNT_LIMIT`` rows; beyond, it is that limit plus
    one ("more than 10,000"), and ``next`` still says whether another page follows."""

    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = BoundedCountPaginator


class KeysetPagination(CursorPagination):
    """``?cursor=`` (empty for the first page): ``{"next", "previous", "results"}``.

    The cursor is opaque and signed (``django.core.signing``): a client cannot forge a
    position, and a damaged cursor is a 400 with a message, never a 500. Orders by
    ``-created_at`` (or ``created_at`` with ``?ordering=created_at``), the id breaking ties.
    """

    page_size_query_param = "page_size"
    max_page_size = 100
    orderings = {"-created_at": ("-created_at", "-id"), "created_at": ("created_at", "id")}

    def get_ordering(self, request, queryset, view):
        requested = request.query_params.get("ordering") or "-created_at"
        if requested not in self.orderings:
            raise ValidationError({"ordering": [_("With a cursor, the list is ordered by created_at or -created_at "
                                                  "only.")]})
        return self.orderings[requested]

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        if not encoded:
            return Cursor(offset=0, reverse=False, position=None)  # ?cursor= : the first page
        try:
            tokens = signing.loads(encoded, salt=CURSOR_SALT)
            offset, reverse, position, ordering = int(tokens["o"]), bool(tokens["r"]), tokens["p"], tokens["d"]
            valid = 0 <= offset <= self.offset_cutoff and (position is None or isinstance(position, str))
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            valid = False
        if not valid or ordering != self.ordering[0]:
            raise ValidationError({"cursor": [_("This cursor is not valid (or belongs to another ordering): follow "
                                                "the next or previous link of a page, or start again with an empty "
                                                "cursor.")]})
        return Cursor(offset=offset, reverse=reverse, position=position)

    def encode_cursor(self, cursor):
        tokens = {"o": cursor.offset, "r": int(cursor.reverse), "p": cursor.position, "d": self.ordering[0]}
        encoded = signing.dumps(tokens, salt=CURSOR_SALT, compress=True)
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)


class FoldedCountPaginator(BoundedCountPaginator):
    fold_count = True


class ItemPagination(Pagination):
    """Page numbers, and in the schema the ``cursor`` parameter of ``KeysetPagination``. The
    page's query also reads the bounded count (one query for both)."""

    django_paginator_class = FoldedCountPaginator

    def get_schema_operation_parameters(self, view):
        cursor = {
            "name": "cursor", "required": False, "in": "query", "schema": {"type": "string"},
            "description": "Keyset pagination: empty for the first page, then the cursor of a page's "
                           "`next` or `previous` link. The answer then has no `count`.",
        }
        return [*super().get_schema_operation_parameters(view), cursor]

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["results"]  # no count with ?cursor= (API.md, "Lists at scale")
        return response
