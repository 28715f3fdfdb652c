"""Filters of the item catalogue, shared by the API and the pages."""

import django_filters
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Category, Commune, Item, Organisation


class ItemFilterSet(django_filters.FilterSet):
    # distinct=False: one row per item already; DISTINCT would make the count scan every column.
    status = django_filters.MultipleChoiceFilter(choices=Item.Status.choices, label=_("status"), distinct=False)
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), method="filter_category",
        label=_("category (sub-categories included)"),
    )
    owner = django_filters.ModelChoiceFilter(queryset=Organisation.objects.all(), label=_("owner"))
    commune = django_filters.ModelChoiceFilter(
        queryset=Commune.objects.all(), field_name="owner__commune", label=_("commune (INSEE code)"),
    )
    condition = django_filters.MultipleChoiceFilter(
        choices=Item.Condition.choices, label=_("condition"), distinct=False,
    )
    search = django_filters.CharFilter(method="filter_search", label=_("search in title and description"))
    available_after = django_filters.DateFilter(
        method="filter_available_after", label=_("still available on or after this date"),
    )
    ordering = django_filters.OrderingFilter(fields=("created_at", "available_until"), label=_("ordering"))

    class Meta:
        model = Item
        fields = ["status", "category", "owner", "commune", "condition"]

    def filter_category(self, queryset, name, value):
        return queryset.filter(category__in=value.descendant_ids())

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if connection.vendor == "postgresql":
            # French stemming: "fauteuils" finds "fauteuil".
            vector = SearchVector("title", "description", config="french")
            return queryset.annotate(search_vector=vector).filter(
                search_vector=SearchQuery(value, config="french", search_type="websearch")
            )
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_available_after(self, queryset, name, value):
        return queryset.filter(Q(available_until__isnull=True) | Q(available_until__gte=value))
