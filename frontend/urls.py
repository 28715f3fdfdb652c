from django.urls import path

from .views import accounts, catalogue, core, exchange, impact, items, onboarding, sharing

urlpatterns = [
    path("", core.home, name="home"),
    # My personal data (GDPR): download, erasure
    path("account/data/", accounts.my_data, name="my_data"),
    path("account/data/download/", accounts.my_data_download, name="my_data_download"),
    path("account/data/erase/", accounts.my_data_erase, name="my_data_erase"),
    # Staff: my organisation's items
    path("items/", items.my_items, name="my_items"),
    path("items/new/", items.item_create, name="item_create"),
    path("items/<int:pk>/", catalogue.item_detail, name="item_detail"),
    path("items/<int:pk>/edit/", items.item_edit, name="item_edit"),
    path("items/<int:pk>/publish/", items.item_publish, name="item_publish"),
    path("items/<int:pk>/withdraw/", items.item_withdraw, name="item_withdraw"),
    path("items/<int:pk>/delete/", items.item_delete, name="item_delete"),
    path("items/<int:pk>/history/", items.item_history, name="item_history"),
    path("items/<int:pk>/photos/", items.photo_add, name="photo_add"),
    path("items/<int:pk>/photos/<int:photo_pk>/move/", items.photo_move, name="photo_move"),
    path("items/<int:pk>/photos/<int:photo_pk>/delete/", items.photo_delete, name="photo_delete"),
    path("items/<int:pk>/claim/", exchange.claim_create, name="claim_create"),
    # Catalogue and claims
    path("catalogue/", catalogue.catalogue, name="catalogue"),
    path("reservations/", exchange.my_reservations, name="my_reservations"),
    path("reservations/<int:pk>/<slug:action>/", exchange.reservation_action, name="reservation_action"),
    path("claims/", exchange.claims_on_my_items, name="claims"),
    path("pickups/", exchange.my_pickups, name="my_pickups"),
    path("transfer-records/<int:pk>/pdf/", exchange.transfer_record_download, name="transfer_record_download"),
    path("exports/inventory-exits.csv", exchange.inventory_exits_export, name="inventory_exits_export"),
    # Coordinator
    path("association/claims/", exchange.association_claims, name="association_claims"),
    path("planner/", exchange.planner, name="planner"),
    path("planner/pickups/", exchange.pickup_create, name="pickup_create"),
    path("planner/tours/", exchange.tour_create, name="tour_create"),
    path("pickups/<int:pk>/volunteers/", exchange.pickup_assign, name="pickup_assign"),
    path("pickups/<int:pk>/<slug:outcome>/", exchange.pickup_outcome, name="pickup_outcome"),
    path("tours/<int:pk>/optimise/", exchange.tour_optimise, name="tour_optimise"),
    # Shared equipment: calendars, bookings, labels and the camera
    path("shared/<int:pk>/", sharing.item_calendar, name="shared_item"),
    path("shared/<int:pk>/check/", sharing.booking_check, name="booking_check"),
    path("shared/<int:pk>/book/", sharing.booking_create, name="booking_create"),
    path("shared/<int:pk>/rules/", sharing.booking_rules, name="booking_rules"),
    path("bookings/", sharing.my_bookings, name="my_bookings"),
    path("bookings/<int:pk>/<slug:action>/", sharing.booking_action, name="booking_action"),
    path("s/<str:code>", sharing.label_open, name="label_open"),
    path("scan/", sharing.scan, name="scan"),
    # Needs and notifications
    path("needs/", exchange.needs, name="needs"),
    path("needs/new/", exchange.need_create, name="need_create"),
    path("needs/<int:pk>/", exchange.need_detail, name="need_detail"),
    path("needs/<int:pk>/close/", exchange.need_close, name="need_close"),
    path("notifications/", exchange.notifications, name="notifications"),
    path("notifications/read/", exchange.notifications_read, name="notifications_read"),
    path("notifications/bell/", exchange.notifications_bell, name="notifications_bell"),
    # Impact
    path("dashboard/", impact.dashboard, name="dashboard"),
    path("dashboard/report/<int:year>/", impact.annual_report, name="annual_report"),
    path("methodology/", impact.methodology, name="methodology"),
    path("methodology/categories/<int:pk>/", impact.category_factors, name="category_factors"),
    # Onboarding: the département's settings, directory import, invitations
    path("department/organisations/", onboarding.organisations, name="organisations"),
    path("department/organisations/import/", onboarding.organisations_import, name="organisations_import"),
    path("department/organisations/<int:pk>/", onboarding.organisation_edit, name="organisation_edit"),
    path("department/settings/", onboarding.department_settings, name="department_settings"),
    path("invitations/", onboarding.invitation_list, name="invitations"),
    path("invitations/<int:pk>/<slug:action>/", onboarding.invitation_action, name="invitation_action"),
    path("invitations/<str:token>/", onboarding.invitation_accept, name="invitation_accept"),
]
