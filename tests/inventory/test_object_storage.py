"""Photos on an S3-compatible bucket (issue #18, item 6), against moto's S3 server
(``s3_bucket`` in tests/s3.py)."""

import os

import requests
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from config.settings import s3_storage
from config.storage import PrivateS3Storage
from inventory.models import Photo
from tests.factories import image_bytes


def _files(root) -> list[str]:
    return [f for _d, _dirs, files in os.walk(root) for f in files]


def _post_photo(client, item, data, name="photo.jpg", content_type="image/jpeg"):
    return client.post(f"/api/v1/items/{item.pk}/photos/",
                       {"image": SimpleUploadedFile(name, data, content_type=content_type)}, format="multipart")


def test_a_photo_is_uploaded_served_and_deleted_through_the_bucket(
    s3_bucket, staff, item, _media_root, django_capture_on_commit_callbacks
):
    api = APIClient()
    api.force_authenticate(staff)

    response = _post_photo(api, item, image_bytes())

    assert response.status_code == 201, response.content
    assert isinstance(default_storage._wrapped, PrivateS3Storage)
    photo = Photo.objects.get()
    # The pipeline wrote the picture and its thumbnail to the bucket, and nothing to disk.
    assert s3_bucket.keys() == {f"media/{photo.image.name}", f"media/{photo.thumbnail.name}"}
    assert _files(_media_root) == []
    stored = s3_bucket.read(photo.image.name)
    assert stored[:2] == b"\xff\xd8"
    # The addresses handed out are the app's, never the bucket's.
    for url in (response.json()["image"], response.json()["thumbnail"]):
        assert url.startswith("http://testserver/media/photos/"), url

    browser = Client()
    browser.force_login(staff)
    served = browser.get(photo.image.url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg" and served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == stored
    thumbnail = browser.get(photo.thumbnail.url)
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/webp"
    assert b"".join(thumbnail.streaming_content) == s3_bucket.read(photo.thumbnail.name)

    # Same rule as on disk: anonymous visitors are sent to sign in, and the bucket itself
    # refuses a request without its keys.
    assert Client().get(photo.image.url).status_code == 302
    assert requests.get(s3_bucket.anonymous_url(photo.image.name), timeout=5).status_code == 403
    assert browser.get("/media/photos/00/missing.jpg").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        deleted = api.delete(f"/api/v1/items/{item.pk}/photos/{photo.pk}/")

    assert deleted.status_code == 204
    assert s3_bucket.keys() == set()
    assert browser.get(photo.image.url).status_code == 404


def test_a_refused_upload_leaves_nothing_in_the_bucket(s3_bucket, staff, item):
    api = APIClient()
    api.force_authenticate(staff)

    response = _post_photo(api, item, b"<html>not a picture</html>", name="evil.jpg")

    assert response.status_code == 400
    assert not Photo.objects.exists() and s3_bucket.keys() == set()


def test_the_bucket_is_chosen_by_environment_variables_with_secrets_in_files(tmp_path, monkeypatch):
    secret = tmp_path / "s3_secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("REBOND_S3_ENDPOINT_URL", "https://s3.fr-par.scw.cloud")
    monkeypatch.setenv("REBOND_S3_REGION", "fr-par")
    monkeypatch.setenv("REBOND_S3_ACCESS_KEY_ID", "key-id")
    monkeypatch.setenv("REBOND_S3_SECRET_ACCESS_KEY_FILE", str(secret))
    for unset in ("REBOND_S3_SECRET_ACCESS_KEY", "REBOND_S3_PREFIX", "REBOND_S3_ADDRESSING_STYLE"):
        monkeypatch.delenv(unset, raising=False)

    entry = s3_storage("rebond-photos")

    assert entry["BACKEND"] == "config.storage.PrivateS3Storage"
    options = entry["OPTIONS"]
    assert options["bucket_name"] == "rebond-photos" and options["endpoint_url"] == "https://s3.fr-par.scw.cloud"
    assert (options["access_key"], options["secret_key"]) == ("key-id", "from-a-file")
    # Private objects, never an unsigned bucket URL, no silent overwrite.
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["file_overwrite"] is False
    assert PrivateS3Storage(**options).url("photos/ab/abc.jpg") == "/media/photos/ab/abc.jpg"


def test_production_refuses_a_bucket_over_plain_http(settings, monkeypatch):
    from accounts.checks import production_bucket_over_https

    monkeypatch.setenv("REBOND_S3_ENDPOINT_URL", "http://s3.fr-par.scw.cloud")
    settings.PRODUCTION = True
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage("rebond-photos")}

    assert [error.id for error in production_bucket_over_https()] == ["rebond.E020"]
    monkeypatch.setenv("REBOND_S3_ENDPOINT_URL", "https://s3.fr-par.scw.cloud")
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage("rebond-photos")}
    assert production_bucket_over_https() == []
    settings.PRODUCTION = False
    monkeypatch.setenv("REBOND_S3_ENDPOINT_URL", "http://127.0.0.1:9000")  # MinIO on a developer's machine
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage("rebond-photos")}
    assert production_bucket_over_https() == []
