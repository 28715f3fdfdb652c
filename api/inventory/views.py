"""Inventory endpoints: querysets scoped by ``inventory.permissions``, writes by ``inventory.services``."""

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import RetrieveAPIView
from rest_framework.response import Response

from api import parsers as api_parsers
from api.exchange.serializers import ReasonSerializer
from api.history import HistoryEntrySerializer, history_entries
from api.pagination import ItemPagination, KeysetPagination
from api.permissions import ReadOnlyOrDepartmentManager
from api.schema import CONFLICT, TOO_LARGE
from exchange import services as exchange_services
from inventory import permissions, services
from inventory.filters import ItemFilterSet
from inventory.models import Category, Item, Organisation
from pooling import services as pooling_services
from pooling.models import BookingRules

from .rows import item_rows, item_values
from .serializers import (
    CategorySerializer,
    ItemSerializer,
    MeSerializer,
    OrganisationSerializer,
    PhotoSerializer,
    PhotoUpdateSerializer,
    PhotoUploadSerializer,
)


class MeView(RetrieveAPIView):
    """The signed-in user and its memberships."""

    serializer_class = MeSerializer

    def get_object(self):
        user = self.request.user
        prefetch_related_objects([user], "memberships__organisation")
        return user


#
# Organisations
#
@extend_schema_view(partial_update=extend_schema(responses={200: OrganisationSerializer, 409: CONFLICT}))
class OrganisationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Member organisations: everyone signed in reads them, département managers write them."""

    queryset = Organisation.objects.all()
    serializer_class = OrganisationSerializer
    permission_classes = [ReadOnlyOrDepartmentManager]
    filterset_fields = ("kind", "commune", "is_reuse_partner")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["contact_visible_ids"] = permissions.contact_visible_organisation_ids(self.request.user)
        return context

    def perform_create(self, serializer):
        serializer.instance = services.organisation_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.organisation_update(
            actor=self.request.user, organisation=serializer.instance, **serializer.validated_data
        )


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The category tree with each category's impact factors per unit."""

    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    filterset_fields = ("parent",)


#
# Items
#
@extend_schema_view(
    create=extend_schema(responses={201: ItemSerializer}),
    partial_update=extend_schema(responses={200: ItemSerializer, 409: CONFLICT}),
    destroy=extend_schema(responses={204: None, 409: CONFLICT}),
)
class ItemViewSet(viewsets.ModelViewSet):
    """Items: the catalogue, the user's organisations' items, everything for the département.

    Other organisations' drafts are not visible (404)."""

    serializer_class = ItemSerializer
    filterset_class = ItemFilterSet
    pagination_class = ItemPagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @property
    def paginator(self):
        # ?cursor= asks for keyset pagination (API.md, "Lists at scale"); page numbers otherwise.
        if not hasattr(self, "_paginator"):
            keyset = "cursor" in self.request.query_params
            self._paginator = KeysetPagination() if keyset else self.pagination_class()
        return self._paginator

    def get_queryset(self):
        # Owner and category are rendered as ids: no join needed, only the photos.
        statuses = [s for s in self.request.query_params.getlist("status") if s in Item.Status.values]
        return permissions.visible_items(self.request.user, statuses=statuses).prefetch_related(
            "photos", "booking_rules__organisations")

    # Query parameters the filterset has nothing to do with: pages, or statuses alone (valid
    # ones, which ``visible_items`` has already applied). Then the filterset is not built.
    _UNFILTERED_PARAMS = frozenset({"status", "page", "page_size"})

    def filter_queryset(self, queryset):
        params = self.request.query_params
        if self.action == "list" and params.keys() <= self._UNFILTERED_PARAMS and all(
                s in Item.Status.values for s in params.getlist("status")):
            return queryset
        return super().filter_queryset(queryset)

    def list(self, request, *args, **kwargs):
        # The page's rows from values() (api.inventory.rows), not the nested serializer: the
        # same JSON, several times faster. (A comment, not a docstring: the schema shows those.)
        statuses = [s for s in request.query_params.getlist("status") if s in Item.Status.values]
        queryset = self.filter_queryset(permissions.visible_items(request.user, statuses=statuses))
        page = self.paginate_queryset(item_values(queryset))
        return self.get_paginated_response(item_rows(page, request=request))

    @transaction.atomic  # the item and its booking rules, or neither
    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        rules = fields.pop("booking_rules", None)
        serializer.instance = services.item_create(actor=self.request.user, **fields)
        self._set_booking_rules(serializer.instance, rules)

    @transaction.atomic
    def perform_update(self, serializer):
        fields = {k: v for k, v in serializer.validated_data.items() if k in services.EDITABLE_ITEM_FIELDS}
        serializer.instance = services.item_update(actor=self.request.user, item=serializer.instance, **fields)
        self._set_booking_rules(serializer.instance, serializer.validated_data.get("booking_rules"))

    def _set_booking_rules(self, item, rules: dict | None) -> None:
        if rules is None:
            return
        current = BookingRules.of(item)
        values = {name: rules.get(name, getattr(current, name)) for name in ("auto_approve", "max_days", "lead_days",
                                                                             "audience")}
        organisations = rules.get("organisations")
        if organisations is None:
            organisations = [] if current._state.adding else list(current.organisations.all())
        # The saved rules replace the copy read above in the item's cache (the response shows them).
        item.booking_rules = pooling_services.booking_rules_update(
            actor=self.request.user, item=item, organisations=organisations, **values)

    def perform_destroy(self, instance):
        services.item_delete(actor=self.request.user, item=instance)

    def _item_response(self, item):
        item = self.get_queryset().get(pk=item.pk)
        return Response(self.get_serializer(item).data)

    @extend_schema(request=None, responses={200: ItemSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Put a draft in the catalogue (409 ``no_photo`` without a photo)."""
        return self._item_response(services.item_publish(actor=request.user, item=self.get_object()))

    @extend_schema(request=ReasonSerializer, responses={200: ItemSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Take an item out of the catalogue; its active reservations are cancelled with the reason."""
        reason = ReasonSerializer(data=request.data)
        reason.is_valid(raise_exception=True)
        item = exchange_services.item_withdraw(actor=request.user, item=self.get_object(), **reason.validated_data)
        return self._item_response(item)

    @extend_schema(responses={200: HistoryEntrySerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        """Every change of the item, newest first; people are named only to its owner's staff
        and the département."""
        item = self.get_object()
        entries = history_entries(item, viewer=request.user, owner_id=item.owner_id,
                                  requester_ids=item.reservations.values_list("requester_id", flat=True))
        return Response(HistoryEntrySerializer(entries, many=True).data)

    #
    # Photos
    #
    @extend_schema(methods=["GET"], responses={200: PhotoSerializer(many=True)}, filters=False)
    @extend_schema(
        methods=["POST"], request={"multipart/form-data": PhotoUploadSerializer},
        responses={201: PhotoSerializer, 409: CONFLICT, 413: TOO_LARGE},
    )
    @action(
        detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[],
        parser_classes=[api_parsers.MultiPartParser, api_parsers.FormParser],
    )
    def photos(self, request, pk=None):
        """The item's photos in gallery order; POST adds one (multipart field ``image``)."""
        item = self.get_object()
        if request.method == "GET":
            return Response(PhotoSerializer(item.photos.all(), many=True, context=self.get_serializer_context()).data)
        upload = PhotoUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        photo = services.photo_add(actor=request.user, item=item, **_photo_args(upload.validated_data))
        return Response(PhotoSerializer(photo, context=self.get_serializer_context()).data, status=201)

    @extend_schema(methods=["PATCH"], request=PhotoUpdateSerializer, responses={200: PhotoSerializer})
    @extend_schema(methods=["DELETE"], request=None, responses={204: None, 409: CONFLICT})
    @action(
        detail=True, methods=["patch", "delete"], url_path=r"photos/(?P<photo_id>\d+)", filter_backends=[],
    )
    def photo(self, request, pk=None, photo_id=None):
        """Reorder or describe a photo (PATCH ``order``, ``alt_text``), or remove it."""
        photo = get_object_or_404(self.get_object().photos.select_related("item"), pk=photo_id)
        if request.method == "DELETE":
            services.photo_delete(actor=request.user, photo=photo)
            return Response(status=status.HTTP_204_NO_CONTENT)
        changes = PhotoUpdateSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        photo = services.photo_update(actor=request.user, photo=photo, **changes.validated_data)
        return Response(PhotoSerializer(photo, context=self.get_serializer_context()).data)


def _photo_args(data: dict) -> dict:
    return {"upload": data["image"], "alt_text": data.get("alt_text", "")}

