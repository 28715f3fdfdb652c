"""Staff pages: my organisation's items, the item form with its photos, publish, withdraw,
history. Every write goes through ``inventory.services`` (or ``exchange.services`` for
withdrawal); the permission predicates decide who sees what."""

from itertools import chain

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from inventory import permissions, services
from inventory.errors import WorkflowError
from inventory.history import credits
from inventory.models import Item, Membership, Photo

from ..forms import ItemForm, PhotoUploadForm, add_service_error
from .core import run_service

Role = Membership.Role


def _staff_organisations(user):
    organisations = permissions.organisations_of(user, Role.STAFF)
    if not organisations.exists():
        raise PermissionDenied(_("This page is for the staff of a giving organisation."))
    return organisations


def _managed_item(user, pk) -> Item:
    """An item ``user`` may manage; others' items are 404 (drafts must not leak)."""
    item = get_object_or_404(permissions.visible_items(user).select_related("owner", "category"), pk=pk)
    if not permissions.can_manage_item(user, item):
        raise PermissionDenied(_("Only the staff of the owning organisation may change its items."))
    return item


def _photos(item):
    return item.photos.order_by("order", "pk")


#
# Lists
#
@login_required
def my_items(request):
    organisations = _staff_organisations(request.user)
    items = Item.objects.filter(owner__in=organisations)
    counts = dict(items.values_list("status").annotate(n=Count("pk")).order_by())
    query = request.GET.get("q", "").strip()[:100]
    if query:
        items = items.filter(Q(title__icontains=query) | Q(inventory_number__icontains=query))
    status = request.GET.get("status", "")
    if status in Item.Status.values:
        items = items.filter(status=status)
    else:
        status = ""
    items = items.select_related("category", "owner").prefetch_related(
        Prefetch("photos", queryset=Photo.objects.order_by("order", "pk"))
    )
    chips = [("", _("All"), sum(counts.values()))] + [
        (value, label, counts.get(value, 0)) for value, label in Item.Status.choices
    ]
    return render(request, "frontend/items/my_items.html", {
        "items": items, "status": status, "chips": chips, "query": query,
    })


#
# Create and edit
#
def _go(request, url: str):
    # The form's upload script sends it with HX-Request and follows HX-Redirect itself, so
    # the confirmation message is shown on the next page instead of in a discarded response.
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _add_photos(request, item, uploads) -> int:
    added = 0
    for upload in uploads:
        try:
            services.photo_add(actor=request.user, item=item, upload=upload)
            added += 1
        except (ValidationError, WorkflowError) as error:
            message = error.message if isinstance(error, WorkflowError) else " ".join(error.messages)
            messages.error(
                request, _("Photo %(name)s was refused: %(reason)s") % {"name": upload.name, "reason": message}
            )
    return added


@login_required
def item_create(request):
    organisations = _staff_organisations(request.user)
    form = ItemForm(request.POST or None, request.FILES or None)
    form.set_organisations(organisations, _("Organisation"))
    if request.method == "POST" and form.is_valid():
        try:
            item = services.item_create(actor=request.user, owner=form.chosen_organisation(), **form.item_fields())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            added = _add_photos(request, item, form.cleaned_data["photos"])
            messages.success(
                request, _("Draft “%(title)s” saved with %(n)s photo(s).") % {"title": item.title, "n": added}
            )
            return _go(request, reverse("item_edit", args=[item.pk]))
    return render(request, "frontend/items/form.html", {"form": form, "item": None})


@login_required
def item_edit(request, pk):
    item = _managed_item(request.user, pk)
    form = ItemForm(request.POST or None, request.FILES or None, instance=item)
    form.set_organisations([item.owner], "")
    if request.method == "POST" and form.is_valid():
        try:
            item = services.item_update(actor=request.user, item=item, **form.item_fields())
        except WorkflowError as error:
            messages.error(request, error.message)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            _add_photos(request, item, form.cleaned_data["photos"])
            messages.success(request, _("Changes to “%(title)s” saved.") % {"title": item.title})
            return _go(request, reverse("item_edit", args=[item.pk]))
    return render(request, "frontend/items/form.html", {
        "form": form, "item": item, "photos": _photos(item), "upload_form": PhotoUploadForm(),
    })


#
# Photos (htmx: each answers with the photo list fragment)
#
def _photo_list(request, item):
    if request.htmx:
        return render(request, "frontend/items/form.html#photo-list", {"item": item, "photos": _photos(item)})
    return redirect("item_edit", pk=item.pk)


@login_required
@require_POST
def photo_add(request, pk):
    item = _managed_item(request.user, pk)
    form = PhotoUploadForm(request.POST, request.FILES)
    if form.is_valid():
        if _add_photos(request, item, [form.cleaned_data["photo"]]):
            messages.success(request, _("Photo added."))
    else:
        messages.error(request, _("Choose a photo to add."))
    return _photo_list(request, item)


@login_required
@require_POST
def photo_move(request, pk, photo_pk):
    """Move a photo one place up or down; the gallery is renumbered 0, 1, 2… through
    ``photo_update``, so the history tells who reordered it."""
    item = _managed_item(request.user, pk)
    photos = list(_photos(item))
    photo = get_object_or_404(Photo, pk=photo_pk, item=item)
    index = photos.index(photo)
    target = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= target < len(photos):
        photos[index], photos[target] = photos[target], photos[index]
        with transaction.atomic():
            for order, one in enumerate(photos):
                if one.order != order:
                    services.photo_update(actor=request.user, photo=one, order=order)
        messages.success(request, _("Photo order saved."))
    return _photo_list(request, item)


@login_required
@require_POST
def photo_delete(request, pk, photo_pk):
    item = _managed_item(request.user, pk)
    photo = get_object_or_404(Photo, pk=photo_pk, item=item)
    run_service(request, lambda: services.photo_delete(actor=request.user, photo=photo), _("Photo removed."))
    return _photo_list(request, item)


#
# Workflow
#
@login_required
@require_POST
def item_publish(request, pk):
    item = _managed_item(request.user, pk)
    if run_service(request, lambda: services.item_publish(actor=request.user, item=item),
                   _("“%(title)s” is now in the catalogue.") % {"title": item.title}):
        return redirect("item_detail", pk=item.pk)
    return redirect("item_edit", pk=item.pk)


@login_required
@require_POST
def item_withdraw(request, pk):
    from exchange import services as exchange_services

    item = _managed_item(request.user, pk)
    reason = request.POST.get("reason", "")[:500]
    run_service(request, lambda: exchange_services.item_withdraw(actor=request.user, item=item, reason=reason),
                _("“%(title)s” was withdrawn; its open claims were cancelled.") % {"title": item.title})
    return redirect("my_items")


@login_required
@require_POST
def item_delete(request, pk):
    item = _managed_item(request.user, pk)
    title = item.title
    if run_service(request, lambda: services.item_delete(actor=request.user, item=item),
                   _("Draft “%(title)s” deleted.") % {"title": title}):
        return redirect("my_items")
    return redirect("item_edit", pk=item.pk)


#
# History
#
@login_required
def item_history(request, pk):
    """The item's life as one timeline: its own changes (to whoever sees the item, as in the
    API) and those of the claims on it that the user may see; people are named as in the API."""
    from exchange.models import Reservation
    from exchange.selectors import visible_reservations

    item = get_object_or_404(permissions.visible_items(request.user), pk=pk)
    item_rows = item.history.select_related("history_user").order_by("-history_date")
    claim_rows = Reservation.history.filter(
        item_id=item.pk, id__in=visible_reservations(request.user).filter(item=item).values("pk"),
    ).select_related("history_user", "requester")
    events = sorted(chain(item_rows, claim_rows), key=lambda row: row.history_date, reverse=True)
    requester_ids = item.reservations.values_list("requester_id", flat=True)
    for event, credit in zip(
        events, credits(events, viewer=request.user, owner_id=item.owner_id, requester_ids=requester_ids), strict=True,
    ):
        event.credit = credit
    return render(request, "frontend/items/history.html", {"item": item, "events": events})
