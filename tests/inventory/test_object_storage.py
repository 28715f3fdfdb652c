"""Photos on an S3-compatible bucket (issue #18, item 6): moto's S3 server runs on loopback
for the session, each test gets its own bucket, and the storage is built by the settings'
own ``s3_storage`` from the REBOND_S3_* variables, as in production."""

import os
import uuid

import boto3
import pytest
import requests
from django.core.files.storage import default_storage
from django.test import Client
from moto.server import ThreadedMotoServer
from rest_framework.test import APIClient

from config.settings import s3_storage
from config.storage import PrivateS3Storage
from inventory.models import Photo
from tests.factories import image_bytes

PREFIX = "media"


@pytest.fixture(scope="session")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch):
    """A fresh private bucket, made the default storage through the settings' variables."""
    name = f"rebond-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("REBOND_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("REBOND_S3_REGION", "fr-par")
    monkeypatch.setenv("REBOND_S3_ACCESS_KEY_ID", "rebond-test")
    monkeypatch.setenv("REBOND_S3_SECRET_ACCESS_KEY", "rebond-test-secret")
    monkeypatch.setenv("REBOND_S3_PREFIX", PREFIX)
    monkeypatch.setenv("REBOND_S3_ADDRESSING_STYLE", "path")
    client = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="fr-par",
        aws_access_key_id="rebond-test", aws_secret_access_key="rebond-test-secret",
    )
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(name)}
    yield client, name


def _keys(client, name) -> set[str]:
    return {obj["Key"] for obj in client.list_objects_v2(Bucket=name).get("Contents", [])}


def _files(root) -> list[str]:
    return [f for _d, _dirs, files in os.walk(root) for f in files]


def _post_photo(client, item, data, name="photo.jpg", content_type="image/jpeg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(f"/api/v1/items/{item.pk}/photos/",
                       {"image": SimpleUploadedFile(name, data, content_type=content_type)}, format="multipart")


def test_a_photo_is_uploaded_served_and_deleted_through_the_bucket(
    bucket, staff, item, _media_root, django_capture_on_commit_callbacks
):
    s3, name = bucket
    api = APIClient()
    api.force_authenticate(staff)

    response = _post_photo(api, item, image_bytes())

    assert response.status_code == 201, response.content
    assert isinstance(default_storage._wrapped, PrivateS3Storage)
    photo = Photo.objects.get()
    # The pipeline wrote the picture and its thumbnail to the bucket, and nothing to disk.
    assert _keys(s3, name) == {f"{PREFIX}/{photo.image.name}", f"{PREFIX}/{photo.thumbnail.name}"}
    assert _files(_media_root) == []
    stored = s3.get_object(Bucket=name, Key=f"{PREFIX}/{photo.image.name}")["Body"].read()
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
    assert b"".join(thumbnail.streaming_content)[:4] == b"RIFF"

    # Same rule as on disk: anonymous visitors are sent to sign in, and the bucket itself
    # refuses a request without its keys.
    assert Client().get(photo.image.url).status_code == 302
    endpoint = os.environ["REBOND_S3_ENDPOINT_URL"]
    assert requests.get(f"{endpoint}/{name}/{PREFIX}/{photo.image.name}", timeout=5).status_code == 403
    assert browser.get("/media/photos/00/missing.jpg").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        deleted = api.delete(f"/api/v1/items/{item.pk}/photos/{photo.pk}/")

    assert deleted.status_code == 204
    assert _keys(s3, name) == set()
    assert browser.get(photo.image.url).status_code == 404


def test_a_refused_upload_leaves_nothing_in_the_bucket(bucket, staff, item):
    s3, name = bucket
    api = APIClient()
    api.force_authenticate(staff)

    response = _post_photo(api, item, b"<html>not a picture</html>", name="evil.jpg")

    assert response.status_code == 400
    assert not Photo.objects.exists() and _keys(s3, name) == set()


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
