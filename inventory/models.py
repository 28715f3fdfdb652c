"""What exists and who holds it: organisations, their members, categories, items and photos."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


def validate_siret(value: str) -> None:
    """A SIRET is 14 digits passing the Luhn check (La Poste's establishments excepted)."""
    if not value.isdigit() or len(value) != 14:
        raise ValidationError(_("A SIRET number has exactly 14 digits."), code="siret_format")
    total = 0
    for index, char in enumerate(reversed(value)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    # La Poste (SIREN 356000000) numbers its establishments with a digit-sum rule instead.
    la_poste_ok = value.startswith("356000000") and sum(int(d) for d in value) % 5 == 0
    if total % 10 != 0 and not la_poste_ok:
        raise ValidationError(_("This SIRET number is not valid."), code="siret_checksum")


#
# Communes
#
class Commune(models.Model):
    """A commune of the département, keyed by its INSEE code (seeded from data/)."""

    insee = models.CharField(_("INSEE code"), max_length=5, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    postcode = models.CharField(_("postcode"), max_length=5)
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5)

    class Meta:
        ordering = ["name"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")

    def __str__(self) -> str:
        return f"{self.name} ({self.insee})"


#
# Organisations and memberships
#
class Organisation(models.Model):
    class Kind(models.TextChoices):
        CARE_HOME = "care_home", _("Care home")
        SCHOOL = "school", _("School")
        ASSOCIATION = "association", _("Association")
        DEPARTMENT = "department", _("Département")
        OTHER = "other", _("Other")

    class LegalStatus(models.TextChoices):
        PUBLIC_BODY = "public_body", _("Public body")
        PUBLIC_ESTABLISHMENT = "public_establishment", _("Public establishment")
        PRIVATE_NONPROFIT = "private_nonprofit", _("Private non-profit")
        PRIVATE_COMPANY = "private_company", _("Private company")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    legal_status = models.CharField(
        _("legal status"), max_length=30, choices=LegalStatus.choices,
        default=LegalStatus.PRIVATE_NONPROFIT,
    )
    siret = models.CharField(
        _("SIRET"), max_length=14, blank=True, validators=[validate_siret],
    )
    finess = models.CharField(
        _("FINESS number"), max_length=9, blank=True,
        validators=[RegexValidator(r"^\d[0-9AB]\d{7}$", _("A FINESS number has 9 characters."))],
    )
    uai = models.CharField(
        _("UAI number"), max_length=8, blank=True,
        validators=[RegexValidator(r"^\d{7}[A-Z]$", _("A UAI number is 7 digits and a letter."))],
    )
    address = models.CharField(_("address"), max_length=255)
    postcode = models.CharField(
        _("postcode"), max_length=5,
        validators=[RegexValidator(r"^\d{5}$", _("A postcode has 5 digits."))],
    )
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("commune"),
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=5, null=True, blank=True,
        help_text=_("Leave empty to use the centre of the commune."),
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=8, decimal_places=5, null=True, blank=True,
    )
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    is_reuse_partner = models.BooleanField(_("partner reuse association"), default=False)
    is_arup = models.BooleanField(_("recognised public utility (ARUP)"), default=False)
    is_esus = models.BooleanField(_("ESUS reuse structure"), default=False)
    is_certified_refurbisher = models.BooleanField(
        _("certified refurbisher of technical aids (NF S97-414)"), default=False,
    )
    redistributes_to_people_in_need = models.BooleanField(
        _("redistributes free to people in need"), default=False,
        help_text=_("An association whose purpose is to give goods free to people in need (CG3P art. L3212-2, 2°)."),
    )
    internal_first_days = models.PositiveSmallIntegerField(
        _("internal-first window (days)"), null=True, blank=True,
        help_text=_("Days during which only public bodies and establishments may claim a new item, then "
                    "partner associations for as many days. Empty: the département's default."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["siret"], condition=~Q(siret=""), name="organisation_unique_siret",
            ),
            models.UniqueConstraint(
                fields=["finess"], condition=~Q(finess=""), name="organisation_unique_finess",
            ),
            models.UniqueConstraint(
                fields=["uai"], condition=~Q(uai=""), name="organisation_unique_uai",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def location(self) -> tuple[float, float]:
        """Latitude and longitude, falling back to the commune's centre."""
        if self.latitude is not None and self.longitude is not None:
            return float(self.latitude), float(self.longitude)
        return float(self.commune.latitude), float(self.commune.longitude)


class Membership(models.Model):
    """A user's role in an organisation: every permission is decided from these."""

    class Role(models.TextChoices):
        STAFF = "staff", _("Staff")
        VOLUNTEER = "volunteer", _("Volunteer")
        COORDINATOR = "coordinator", _("Coordinator")
        VIEWER = "viewer", _("Viewer")
        MANAGER = "manager", _("Manager")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation__name", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"


#
# Categories
#
class AgecProductType(models.TextChoices):
    """The 17 product types of the AGEC article 58 declaration (``type_produit_acquis`` of
    data/agec/schema.json; the value is the schema's own text, written as is in the file)."""

    TEXTILES = (
        "Produits textiles à l'exception des équipements de protection individuels",
        _("Textiles, except personal protective equipment"),
    )
    IT = "Matériel informatique et téléphonie", _("IT and telephony equipment")
    PRINTING = "Matériel de reprographie et d'impression", _("Copying and printing equipment")
    PRINT_CONSUMABLES = "Consommables d'impression", _("Printing consumables")
    PAPER = "Papier", _("Paper")
    OFFICE_SUPPLIES = "Fournitures de bureau", _("Office supplies")
    TRANSPORT = "Engins de transport et pièces détachées", _("Transport machinery and spare parts")
    VEHICLES = "Véhicules et pièces détachées", _("Vehicles and spare parts")
    FURNITURE = "Mobilier et aménagement d'intérieur", _("Furniture and interior fittings")
    STREET_FURNITURE = "Mobilier urbain", _("Street furniture")
    WASTE_COLLECTION = "Equipements de collecte de déchets", _("Waste collection equipment")
    JARS = "Bocaux et flacons", _("Jars and bottles")
    SPORTS = "Articles et équipement sportifs", _("Sports articles and equipment")
    GREEN_SPACES = "Matériel d'entretien des espaces verts", _("Green-space maintenance equipment")
    MODULAR_BUILDINGS = "Bâtiments modulaires ou préfabriqués", _("Modular or prefabricated buildings")
    LARGE_APPLIANCES = (
        "Gros électroménager, y compris appareils professionnels",
        _("Large household appliances, professional ones included"),
    )
    TOYS = "Jeux et jouets", _("Games and toys")


class Category(models.Model):
    """A node of the category tree with the impact factors of one unit."""

    class Basis(models.TextChoices):
        SOURCED = "sourced", _("Sourced")
        DERIVED = "derived", _("Derived")
        ESTIMATE = "estimate", _("Estimate")

    key = models.SlugField(_("key"), max_length=60, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("parent"),
    )
    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    unit_weight_kg = models.DecimalField(
        _("unit weight (kg)"), max_digits=9, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    weight_basis = models.CharField(_("weight basis"), max_length=10, choices=Basis.choices, blank=True)
    unit_co2e_kg = models.DecimalField(
        _("avoided emissions per unit (kg CO2e)"), max_digits=9, decimal_places=3, null=True,
        blank=True, validators=[MinValueValidator(Decimal("0"))],
    )
    co2e_basis = models.CharField(_("emissions basis"), max_length=10, choices=Basis.choices, blank=True)
    unit_value_eur = models.DecimalField(
        _("replacement value per unit (EUR)"), max_digits=10, decimal_places=2, null=True,
        blank=True, validators=[MinValueValidator(Decimal("0"))],
    )
    value_basis = models.CharField(_("value basis"), max_length=10, choices=Basis.choices, blank=True)
    source = models.TextField(_("source"), blank=True)
    note = models.TextField(_("note"), blank=True)
    is_medical = models.BooleanField(
        _("medical devices / technical aids"), default=False,
        help_text=_("Only a certified refurbisher may claim these items."),
    )
    agec_product_type = models.CharField(
        _("AGEC product type"), max_length=80, choices=AgecProductType.choices, blank=True,
        help_text=_("Where this category's donations go in the public bodies' AGEC declaration "
                    "(article 58); empty: not one of the declared product types."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "fr").startswith("en") else self.name_fr

    # Group rows of the factor table carry no values; their items use the "other" row.
    FALLBACK_KEY = "other"

    def factor(self, field: str) -> Decimal | None:
        """``unit_weight_kg``, ``unit_co2e_kg`` or ``unit_value_eur``, falling back to "other"."""
        value = getattr(self, field)
        if value is None and self.key != self.FALLBACK_KEY:
            fallback = Category.objects.filter(key=self.FALLBACK_KEY).values_list(field, flat=True).first()
            return fallback
        return value

    def descendant_ids(self) -> list[int]:
        """This category's id and those of every sub-category (the tree is small)."""
        ids, frontier = [self.pk], [self.pk]
        while frontier:
            frontier = list(Category.objects.filter(parent__in=frontier).values_list("pk", flat=True))
            ids.extend(frontier)
        return ids


#
# Items
#
class ItemQuerySet(models.QuerySet):
    def visible_in_catalogue(self):
        return self.filter(status=Item.Status.AVAILABLE)

    def owned_by(self, organisations):
        return self.filter(owner__in=organisations)


class Item(models.Model):
    """A lot of identical units offered by an organisation ("12 chairs").

    Units move out of the lot through reservations: ``quantity_reserved`` counts the units
    held by active claims and loans, ``quantity_transferred`` those given away for good.
    Only the exchange services change them, under a row lock; the check constraint below
    keeps the database itself from ever over-committing a lot.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AVAILABLE = "available", _("Available")
        RESERVED = "reserved", _("Reserved")
        GONE = "gone", _("Gone")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")

    class Mode(models.TextChoices):
        GIVE = "give", _("To give")
        SHARED = "shared", _("To share")

    class Condition(models.TextChoices):
        AS_NEW = "as_new", _("As new")
        GOOD = "good", _("Good")
        FAIR = "fair", _("Fair")
        FOR_PARTS = "for_parts", _("For parts")

    owner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="items", verbose_name=_("owner"),
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="items", verbose_name=_("category"),
    )
    condition = models.CharField(_("condition"), max_length=12, choices=Condition.choices)
    mode = models.CharField(
        _("mode"), max_length=10, choices=Mode.choices, default=Mode.GIVE,
        help_text=_("To give: the units leave for good (or on loan). To share: the item stays yours and "
                    "other members book it by the day."),
    )
    quantity = models.PositiveIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1)],
    )
    quantity_reserved = models.PositiveIntegerField(_("units reserved"), default=0, editable=False)
    quantity_transferred = models.PositiveIntegerField(
        _("units transferred"), default=0, editable=False,
    )
    unit_weight_kg = models.DecimalField(
        _("unit weight (kg)"), max_digits=9, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Leave empty to use the category's typical weight."),
    )
    unit_value_eur = models.DecimalField(
        _("estimated unit value (EUR)"), max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Leave empty to use the category's replacement value."),
    )
    width_cm = models.PositiveIntegerField(_("width (cm)"), null=True, blank=True)
    depth_cm = models.PositiveIntegerField(_("depth (cm)"), null=True, blank=True)
    height_cm = models.PositiveIntegerField(_("height (cm)"), null=True, blank=True)
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    has_lift = models.BooleanField(_("lift available"), default=False)
    opening_hours = models.CharField(_("pickup hours"), max_length=200, blank=True)
    pickup_notes = models.TextField(_("pickup constraints"), blank=True)
    inventory_number = models.CharField(_("inventory number"), max_length=60, blank=True)
    acquisition_date = models.DateField(_("acquisition date"), null=True, blank=True)
    acquisition_value_eur = models.DecimalField(
        _("acquisition value (EUR)"), max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    available_from = models.DateField(_("available from"), null=True, blank=True)
    available_until = models.DateField(_("available until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    history = HistoricalRecords()

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        indexes = [
            models.Index(fields=["status", "-created_at"], name="item_status_created"),
            # The catalogue page (status and mode, newest first) and the API's other ordering;
            # on PostgreSQL the full-text search has its own GIN index (migration 0009).
            models.Index(fields=["status", "mode", "-created_at"], name="item_status_mode_created"),
            models.Index(fields=["status", "available_until"], name="item_status_until"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="item_quantity_positive",
            ),
            models.CheckConstraint(
                condition=Q(quantity_reserved__lte=F("quantity") - F("quantity_transferred")),
                name="item_units_not_overcommitted",
            ),
            models.CheckConstraint(
                condition=Q(available_until__isnull=True)
                | Q(available_from__isnull=True)
                | Q(available_until__gte=F("available_from")),
                name="item_availability_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.available_from and self.available_until and self.available_until < self.available_from:
            raise ValidationError(
                {"available_until": _("The end of availability is before its start.")}
            )
        if self.quantity is not None and self.quantity < self.quantity_reserved + self.quantity_transferred:
            raise ValidationError(
                {"quantity": _("%(n)s units are already claimed or given; the quantity cannot be lower.")
                 % {"n": self.quantity_reserved + self.quantity_transferred}}
            )

    # Quantity arithmetic: available = quantity - active reservations - transferred.
    @property
    def quantity_available(self) -> int:
        return self.quantity - self.quantity_reserved - self.quantity_transferred

    @property
    def effective_unit_weight_kg(self) -> Decimal | None:
        return self.unit_weight_kg if self.unit_weight_kg is not None else self.category.factor("unit_weight_kg")

    @property
    def effective_unit_value_eur(self) -> Decimal | None:
        return self.unit_value_eur if self.unit_value_eur is not None else self.category.factor("unit_value_eur")

    @property
    def is_editable(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.AVAILABLE}

    @property
    def is_shared(self) -> bool:
        """A shared item stays with its owner and is booked by the day (``pooling``), never claimed."""
        return self.mode == self.Mode.SHARED

    def is_claimable(self, *, on: date) -> bool:
        """The one rule of whether the item takes claims on day ``on``: given (not shared),
        published and open, within its availability dates. (Whether enough units are left is
        the claim's own check.)"""
        return (
            not self.is_shared
            and self.status in (self.Status.AVAILABLE, self.Status.RESERVED)
            and not (self.available_from and self.available_from > on)
            and not (self.available_until and self.available_until < on)
        )

    def status_from_quantities(self) -> str:
        """The status an open (published) item should have given its units."""
        if self.quantity_transferred >= self.quantity:
            return self.Status.GONE
        if self.quantity_available <= 0:
            return self.Status.RESERVED
        return self.Status.AVAILABLE


def photo_upload_to(instance, filename: str) -> str:
    # The pipeline already names files randomly; keep them out of one giant folder.
    return f"photos/{filename[:2]}/{filename}"


class Photo(models.Model):
    """A re-encoded picture of an item (metadata stripped) and its WebP thumbnail."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="photos", verbose_name=_("item"))
    # FileFields, not ImageFields: the pipeline has already decoded and measured the image.
    image = models.FileField(_("image"), upload_to=photo_upload_to, max_length=200)
    thumbnail = models.FileField(_("thumbnail"), upload_to=photo_upload_to, max_length=200)
    width = models.PositiveIntegerField(_("width"), editable=False)
    height = models.PositiveIntegerField(_("height"), editable=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    alt_text = models.CharField(_("description of the photo"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.alt_text or f"{self.item} #{self.order}"


#
# Invitations and the département's settings
#
class Invitation(models.Model):
    """An e-mailed link that makes its recipient a member of an organisation (used once)."""

    email = models.EmailField(_("e-mail"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices)
    # Only a hash is kept: the token itself lives in the e-mail alone.
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["token_hash"])

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation} ({self.get_role_display()})"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class SiteSettings(models.Model):
    """The département's settings, edited by its managers (one row; settings.py gives the
    defaults while there is none)."""

    claim_expiry_days = models.PositiveSmallIntegerField(
        _("claim expiry (days)"), validators=[MinValueValidator(1)],
        help_text=_("Approved claims neither collected nor scheduled within this delay expire."),
    )
    internal_first_days = models.PositiveSmallIntegerField(
        _("internal-first window (days)"), default=0,
        help_text=_("Days during which a public giver's new item is offered to public bodies and "
                    "establishments only, then as long again to partner associations (0: none)."),
    )
    open_data_published = models.BooleanField(
        _("open data published"), default=False,
        help_text=_("Anyone, signed in or not, may download the open-data package (monthly figures by "
                    "commune and category, no personal data). Off: the département's members only."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")

    def __str__(self) -> str:
        return str(_("Site settings"))

    @classmethod
    def cache_key(cls) -> str:
        # The defaults are part of the key, so a change of settings.py is seen at once.
        return (f"rebond:site-settings:{getattr(settings, 'REBOND_CLAIM_EXPIRY_DAYS', 14)}:"
                f"{getattr(settings, 'REBOND_INTERNAL_FIRST_DAYS', 0)}")

    @classmethod
    def current(cls) -> "SiteSettings":
        """The saved row, or an unsaved one holding the defaults from settings.py.

        Cached for a minute (the catalogue asks once per item card); saving through
        ``inventory.services.site_settings_update`` clears the cache.
        """
        current = cache.get(cls.cache_key())
        if current is None:
            current = cls.objects.order_by("pk").first() or cls(
                claim_expiry_days=int(getattr(settings, "REBOND_CLAIM_EXPIRY_DAYS", 14)),
                internal_first_days=int(getattr(settings, "REBOND_INTERNAL_FIRST_DAYS", 0)),
            )
            cache.set(cls.cache_key(), current, 60)
        return current
