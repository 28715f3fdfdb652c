"""The catalogue's filters (search, category with its sub-categories, commune, condition).

Kept in ``frontend/`` so the pages do not depend on the API's filterset; both filter the same
``visible_items`` queryset.
"""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from inventory.models import Category, Commune, Item


class CatalogueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=Category.objects.all(), method="in_category", empty_label=_("All categories"),
    )
    commune = django_filters.ModelChoiceFilter(
        label=_("Commune"), queryset=Commune.objects.all(), field_name="owner__commune", empty_label=_("All communes"),
    )
    condition = django_filters.ChoiceFilter(
        label=_("Condition"), choices=Item.Condition.choices, empty_label=_("Any condition"),
    )

    class Meta:
        model = Item
        fields = ["q", "category", "commune", "condition"]

    def search(self, queryset, name, value):
        for word in value.split()[:8]:
            queryset = queryset.filter(Q(title__icontains=word) | Q(description__icontains=word))
        return queryset

    def in_category(self, queryset, name, value):
        # A parent category also finds the items of its sub-categories.
        return queryset.filter(category_id__in=value.descendant_ids())
