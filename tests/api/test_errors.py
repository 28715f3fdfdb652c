"""How errors reach a client: status codes, shapes, languages — and never a 500."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from inventory.models import Category
from tests.api.failing_urls import Failure
from tests.factories import ItemFactory, image_bytes


def _item_body(**extra):
    return {"title": "Chaise", "category": Category.objects.get(key="office-chair").pk, "condition": "good", **extra}


def test_workflow_error_is_409_with_code(api, staff, item):
    response = api(staff).post(f"/api/v1/items/{item.pk}/publish/")

    assert response.status_code == 409
    assert response.json()["code"] == "no_photo"
    assert response.json()["detail"]


def test_validation_messages_are_french_by_default(api, staff):
    response = api(staff).post("/api/v1/items/", {"condition": "good"}, format="json")

    assert response.status_code == 400
    assert response.json()["title"] == ["Ce champ est obligatoire."]


def test_validation_messages_in_english_on_request(api, staff):
    response = api(staff).post("/api/v1/items/", {"condition": "good"}, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json()["title"] == ["This field is required."]


def test_model_validation_from_the_service_is_400_by_field(api, staff):
    body = _item_body(available_from="2026-12-10", available_until="2026-12-01")

    response = api(staff).post("/api/v1/items/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "available_until" in response.json()


def test_permission_denied_is_403_with_the_services_message(api, volunteer, item):
    item.status = "available"
    item.save()

    response = api(volunteer).patch(f"/api/v1/items/{item.pk}/", {"title": "x"}, format="json",
                                    HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert "staff" in response.json()["detail"]


def test_anonymous_is_401(api, db):
    response = api().get("/api/v1/items/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("{not json", "application/json"),
        ('{"title": "\ud800"}', "application/json"),
        ("[]", "application/json"),
        ('"just a string"', "application/json"),
        ("\x00\xff", "application/json"),
    ],
)
def test_unreadable_bodies_are_400(api, staff, body, content_type):
    response = api(staff).generic("POST", "/api/v1/items/", body.encode("utf-8", "surrogatepass"),
                                  content_type=content_type)

    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    ["page=abc", "page=999", "page_size=-3", "category=x", "status=nope", "available_after=yesterday",
     "ordering=secret", "owner=99999999999999999999", "commune=%00"],
)
def test_odd_list_queries_never_fail(api, staff, query):
    response = api(staff).get(f"/api/v1/items/?{query}")

    assert response.status_code in (200, 400, 404)


def test_photo_too_large_is_413(api, staff, item, settings):
    settings.PHOTO_MAX_BYTES = 1000
    photo = SimpleUploadedFile("big.jpg", image_bytes(size=(400, 400)), content_type="image/jpeg")

    response = api(staff).post(f"/api/v1/items/{item.pk}/photos/", {"image": photo}, format="multipart")

    assert response.status_code == 413
    assert response.json()["image"]
    assert not item.photos.exists()


def test_photo_that_is_not_an_image_is_400(api, staff, item):
    fake = SimpleUploadedFile("doc.jpg", b"%PDF-1.4 not a picture", content_type="image/jpeg")

    response = api(staff).post(f"/api/v1/items/{item.pk}/photos/", {"image": fake}, format="multipart")

    assert response.status_code == 400
    assert response.json()["image"]


def test_request_body_too_large_is_413(api, staff, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048

    response = api(staff).post("/api/v1/items/", _item_body(description="x" * 5000), format="json")

    assert response.status_code == 413


def test_multipart_body_too_large_is_413_before_reading(api, staff, item, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    photo = SimpleUploadedFile("big.jpg", image_bytes(size=(400, 400)), content_type="image/jpeg")

    response = api(staff).post(f"/api/v1/items/{item.pk}/photos/", {"image": photo}, format="multipart")

    assert response.status_code == 413
    assert not item.photos.exists()


def test_other_organisations_drafts_are_404(api, volunteer, giver):
    draft = ItemFactory(owner=giver)

    assert api(volunteer).get(f"/api/v1/items/{draft.pk}/").status_code == 404
    assert api(volunteer).post(f"/api/v1/items/{draft.pk}/publish/").status_code == 404


def test_throttled_user_gets_429_with_retry_after(api, staff, monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "3/minute")
    client = api(staff)
    statuses = [client.get("/api/v1/me/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert int(client.get("/api/v1/me/")["Retry-After"]) > 0


HUGE = "99999999999999999999999"  # beyond any database integer


@pytest.mark.parametrize(
    "path",
    [f"/api/v1/items/{HUGE}/", f"/api/v1/items/?owner={HUGE}", f"/api/v1/items/?category={HUGE}",
     f"/api/v1/reservations/{HUGE}/", f"/api/v1/items/?page={HUGE}", f"/api/v1/items/?page_size={HUGE}"],
)
def test_huge_ids_are_not_found_or_invalid(api, staff, path):
    assert api(staff).get(path).status_code in (200, 400, 404)


def test_huge_numbers_in_a_body_are_400(api, staff):
    body = _item_body(quantity=int(HUGE), floor=int(HUGE), unit_weight_kg="1e30")

    response = api(staff).post("/api/v1/items/", body, format="json")

    assert response.status_code == 400
    assert {"quantity", "floor", "unit_weight_kg"} <= set(response.json())


class FailingMiddleware:
    """Fails before any view runs, for paths that ask for it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.endswith("/fail-in-middleware/"):
            raise Failure("a middleware failed")
        return self.get_response(request)


def _failure_logged(caplog, message):
    return [r for r in caplog.records if r.levelname == "ERROR" and r.exc_info and str(r.exc_info[1]) == message]


@pytest.mark.urls("tests.api.failing_urls")
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize(("path", "message"), [("/api/v1/test-failures/django/", "a plain Django view failed"),
                                               ("/api/v1/test-failures/drf/", "a DRF view failed")])
def test_an_uncaught_exception_under_the_api_is_a_json_500_and_is_logged(
    api, staff, settings, caplog, debug, path, message
):
    settings.DEBUG = debug

    response = api(staff).get(path)
    english = api(staff).get(path, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("L’erreur a été enregistrée.")
    assert english.json() == {"detail": "The error has been recorded. Please try again in a moment; "
                                        "nothing you saved is lost."}
    assert message not in response.content.decode()  # nothing of the failure reaches the client
    assert len(_failure_logged(caplog, message)) == 2  # each with its traceback, once


@pytest.mark.urls("tests.api.failing_urls")
def test_a_failure_outside_a_view_is_a_json_500_too(db, settings, caplog, client):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.api.test_errors.FailingMiddleware"]
    client.raise_request_exception = False

    response = client.get("/api/v1/fail-in-middleware/")

    assert response.status_code == 500 and response.json()["detail"]
    assert _failure_logged(caplog, "a middleware failed")


@pytest.mark.urls("tests.api.failing_urls")
def test_pages_keep_the_html_error_page(db, client):
    client.raise_request_exception = False

    response = client.get("/test-failures/page/")

    assert response.status_code == 500 and response["Content-Type"].startswith("text/html")
