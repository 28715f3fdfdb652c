"""API v1 routes: one router, kebab-case plural paths (mounted at ``/api/v1/``)."""

from django.http import JsonResponse
from django.urls import path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework.routers import DefaultRouter

from api.auth import LogoutView, TokenView
from api.exchange import views as exchange_views
from api.inventory import views as inventory_views
from api.pooling import views as pooling_views

router = DefaultRouter()
router.register("organisations", inventory_views.OrganisationViewSet, basename="organisation")
router.register("categories", inventory_views.CategoryViewSet, basename="category")
router.register("items", inventory_views.ItemViewSet, basename="item")
router.register("reservations", exchange_views.ReservationViewSet, basename="reservation")
router.register("pickups", exchange_views.PickupViewSet, basename="pickup")
router.register("tours", exchange_views.TourViewSet, basename="tour")
router.register("needs", exchange_views.NeedViewSet, basename="need")
router.register("push-subscriptions", exchange_views.PushSubscriptionViewSet, basename="push-subscription")
router.register("transfer-exceptions", exchange_views.TransferExceptionViewSet, basename="transfer-exception")
router.register("bookings", pooling_views.BookingViewSet, basename="booking")



@csrf_exempt  # nothing to protect, and a POST to a wrong path must still get a JSON 404
def not_found(request, *args, **kwargs):
    """Anything else under /api/v1/ is a JSON 404 too (not Django's HTML page): clients parse it."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


app_name = "api"
urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("auth/logout/", LogoutView.as_view(), name="logout"),
    path("me/", inventory_views.MeView.as_view(), name="me"),
    path("me/data/", exchange_views.MyDataView.as_view(), name="me-data"),
    path("me/calendar/", exchange_views.CalendarView.as_view(), name="me-calendar"),
    path("push/key/", exchange_views.PushKeyView.as_view(), name="push-key"),
    path("impact/summary/", exchange_views.ImpactSummaryView.as_view(), name="impact-summary"),
    path("impact/export/", exchange_views.ImpactExportView.as_view(), name="impact-export"),
    path("impact/agec/", exchange_views.AgecDeclarationView.as_view(), name="impact-agec"),
    path("impact/communes.geojson", exchange_views.CommunesGeoJSONView.as_view(), name="impact-communes"),
    path("open-data/datapackage.json", exchange_views.OpenDataPackageView.as_view(), name="open-data"),
    path("open-data/<slug:name>.csv", exchange_views.OpenDataResourceView.as_view(), name="open-data-resource"),
    path("items/<int:pk>/availability/", pooling_views.AvailabilityView.as_view(), name="item-availability"),
    path("items/<int:pk>/label.pdf", pooling_views.ItemLabelView.as_view(), name="item-label"),
    path("labels.pdf", pooling_views.LabelsView.as_view(), name="labels"),
    *router.urls,
    re_path(r"^.*$", not_found),
]
