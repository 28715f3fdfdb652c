"""The demo loader: what ``load_demo`` builds, that it is idempotent, and its bulk mode."""

import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from exchange.consistency import inconsistent_items, inconsistent_pickups
from exchange.models import Pickup
from inventory import demo
from inventory.models import Item, Membership, Organisation, Photo, validate_siret

Kind = Organisation.Kind
User = get_user_model()
HistoricalItem = Item.history.model
HistoricalPhoto = Photo.history.model

pytestmark = pytest.mark.django_db
INVENTORY_REASONS = ["Objet créé", "Publié", demo.BULK_REASON]
PUBLISHED = [Item.Status.AVAILABLE, Item.Status.RESERVED, Item.Status.GONE]  # the exchange demo claims units


def load_demo(*args) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "organisations": Organisation.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "items": Item.objects.count(),
        "photos": Photo.objects.count(),
        # Rows written by the inventory demo itself (the exchange demo adds the claims' rows).
        "item_history": HistoricalItem.objects.filter(history_change_reason__in=INVENTORY_REASONS).count(),
        "photo_history": HistoricalPhoto.objects.count(),
    }


def test_load_demo_builds_the_organisations_users_and_items_once():
    output = load_demo()

    assert "Démonstration chargée" in output

    kinds = {kind: Organisation.objects.filter(kind=kind).count() for kind in Kind.values}
    assert kinds == {Kind.DEPARTMENT: 1, Kind.ASSOCIATION: 3, Kind.CARE_HOME: 6, Kind.SCHOOL: 6, Kind.OTHER: 0}
    department = Organisation.objects.get(kind=Kind.DEPARTMENT)
    assert (department.name, department.legal_status, department.commune_id) == (
        "Département du Val-de-Marne", Organisation.LegalStatus.PUBLIC_BODY, "94028",
    )
    partner = Organisation.objects.get(is_reuse_partner=True)
    assert partner.is_esus and partner.commune.name == "Vitry-sur-Seine"
    assert Organisation.objects.filter(is_certified_refurbisher=True, is_reuse_partner=False).count() == 1
    assert set(Organisation.objects.filter(kind=Kind.CARE_HOME).values_list("legal_status", flat=True)) == {
        Organisation.LegalStatus.PUBLIC_ESTABLISHMENT, Organisation.LegalStatus.PRIVATE_NONPROFIT,
    }
    for organisation in Organisation.objects.select_related("commune"):
        assert organisation.commune_id.startswith("94")
        assert organisation.postcode == organisation.commune.postcode
        lat, lon = organisation.location
        assert abs(lat - float(organisation.commune.latitude)) < 0.01
        assert abs(lon - float(organisation.commune.longitude)) < 0.01
        validate_siret(organisation.siret)
    for school in Organisation.objects.filter(kind=Kind.SCHOOL):
        assert re.fullmatch(r"0940\d{3}[A-Z]", school.uai)

    # 6 logins + admin + one staff member for each of the 12 other giving facilities.
    assert User.objects.count() == 19
    assert Membership.objects.count() == 18
    assert Item.objects.count() == len(demo.ITEMS) == 40
    assert Item.objects.filter(status__in=PUBLISHED).count() == 35
    assert Item.objects.filter(status=Item.Status.DRAFT).count() == 5
    assert Item.objects.filter(quantity__gte=10).exists()
    assert Item.objects.values("category").distinct().count() >= 15

    # A second run finds the demo and duplicates nothing.
    before = counts()
    output = load_demo()
    assert "déjà chargée" in output
    assert counts() == before


def test_every_login_authenticates_and_every_available_item_has_a_photo_whose_files_exist():
    # One build for both checks: the pipeline makes each build take a second or two.
    load_demo()

    for username, _first, _last, org_key, role in demo.LOGINS:
        user = authenticate(username=username, password="rebond-demo-2026")
        assert user is not None, username
        assert user.email.endswith("@example.org")
        membership = Membership.objects.get(user=user)
        assert membership.role == role
        assert membership.organisation.name == next(s.name for s in demo.ORGANISATIONS if s.key == org_key)
    admin = authenticate(username="admin", password="rebond-demo-2026")
    assert admin is not None and admin.is_superuser and admin.is_staff
    assert Membership.objects.get(user__username="staff").organisation.name == "EHPAD Les Tilleuls"
    assert authenticate(username="staff", password="wrong") is None

    available = Item.objects.filter(status__in=PUBLISHED).prefetch_related("photos")
    assert available.count() == 35
    images = set()
    for item in available:
        photos = list(item.photos.all())
        assert len(photos) == 1
        assert default_storage.exists(photos[0].image.name)
        assert default_storage.exists(photos[0].thumbnail.name)
        assert (photos[0].width, photos[0].height) == (1200, 900)
        with default_storage.open(photos[0].image.name) as stored:
            images.add(stored.read())
    assert len(images) == 35  # each item has its own picture


def test_items_option_builds_the_demo_then_adds_exactly_that_many_items_with_history_and_photos():
    output = load_demo("--items", "500")

    assert "Démonstration chargée" in output and "500 objets ajoutés en masse" in output
    demo_items, demo_available = len(demo.ITEMS), 35
    assert counts() == {
        "organisations": 16, "users": 19, "memberships": 18,
        "items": demo_items + 500, "photos": demo_items + 500,
        # The demo's items have a "created" and, once published, a "published" row.
        "item_history": demo_items + demo_available + 500, "photo_history": demo_items + 500,
    }

    item_history = {h.id: h for h in HistoricalItem.objects.filter(history_change_reason=demo.BULK_REASON)}
    photo_history = {h.item_id: h for h in HistoricalPhoto.objects.filter(history_change_reason=demo.BULK_REASON)}
    assert len(item_history) == len(photo_history) == 500
    staff = set(Membership.objects.filter(role=Membership.Role.STAFF).values_list("user_id", "organisation_id"))
    statuses = dict.fromkeys(Item.Status.values, 0)
    for item in Item.objects.filter(pk__in=item_history).prefetch_related("photos"):
        statuses[item.status] += 1
        record = item_history[item.pk]
        assert record.history_type == "+"
        assert record.history_user_id == item.created_by_id
        assert record.history_date == item.created_at
        assert record.instance.title == item.title and record.instance.status == item.status
        assert (item.created_by_id, item.owner_id) in staff
        (photo,) = item.photos.all()
        assert photo_history[item.pk].history_user_id == item.created_by_id
        assert photo_history[item.pk].image == photo.image.name
        assert (item.published_at is None) == (item.status == Item.Status.DRAFT)
    bulk_photos = Photo.objects.filter(item__in=item_history)
    shared_files = {name for p in bulk_photos for name in (p.image.name, p.thumbnail.name)}
    assert all(default_storage.exists(name) for name in shared_files)
    assert statuses[Item.Status.AVAILABLE] > 350
    assert statuses[Item.Status.DRAFT] > 0
    assert statuses[Item.Status.RESERVED] == statuses[Item.Status.GONE] == 0


def test_siret_generator_and_uai_are_valid():
    for text in ("a", "EHPAD Les Tilleuls", "Collège Simone Veil", "x" * 50):
        validate_siret(demo.luhn_siret(text))
    assert demo.uai(512) == "0940512" + "ABCDEFGHJKLMNPRSTUVWXYZ"[940512 % 23]


def test_a_database_whose_usernames_clash_is_refused_without_writing_anything():
    User.objects.create_user(username="manager", password="x")

    with pytest.raises(CommandError, match="manager"):
        load_demo()

    assert Organisation.objects.count() == 0 and Item.objects.count() == 0


def test_demo_pickups_agree_with_their_reservations():
    """Issue #13: 19 of 21 demo pickups stayed "planned" while their claims were delivered."""
    load_demo()
    assert Pickup.objects.filter(status=Pickup.Status.DONE).exists()
    assert inconsistent_pickups() == [] and inconsistent_items() == []
