"""Exchange endpoints: querysets from ``exchange.selectors``, writes by ``exchange.services``."""

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.history import HistoryEntrySerializer, history_entries
from api.idempotency import IdempotentMixin
from api.inventory.serializers import ItemSerializer
from api.schema import CONFLICT
from exchange import agec, calendar, exports, maps, opendata, privacy, push, reports, selectors, services
from exchange import permissions as exchange_permissions
from exchange.models import PushSubscription, Vehicle
from inventory.models import SiteSettings
from pooling import selectors as pooling_selectors

from .serializers import (
    AgecQuerySerializer,
    CalendarAddressSerializer,
    CommunesQuerySerializer,
    DayPlanSerializer,
    ExportQuerySerializer,
    FeedbackSerializer,
    HandoverCodeSerializer,
    ImpactQuerySerializer,
    ImpactSummarySerializer,
    NeedSerializer,
    PickupSerializer,
    PushKeySerializer,
    PushSubscriptionSerializer,
    ReasonSerializer,
    RefurbishmentSerializer,
    ReservationSerializer,
    TourPlanRequestSerializer,
    TourPlanSerializer,
    TourSerializer,
    TransferExceptionSerializer,
)

WORKFLOW = {200: ReservationSerializer, 409: CONFLICT}


#
# Reservations
#
@extend_schema_view(create=extend_schema(responses={201: ReservationSerializer, 409: CONFLICT}))
class ReservationViewSet(
    IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet,
):
    """Claims: the user's organisations' claims, the claims on their items, or all for the
    département. Each action moves the claim one step along the workflow."""

    serializer_class = ReservationSerializer
    filterset_fields = ("status", "item", "requester", "mode", "pickup")

    def get_queryset(self):
        return selectors.visible_reservations(self.request.user).select_related("item__category")

    def perform_create(self, serializer):
        serializer.instance = services.reservation_create(actor=self.request.user, **serializer.validated_data)

    def _respond(self, reservation):
        return Response(self.get_serializer(reservation).data)

    @extend_schema(request=None, responses=WORKFLOW)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The giver's staff accepts the claim; a handover code is set."""
        return self._respond(services.reservation_approve(actor=request.user, reservation=self.get_object()))

    @extend_schema(request=ReasonSerializer, responses=WORKFLOW)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """The giver's staff refuses the claim."""
        body = _valid(ReasonSerializer, request)
        return self._respond(
            services.reservation_decline(actor=request.user, reservation=self.get_object(), **body)
        )

    @extend_schema(request=ReasonSerializer, responses=WORKFLOW)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Either side calls the claim off before it is collected."""
        body = _valid(ReasonSerializer, request)
        return self._respond(services.reservation_cancel(actor=request.user, reservation=self.get_object(), **body))

    @extend_schema(request=HandoverCodeSerializer, responses=WORKFLOW)
    @action(detail=True, methods=["post"])
    def collect(self, request, pk=None):
        """The requester's side took the units, proven by the giver's handover code (409 if wrong)."""
        body = _valid(HandoverCodeSerializer, request)
        return self._respond(
            services.reservation_collect(actor=request.user, reservation=self.get_object(), **body)
        )

    @extend_schema(request=None, responses=WORKFLOW)
    @action(detail=True, methods=["post"])
    def deliver(self, request, pk=None):
        """The units reached the requester; a donation's impact is recorded."""
        return self._respond(services.reservation_deliver(actor=request.user, reservation=self.get_object()))

    @extend_schema(request=None, responses=WORKFLOW)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        """The giver's staff confirms a loan came back; the loan's impact is recorded."""
        return self._respond(services.reservation_return(actor=request.user, reservation=self.get_object()))

    @extend_schema(request=RefurbishmentSerializer, responses=WORKFLOW)
    @action(detail=True, methods=["post"])
    def refurbishment(self, request, pk=None):
        """The certified refurbisher records the refurbishment of a delivered medical aid."""
        body = _valid(RefurbishmentSerializer, request)
        return self._respond(
            services.reservation_record_refurbishment(actor=request.user, reservation=self.get_object(), **body)
        )

    @extend_schema(request=FeedbackSerializer, responses={201: FeedbackSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def feedback(self, request, pk=None):
        """The receiving side says, once the claim is delivered, how many people it helped,
        which public and a sentence (quoted in the département's reports only with
        ``consent_to_quote``). Once: a second answer is 409 ``feedback_already_given``."""
        body = _valid(FeedbackSerializer, request)
        answer = services.reservation_feedback_give(actor=request.user, reservation=self.get_object(), **body)
        return Response(FeedbackSerializer(answer).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: HistoryEntrySerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        """Every step of the claim, newest first; people are named only to the giver's staff
        and the département."""
        reservation = self.get_object()
        entries = history_entries(reservation, viewer=request.user, owner_id=reservation.item.owner_id)
        return Response(HistoryEntrySerializer(entries, many=True).data)


def _valid(serializer_class, request, context=None) -> dict:
    serializer = serializer_class(data=request.data, context=context or {})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


#
# Pickups and tours
#
@extend_schema_view(
    create=extend_schema(responses={201: PickupSerializer, 409: CONFLICT}),
    partial_update=extend_schema(responses={200: PickupSerializer, 409: CONFLICT}),
)
class PickupViewSet(
    IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Stops at a giver's site, planned by the association's coordinators."""

    serializer_class = PickupSerializer
    filterset_fields = ("status", "organisation", "giver", "tour")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.visible_pickups(self.request.user).prefetch_related("reservations", "volunteers")

    def perform_create(self, serializer):
        fields = {"volunteers": [], **serializer.validated_data}
        serializer.instance = services.pickup_create(actor=self.request.user, **fields)

    def perform_update(self, serializer):
        serializer.instance = services.pickup_update(
            actor=self.request.user, pickup=serializer.instance, **serializer.validated_data
        )

    def _respond(self, pickup):
        return Response(self.get_serializer(self.get_queryset().get(pk=pickup.pk)).data)

    @extend_schema(request=None, responses={200: PickupSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        """The stop was made."""
        return self._respond(services.pickup_done(actor=request.user, pickup=self.get_object()))

    @extend_schema(request=None, responses={200: PickupSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def missed(self, request, pk=None):
        """Nobody could collect: the reservations go back to planning."""
        return self._respond(services.pickup_missed(actor=request.user, pickup=self.get_object()))


@extend_schema_view(create=extend_schema(responses={201: TourSerializer, 409: CONFLICT}))
class TourViewSet(
    IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet,
):
    """A day's run of an association's vehicle through several pickups."""

    serializer_class = TourSerializer
    filterset_fields = ("organisation", "date")

    def get_queryset(self):
        return selectors.visible_tours(self.request.user).prefetch_related("pickups", "volunteers")

    def perform_create(self, serializer):
        serializer.instance = services.tour_create(actor=self.request.user, **serializer.validated_data)

    @extend_schema(request=TourPlanRequestSerializer, responses={200: DayPlanSerializer, 409: CONFLICT})
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def plan(self, request):
        """Plan the association's day with its vehicles (OR-Tools: capacities in kg and m³,
        pickup windows, the vehicles' hours, from and back to the association): one tour per
        vehicle used; the stops that do not fit come back in ``unassigned`` with the reason."""
        body = _valid(TourPlanRequestSerializer, request, context={"request": request})
        organisation = body["organisation"]
        known = {v.name.casefold(): v for v in Vehicle.objects.filter(organisation=organisation)}
        vehicles = [
            services.VehicleChoice(name=v["name"], capacity_kg=v["capacity_kg"], capacity_m3=v["capacity_m3"],
                                   start=v["start"], end=v["end"], vehicle=known.get(v["name"].casefold()))
            for v in body["vehicles"]
        ]
        plan = services.tours_plan(actor=request.user, organisation=organisation, date=body["date"],
                                   vehicles=vehicles, pickups=body.get("pickups"))
        return Response(DayPlanSerializer(DayPlanSerializer.from_plan(plan)).data)

    @extend_schema(request=None, responses={200: TourPlanSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def optimise(self, request, pk=None):
        """Reorder the stops (nearest first from the association) and return them with distances."""
        plan = services.tour_optimise(actor=request.user, tour=self.get_object())
        return Response(TourPlanSerializer(plan).data)


#
# Needs
#
@extend_schema_view(create=extend_schema(responses={201: NeedSerializer}))
class NeedViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet,
):
    """What organisations are looking for; everyone signed in reads them."""

    serializer_class = NeedSerializer
    filterset_fields = ("status", "organisation", "category", "beneficiary")

    def get_queryset(self):
        return selectors.visible_needs(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.need_create(actor=self.request.user, **serializer.validated_data)

    @extend_schema(responses={200: ItemSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def matches(self, request, pk=None):
        """Available items that could meet the need."""
        items = (
            selectors.need_matches(self.get_object())
            .select_related("owner", "category")
            .prefetch_related("photos")
        )
        page = self.paginate_queryset(items)
        data = ItemSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(request=None, responses={200: NeedSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """The organisation no longer looks for this."""
        return Response(self.get_serializer(services.need_close(actor=request.user, need=self.get_object())).data)


#
# Impact
#
PERIOD = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day counted (inclusive)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day counted (inclusive)."),
]


def _records(request, query: dict):
    return reports.in_period(selectors.visible_impact_records(request.user), query.get("from"), query.get("to"))


def _months(request, query: dict):
    """The same records' monthly roll-ups when the period is whole months, else None."""
    return reports.rolled_up(selectors.visible_impact_months(request.user), query.get("from"), query.get("to"))


class ImpactSummaryView(APIView):
    """Impact totals (units, kg, kg CO2e, EUR, claims), optionally grouped, and the key figures
    of the period (as on the dashboard; see /methodology/). Shared equipment is counted apart:
    ``totals.shared_uses`` and ``totals.purchases_avoided`` (an estimate), detailed in ``sharing``.

    A donation counts when delivered, a loan when returned. The département sees every
    record; others the records their organisations gave or received."""

    @extend_schema(
        parameters=[
            *PERIOD,
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(reports.GROUP_BY)),
        ],
        responses={200: ImpactSummarySerializer},
    )
    def get(self, request):
        query = _valid_query(ImpactQuerySerializer, request)
        summary = reports.impact_summary(records=_records(request, query), group_by=query.get("group_by"),
                                         months=_months(request, query))
        summary["kpis"] = reports.impact_kpis(
            records=selectors.visible_impact_records(request.user), items=selectors.impact_items(request.user),
            date_from=query.get("from"), date_to=query.get("to"),
        )
        summary["sharing"] = reports.sharing_figures(
            bookings=pooling_selectors.visible_shared_uses(request.user),
            date_from=query.get("from"), date_to=query.get("to"),
        )
        summary["totals"] = {**summary["totals"], "shared_uses": summary["sharing"]["shared_uses"],
                             "purchases_avoided": summary["sharing"]["purchases_avoided"]}
        return Response(ImpactSummarySerializer(summary).data)


def _valid_query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class _IgnoreFormatParameter(DefaultContentNegotiation):
    """``?format=`` chooses the file type here, not DRF's renderer; errors stay JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ImpactExportView(APIView):
    """One row per impact record (same visibility as the summary), as CSV or XLSX.

    CSV: UTF-8 with a BOM, `;` separators and decimal commas, as spreadsheet software set up
    for French expects. Text that a spreadsheet would run as a formula starts with `'`."""

    content_negotiation_class = _IgnoreFormatParameter

    @extend_schema(
        parameters=[*PERIOD, OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "xlsx"])],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV file"),
            (200, exports.XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX file"),
        },
    )
    def get(self, request):
        query = _valid_query(ExportQuerySerializer, request)
        return exports.impact_export(_records(request, query), file_format=query["format"])


#
# The département's reporting
#
FILE = {(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV file (UTF-8, `,`)")}


class AgecDeclarationView(APIView):
    """The AGEC article 58 yearly declaration (loi 2020-105; data/agec/schema.json, the
    official Table Schema) as CSV: one row per receiving public body (SIRET) and product type
    with the donations received through Rebond that year, valued with the département's
    flat-rate grid (Rebond's replacement values, as estimates, where the grid has no value).
    Purchase amounts Rebond cannot know are 0, and `commentaires` says so. Staff of a public
    body get their own rows; the département's members everyone's."""

    @extend_schema(
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, description="Calendar year (default: last year)."),
            OpenApiParameter("siret", OpenApiTypes.STR, description="One public body's SIRET (14 digits)."),
        ],
        responses={**FILE, 403: OpenApiResponse(description="Not staff of a public body nor of the département.")},
    )
    def get(self, request):
        query = _valid_query(AgecQuerySerializer, request)
        declarants = exchange_permissions.agec_declarants(request.user)
        if declarants is not None:
            if not declarants.exists():
                raise PermissionDenied(_("Only the staff of a public body and the département's members "
                                         "may download AGEC declarations."))
            if query.get("siret") and not declarants.filter(siret=query["siret"]).exists():
                raise PermissionDenied(
                    _("You may download only the declaration of the public bodies you are staff of."))
        declaration = agec.declaration(year=query["year"], declarants=declarants, siret=query.get("siret"))
        return exports.agec_export(declaration, siret=query.get("siret"))


class CommunesGeoJSONView(APIView):
    """The 47 communes of the Val-de-Marne (outlines, WGS84) with the impact figures of the
    period by the giver's commune (the site, as recorded) or the receiver's (`side`): `code`,
    `nom`, `items`, `kg`, `co2e_kg`, `value_eur`, `reservations`, `people_helped`. Figures
    are JSON numbers here (not strings), so GIS software grades them. Same visibility as
    the summary; the features' sums are the summary's totals for the same period."""

    @extend_schema(
        parameters=[*PERIOD, OpenApiParameter("side", OpenApiTypes.STR, enum=["giver", "receiver"])],
        responses={(200, "application/geo+json"): OpenApiTypes.OBJECT},
    )
    def get(self, request):
        query = _valid_query(CommunesQuerySerializer, request)
        collection = maps.feature_collection(
            reports.impact_by_commune(records=_records(request, query), side=query["side"],
                                      months=_months(request, query)),
            zero=reports.FIGURES_ZERO,
        )
        return Response(collection, content_type="application/geo+json")


def _open_data_allowed(request) -> None:
    published = SiteSettings.current().open_data_published
    if not exchange_permissions.can_read_open_data(request.user, published=published):
        if not request.user.is_authenticated:
            raise NotAuthenticated(_("The département has not published its open data yet: sign in as a member."))
        raise PermissionDenied(_("The département has not published its open data yet."))


class OpenDataPackageView(APIView):
    """The open-data package (Frictionless Data Package, Licence Ouverte 2.0): monthly figures
    by commune and category, and the categories' factors, each resource a CSV beside this
    descriptor with its own Table Schema; no personal data. For the département's members,
    and for everyone once a manager publishes it."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 401: OpenApiResponse(description="Not published yet.")})
    def get(self, request):
        _open_data_allowed(request)
        return Response(opendata.descriptor())


class OpenDataResourceView(APIView):
    """One CSV resource of the open-data package (`impact-monthly.csv`, `categories.csv`)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={**FILE, 404: OpenApiResponse(description="No such resource.")})
    def get(self, request, name: str):
        _open_data_allowed(request)
        filename = f"{name}.csv"
        if filename not in opendata.RESOURCES:
            raise NotFound()
        response = HttpResponse(opendata.resource_csv(filename), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response


class MyDataView(APIView):
    """Everything Rebond stores about the signed-in person (GDPR), as on the "My data" page."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(privacy.personal_data(request.user), headers={"Cache-Control": "no-store"})


#
# Transfer exceptions
#
class TransferExceptionViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Exceptions to the public-property transfer rules, recorded by the département's managers
    (read by the département)."""

    serializer_class = TransferExceptionSerializer
    filterset_fields = ("item", "requester")

    def get_queryset(self):
        return selectors.visible_transfer_exceptions(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.transfer_exception_grant(actor=self.request.user, **serializer.validated_data)


#
# On the road: Web Push and the calendar address
#
class PushKeyView(APIView):
    """The server's VAPID public key (base64url), the browser's ``applicationServerKey``."""

    @extend_schema(responses={200: PushKeySerializer})
    def get(self, request):
        return Response({"key": push.public_key()})


class PushSubscriptionViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
                              viewsets.GenericViewSet):
    """The signed-in person's Web Push subscriptions: each notification they get in the app
    is also pushed to these (JSON ``{"type", "title", "body", "url"}``)."""

    serializer_class = PushSubscriptionSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is built without a user
            return PushSubscription.objects.none()
        return PushSubscription.objects.filter(user=self.request.user).order_by("-created_at", "-pk")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = push.subscription_save(
            actor=self.request.user, endpoint=data["endpoint"], p256dh=data["keys"]["p256dh"],
            auth=data["keys"]["auth"], user_agent=self.request.headers.get("User-Agent", ""),
        )


class CalendarView(APIView):
    """The person's private calendar address (iCalendar): GET reads it, POST replaces it
    (the old address then answers 404)."""

    @extend_schema(responses={200: CalendarAddressSerializer})
    def get(self, request):
        return self._answer(request, calendar.calendar_token(request.user))

    @extend_schema(request=None, responses={200: CalendarAddressSerializer})
    def post(self, request):
        return self._answer(request, calendar.calendar_token(request.user, replace=True))

    def _answer(self, request, token):
        url = request.build_absolute_uri(reverse("calendar_feed", args=[token]))
        return Response({"url": url}, headers={"Cache-Control": "no-store"})
