"""Forms of the pages. They only shape and check input; the services decide and write."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exchange import transfers
from exchange.models import Beneficiary, Reservation
from inventory.models import AgecProductType, Item, Organisation

FIELD_TEMPLATE = "frontend/includes/field.html"


def use_field_template(form):
    """Render each field's group wrapped in ``<div class="field">`` (spacing, grid layout)."""
    for field in form.fields.values():
        field.template_name = FIELD_TEMPLATE
    return form


def add_service_error(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its fields when the form has them,
    above the form otherwise (a service may name fields the form does not show)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


class FieldTemplateMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        use_field_template(self)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos at once; each is checked by the photo pipeline when it is added."""

    widget = MultipleFileInput(attrs={"accept": "image/*", "capture": "environment", "multiple": True})

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(one, initial) for one in data if one]
        return [single(data, initial)] if data else []


class OrganisationChoiceMixin(FieldTemplateMixin):
    """Adds an ``organisation`` choice when the user acts for several organisations."""

    def set_organisations(self, organisations, label):
        self.organisations = list(organisations)
        if len(self.organisations) > 1:
            self.fields["organisation"] = forms.ModelChoiceField(
                label=label, queryset=Organisation.objects.filter(pk__in=[o.pk for o in self.organisations]),
            )
            self.fields["organisation"].template_name = FIELD_TEMPLATE
            self.order_fields(["organisation"])

    def chosen_organisation(self):
        if "organisation" in self.cleaned_data:
            return self.cleaned_data["organisation"]
        return self.organisations[0] if self.organisations else None


class ItemForm(OrganisationChoiceMixin, forms.ModelForm):
    """The short form staff fill in on a phone; every field maps to ``item_create/update``."""

    photos = MultiplePhotoField(
        label=_("Photos"), required=False,
        help_text=_("Take them with the phone's camera or choose files (JPEG, PNG, WebP, HEIC)."),
    )

    class Meta:
        model = Item
        fields = [
            "title", "category", "condition", "mode", "quantity", "description",
            "floor", "has_lift", "opening_hours", "pickup_notes",
            "width_cm", "depth_cm", "height_cm", "unit_weight_kg",
            "available_from", "available_until", "inventory_number",
        ]
        widgets = {
            "mode": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 3}),
            "pickup_notes": forms.Textarea(attrs={"rows": 2}),
            "available_from": DateInput(),
            "available_until": DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mode"].required = False  # to give, unless chosen otherwise

    def clean_mode(self):
        return self.cleaned_data.get("mode") or (self.instance.mode if self.instance.pk else Item.Mode.GIVE)

    def item_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class PhotoUploadForm(FieldTemplateMixin, forms.Form):
    photo = forms.FileField(label=_("Photo"), widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))


class ReasonForm(FieldTemplateMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=Reservation.REASON_MAX_LENGTH, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ClaimForm(OrganisationChoiceMixin, forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, initial=1)
    mode = forms.ChoiceField(label=_("Donation or loan"), choices=(), widget=forms.RadioSelect)
    return_by = forms.DateField(
        label=_("Return by (loans)"), required=False, widget=DateInput(),
    )
    purpose = forms.CharField(
        label=_("What is it for?"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
    )
    need = forms.ModelChoiceField(label=_("Need it fulfils"), queryset=None, required=False, empty_label=_("None"))

    def __init__(self, *args, item, organisations, needs, mode_choices, **kwargs):
        super().__init__(*args, **kwargs)
        # A hint for the browser only: the service decides, under the item's lock.
        self.fields["quantity"].widget.attrs["max"] = item.quantity_available
        self.fields["mode"].choices = mode_choices
        self.fields["mode"].initial = mode_choices[0][0]
        self.fields["need"].queryset = needs
        self.set_organisations(organisations, _("Claim for"))


SIGNATURE_FIELD_MAX = transfers.SIGNATURE_MAX_BYTES * 4 // 3 + 64


class HandoverCodeForm(FieldTemplateMixin, forms.Form):
    handover_code = forms.RegexField(
        label=_("Handover code"), regex=r"^\d{6}$", max_length=6,
        error_messages={"invalid": _("The code has 6 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": r"\d{6}"}),
    )
    # The signature drawn at the door (a PNG data URL set by the signature pad; checked by the service).
    signature = forms.CharField(required=False, widget=forms.HiddenInput, max_length=SIGNATURE_FIELD_MAX)
    # What the volunteer weighed, as typed ("12,5"); the service checks it (exchange.services.clean_weight).
    weight_kg = forms.CharField(required=False, max_length=12)


class NeedForm(OrganisationChoiceMixin, forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=None)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, initial=1)
    beneficiary = forms.ChoiceField(label=_("Who will benefit"), choices=())
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
    )
    deadline = forms.DateField(label=_("Needed by"), required=False, widget=DateInput())

    def __init__(self, *args, organisations, categories, beneficiaries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["beneficiary"].choices = beneficiaries
        self.set_organisations(organisations, _("Needed by organisation"))


class PickupForm(FieldTemplateMixin, forms.Form):
    """Groups approved reservations of one giver into a pickup on the planner's day."""

    reservations = forms.ModelMultipleChoiceField(
        label=_("Reservations"), queryset=None, widget=forms.CheckboxSelectMultiple,
    )
    start = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end = forms.TimeField(label=_("To"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    volunteers = forms.ModelMultipleChoiceField(
        label=_("Volunteers"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, reservations, volunteers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reservations"].queryset = reservations
        self.fields["volunteers"].queryset = volunteers
        self.fields["volunteers"].label_from_instance = display_name

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("The end of the window must be after its start."))
        return data


class VolunteersForm(FieldTemplateMixin, forms.Form):
    volunteers = forms.ModelMultipleChoiceField(
        label=_("Volunteers"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, volunteers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteers"].queryset = volunteers
        self.fields["volunteers"].label_from_instance = display_name


class TourForm(FieldTemplateMixin, forms.Form):
    capacity_kg = forms.DecimalField(label=_("Capacity (kg)"), min_value=0, max_digits=8, decimal_places=1, initial=800)
    capacity_m3 = forms.DecimalField(label=_("Capacity (m³)"), min_value=0, max_digits=6, decimal_places=2, initial=10)
    pickups = forms.ModelMultipleChoiceField(label=_("Pickups"), queryset=None, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, pickups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pickups"].queryset = pickups.select_related("giver")
        self.fields["pickups"].label_from_instance = pickup_label


class DayPlanForm(forms.Form):
    """The coordinator's "Plan the day": which vehicles (with their volunteers) and which
    stops — givers' approved claims (proposals, with a window) and pickups already planned."""

    vehicles = forms.ModelMultipleChoiceField(label=_("Vehicles"), queryset=None,
                                              widget=forms.CheckboxSelectMultiple)
    pickups = forms.ModelMultipleChoiceField(label=_("Pickups already planned"), queryset=None, required=False,
                                             widget=forms.CheckboxSelectMultiple)
    givers = forms.TypedMultipleChoiceField(label=_("Approved claims to collect"), coerce=int, required=False,
                                            widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, vehicles, pickups, givers, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicles"].queryset = vehicles
        self.fields["pickups"].queryset = pickups
        self.fields["givers"].choices = [(giver.pk, str(giver)) for giver in givers]
        for vehicle in vehicles:
            field = forms.ModelMultipleChoiceField(
                label=_("Volunteers in %(vehicle)s") % {"vehicle": vehicle.name}, queryset=members, required=False,
                widget=forms.CheckboxSelectMultiple)
            field.label_from_instance = display_name
            self.fields[f"crew{vehicle.pk}"] = field
        time_input = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
        for giver in givers:
            self.fields[f"from{giver.pk}"] = forms.TimeField(label=_("From"), initial="09:00", widget=time_input)
            self.fields[f"to{giver.pk}"] = forms.TimeField(label=_("To"), initial="17:00", widget=time_input)

    def clean(self):
        data = super().clean()
        for giver in data.get("givers") or []:
            start, end = data.get(f"from{giver}"), data.get(f"to{giver}")
            if start and end and end <= start:
                self.add_error(f"to{giver}", _("The end of the window must be after its start."))
        if not data.get("pickups") and not data.get("givers") and "pickups" not in self.errors:
            raise ValidationError(_("Choose at least one stop to place."))
        return data

    def crew(self, vehicle) -> list:
        return list(self.cleaned_data.get(f"crew{vehicle.pk}") or [])


class VehicleForm(FieldTemplateMixin, forms.ModelForm):
    class Meta:
        from exchange.models import Vehicle

        model = Vehicle
        fields = ("name", "capacity_kg", "capacity_m3", "usual_start", "usual_end", "is_active")
        widgets = {
            "usual_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "usual_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean(self):
        data = super().clean()
        if data.get("usual_start") and data.get("usual_end") and data["usual_end"] <= data["usual_start"]:
            self.add_error("usual_end", _("The working hours must end after they start."))
        return data


def pickup_label(pickup) -> str:
    start, end = timezone.localtime(pickup.window_start), timezone.localtime(pickup.window_end)
    return f"{pickup.giver} — {start:%H:%M}–{end:%H:%M}"


def display_name(user) -> str:
    return user.get_full_name() or user.username


#
# Onboarding: directory import, invitations, the département's settings
#
class DirectoryImportForm(FieldTemplateMixin, forms.Form):
    MAX_BYTES = 100 * 1024 * 1024  # the national FINESS extraction is about 60 MB

    file = forms.FileField(
        label=_("Directory file"),
        help_text=_("The FINESS establishments extraction (EHPAD) or the Annuaire de l'éducation "
                    "export (open public collèges), as downloaded (CSV)."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise ValidationError(_("The file is too large (100 MB at most)."))
        return upload


class InvitationForm(FieldTemplateMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, organisations, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first()
        self.fields["role"].choices = roles


class AcceptInvitationForm(FieldTemplateMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    password1 = forms.CharField(label=_("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            raise ValidationError(_("The two passwords differ."))
        return data


class OrganisationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = [
            "name", "legal_status", "contact_name", "contact_email", "contact_phone",
            "is_reuse_partner", "is_arup", "is_esus", "is_certified_refurbisher",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        use_field_template(self)


class SiteSettingsForm(FieldTemplateMixin, forms.Form):
    claim_expiry_days = forms.IntegerField(label=_("Claim expiry (days)"), min_value=1, max_value=365,
                                           help_text=_("Approved claims neither collected nor scheduled "
                                                       "within this delay expire."))
    internal_first_days = forms.IntegerField(label=_("Internal-first window (days)"), min_value=0, max_value=365,
                                             help_text=_("Days during which a new item is offered within its "
                                                         "own organisation first (0: none)."))


class InventoryExitsForm(FieldTemplateMixin, forms.Form):
    """The accountant's export: one giver, one period (both days included)."""

    giver = forms.ModelChoiceField(label=_("Giver"), queryset=Organisation.objects.all())
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


class FeedbackForm(FieldTemplateMixin, forms.Form):
    """Whom a delivery helped (the receiving side, once)."""

    people_helped = forms.IntegerField(
        label=_("How many people will it help?"), min_value=0, max_value=1_000_000,
        help_text=_("An estimate is fine: the residents of a floor, the pupils of a class…"),
    )
    beneficiary = forms.ChoiceField(
        label=_("Which public?"), required=False, choices=[("", _("—"))] + list(Beneficiary.choices),
    )
    comment = forms.CharField(
        label=_("In one sentence, what does it change? (optional)"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consent_to_quote = forms.BooleanField(
        label=_("The département may quote this sentence in its public reports (without any name)."),
        required=False,
    )


class AgecFlatRateForm(FieldTemplateMixin, forms.Form):
    """One value of the département's flat-rate grid (arrêté of 29 February 2024)."""

    product_type = forms.ChoiceField(label=_("AGEC product type"), choices=AgecProductType.choices)
    unit_value_eur = forms.DecimalField(label=_("Value per unit (EUR excl. VAT)"), min_value=0, max_digits=10,
                                        decimal_places=2)
    source = forms.CharField(label=_("Source"), max_length=2000,
                             help_text=_("The grid's line, or the text the value comes from."))
    reason = forms.CharField(label=_("Why this change"), required=False, max_length=100,
                             help_text=_("Kept in the grid's history."))


class OpenDataPublicationForm(forms.Form):
    published = forms.BooleanField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Why"), required=False, max_length=100)
#
# Shared equipment
#
class BookingForm(OrganisationChoiceMixin, forms.Form):
    """A booking from the item's calendar; ``pooling.services.booking_check`` explains a
    conflict before it is sent and ``booking_create`` decides, under the item's lock."""

    start = forms.DateField(label=_("First day"), widget=DateInput())
    last_day = forms.DateField(label=_("Last day"), widget=DateInput(),
                               help_text=_("Included: bring it back after this day."))
    quantity = forms.IntegerField(label=_("Units"), min_value=1, initial=1, required=False)
    repeat_weeks = forms.IntegerField(
        label=_("Repeat each week for"), min_value=0, max_value=52, initial=0, required=False,
        help_text=_("0: once. 3: these days in each of the next 3 weeks too (all or nothing)."),
    )
    purpose = forms.CharField(
        label=_("What is it for?"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
    )

    def __init__(self, *args, item, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].widget.attrs["max"] = item.quantity  # a hint; the service decides
        if item.quantity == 1:
            self.fields["quantity"].widget = forms.HiddenInput()
        self.set_organisations(organisations, _("Book for"))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("last_day") and data["last_day"] < data["start"]:
            self.add_error("last_day", _("The last day is before the first."))
        return data

    def booking_fields(self) -> dict:
        from datetime import timedelta

        data = self.cleaned_data
        return {
            "requester": self.chosen_organisation(), "start": data["start"],
            "end": data["last_day"] + timedelta(days=1), "quantity": data.get("quantity") or 1,
            "repeat_weeks": data.get("repeat_weeks") or 0,
        }


class BookingRulesForm(FieldTemplateMixin, forms.ModelForm):
    class Meta:
        from pooling.models import BookingRules

        model = BookingRules
        fields = ["auto_approve", "max_days", "lead_days", "audience", "organisations"]
        widgets = {"organisations": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisations"].queryset = Organisation.objects.exclude(kind=Organisation.Kind.DEPARTMENT)


class CheckInForm(FieldTemplateMixin, forms.Form):
    condition_note = forms.CharField(
        label=_("Condition on return"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Anything damaged, missing or to clean?"),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
