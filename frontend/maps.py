"""The pages' commune maps: ``exchange.maps`` drawn with the reader's number format, and the
table that goes beside each map (the same figures, for reading and for screen readers)."""

from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from exchange import maps

# measure: (label, decimals, unit shown after a figure)
MEASURES = {
    "kg": (gettext_lazy("kg diverted"), 0, "kg"),
    "items": (gettext_lazy("Units"), 0, ""),
    "co2e_kg": (gettext_lazy("kg CO2e avoided"), 0, "kg CO2e"),
    "value_eur": (gettext_lazy("Euros saved"), 0, "€"),
}
SIDES = {
    "giver": gettext_lazy("Giver's commune (the site)"),
    "receiver": gettext_lazy("Receiver's commune"),
}


def number(value, decimals: int = 0) -> str:
    return formats.number_format(Decimal(str(value)), decimals, use_l10n=True, force_grouping=True)


def _with_unit(value, decimals: int, unit: str) -> str:
    return f"{number(value, decimals)}\u00a0{unit}" if unit else number(value, decimals)


def commune_map(
    *, values: dict[str, float], title: str, measure_label: str, unit: str = "", decimals: int = 0,
    details: dict[str, str] | None = None, map_id: str = "commune-map", interactive: bool = True,
) -> dict:
    """The SVG of ``values`` (commune code → figure) and the table rows beside it, most first.

    Each commune links to its row of the table (``#<map_id>-<code>``); its label and
    ``<title>`` say its name, the figure and ``details[code]`` (e.g. the other figures).
    """
    details = details or {}

    def describe(code: str, name: str, value) -> str:
        text = _("%(name)s: %(value)s") % {"name": name, "value": _with_unit(value, decimals, unit)}
        return f"{text} ({details[code]})" if details.get(code) else text

    def legend_number(value) -> str:
        return number(value, decimals if value < 10 else 0)

    svg = maps.svg_map(
        values=values, describe=describe, title=title, legend_title=measure_label, number=legend_number,
        interactive=interactive, legend=not interactive, link=lambda code: f"#{map_id}-{code}", map_id=map_id,
    )
    rows = sorted(
        ({"code": commune.code, "name": commune.name, "value": values.get(commune.code, 0),
          "shown": _with_unit(values.get(commune.code, 0), decimals, unit), "details": details.get(commune.code, "")}
         for commune in maps.outlines()),
        key=lambda row: (-float(row["value"]), row["name"]),
    )
    return {
        "svg": svg, "rows": rows, "id": map_id, "title": title, "measure_label": measure_label,
        "legend": maps.legend_entries(maps.classes(values.values()), legend_number),
        "attribution": maps.attribution(), "active": sum(1 for row in rows if row["value"]),
    }


def impact_map(by_commune: dict[str, dict], *, measure: str, side: str, interactive: bool = True) -> dict:
    """The dashboard's choropleth of one measure by the giver's or the receiver's commune."""
    label, decimals, unit = MEASURES[measure]
    values = {code: figures[measure] for code, figures in by_commune.items()}
    def other(name: str, value) -> str:
        if name == "items":
            return ngettext("%(n)s unit", "%(n)s units", value) % {"n": number(value)}
        return _with_unit(value, MEASURES[name][1], MEASURES[name][2])

    details = {code: ", ".join(other(name, figures[name]) for name in MEASURES if name != measure)
               for code, figures in by_commune.items()}
    title = _("%(measure)s by commune — %(side)s") % {"measure": label, "side": SIDES[side]}
    return commune_map(values=values, title=title, measure_label=str(label), unit=unit, decimals=decimals,
                       details=details, map_id="impact-map", interactive=interactive)


def needs_map(by_commune: dict[str, dict]) -> dict:
    """The needs page's choropleth: open needs per commune of the needing organisation."""
    values = {code: figures["needs"] for code, figures in by_commune.items()}
    details = {code: ngettext("%(n)s unit wanted", "%(n)s units wanted", figures["units"]) % {
        "n": number(figures["units"])} for code, figures in by_commune.items()}
    return commune_map(values=values, title=_("Open needs by commune"), measure_label=str(_("Open needs")),
                       details=details, map_id="needs-map")
