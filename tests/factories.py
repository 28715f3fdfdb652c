"""factory-boy factories. Categories and communes come from the seed migration."""

import io

import factory
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from inventory.models import Category, Commune, Item, Membership, Organisation

Role = Membership.Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = factory.Faker("first_name", locale="fr_FR")
    password = factory.django.Password("rebond-test")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"EHPAD Les Tilleuls {n}")
    kind = Organisation.Kind.CARE_HOME
    legal_status = Organisation.LegalStatus.PUBLIC_ESTABLISHMENT
    address = "12 rue de la République"
    commune = factory.LazyFunction(lambda: Commune.objects.get(insee="94028"))  # Créteil
    postcode = factory.LazyAttribute(lambda o: o.commune.postcode)


class AssociationFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Association Rebond Solidaire {n}")
    kind = Organisation.Kind.ASSOCIATION
    legal_status = Organisation.LegalStatus.PRIVATE_NONPROFIT
    is_reuse_partner = True
    redistributes_to_people_in_need = True  # the partner association gives free to people in need


class DepartmentFactory(OrganisationFactory):
    name = "Département du Val-de-Marne"
    kind = Organisation.Kind.DEPARTMENT
    legal_status = Organisation.LegalStatus.PUBLIC_BODY


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.STAFF


def member(organisation: Organisation, role: str = Role.STAFF, **user_fields):
    """A new user holding ``role`` in ``organisation``."""
    return MembershipFactory(organisation=organisation, role=role, user=UserFactory(**user_fields)).user


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    owner = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Fauteuil de bureau {n}")
    description = "Fauteuil à roulettes, assise en tissu bleu."
    category = factory.LazyFunction(lambda: Category.objects.get(key="office-chair"))
    condition = Item.Condition.GOOD
    quantity = 1


def image_bytes(fmt: str = "JPEG", size=(800, 600), color=(40, 120, 80), **save_args) -> bytes:
    buffer = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" and save_args.pop("alpha", False) else "RGB"
    Image.new(mode, size, color).save(buffer, fmt, **save_args)
    return buffer.getvalue()


def upload(name: str = "photo.jpg", data: bytes | None = None, content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, image_bytes() if data is None else data, content_type=content_type)


#
# Exchange (added by the exchange helper; keep other apps' factories above this section)
#
from django.utils import timezone  # noqa: E402


class AvailableItemFactory(ItemFactory):
    """A published item, straight in the catalogue (publishing itself is tested in inventory)."""

    status = Item.Status.AVAILABLE
    published_at = factory.LazyFunction(timezone.now)


class NeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "exchange.Need"

    organisation = factory.SubFactory(AssociationFactory)
    category = factory.LazyFunction(lambda: Category.objects.get(key="office-chair"))
    quantity = 4
    description = "Pour la salle d'activités"
    beneficiary = "seniors"


#
# Pooling (shared equipment)
#
class SharedItemFactory(AvailableItemFactory):
    """A published shared item (booked by the day, never given)."""

    mode = Item.Mode.SHARED
    title = factory.Sequence(lambda n: f"Minibus {n}")
