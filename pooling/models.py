"""Shared equipment: an item's booking rules, its bookings and its QR label.

Statuses only change through ``pooling.services``; the models hold the invariants the
database can check and the yes/no questions about a row.
"""

import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from inventory.models import Item, Organisation

from . import states

# The longest period one booking may cover, whatever an item's rules say (a year).
MAX_BOOKING_DAYS = 366
# How far ahead one may book, and how many more weeks a recurring booking may repeat.
MAX_LEAD_DAYS = 365
MAX_REPEAT_WEEKS = 52


class BookingRules(models.Model):
    """How a shared item is booked: auto-approval, longest period, notice, audience."""

    class Audience(models.TextChoices):
        MEMBERS = "members", _("All member organisations")
        PUBLIC_BODIES = "public_bodies", _("Public bodies and establishments only")
        NAMED = "named", _("Named organisations only")

    item = models.OneToOneField(
        Item, on_delete=models.CASCADE, related_name="booking_rules", verbose_name=_("item"), primary_key=True,
    )
    auto_approve = models.BooleanField(
        _("approve automatically when free"), default=False,
        help_text=_("A booking on free days is approved at once; otherwise your staff approve each one."),
    )
    max_days = models.PositiveSmallIntegerField(
        _("longest booking (days)"), default=14,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_BOOKING_DAYS)],
    )
    lead_days = models.PositiveSmallIntegerField(
        _("notice needed (days)"), default=0, validators=[MaxValueValidator(MAX_LEAD_DAYS)],
        help_text=_("0: bookable from today."),
    )
    audience = models.CharField(_("who may book"), max_length=20, choices=Audience.choices, default=Audience.MEMBERS)
    organisations = models.ManyToManyField(
        Organisation, blank=True, related_name="+", verbose_name=_("named organisations"),
        help_text=_("Used when only named organisations may book."),
    )
    history = HistoricalRecords(m2m_fields=[organisations])

    class Meta:
        verbose_name = _("booking rules")
        verbose_name_plural = _("booking rules")
        constraints = [
            models.CheckConstraint(condition=Q(max_days__gte=1), name="booking_rules_max_days_positive"),
        ]

    def __str__(self) -> str:
        return str(self.item)

    @classmethod
    def of(cls, item: Item) -> "BookingRules":
        """The item's saved rules, or unsaved defaults while it has none."""
        try:
            return item.booking_rules
        except cls.DoesNotExist:
            return cls(item=item)


class BookingQuerySet(models.QuerySet):
    def holding(self):
        """Bookings whose units are held on their days (requested, approved, out)."""
        return self.filter(status__in=states.HOLDING)

    def overlapping(self, start: date, end: date):
        """Bookings sharing at least one day with [start, end) (both half-open)."""
        return self.filter(start__lt=end, end__gt=start)

    def late(self, today: date):
        """Out after their last day: the item should be back by now."""
        return self.filter(status=states.OUT, end__lte=today)


def _return_photo_path(booking, filename: str) -> str:
    return f"photos/bookings/{filename[:2]}/{filename}"


class Booking(models.Model):
    """Some units of a shared item booked by an organisation for the days [start, end)."""

    REASON_MAX_LENGTH = 1000
    NOTE_MAX_LENGTH = 2000

    class Status(models.TextChoices):
        # A context of their own: in French a booking ("emprunt") is masculine, a claim is not.
        REQUESTED = states.REQUESTED, pgettext_lazy("booking", "Requested")
        APPROVED = states.APPROVED, pgettext_lazy("booking", "Approved")
        OUT = states.OUT, pgettext_lazy("booking", "Out")
        RETURNED = states.RETURNED, pgettext_lazy("booking", "Returned")
        DECLINED = states.DECLINED, pgettext_lazy("booking", "Declined")
        CANCELLED = states.CANCELLED, pgettext_lazy("booking", "Cancelled")

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("item"))
    requester = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("booked for"),
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("booked by"),
    )
    start = models.DateField(_("first day"))
    end = models.DateField(_("end (day after the last)"))
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])
    purpose = models.TextField(_("purpose"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED, db_index=True,
    )
    # The bookings of one recurring request share a series (booked all or nothing).
    series = models.UUIDField(_("series"), null=True, blank=True, db_index=True)
    # The item had a single unit when booked: the PostgreSQL exclusion constraint covers these
    # rows (for lots the sum of units per day is checked under the item's row lock).
    single_unit = models.BooleanField(_("single-unit item"), default=False, editable=False)
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why it was declined or cancelled."))
    condition_note = models.TextField(_("condition at return"), blank=True)
    return_photo = models.FileField(_("photo at return"), upload_to=_return_photo_path, max_length=200, blank=True)
    return_thumbnail = models.FileField(
        _("thumbnail at return"), upload_to=_return_photo_path, max_length=200, blank=True,
    )
    # Frozen at check-in, as impact records freeze theirs: the estimate of purchases avoided
    # does not move when a category's factors change later.
    unit_value_eur = models.DecimalField(
        _("unit value used (EUR)"), max_digits=10, decimal_places=2, null=True, blank=True, editable=False,
    )
    unit_co2e_kg = models.DecimalField(
        _("unit emissions used (kg CO2e)"), max_digits=9, decimal_places=3, null=True, blank=True, editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    start_reminded_at = models.DateTimeField(_("start reminder sent"), null=True, blank=True, editable=False)
    end_reminded_at = models.DateTimeField(_("return reminder sent"), null=True, blank=True, editable=False)
    late_flagged_at = models.DateTimeField(_("flagged late"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["start", "pk"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [models.Index(fields=["item", "start", "end"], name="booking_item_period")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="booking_period_ordered"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="booking_quantity_positive"),
            # On PostgreSQL also: no two holding single-unit bookings of an item overlap
            # (an exclusion constraint, migration 0002; SQLite has no equivalent).
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.item} → {self.requester} ({self.start} – {self.last_day})"

    @property
    def last_day(self) -> date:
        """The last day booked (``end`` is the day after)."""
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def holds_units(self) -> bool:
        return self.status in states.HOLDING

    def is_late(self, today: date) -> bool:
        """Still out once its last day has passed."""
        return self.status == self.Status.OUT and today >= self.end

    def can(self, action: str, *, today: date) -> bool:
        """Whether ``action`` is allowed now by the pipeline and the booking's own guards (who
        may take it is ``pooling.permissions``): the item goes out from the first day booked
        until the last, not weeks before."""
        if states.BOOKINGS.next_status(self.status, action) is None:
            return False
        if action == states.CHECK_OUT:
            return self.start <= today < self.end
        return True


def new_label_code() -> str:
    # Unguessable, short enough to type from a label when a camera is not at hand.
    return secrets.token_urlsafe(8)[:10]


class Label(models.Model):
    """The code printed on an item's QR label: ``/s/<code>`` opens the item for a member."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="label", verbose_name=_("item"))
    code = models.CharField(_("code"), max_length=16, unique=True, default=new_label_code)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("label")
        verbose_name_plural = _("labels")

    def __str__(self) -> str:
        return f"{self.code} → {self.item}"
