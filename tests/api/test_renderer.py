"""``api.renderers.ORJSONRenderer`` writes what DRF's ``JSONRenderer`` writes."""

import datetime
import decimal
import json
import uuid
import zoneinfo

import pytest
from django.utils.translation import gettext_lazy, override
from rest_framework.renderers import JSONRenderer

from api.renderers import ORJSONRenderer
from inventory.models import Item

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
PAYLOAD = {
    "count": 3,
    "results": [
        {
            "id": 1, "title": "Fauteuil « club » — état neuf", "status": Item.Status.AVAILABLE,
            "created_at": datetime.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=PARIS),
            "utc": datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC),
            "naive": datetime.datetime(2026, 1, 1, 12, 0, 0, 999),
            "date": datetime.date(2028, 2, 29), "time": datetime.time(8, 30, 0, 500),
            "duration": datetime.timedelta(days=2, seconds=5),
            "kg": decimal.Decimal("12.50"), "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "label": gettext_lazy("Available"), "none": None, "flag": True, "ratio": 0.25,
            "nested": {7: "clé entière", "tags": ("a", "b"), "set": []},
            "separators": "ligne\u2028paragraphe\u2029fin",
        }
    ],
}


@pytest.mark.parametrize("data", [PAYLOAD, [], {}, "texte", 12, None])
def test_same_bytes_as_drf(data):
    with override("fr"):
        assert ORJSONRenderer().render(data) == JSONRenderer().render(data)


def test_indented_output_is_drfs():
    media = "application/json; indent=2"
    assert ORJSONRenderer().render(PAYLOAD, media) == JSONRenderer().render(PAYLOAD, media)
    assert b'\n  "count": 3' in ORJSONRenderer().render(PAYLOAD, media)


def test_what_orjson_refuses_is_written_by_drf():
    huge = {"n": 2**70}
    assert json.loads(ORJSONRenderer().render(huge)) == huge


@pytest.mark.django_db
def test_the_api_answers_with_it(client):
    from rest_framework.settings import api_settings

    from tests.factories import AssociationFactory, member

    assert api_settings.DEFAULT_RENDERER_CLASSES[0] is ORJSONRenderer
    client.force_login(member(AssociationFactory(), "volunteer"))
    response = client.get("/api/v1/categories/")
    assert response.status_code == 200 and response.content == JSONRenderer().render(response.data)
