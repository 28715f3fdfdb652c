"""Printable QR labels (A4 sheets) for items: each code holds the absolute address
``…/s/<code>`` that opens the item for a signed-in member (``frontend.views.sharing``).

The codes are drawn by segno and placed in the PDF by the engine the transfer records use
(``exchange.transfers.render_pdf``, WeasyPrint).
"""

import segno
from django.conf import settings
from django.urls import reverse

from exchange.transfers import render_pdf
from inventory.models import Item

from .services import label_for

# Labels on one A4 sheet: 3 across, 5 down (about 6 × 5 cm each).
COLUMNS = 3
ROWS = 5
MAX_LABELS = 120


def label_url(code: str, request=None) -> str:
    """The absolute address a label holds: from ``DJANGO_SITE_URL`` when set (the address
    people reach the site at, behind the proxy), else from the request."""
    path = reverse("label_open", args=[code])
    site = getattr(settings, "REBOND_SITE_URL", "")
    if site:
        return site.rstrip("/") + path
    if request is None:
        raise ValueError("no DJANGO_SITE_URL and no request to build the label's address from")
    return request.build_absolute_uri(path)


def qr_data_uri(url: str) -> str:
    # Error correction Q: a label survives a scratch or a bit of tape (segno may raise it further).
    return segno.make(url, error="q", micro=False).png_data_uri(scale=8, border=2)


def labels_pdf(items: list[Item], *, request=None) -> bytes:
    """An A4 PDF with one label per item, in the order given."""
    labels = []
    for item in items:
        label = label_for(item)
        url = label_url(label.code, request)
        labels.append({"item": item, "code": label.code, "url": url, "qr": qr_data_uri(url)})
    rows = [labels[i:i + COLUMNS] for i in range(0, len(labels), COLUMNS)]
    for row in rows:
        row.extend([None] * (COLUMNS - len(row)))
    pages = [rows[i:i + ROWS] for i in range(0, len(rows), ROWS)]
    return render_pdf({"pages": pages}, template="pooling/labels.html")
