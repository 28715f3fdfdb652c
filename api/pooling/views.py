"""Shared-equipment endpoints: querysets from ``pooling.selectors``, writes by ``pooling.services``."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from api import parsers as api_parsers
from api.exchange.serializers import ReasonSerializer
from api.exchange.views import _IgnoreFormatParameter, _valid, _valid_query
from api.history import HistoryEntrySerializer, history_entries
from api.schema import CONFLICT
from inventory import permissions
from pooling import labels, selectors, services
from pooling import permissions as pooling_permissions

from .serializers import (
    AvailabilityQuerySerializer,
    AvailabilitySerializer,
    BookingSerializer,
    CheckInSerializer,
    LabelsQuerySerializer,
)

WORKFLOW = {200: BookingSerializer, 409: CONFLICT}
PDF = {(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="A4 sheet of QR labels")}


@extend_schema_view(create=extend_schema(responses={201: BookingSerializer, 409: CONFLICT}))
class BookingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet,
):
    """Bookings of shared equipment: those of the user's organisations, those of their items,
    or all for the département. Each action moves a booking one step along its workflow."""

    serializer_class = BookingSerializer
    filterset_fields = ("status", "item", "requester", "series")

    def get_queryset(self):
        return selectors.visible_bookings(self.request.user).select_related("item")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        bookings = services.booking_create(actor=self.request.user, **data)
        serializer.instance = bookings[0]

    def _respond(self, booking):
        return Response(self.get_serializer(booking).data)

    @extend_schema(request=None, responses=WORKFLOW)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The owner's staff accept the booking."""
        return self._respond(services.booking_approve(actor=request.user, booking=self.get_object()))

    @extend_schema(request=ReasonSerializer, responses=WORKFLOW)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """The owner's staff refuse the booking."""
        body = _valid(ReasonSerializer, request)
        return self._respond(services.booking_decline(actor=request.user, booking=self.get_object(), **body))

    @extend_schema(request=ReasonSerializer, responses=WORKFLOW)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Either side calls the booking off before the item goes out."""
        body = _valid(ReasonSerializer, request)
        return self._respond(services.booking_cancel(actor=request.user, booking=self.get_object(), **body))

    @extend_schema(request=None, responses=WORKFLOW)
    @action(detail=True, methods=["post"], url_path="check-out", url_name="check-out")
    def check_out(self, request, pk=None):
        """The item leaves its owner (during the days booked)."""
        return self._respond(services.booking_check_out(actor=request.user, booking=self.get_object()))

    @extend_schema(
        request={"application/json": CheckInSerializer, "multipart/form-data": CheckInSerializer},
        responses=WORKFLOW,
    )
    @action(
        detail=True, methods=["post"], url_path="check-in", url_name="check-in",
        parser_classes=[api_parsers.JSONParser, api_parsers.MultiPartParser, api_parsers.FormParser],
    )
    def check_in(self, request, pk=None):
        """The item is back: its condition noted, with an optional photo (multipart field ``photo``)."""
        body = _valid(CheckInSerializer, request)
        return self._respond(services.booking_check_in(actor=request.user, booking=self.get_object(), **body))

    @extend_schema(responses={200: HistoryEntrySerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        """Every step of the booking, newest first; people are named only to the owner's staff
        and the département."""
        booking = self.get_object()
        entries = history_entries(booking, viewer=request.user, owner_id=booking.item.owner_id)
        return Response(HistoryEntrySerializer(entries, many=True).data)


def _shared_item(request, pk):
    return get_object_or_404(permissions.visible_items(request.user), pk=pk)


class AvailabilityView(APIView):
    """The requested and approved (and out) bookings of a shared item in a period: dates,
    units and status, no names. Free days are those they leave."""

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default today)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day looked at (default 92 days on)."),
        ],
        responses={200: AvailabilitySerializer},
    )
    def get(self, request, pk):
        item = _shared_item(request, pk)
        query = _valid_query(AvailabilityQuerySerializer, request)
        bookings = selectors.availability(item, query["from"], query["to"]) if item.is_shared else []
        return Response(AvailabilitySerializer({"quantity": item.quantity, "bookings": bookings}).data)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class ItemLabelView(APIView):
    """One printable QR label of an item (A4 sheet), for its owner's staff."""

    content_negotiation_class = _IgnoreFormatParameter

    @extend_schema(responses=PDF)
    def get(self, request, pk):
        item = _shared_item(request, pk)
        if not pooling_permissions.can_print_labels(request.user, [item]):
            raise PermissionDenied(_("Only the owner's staff print its labels."))
        return _pdf(labels.labels_pdf([item], request=request), f"rebond-label-{item.pk}.pdf")


class LabelsView(APIView):
    """QR labels of chosen items (``?items=1,2``) on A4 sheets, for their owners' staff."""

    content_negotiation_class = _IgnoreFormatParameter

    @extend_schema(parameters=[LabelsQuerySerializer], responses=PDF)
    def get(self, request):
        ids = _valid_query(LabelsQuerySerializer, request)["items"]
        found = {item.pk: item for item in permissions.visible_items(request.user).filter(pk__in=ids)
                 .select_related("owner")}
        missing = [pk for pk in ids if pk not in found]
        if missing:
            return Response({"items": [_("No item you can see has the id %(ids)s.") % {
                "ids": ", ".join(map(str, missing))}]}, status=400)
        if not pooling_permissions.can_print_labels(request.user, found.values()):
            raise PermissionDenied(_("Only the owners' staff print labels of their items."))
        return _pdf(labels.labels_pdf([found[pk] for pk in ids], request=request), "rebond-labels.pdf")
