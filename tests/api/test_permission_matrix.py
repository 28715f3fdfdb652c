"""Every endpoint × role × own/other organisation, checked against the table below.

"own" means the objects of the role's organisation (for the département's roles, the first
giver/association pair); "other" those of an organisation the user has nothing to do with.
Each request runs in a savepoint that is rolled back, so every row starts from the same world.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from exchange import services as exchange_services
from exchange.models import Beneficiary
from inventory.models import Category, Item, Membership, Photo
from tests.factories import AssociationFactory, DepartmentFactory, ItemFactory, OrganisationFactory, image_bytes, member

Role = Membership.Role
ROLES = ("staff", "volunteer", "coordinator", "viewer", "manager", "anonymous")

# fmt: off
#  case                 staff        volunteer    coordinator  viewer       manager      anonymous
#                       own  other   own  other   own  other   own  other   own  other   own  other
EXPECTED = {
    "me":               ((200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (401, 401)),
    "org-list":         ((200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (401, 401)),
    "org-create":       ((403, 403), (403, 403), (403, 403), (403, 403), (201, 201), (401, 401)),
    "org-get":          ((200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (401, 401)),
    "org-patch":        ((403, 403), (403, 403), (403, 403), (403, 403), (200, 200), (401, 401)),
    "category-list":    ((200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (401, 401)),
    "item-list":        ((200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (401, 401)),
    "item-create":      ((201, 403), (403, 403), (403, 403), (403, 403), (403, 403), (401, 401)),
    "draft-get":        ((200, 404), (200, 404), (200, 404), (200, 200), (200, 200), (401, 401)),
    "draft-patch":      ((200, 404), (403, 404), (403, 404), (403, 403), (403, 403), (401, 401)),
    "draft-delete":     ((204, 404), (403, 404), (403, 404), (403, 403), (403, 403), (401, 401)),
    "draft-publish":    ((200, 404), (403, 404), (403, 404), (403, 403), (403, 403), (401, 401)),
    "draft-history":    ((200, 404), (200, 404), (200, 404), (200, 200), (200, 200), (401, 401)),
    "photo-list":       ((200, 404), (200, 404), (200, 404), (200, 200), (200, 200), (401, 401)),
    "photo-add":        ((201, 404), (403, 404), (403, 404), (403, 403), (403, 403), (401, 401)),
    "photo-patch":      ((200, 404), (403, 404), (403, 404), (403, 403), (403, 403), (401, 401)),
    "photo-delete":     ((204, 404), (403, 404), (403, 404), (403, 403), (403, 403), (401, 401)),
    "item-get":         ((200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (401, 401)),
    "item-withdraw":    ((200, 403), (403, 403), (403, 403), (403, 403), (403, 403), (401, 401)),
    "claim-list":       ((200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (401, 401)),
    "claim-create":     ((201, 403), (201, 403), (201, 403), (403, 403), (403, 403), (401, 401)),
    "claim-get":        ((200, 404), (200, 404), (200, 404), (200, 200), (200, 200), (401, 401)),
    "claim-approve":    ((200, 404), (403, 404), (403, 404), (403, 403), (403, 403), (401, 401)),
    "claim-decline":    ((200, 404), (403, 404), (403, 404), (403, 403), (403, 403), (401, 401)),
    "claim-cancel":     ((200, 404), (200, 404), (200, 404), (403, 403), (403, 403), (401, 401)),
    "claim-collect":    ((403, 404), (200, 404), (200, 404), (403, 403), (403, 403), (401, 401)),
    "claim-deliver":    ((403, 404), (200, 404), (200, 404), (403, 403), (403, 403), (401, 401)),
    "claim-return":     ((200, 404), (403, 404), (403, 404), (403, 403), (403, 403), (401, 401)),
    "claim-history":    ((200, 404), (200, 404), (200, 404), (200, 200), (200, 200), (401, 401)),
    "pickup-list":      ((200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (401, 401)),
    "pickup-create":    ((403, 400), (403, 400), (201, 400), (403, 403), (403, 403), (401, 401)),
    "pickup-get":       ((200, 404), (200, 404), (200, 404), (200, 200), (200, 200), (401, 401)),
    "pickup-patch":     ((403, 404), (403, 404), (200, 404), (403, 403), (403, 403), (401, 401)),
    "pickup-done":      ((403, 404), (403, 404), (409, 404), (403, 403), (403, 403), (401, 401)),
    "pickup-missed":    ((403, 404), (403, 404), (200, 404), (403, 403), (403, 403), (401, 401)),
    "tour-list":        ((200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (401, 401)),
    "tour-create":      ((403, 400), (403, 400), (201, 400), (403, 403), (403, 403), (401, 401)),
    "tour-get":         ((404, 404), (200, 404), (200, 404), (200, 200), (200, 200), (401, 401)),
    "tour-optimise":    ((404, 404), (403, 404), (200, 404), (403, 403), (403, 403), (401, 401)),
    "need-list":        ((200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (401, 401)),
    "need-create":      ((201, 403), (201, 403), (201, 403), (403, 403), (403, 403), (401, 401)),
    "need-get":         ((200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (401, 401)),
    "need-matches":     ((200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (401, 401)),
    "need-close":       ((200, 403), (200, 403), (200, 403), (403, 403), (403, 403), (401, 401)),
    "impact-summary":   ((200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (401, 401)),
    "impact-export":    ((200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (401, 401)),
}
# fmt: on


@dataclass
class Pair:
    """A giver and an association with a claim in every state between them."""

    giver: object
    association: object
    staff: object
    volunteer: object
    coordinator: object

    def build(self):
        s, v, c = self.staff, self.volunteer, self.coordinator
        self.item = _published(self.giver, quantity=10)
        self.drafts = {org.pk: _draft(org) for org in (self.giver, self.association)}
        claim = lambda **kw: exchange_services.reservation_create(  # noqa: E731
            actor=v, item=self.item, requester=self.association, quantity=1, **kw
        )
        approve = lambda r: exchange_services.reservation_approve(actor=s, reservation=r)  # noqa: E731
        start = timezone.now() + timedelta(days=1)
        pickup = lambda rs: exchange_services.pickup_create(  # noqa: E731
            actor=c, reservations=rs, window_start=start, window_end=start + timedelta(hours=2), volunteers=[v]
        )
        self.r_req = claim()
        self.r_appr = approve(claim())
        self.r_sched = approve(claim())
        self.p_sched = pickup([self.r_sched])
        self.r_coll = approve(claim())
        self.p_coll = pickup([self.r_coll])
        self.r_coll = exchange_services.reservation_collect(
            actor=v, reservation=self.r_coll, handover_code=self.r_coll.handover_code
        )
        self.r_loan = approve(claim(mode="loan", return_by=timezone.localdate() + timedelta(days=30)))
        pickup([self.r_loan])
        self.r_loan = exchange_services.reservation_collect(
            actor=v, reservation=self.r_loan, handover_code=self.r_loan.handover_code
        )
        self.r_loan = exchange_services.reservation_deliver(actor=v, reservation=self.r_loan)
        self.tour = exchange_services.tour_create(
            actor=c, organisation=self.association, date=timezone.localdate(), capacity_kg=500, capacity_m3=10,
            pickups=[self.p_sched],
        )
        category = Category.objects.get(key="office-chair")
        self.needs = {
            org.pk: exchange_services.need_create(
                actor=s if org == self.giver else v, organisation=org, category=category, quantity=2,
                description="", beneficiary=Beneficiary.SENIORS,
            )
            for org in (self.giver, self.association)
        }
        return self


def _photo(item):
    return Photo.objects.create(item=item, image="photos/aa/x.jpg", thumbnail="photos/aa/x_t.webp", width=8, height=8)


def _draft(owner):
    item = ItemFactory(owner=owner)
    _photo(item)
    return item


def _published(owner, quantity=1):
    item = ItemFactory(owner=owner, quantity=quantity, status=Item.Status.AVAILABLE)
    _photo(item)
    return item


@pytest.fixture
def world(db):
    pairs = []
    for _ in range(2):
        giver, association = OrganisationFactory(), AssociationFactory()
        pairs.append(Pair(
            giver, association, member(giver, Role.STAFF), member(association, Role.VOLUNTEER),
            member(association, Role.COORDINATOR),
        ).build())
    department = DepartmentFactory()
    users = {
        "staff": pairs[0].staff, "volunteer": pairs[0].volunteer, "coordinator": pairs[0].coordinator,
        "viewer": member(department, Role.VIEWER), "manager": member(department, Role.MANAGER), "anonymous": None,
    }
    third_giver_item = _published(OrganisationFactory(), quantity=5)
    return {"pairs": pairs, "users": users, "department": department, "claimable": third_giver_item}


def _org(world, role, pair):
    """The role's organisation in ``pair`` (the département's roles act from the département)."""
    if role == "staff":
        return pair.giver
    if role in ("volunteer", "coordinator"):
        return pair.association
    return world["department"]


def _items_org(world, role, pair):
    return pair.association if role in ("volunteer", "coordinator") else pair.giver


def _image():
    return SimpleUploadedFile("p.jpg", image_bytes(size=(32, 32)), content_type="image/jpeg")


def _request(case, world, role, pair):
    """(method, path, body, format) of ``case`` for ``role`` acting on ``pair``'s objects."""
    org = _org(world, role, pair)
    draft = pair.drafts[_items_org(world, role, pair).pk]
    photo = draft.photos.first()
    soon = timezone.now() + timedelta(days=2)
    need = pair.needs[_items_org(world, role, pair).pk]
    return {
        "me": ("get", "/api/v1/me/", None),
        "org-list": ("get", "/api/v1/organisations/", None),
        "org-create": ("post", "/api/v1/organisations/", {
            "name": "Collège Nouveau", "kind": "school", "address": "1 rue Neuve", "postcode": "94000",
            "commune": "94028"}),
        "org-get": ("get", f"/api/v1/organisations/{pair.giver.pk}/", None),
        "org-patch": ("patch", f"/api/v1/organisations/{pair.giver.pk}/", {"contact_name": "Mme Durand"}),
        "category-list": ("get", "/api/v1/categories/", None),
        "item-list": ("get", "/api/v1/items/", None),
        "item-create": ("post", "/api/v1/items/", {
            "owner": org.pk, "title": "Table", "category": Category.objects.get(key="office-chair").pk,
            "condition": "good", "quantity": 1}),
        "draft-get": ("get", f"/api/v1/items/{draft.pk}/", None),
        "draft-patch": ("patch", f"/api/v1/items/{draft.pk}/", {"title": "Nouveau titre"}),
        "draft-delete": ("delete", f"/api/v1/items/{draft.pk}/", None),
        "draft-publish": ("post", f"/api/v1/items/{draft.pk}/publish/", None),
        "draft-history": ("get", f"/api/v1/items/{draft.pk}/history/", None),
        "photo-list": ("get", f"/api/v1/items/{draft.pk}/photos/", None),
        "photo-add": ("post", f"/api/v1/items/{draft.pk}/photos/", {"image": _image()}, "multipart"),
        "photo-patch": ("patch", f"/api/v1/items/{draft.pk}/photos/{photo.pk}/", {"order": 3}),
        "photo-delete": ("delete", f"/api/v1/items/{draft.pk}/photos/{photo.pk}/", None),
        "item-get": ("get", f"/api/v1/items/{pair.item.pk}/", None),
        "item-withdraw": ("post", f"/api/v1/items/{pair.item.pk}/withdraw/", None),
        "claim-list": ("get", "/api/v1/reservations/", None),
        "claim-create": ("post", "/api/v1/reservations/", {
            "item": world["claimable"].pk, "requester": org.pk, "quantity": 1, "mode": "donation"}),
        "claim-get": ("get", f"/api/v1/reservations/{pair.r_req.pk}/", None),
        "claim-approve": ("post", f"/api/v1/reservations/{pair.r_req.pk}/approve/", None),
        "claim-decline": ("post", f"/api/v1/reservations/{pair.r_req.pk}/decline/", {"reason": "Déjà donné"}),
        "claim-cancel": ("post", f"/api/v1/reservations/{pair.r_req.pk}/cancel/", {"reason": "Plus besoin"}),
        "claim-collect": ("post", f"/api/v1/reservations/{pair.r_sched.pk}/collect/",
                          {"handover_code": pair.r_sched.handover_code}),
        "claim-deliver": ("post", f"/api/v1/reservations/{pair.r_coll.pk}/deliver/", None),
        "claim-return": ("post", f"/api/v1/reservations/{pair.r_loan.pk}/return/", None),
        "claim-history": ("get", f"/api/v1/reservations/{pair.r_req.pk}/history/", None),
        "pickup-list": ("get", "/api/v1/pickups/", None),
        "pickup-create": ("post", "/api/v1/pickups/", {
            "reservations": [pair.r_appr.pk], "window_start": soon.isoformat(),
            "window_end": (soon + timedelta(hours=1)).isoformat(), "volunteers": []}),
        # p_sched still waits for its collection (p_coll closed itself once collected): the
        # coordinator may ask, and "done" is refused by the state (409), not the permission.
        "pickup-get": ("get", f"/api/v1/pickups/{pair.p_sched.pk}/", None),
        "pickup-patch": ("patch", f"/api/v1/pickups/{pair.p_sched.pk}/",
                         {"window_end": (pair.p_sched.window_end + timedelta(hours=1)).isoformat()}),
        "pickup-done": ("post", f"/api/v1/pickups/{pair.p_sched.pk}/done/", None),
        "pickup-missed": ("post", f"/api/v1/pickups/{pair.p_sched.pk}/missed/", None),
        "tour-list": ("get", "/api/v1/tours/", None),
        "tour-create": ("post", "/api/v1/tours/", {
            "organisation": org.pk, "date": timezone.localdate().isoformat(), "capacity_kg": "300",
            "capacity_m3": "8", "pickups": [pair.p_sched.pk]}),
        "tour-get": ("get", f"/api/v1/tours/{pair.tour.pk}/", None),
        "tour-optimise": ("post", f"/api/v1/tours/{pair.tour.pk}/optimise/", None),
        "need-list": ("get", "/api/v1/needs/", None),
        "need-create": ("post", "/api/v1/needs/", {
            "organisation": org.pk, "category": Category.objects.get(key="office-chair").pk, "quantity": 3,
            "beneficiary": "families"}),
        "need-get": ("get", f"/api/v1/needs/{need.pk}/", None),
        "need-matches": ("get", f"/api/v1/needs/{need.pk}/matches/", None),
        "need-close": ("post", f"/api/v1/needs/{need.pk}/close/", None),
        "impact-summary": ("get", "/api/v1/impact/summary/?group_by=category", None),
        "impact-export": ("get", "/api/v1/impact/export/?format=csv", None),
    }[case]


@pytest.mark.parametrize("case", EXPECTED)
def test_permission_matrix(case, world, api):
    actual, expected = {}, {}
    for role, statuses in zip(ROLES, EXPECTED[case], strict=True):
        for scope, pair, status in (("own", world["pairs"][0], statuses[0]), ("other", world["pairs"][1], statuses[1])):
            method, path, body, *fmt = _request(case, world, role, pair)
            with transaction.atomic():
                client = api(world["users"][role])
                response = getattr(client, method)(path, body, format=fmt[0] if fmt else "json")
                transaction.set_rollback(True)
            actual[role, scope] = response.status_code
            expected[role, scope] = status
    assert actual == expected
