"""The SVG maps of exchange/maps.py: projection, simplification, colour classes, the drawing."""

import re
import xml.etree.ElementTree as ET

from exchange import maps


def test_the_projection_fits_the_width_and_keeps_north_up():
    projection = maps.Projection((2.0, 48.0, 3.0, 49.0), width=200, margin=0)
    assert projection(2.0, 49.0) == (0.0, 0.0)
    x, y = projection(3.0, 48.0)
    assert abs(x - 200) < 1e-9 and y > 0
    # a degree of longitude at 48.5° is cos(48.5°) of a degree of latitude
    assert abs(projection.height / 200 - 1 / 0.6626) < 0.01


def test_simplify_drops_points_on_a_line_and_keeps_corners():
    square = [(0, 0), (5, 0.01), (10, 0), (10, 10), (0, 10), (0, 0)]
    assert maps.simplify(square, 0.5) == [(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]
    assert maps.simplify(square, 0) == square


def test_the_shapes_are_simplified_but_every_commune_is_drawn():
    _projection, shapes = maps.shapes(480)
    raw = sum(len(commune.ring) for commune in maps.outlines())
    drawn = sum(shape.path.count("L") + 1 for shape in shapes)
    assert len(shapes) == 47 and drawn < raw
    assert all(shape.path.startswith("M") and shape.path.endswith("Z") for shape in shapes)


def test_classes_are_round_and_cover_the_largest_value():
    scale = maps.classes([0, 3, 1234.5])
    assert [(c.low, c.high) for c in scale] == [(0, 400), (400, 800), (800, 1200), (1200, 1600), (1600, 2000)]
    assert [(c.low, c.high) for c in maps.classes([2, 1])] == [(0, 1), (1, 2)]
    assert maps.classes([0, 0]) == []
    assert maps.colour_of(0, scale) == maps.NONE_COLOUR
    assert maps.colour_of(1234.5, scale) == maps.PALETTE[3]
    assert maps.colour_of(2000, scale) == maps.PALETTE[-1]


def test_the_svg_is_well_formed_with_a_link_per_commune_markers_and_lines():
    svg = maps.svg_map(
        values={"94028": 10}, describe=lambda code, name, value: f"{name} <{value}>", title="Carte & légende",
        legend_title="kg", number=str, link=lambda code: f"#row-{code}",
        markers=[maps.Marker(48.79, 2.455, "Dépôt")], lines=[[(48.79, 2.455), (48.81, 2.36)]],
    )
    root = ET.fromstring(str(svg))  # escaped: the "<" and "&" above did not break it
    ns = {"svg": "http://www.w3.org/2000/svg"}
    links = root.findall("svg:a", ns)
    assert len(links) == 47
    creteil = next(link for link in links if link.get("data-code") == "94028")
    assert creteil.get("href") == "#row-94028" and creteil.get("aria-label") == "Créteil <10>"
    assert creteil.find("svg:path", ns).get("fill") == maps.PALETTE[-1]
    assert len(root.findall("svg:circle", ns)) == 1 and len(root.findall("svg:polyline", ns)) == 1
    assert "Licence Ouverte" in "".join(root.itertext())


def test_the_plain_svg_has_no_links_for_the_pdf():
    svg = str(maps.svg_map(values={}, describe=lambda *args: "x", title="t", legend_title="kg", number=str,
                           interactive=False))
    assert "<a " not in svg and 'role="img"' in svg and len(re.findall("<path ", svg)) == 47
    assert maps.data_url(svg).startswith("data:image/svg+xml;base64,")
