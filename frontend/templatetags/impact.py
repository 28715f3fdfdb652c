"""Template filters of the impact pages."""

from decimal import Decimal

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def factor(value) -> str:
    """A factor as entered, without trailing zeros, in the reader's number format:
    11.900 → "11,9", 204.900 → "204,9" (never "204,900", read as thousands in French)."""
    if value is None:
        return "—"
    value = Decimal(value)
    value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    return formats.number_format(value, use_l10n=True, force_grouping=True)
