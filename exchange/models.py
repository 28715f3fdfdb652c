"""How things move and what it achieved: reservations, pickups, tours, needs, impact.

Statuses and counters only change through ``exchange.services``; the models hold the
invariants the database can check and the yes/no questions about a row.
"""

from datetime import time
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from inventory.models import AgecProductType, Category, Commune, Item, Organisation

from . import states


class Beneficiary(models.TextChoices):
    """The public a need (and so an impact record) serves."""

    SENIORS = "seniors", _("Seniors")
    DISABLED = "disabled", _("Disabled people")
    ISOLATED_MINORS = "isolated_minors", _("Isolated minors")
    RSA = "rsa", _("RSA beneficiaries")
    FAMILIES = "families", _("Families")
    OTHER = "other", _("Other")


#
# Needs
#
class Need(models.Model):
    """Something an organisation is looking for ("10 walkers for our residents")."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        MET = "met", _("Met")
        CLOSED = "closed", _("Closed")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="needs", verbose_name=_("organisation"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="needs", verbose_name=_("category"),
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    quantity_met = models.PositiveIntegerField(_("quantity met"), default=0, editable=False)
    description = models.TextField(_("description"), blank=True)
    beneficiary = models.CharField(_("beneficiary public"), max_length=20, choices=Beneficiary.choices)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="need_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.quantity} × {self.category}"


#
# Vehicles, tours and pickups
#
class Vehicle(models.Model):
    """One of an association's vans or cars: what it carries and when it usually runs."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="vehicles", verbose_name=_("association"),
    )
    name = models.CharField(_("name"), max_length=80)
    capacity_kg = models.DecimalField(
        _("capacity (kg)"), max_digits=8, decimal_places=1, validators=[MinValueValidator(Decimal("1"))],
    )
    capacity_m3 = models.DecimalField(
        _("capacity (m³)"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0.1"))],
    )
    usual_start = models.TimeField(_("usual start"), default=time(8, 30))
    usual_end = models.TimeField(_("usual end"), default=time(17, 0))
    is_active = models.BooleanField(_("in service"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="vehicle_unique_name"),
            models.CheckConstraint(condition=Q(usual_end__gt=F("usual_start")), name="vehicle_hours_ordered"),
            models.CheckConstraint(condition=Q(capacity_kg__gt=0) & Q(capacity_m3__gt=0),
                                   name="vehicle_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Tour(models.Model):
    """A day's run of an association's vehicle through several pickups."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="tours", verbose_name=_("association"),
    )
    date = models.DateField(_("date"))
    capacity_kg = models.DecimalField(
        _("capacity (kg)"), max_digits=8, decimal_places=1, validators=[MinValueValidator(Decimal("0"))],
    )
    capacity_m3 = models.DecimalField(
        _("capacity (m³)"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))],
    )
    volunteers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="tours", verbose_name=_("volunteers"),
    )
    # Set when the day was planned by the solver (``exchange.services.tours_plan``).
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.SET_NULL, null=True, blank=True, related_name="tours", verbose_name=_("vehicle"),
    )
    vehicle_name = models.CharField(_("vehicle name"), max_length=80, blank=True)
    starts_at = models.DateTimeField(_("leaves the depot"), null=True, blank=True)
    ends_at = models.DateTimeField(_("back at the depot"), null=True, blank=True)
    distance_km = models.DecimalField(_("distance (km)"), max_digits=8, decimal_places=1, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-created_at"]
        verbose_name = _("tour")
        verbose_name_plural = _("tours")

    def __str__(self) -> str:
        return f"{self.organisation} – {self.date}"


class Pickup(models.Model):
    """One stop at a giver's site collecting one or more approved reservations."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        MISSED = "missed", _("Missed")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="pickups", verbose_name=_("association"),
    )
    giver = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="pickups_given", verbose_name=_("giver"),
    )
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    volunteers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="pickups", verbose_name=_("volunteers"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED, db_index=True,
    )
    tour = models.ForeignKey(
        Tour, on_delete=models.SET_NULL, null=True, blank=True, related_name="pickups", verbose_name=_("tour"),
    )
    position = models.PositiveSmallIntegerField(_("stop number"), default=0)
    arrival = models.DateTimeField(_("planned arrival"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["window_start", "pk"]
        verbose_name = _("pickup")
        verbose_name_plural = _("pickups")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gt=F("window_start")), name="pickup_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.giver} – {self.window_start:%Y-%m-%d %H:%M}"


#
# Reservations
#
class ReservationQuerySet(models.QuerySet):
    def holding_units(self):
        """Claims whose units are held back from their lot (counted in ``quantity_reserved``)."""
        return self.filter(
            Q(status__in=states.HOLDING) | Q(status=Reservation.Status.DELIVERED, mode=Reservation.Mode.LOAN)
        )

    def open(self):
        return self.filter(status__in=states.OPEN)


# A weight measured at collection above this is a typing slip, not a load: 3.5 t is the
# gross weight of the largest vehicle a B licence drives (the associations' vans).
WEIGHT_MAX_KG = Decimal("3500")


class Reservation(models.Model):
    """A claim by an organisation on some units of an item."""

    # Reasons people give (decline, cancel, withdraw, exceptions) are kept whole up to this length.
    REASON_MAX_LENGTH = 1000
    WEIGHT_MAX_KG = WEIGHT_MAX_KG

    class Status(models.TextChoices):
        REQUESTED = states.REQUESTED, _("Requested")
        APPROVED = states.APPROVED, _("Approved")
        SCHEDULED = states.SCHEDULED, _("Scheduled")
        COLLECTED = states.COLLECTED, _("Collected")
        DELIVERED = states.DELIVERED, _("Delivered")
        RETURNED = states.RETURNED, _("Returned")
        DECLINED = states.DECLINED, _("Declined")
        CANCELLED = states.CANCELLED, _("Cancelled")
        EXPIRED = states.EXPIRED, _("Expired")

    class Mode(models.TextChoices):
        DONATION = "donation", _("Donation")
        LOAN = "loan", _("Loan")

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("item"))
    requester = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("requester"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("requested by"),
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.DONATION)
    return_by = models.DateField(_("return by"), null=True, blank=True)
    purpose = models.TextField(_("purpose"), blank=True)
    need = models.ForeignKey(
        Need, on_delete=models.SET_NULL, null=True, blank=True, related_name="reservations", verbose_name=_("need"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED, db_index=True,
    )
    handover_code = models.CharField(_("handover code"), max_length=6, blank=True)
    handover_failures = models.PositiveSmallIntegerField(
        _("wrong handover codes"), default=0, editable=False,
        help_text=_("Wrong codes tried since the code was drawn; the code is replaced at the limit."),
    )
    pickup = models.ForeignKey(
        Pickup, on_delete=models.SET_NULL, null=True, blank=True, related_name="reservations",
        verbose_name=_("pickup"),
    )
    weight_kg = models.DecimalField(
        _("weight measured (kg)"), max_digits=7, decimal_places=2, null=True, blank=True,
        help_text=_("What the volunteer weighed at collection; the impact record then uses it."),
    )
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why it was declined, cancelled or expired."))
    transfer_rule = models.CharField(_("transfer rule"), max_length=40, blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    refurbished_at = models.DateTimeField(_("refurbished"), null=True, blank=True)
    refurbishment_notes = models.TextField(_("refurbishment"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled"), null=True, blank=True)
    collected_at = models.DateTimeField(_("collected"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    expired_at = models.DateTimeField(_("expired"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["handover_code"])  # history is read by both sides

    objects = ReservationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="reservation_quantity_positive"),
            models.CheckConstraint(
                condition=Q(mode="donation") | Q(return_by__isnull=False), name="reservation_loan_has_return_date",
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | Q(weight_kg__gt=0, weight_kg__lte=WEIGHT_MAX_KG),
                name="reservation_weight_measured_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.quantity} × {self.item} → {self.requester}"

    @property
    def is_loan(self) -> bool:
        return self.mode == self.Mode.LOAN

    @property
    def holds_units(self) -> bool:
        return self.status in states.HOLDING or (self.status == self.Status.DELIVERED and self.is_loan)

    @property
    def code_is_live(self) -> bool:
        """Whether the handover code still opens a collection (approved or scheduled)."""
        return bool(self.handover_code) and self.status in (self.Status.APPROVED, self.Status.SCHEDULED)

    def can(self, action: str) -> bool:
        """Whether ``action`` is allowed now by the pipeline and the claim's own guards (who
        may take it is ``exchange.permissions``)."""
        if action == states.REFURBISH:
            return (
                self.status == self.Status.DELIVERED and self.refurbished_at is None and self.item.category.is_medical
            )
        if action == states.RETURN and not self.is_loan:
            return False
        if action == states.COLLECT and not self.handover_code:
            return False
        return states.next_status(self.status, action) is not None


#
# Public-property transfers: exceptions and transfer records
#
class TransferException(models.Model):
    """A département manager's explicit leave for one item to go to one organisation that the
    transfer rules (``exchange.eligibility``) would refuse."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="transfer_exceptions", verbose_name=_("item"))
    requester = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="transfer_exceptions", verbose_name=_("requester"),
    )
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("granted by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("transfer exception")
        verbose_name_plural = _("transfer exceptions")

    def __str__(self) -> str:
        return f"{self.item} → {self.requester}"


def _transfer_record_path(record, filename: str) -> str:
    return f"transfer-records/{record.reservation_id}/{filename}"


class TransferRecord(models.Model):
    """The signed record of a collection: a "procès-verbal de cession" for a donation, a
    "convention de mise à disposition" for a loan. Issued once; a correction issues a new
    version, the old one stays."""

    class Kind(models.TextChoices):
        CESSION = "cession", _("Transfer record (procès-verbal de cession)")
        LOAN = "loan", _("Loan agreement (convention de mise à disposition)")

    reservation = models.ForeignKey(
        Reservation, on_delete=models.PROTECT, related_name="transfer_records", verbose_name=_("reservation"),
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    number = models.CharField(_("number"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    legal_basis = models.TextField(_("legal basis"))
    handover_code_checked = models.BooleanField(_("handover code checked"), default=False)
    issued_at = models.DateTimeField(_("issued"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("issued by"),
    )
    pdf = models.FileField(_("PDF"), upload_to=_transfer_record_path)
    signature = models.FileField(_("signature"), upload_to=_transfer_record_path, blank=True)

    class Meta:
        ordering = ["reservation", "-version"]
        verbose_name = _("transfer record")
        verbose_name_plural = _("transfer records")
        constraints = [
            models.UniqueConstraint(fields=["reservation", "version"], name="transfer_record_unique_version"),
            models.UniqueConstraint(fields=["number"], name="transfer_record_unique_number"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        # An issued record is a legal document: a correction is a new version, never an edit.
        if not self._state.adding:
            raise ValueError("Transfer records are issued once and never changed.")
        super().save(*args, **kwargs)


#
# Impact ledger
#
class ImpactRecord(models.Model):
    """What one delivered donation (or one returned loan) achieved, frozen when written.

    The factor values used are copied, so a report re-run after the categories' factors
    change gives the same figures. Written once by ``exchange.impact``; never updated.
    """

    class Kind(models.TextChoices):
        DONATION = "donation", _("Donation")
        LOAN = "loan", _("Loan (pooled use)")

    class KgBasis(models.TextChoices):
        MEASURED = "measured", _("Measured")
        ESTIMATED = "estimated", _("Estimated")

    reservation = models.ForeignKey(
        Reservation, on_delete=models.PROTECT, related_name="impact_records", verbose_name=_("reservation"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    date = models.DateField(_("date"), db_index=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    kg = models.DecimalField(_("weight (kg)"), max_digits=12, decimal_places=3)
    kg_basis = models.CharField(
        _("weight basis"), max_length=10, choices=KgBasis.choices, default=KgBasis.ESTIMATED,
        help_text=_("Measured: weighed at collection; estimated: quantity × unit weight."),
    )
    co2e_kg = models.DecimalField(_("avoided emissions (kg CO2e)"), max_digits=12, decimal_places=3)
    value_eur = models.DecimalField(_("value (EUR)"), max_digits=12, decimal_places=2)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("category"))
    giver = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="impact_given", verbose_name=_("giver"),
    )
    receiver = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="impact_received", verbose_name=_("receiver"),
    )
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    beneficiary = models.CharField(_("beneficiary public"), max_length=20, choices=Beneficiary.choices, blank=True)
    # The organisations' kinds on the day, like the commune: grouping by kind must not move
    # when an organisation is later reclassified.
    giver_kind = models.CharField(_("giver kind"), max_length=20, choices=Organisation.Kind.choices, blank=True)
    receiver_kind = models.CharField(
        _("receiver kind"), max_length=20, choices=Organisation.Kind.choices, blank=True,
    )
    loan_days = models.PositiveIntegerField(_("loan days"), null=True, blank=True)
    unit_weight_kg = models.DecimalField(_("unit weight used (kg)"), max_digits=9, decimal_places=3)
    unit_co2e_kg = models.DecimalField(_("unit emissions used (kg CO2e)"), max_digits=9, decimal_places=3)
    unit_value_eur = models.DecimalField(_("unit value used (EUR)"), max_digits=10, decimal_places=2)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # What the receiver said about the claim (people helped), given after the record was written:
    # joined on the claim's id, no column of its own, so that the summaries add it with one
    # join of the small feedback table instead of two through the claims.
    feedback = models.ForeignObject(
        "DeliveryFeedback", on_delete=models.DO_NOTHING, from_fields=["reservation"], to_fields=["reservation"],
        related_name="+", null=True, editable=False,
    )

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("impact record")
        verbose_name_plural = _("impact records")
        constraints = [
            models.UniqueConstraint(fields=["reservation", "kind"], name="impact_once_per_reservation_and_kind"),
            models.CheckConstraint(condition=Q(kg_basis__in=["measured", "estimated"]), name="impact_kg_basis_known"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} #{self.reservation_id}"

    def save(self, *args, **kwargs):
        # The ledger is append-only: a past record must never be rewritten.
        if not self._state.adding:
            raise ValueError("Impact records are written once and never changed.")
        from . import rollups  # imports this module

        with transaction.atomic():
            super().save(*args, **kwargs)
            rollups.add_record(self)  # its month's roll-up, in the same transaction


class ImpactMonth(models.Model):
    """The impact ledger summed per calendar month and per every column the summary groups
    or filters by (``exchange.reports``): the dashboard reads these few rows instead of
    millions of records. Kept by ``exchange.rollups`` in the transaction that saves a record
    (or the receiver's answer: ``ImpactRecord.save``, ``DeliveryFeedback.save``);
    ``manage.py rebuild_impact_rollups`` rebuilds it from the ledger."""

    month = models.DateField(_("month"))  # the first day of the records' month (their local date)
    kind = models.CharField(_("kind"), max_length=10, choices=ImpactRecord.Kind.choices)
    kg_basis = models.CharField(_("weight basis"), max_length=10, choices=ImpactRecord.KgBasis.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("category"))
    giver = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("giver"))
    receiver = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("receiver"))
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    beneficiary = models.CharField(_("beneficiary public"), max_length=20, choices=Beneficiary.choices, blank=True)
    giver_kind = models.CharField(_("giver kind"), max_length=20, choices=Organisation.Kind.choices, blank=True)
    receiver_kind = models.CharField(
        _("receiver kind"), max_length=20, choices=Organisation.Kind.choices, blank=True,
    )
    quantity = models.BigIntegerField(_("quantity"), default=0)
    kg = models.DecimalField(_("weight (kg)"), max_digits=18, decimal_places=3, default=0)
    co2e_kg = models.DecimalField(_("avoided emissions (kg CO2e)"), max_digits=18, decimal_places=3, default=0)
    value_eur = models.DecimalField(_("value (EUR)"), max_digits=18, decimal_places=2, default=0)
    records = models.BigIntegerField(_("records"), default=0)
    people_helped = models.BigIntegerField(_("people helped"), default=0)

    DIMENSIONS = (
        "month", "kind", "kg_basis", "category_id", "giver_id", "receiver_id", "commune_id", "beneficiary",
        "giver_kind", "receiver_kind",
    )
    MEASURES = ("quantity", "kg", "co2e_kg", "value_eur", "records", "people_helped")

    class Meta:
        verbose_name = _("impact month")
        verbose_name_plural = _("impact months")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "kind", "kg_basis", "category", "giver", "receiver", "commune", "beneficiary",
                        "giver_kind", "receiver_kind"],
                name="impact_month_once_per_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.kind} {self.records}"


#
# What the receivers say they achieved
#
class DeliveryFeedback(models.Model):
    """What a receiving organisation says a delivered claim achieved: how many people it
    helped, which public, a sentence (quoted in the annual report only with consent). Given
    once, by the receiving side (``exchange.services.reservation_feedback_give``)."""

    COMMENT_MAX_LENGTH = 1000

    reservation = models.OneToOneField(
        Reservation, on_delete=models.PROTECT, related_name="feedback", verbose_name=_("reservation"),
    )
    people_helped = models.PositiveIntegerField(_("people helped"))
    beneficiary = models.CharField(_("beneficiary public"), max_length=20, choices=Beneficiary.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=COMMENT_MAX_LENGTH)
    consent_to_quote = models.BooleanField(
        _("may be quoted"), default=False,
        help_text=_("The sentence may be quoted, without your name, in the département's public reports."),
    )
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("given by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("delivery feedback")
        verbose_name_plural = _("delivery feedback")

    def __str__(self) -> str:
        return f"#{self.reservation_id}: {self.people_helped}"

    def save(self, *args, **kwargs):
        # Given once (the admin shows it read-only): counted in the roll-ups when first written.
        if not self._state.adding:
            return super().save(*args, **kwargs)
        from . import rollups  # imports this module

        with transaction.atomic():
            super().save(*args, **kwargs)
            rollups.add_people(reservation_id=self.reservation_id, people_helped=self.people_helped)


#
# The AGEC declaration's flat-rate value grid
#
class AgecFlatRate(models.Model):
    """The département's value of one donated unit of an AGEC product type, from the
    flat-rate grid of the arrêté of 29 February 2024, entered (and corrected) by a manager
    with its source. Without a row, the declaration uses Rebond's replacement values as an
    estimate."""

    product_type = models.CharField(
        _("AGEC product type"), max_length=80, choices=AgecProductType.choices, unique=True,
    )
    unit_value_eur = models.DecimalField(
        _("value per unit (EUR excl. VAT)"), max_digits=10, decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    source = models.TextField(_("source"), help_text=_("Where this value comes from (the grid's line, the text)."))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["product_type"]
        verbose_name = _("AGEC flat-rate value")
        verbose_name_plural = _("AGEC flat-rate values")
        constraints = [
            models.CheckConstraint(condition=Q(unit_value_eur__gte=0), name="agec_flat_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product_type}: {self.unit_value_eur} €"


#
# Notifications
#
class Notification(models.Model):
    """Something a user should know about, shown in the app until read (and e-mailed)."""

    class Kind(models.TextChoices):
        CLAIM_CREATED = "claim_created", _("New claim on my item")
        CLAIM_APPROVED = "claim_approved", _("My claim was approved")
        CLAIM_DECLINED = "claim_declined", _("My claim was declined")
        PICKUP_ASSIGNED = "pickup_assigned", _("Pickup assigned to me")
        NEED_MATCHED = "need_matched", _("A new item matches my need")
        CODE_REPLACED = "code_replaced", _("A handover code was replaced")
        PICKUP_TOMORROW = "pickup_tomorrow", _("A pickup at my site tomorrow")
        PICKUP_TODAY = "pickup_today", _("My pickups today")
        FEEDBACK_REQUESTED = "feedback_requested", _("Tell us whom a delivery helped")
        BOOKING_REQUESTED = "booking_requested", _("New booking of my shared item")
        BOOKING_APPROVED = "booking_approved", _("My booking was approved")
        BOOKING_DECLINED = "booking_declined", _("My booking was declined")
        BOOKING_CANCELLED = "booking_cancelled", _("A booking was cancelled")
        BOOKING_REMINDER = "booking_reminder", _("A booking starts or ends tomorrow")
        BOOKING_LATE = "booking_late", _("A shared item is late back")

    class ObjectType(models.TextChoices):
        ITEM = "item", _("Item")
        RESERVATION = "reservation", _("Reservation")
        PICKUP = "pickup", _("Pickup")
        NEED = "need", _("Need")
        BOOKING = "booking", _("Booking")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    message = models.TextField(_("message"))
    object_type = models.CharField(_("object type"), max_length=12, choices=ObjectType.choices)
    object_id = models.PositiveBigIntegerField(_("object id"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How one person wants one kind of notification: in the app, by e-mail, pushed to the
    phone. No row means every channel (the default)."""

    CHANNELS = ("in_app", "email", "push")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Notification.Kind.choices)
    in_app = models.BooleanField(_("in the app"), default=True)
    email = models.BooleanField(_("by e-mail"), default=True)
    push = models.BooleanField(_("on my phone (push)"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}"


class PersonalSettings(models.Model):
    """A person's own settings on the road: the language of what Rebond sends them (blank:
    the site's, French) and the secret of their calendar address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_settings",
        verbose_name=_("user"),
    )
    language = models.CharField(_("language of notifications"), max_length=10, choices=settings.LANGUAGES,
                                blank=True)
    calendar_token = models.CharField(_("calendar address secret"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("personal settings")
        verbose_name_plural = _("personal settings")
        constraints = [
            models.UniqueConstraint(fields=["calendar_token"], condition=~Q(calendar_token=""),
                                    name="personal_settings_unique_calendar_token"),
        ]

    def __str__(self) -> str:
        return str(self.user)


class PushSubscription(models.Model):
    """A browser's Web Push subscription (RFC 8030): where to POST, and the keys to encrypt
    for it (RFC 8291)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions",
        verbose_name=_("user"),
    )
    endpoint = models.URLField(_("endpoint"), max_length=1000)
    p256dh = models.CharField(_("public key (p256dh)"), max_length=200)
    auth = models.CharField(_("authentication secret"), max_length=100)
    user_agent = models.CharField(_("device"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last push"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        constraints = [models.UniqueConstraint(fields=["endpoint"], name="push_subscription_unique_endpoint")]

    def __str__(self) -> str:
        return f"{self.user}: {self.endpoint[:60]}"


class Reminder(models.Model):
    """A reminder sent about one pickup to one person: the row makes each reminder go once,
    however often ``manage.py send_reminders`` runs."""

    class Kind(models.TextChoices):
        GIVER_EVE = "giver_eve", _("Giver's staff, the day before")
        VOLUNTEER_MORNING = "volunteer_morning", _("Volunteer, the morning of the pickup")

    pickup = models.ForeignKey(Pickup, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("pickup"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [models.UniqueConstraint(fields=["pickup", "user", "kind"], name="reminder_once")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pickup_id} → {self.user}"
