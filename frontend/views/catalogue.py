"""The catalogue (search, filters, paging that keeps them) and an item's page."""

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render

from inventory import permissions
from inventory.models import Item, Photo
from inventory.pagination import BoundedCountPaginator

from ..filters import CatalogueFilter
from ..forms import use_field_template

PAGE_SIZE = 12


def _with_photos(queryset):
    return queryset.select_related("category", "owner__commune").prefetch_related(
        Prefetch("photos", queryset=Photo.objects.order_by("order", "pk"))
    )


@login_required
def catalogue(request):
    """Two sections: items to give (claims) and "À partager", shared equipment booked by the day."""
    mode = Item.Mode.SHARED if request.GET.get("mode") == Item.Mode.SHARED else Item.Mode.GIVE
    items = permissions.visible_items(request.user).visible_in_catalogue().filter(mode=mode)
    query = request.GET.copy()
    query.pop("mode", None)
    query.pop("page", None)
    filterset = CatalogueFilter(query or None, queryset=items)
    use_field_template(filterset.form)
    results = filterset.qs if filterset.is_bound and filterset.is_valid() else items
    page = BoundedCountPaginator(_with_photos(results), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": filterset, "page": page, "filtered": filterset.is_bound, "mode": mode}
    if request.htmx and not request.htmx.boosted:
        return render(request, "frontend/catalogue/list.html#results", context)
    return render(request, "frontend/catalogue/list.html", context)


@login_required
def item_detail(request, pk):
    """An item's page; other organisations' drafts and withdrawn items are 404."""
    item = get_object_or_404(_with_photos(permissions.visible_items(request.user)), pk=pk)
    if item.is_shared:  # booked by the day, from its calendar
        return redirect("shared_item", pk=item.pk)
    context = {"item": item, "can_manage": permissions.can_manage_item(request.user, item)}
    from .exchange import claim_context

    context.update(claim_context(request, item))
    return render(request, "frontend/catalogue/detail.html", context)
