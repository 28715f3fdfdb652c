"""Exchange fixtures: an offered lot (``workflow``, in tests/fixtures.py, walks claims on it)."""

import pytest
from django.utils import translation

from tests.factories import AvailableItemFactory


@pytest.fixture
def offered(giver):
    """Three office chairs in the catalogue, owned by ``giver``."""
    return AvailableItemFactory(owner=giver, quantity=3)


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read history reasons and messages in the source language (English);
    the French catalogue is checked by tests/test_translations.py and the page tests."""
    with translation.override("en"):
        yield
