"""Every main page: renders for its role in French and in English, with no inline script or
event handler (a Content-Security-Policy will forbid them) and only our own static files."""

import re

import pytest
from django.urls import reverse

PAGES = {
    "staff": ["home", "my_items", "item_create", "claims", "catalogue", "my_reservations", "needs", "notifications"],
    "volunteer": ["home", "catalogue", "my_reservations", "my_pickups", "needs", "need_create", "notifications"],
    "coordinator": ["home", "planner", "association_claims", "my_pickups"],
}


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("role", list(PAGES))
def test_main_pages_render_without_inline_scripts(request, db, client, language, role):
    client.force_login(request.getfixturevalue(role))
    for name in PAGES[role]:
        response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, name
        body = response.content.decode()
        assert f'<html lang="{language}">' in body
        # Data for the scripts comes as JSON blocks (json_script), which browsers never run.
        assert re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", body) is None, (
            f"inline script on {name}")
        assert re.search(r"\son[a-z]+=", body) is None, f"inline handler on {name}"
        assert "//cdn" not in body and "unpkg" not in body


def test_english_pages_use_the_english_source_strings(client, staff):
    client.force_login(staff)
    body = client.get(reverse("my_items"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My items" in body and "Offer an item" in body
