"""The installable app's icons, drawn with Pillow (``manage.py draw_icons`` writes them to
``frontend/static/frontend/icons/``; the PNGs are committed, so serving needs nothing).

The mark: two white arrows chasing each other round a circle — things going round again —
on Rebond's green. The "any" icons are a rounded square; the maskable one fills the square
and keeps the mark inside the central 80 % circle that every launcher's mask leaves visible.
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw

GREEN = (27, 110, 60, 255)       # --green of rebond.css
WHITE = (255, 255, 255, 255)
OVERSAMPLE = 4                   # drawn 4× larger, then reduced: smooth edges without a font or SVG renderer

ICONS = {
    # file name: (size in px, maskable)
    "icon-192.png": (192, False),
    "icon-512.png": (512, False),
    "maskable-512.png": (512, True),
    "apple-touch-icon.png": (180, True),  # iOS rounds the corners itself and wants no transparency
}
FOLDER = Path(__file__).resolve().parent / "static" / "frontend" / "icons"


def draw_icon(size: int, *, maskable: bool) -> Image.Image:
    """The icon at ``size`` × ``size`` px (RGBA)."""
    big = size * OVERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=GREEN)
        radius = big * 0.24          # well inside the 40 % safe circle, arrowheads included
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22, fill=GREEN)
        radius = big * 0.30
    centre = big / 2
    width = big * (0.085 if maskable else 0.1)
    for start in (20, 200):          # two arcs of 140°, each ending in an arrowhead
        end = start + 140
        box = (centre - radius, centre - radius, centre + radius, centre + radius)
        draw.arc(box, start=start, end=end, fill=WHITE, width=round(width))
        _arrowhead(draw, centre, radius - width / 2, end, width)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _arrowhead(draw: ImageDraw.ImageDraw, centre: float, radius: float, angle_deg: float, width: float) -> None:
    """A triangle at the arc's end, pointing along the circle (clockwise, as PIL draws arcs)."""
    angle = math.radians(angle_deg)
    tip_angle = angle + math.radians(22)
    base_x, base_y = centre + radius * math.cos(angle), centre + radius * math.sin(angle)
    outward = (math.cos(angle), math.sin(angle))
    half = width * 1.25
    tip = (centre + radius * math.cos(tip_angle), centre + radius * math.sin(tip_angle))
    draw.polygon(
        [
            (base_x + outward[0] * half, base_y + outward[1] * half),
            (base_x - outward[0] * half, base_y - outward[1] * half),
            tip,
        ],
        fill=WHITE,
    )


def write_icons(folder: Path = FOLDER) -> list[Path]:
    """Draw every icon of ``ICONS`` into ``folder``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (size, maskable) in ICONS.items():
        image = draw_icon(size, maskable=maskable)
        if maskable:
            image = image.convert("RGB")
        path = folder / name
        image.save(path, format="PNG", optimize=True)
        written.append(path)
    return written
