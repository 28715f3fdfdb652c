"""Writes of the inventory: items and their photos.

Every function is atomic, keyword-only, takes the acting user, checks permission through
``inventory.permissions`` and records history with a reason. Pages, API, admin and commands
call these; none of them saves an item by hand. Withdrawing an item cancels its claims, so
it lives with the claims in ``exchange.services``.
"""

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from . import hooks, permissions
from .errors import WorkflowError
from .history import attribute
from .images import process_photo
from .models import Category, Item, Organisation, Photo, SiteSettings

# Fields a staff member may set on an item (the rest belong to the workflow).
EDITABLE_ITEM_FIELDS = (
    "title", "description", "category", "condition", "mode", "quantity", "unit_weight_kg",
    "unit_value_eur", "width_cm", "depth_cm", "height_cm", "floor", "has_lift",
    "opening_hours", "pickup_notes", "inventory_number", "acquisition_date",
    "acquisition_value_eur", "available_from", "available_until",
)


def _require_item_manager(actor, organisation_id: int) -> None:
    if not permissions.can_manage_items_of(actor, organisation_id):
        raise PermissionDenied(_("Only the staff of the owning organisation may change its items."))


def _locked_item(item: Item) -> Item:
    return Item.objects.select_for_update().select_related("category").get(pk=item.pk)


#
# Items
#
@transaction.atomic
def item_create(*, actor, owner: Organisation, **fields) -> Item:
    """Create a draft item owned by ``owner``.

    Raises:
        PermissionDenied: ``actor`` is not staff of ``owner``.
        ValidationError: a field is invalid.
    """
    _require_item_manager(actor, owner.pk)
    unknown = set(fields) - set(EDITABLE_ITEM_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    item = Item(owner=owner, created_by=actor, status=Item.Status.DRAFT, **fields)
    item.full_clean()
    attribute(item, actor=actor, reason=_("Item created"))
    item.save()
    return item


@transaction.atomic
def item_update(*, actor, item: Item, **fields) -> Item:
    """Change the description of a draft or available item.

    Raises:
        PermissionDenied: ``actor`` is not staff of the owner.
        WorkflowError: ``not_editable`` once the item is reserved, gone, withdrawn or expired;
            ``mode_locked`` when a published item would switch between giving and sharing.
        ValidationError: a field is invalid (e.g. a quantity below the units already claimed).
    """
    _require_item_manager(actor, item.owner_id)
    unknown = set(fields) - set(EDITABLE_ITEM_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    item = _locked_item(item)
    if not item.is_editable:
        raise WorkflowError(
            "not_editable", _("This item can no longer be changed (status: %(status)s).")
            % {"status": item.get_status_display()},
        )
    if "mode" in fields and fields["mode"] != item.mode and item.status != Item.Status.DRAFT:
        # Claims and bookings follow different rules: a published item keeps the one it has.
        raise WorkflowError("mode_locked", _("A published item cannot switch between giving and sharing."))
    for name, value in fields.items():
        setattr(item, name, value)
    item.full_clean()
    if item.status != Item.Status.DRAFT:
        # A larger lot may reopen a reserved item, a smaller one may fill it.
        item.status = item.status_from_quantities()
    attribute(item, actor=actor, reason=_("Item edited"))
    item.save()
    return item


@transaction.atomic
def item_publish(*, actor, item: Item) -> Item:
    """Put a draft in the catalogue.

    Raises:
        PermissionDenied: ``actor`` is not staff of the owner.
        WorkflowError: ``invalid_transition`` unless a draft, ``no_photo`` without a photo.
    """
    _require_item_manager(actor, item.owner_id)
    item = _locked_item(item)
    if item.status != Item.Status.DRAFT:
        raise WorkflowError(
            "invalid_transition", _("Only a draft can be published (status: %(status)s).")
            % {"status": item.get_status_display()},
        )
    if not item.photos.exists():
        raise WorkflowError("no_photo", _("Add at least one photo before publishing."))
    item.status = Item.Status.AVAILABLE
    item.published_at = timezone.now()
    attribute(item, actor=actor, reason=_("Published"))
    item.save()
    for hook in hooks.on_item_published:  # e.g. the exchange announcing it to open needs
        hook(item=item)
    return item


@transaction.atomic
def item_delete(*, actor, item: Item) -> None:
    """Delete a draft (never published, so nothing refers to it); others are withdrawn.

    Raises:
        PermissionDenied: ``actor`` is not staff of the owner.
        WorkflowError: ``not_a_draft``.
    """
    _require_item_manager(actor, item.owner_id)
    item = _locked_item(item)
    if item.status != Item.Status.DRAFT:
        raise WorkflowError("not_a_draft", _("Only drafts can be deleted; withdraw this item instead."))
    files = [name for photo in item.photos.all() for name in (photo.image.name, photo.thumbnail.name)]
    attribute(item, actor=actor, reason=_("Draft deleted"))
    item.delete()
    transaction.on_commit(lambda: _delete_files(files))


#
# Photos
#
def _delete_files(names) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name:
            default_storage.delete(name)


@transaction.atomic
def photo_add(*, actor, item: Item, upload, alt_text: str = "") -> Photo:
    """Run ``upload`` through the photo pipeline and attach it to ``item``.

    The files are written only once the picture is accepted, and removed again if the row
    cannot be saved, so a refused or failed upload leaves nothing behind.

    Raises:
        PermissionDenied: ``actor`` is not staff of the owner.
        WorkflowError: ``not_editable`` for items no longer open.
        PhotoError: the upload was refused (see ``inventory.images``).
    """
    _require_item_manager(actor, item.owner_id)
    item = _locked_item(item)
    if not item.is_editable:
        raise WorkflowError("not_editable", _("Photos can no longer be added to this item."))
    processed = process_photo(upload)
    last_order = item.photos.aggregate(last=Max("order"))["last"]
    next_order = 0 if last_order is None else last_order + 1
    photo = Photo(
        item=item, width=processed.width, height=processed.height, order=next_order,
        alt_text=alt_text[:200] or item.title,
    )
    try:
        photo.image.save(processed.image.name, processed.image, save=False)
        photo.thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)
        attribute(photo, actor=actor, reason=_("Photo added"))
        with transaction.atomic():
            photo.save()
    except BaseException:
        _delete_files([photo.image.name, photo.thumbnail.name])
        raise
    return photo


@transaction.atomic
def photo_update(*, actor, photo: Photo, order: int | None = None, alt_text: str | None = None) -> Photo:
    """Change a photo's place in the gallery or its description.

    Raises:
        PermissionDenied: ``actor`` is not staff of the owner.
    """
    _require_item_manager(actor, photo.item.owner_id)
    if order is not None:
        photo.order = order
    if alt_text is not None:
        photo.alt_text = alt_text[:200]
    attribute(photo, actor=actor, reason=_("Photo changed"))
    photo.save()
    return photo


@transaction.atomic
def photo_delete(*, actor, photo: Photo) -> None:
    """Remove a photo; a published item keeps at least one.

    Raises:
        PermissionDenied: ``actor`` is not staff of the owner.
        WorkflowError: ``last_photo`` when it is the only photo of a published item.
    """
    _require_item_manager(actor, photo.item.owner_id)
    item = _locked_item(photo.item)
    if item.status != Item.Status.DRAFT and item.photos.count() <= 1:
        raise WorkflowError("last_photo", _("A published item keeps at least one photo."))
    files = [photo.image.name, photo.thumbnail.name]
    attribute(photo, actor=actor, reason=_("Photo removed"))
    photo.delete()
    transaction.on_commit(lambda: _delete_files(files))


#
# Organisations
#
def _require_department_manager(actor) -> None:
    if not permissions.is_department_manager(actor):
        raise PermissionDenied(_("Only the département's managers may change organisations."))


@transaction.atomic
def organisation_create(*, actor, **fields) -> Organisation:
    """Register a member organisation.

    Raises:
        PermissionDenied: ``actor`` is not a département manager.
        ValidationError: a field is invalid (SIRET, FINESS, UAI, postcode, duplicates).
    """
    _require_department_manager(actor)
    organisation = Organisation(**fields)
    organisation.full_clean()
    attribute(organisation, actor=actor, reason=_("Organisation created"))
    organisation.save()
    return organisation


@transaction.atomic
def organisation_update(*, actor, organisation: Organisation, **fields) -> Organisation:
    """Change an organisation's details.

    Raises:
        PermissionDenied: ``actor`` is not a département manager.
        ValidationError: a field is invalid.
    """
    _require_department_manager(actor)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    for name, value in fields.items():
        setattr(organisation, name, value)
    organisation.full_clean()
    attribute(organisation, actor=actor, reason=_("Organisation edited"))
    organisation.save()
    return organisation


#
# Categories' impact factors
#
FACTOR_FIELDS = (
    "unit_weight_kg", "weight_basis", "unit_co2e_kg", "co2e_basis", "unit_value_eur", "value_basis",
    "source", "note", "agec_product_type",
)


@transaction.atomic
def category_update_factors(*, actor, category: Category, reason: str = "", **fields) -> Category:
    """Change a category's impact factors, their basis, source or note, or its AGEC product
    type (kept in its history).

    Only records written afterwards use the new values: each impact record keeps the factors
    it was computed with.

    Raises:
        PermissionDenied: ``actor`` is not a département manager.
        TypeError: a field is not one of ``FACTOR_FIELDS``.
        ValidationError: a value is invalid (negative, unknown basis).
    """
    if not permissions.is_department_manager(actor):
        raise PermissionDenied(_("Only the département's managers may change impact factors."))
    unknown = set(fields) - set(FACTOR_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    category = Category.objects.select_for_update().get(pk=category.pk)
    for name, value in fields.items():
        setattr(category, name, value)
    category.full_clean()
    # history_change_reason holds 100 characters
    attribute(category, actor=actor, reason=(reason.strip() or _("Impact factors edited"))[:100])
    category.save()
    return category


#
# The département's settings
#
@transaction.atomic
def site_settings_update(*, actor, claim_expiry_days: int, internal_first_days: int) -> SiteSettings:
    """Save the département-wide delays (the one row is created on first save).

    Raises:
        PermissionDenied: ``actor`` is not a département manager.
        ValidationError: a value is out of range.
    """
    if not permissions.is_department_manager(actor):
        raise PermissionDenied(_("Only the département's managers may change its settings."))
    current = SiteSettings.objects.select_for_update().order_by("pk").first() or SiteSettings()
    current.claim_expiry_days, current.internal_first_days = claim_expiry_days, internal_first_days
    current.full_clean()
    attribute(current, actor=actor, reason=_("Settings changed"))
    current.save()
    # Cleared now for this transaction's own reads, and again once committed for everyone's.
    key = SiteSettings.cache_key()
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
    return current


@transaction.atomic
def site_settings_publish_open_data(*, actor, published: bool, reason: str = "") -> SiteSettings:
    """Turn the public publication of the open-data package on or off; the settings' history
    keeps who switched it, when and why.

    Raises:
        PermissionDenied: ``actor`` is not a département manager.
    """
    if not permissions.is_department_manager(actor):
        raise PermissionDenied(_("Only the département's managers may change its settings."))
    current = SiteSettings.objects.select_for_update().order_by("pk").first()
    if current is None:
        defaults = SiteSettings.current()
        current = SiteSettings(claim_expiry_days=defaults.claim_expiry_days,
                               internal_first_days=defaults.internal_first_days)
    current.open_data_published = bool(published)
    default_reason = _("Open data published") if published else _("Open data publication stopped")
    attribute(current, actor=actor, reason=(reason or "").strip() or default_reason)
    current.save()
    key = SiteSettings.cache_key()
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
    return current
