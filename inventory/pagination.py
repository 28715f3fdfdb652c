"""Pages of long lists whose cost does not grow with the table.

A page counts its rows exactly only up to ``REBOND_EXACT_COUNT_LIMIT`` (10,000): the count
runs on a ``LIMIT``-ed sub-query, so it reads at most that many index entries and the page
says "more than 10,000" beyond. Whether there is a next page is then read from one extra row
of the page itself, so page numbers keep working past the bound. The catalogue's page and
``/api/v1/items/`` (through DRF's ``django_paginator_class``) both use it.
"""

import math
from functools import cached_property

from django.conf import settings
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.formats import number_format


class BoundedPage(Page):
    def has_next(self) -> bool:
        if self.paginator.count_is_exact:
            return super().has_next()
        return self.has_more


class BoundedCountPaginator(Paginator):
    """A ``Paginator`` whose ``count`` is at most ``limit + 1`` (``count_is_exact`` says which).

    With ``fold_count``, ``page()`` reads the bounded count in the page's own query (a scalar
    sub-select, computed once): one query rather than two. Only when the page turns out empty
    (a page past the end) does it count apart, as without it."""

    fold_count = False
    _TOTAL = "_bounded_total"

    def __init__(self, *args, limit: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit = settings.REBOND_EXACT_COUNT_LIMIT if limit is None else limit

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, list | tuple):
            return len(self.object_list)
        # Django counts a sliced queryset as SELECT COUNT(*) FROM (… LIMIT n): bounded work. The
        # sub-query reads the ids only: no other column, nor the rows' annotations (JSON sub-selects).
        return self._count_query().count()

    @property
    def count_is_exact(self) -> bool:
        return self.count <= self.limit

    @property
    def limit_display(self) -> str:
        """The bound as people read it ("10 000" in French, "10,000" in English)."""
        return number_format(self.limit, force_grouping=True)

    @cached_property
    def num_pages(self) -> int:
        """The pages known to exist: all of them when the count is exact."""
        return super().num_pages if self.count_is_exact else math.ceil(self.count / self.per_page)

    def validate_number(self, number):
        if self.count_is_exact:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from error
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number  # no upper bound known: page() finds out

    def _count_query(self):
        # Ids only. (Unordered, PostgreSQL may read the limit's rows by a sequential scan: the
        # ordering keeps the count on the index that serves the page.)
        return self.object_list.values("pk")[: self.limit + 1]

    def _folded_page(self, number):
        """The page and the count from one query, or None (the caller counts apart)."""
        queryset = self.object_list
        if not (self.fold_count and "count" not in self.__dict__ and isinstance(queryset, QuerySet)) or (
                queryset.query.group_by or queryset.query.distinct or queryset.query.combinator):
            return None
        try:
            number = int(number)
        except (TypeError, ValueError):
            return None
        bottom = (number - 1) * self.per_page
        if number < 1 or bottom > self.limit:  # deeper pages (and absurd numbers) count apart first
            return None
        sql, params = self._count_query().query.sql_with_params()
        counted = queryset.annotate(**{self._TOTAL: RawSQL(f"SELECT COUNT(*) FROM ({sql}) bounded", params)})
        rows = list(counted[bottom: bottom + self.per_page + 1])  # one more: is there a next page?
        if not rows:
            return None
        for row in rows:
            total = row.pop(self._TOTAL) if isinstance(row, dict) else row.__dict__.pop(self._TOTAL)
        self.__dict__["count"] = total  # the cached_property, answered
        if self.count_is_exact:
            self.validate_number(number)
        page = self._get_page(rows[: self.per_page], number, self)
        page.has_more = len(rows) > self.per_page
        return page

    def page(self, number):
        folded = self._folded_page(number)
        if folded is not None:
            return folded
        number = self.validate_number(number)
        if self.count_is_exact:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom: bottom + self.per_page + 1])  # one more: is there a next page?
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        page = self._get_page(rows[: self.per_page], number, self)
        page.has_more = len(rows) > self.per_page
        return page

    def get_page(self, number):
        """As Django's, also when a page past the counted rows turns out empty (the last known page)."""
        try:
            return super().get_page(number)
        except EmptyPage:
            return self.page(self.num_pages)

    def _get_page(self, *args, **kwargs):
        return BoundedPage(*args, **kwargs)
