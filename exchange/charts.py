"""Bar charts drawn by the server as SVG: the static twins of the pages' Chart.js charts, for
the annual report's PDF (WeasyPrint runs no JavaScript; it draws SVG itself)."""

from collections.abc import Callable, Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BAR = "#1b6e3c"
INK = "#1d2327"
GRID = "#c3cbc6"


def bar_chart_svg(
    *, labels: Sequence[str], values: Sequence[float], title: str, number: Callable[[float], str],
    width: int = 480, bar_height: int = 14, label_width: int = 170,
) -> SafeString:
    """Horizontal bars, one per label, each with its figure written at its end."""
    largest = max((float(value) for value in values), default=0) or 1
    plot = width - label_width - 70
    top = 22
    rows = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + index * (bar_height + 6)
        length = max(0.0, float(value)) / largest * plot
        short = label if len(label) <= 30 else label[:29] + "…"
        rows.append((
            f"{label_width - 6}", f"{y + bar_height - 3:.1f}", short,
            f"{label_width}", f"{y:.1f}", f"{length:.1f}", f"{bar_height}",
            f"{label_width + length + 4:.1f}", f"{y + bar_height - 3:.1f}", number(value),
        ))
    height = top + len(rows) * (bar_height + 6) + 8
    body = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="' + INK + '">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="' + BAR + '"/>'
        '<text x="{}" y="{}" font-size="10" fill="' + INK + '">{}</text>',
        rows,
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'font-family="Helvetica, Arial, sans-serif"><title>{title}</title>'
        '<text x="0" y="12" font-size="12" font-weight="bold" fill="' + INK + '">{title}</text>'
        '<line x1="{lw}" y1="{top}" x2="{lw}" y2="{bottom}" stroke="' + GRID + '"/>{body}</svg>',
        w=width, h=height, title=title, lw=label_width, top=top - 2, bottom=height - 6, body=body,
    )
