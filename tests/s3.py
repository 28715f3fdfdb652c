"""An S3-compatible bucket for tests: moto's S3 server on a loopback port for the session,
and ``s3_bucket``, a fresh private bucket per test made the default storage by the settings'
own ``s3_storage`` from the REBOND_S3_* variables (as in production). moto is imported only
when a test asks for a bucket."""

import uuid

import pytest

S3_PREFIX = "media"


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def s3_client(s3_endpoint):
    """A client holding the bucket's keys (made once: building a boto3 client takes 0.2 s)."""
    import boto3

    return boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="fr-par",
        aws_access_key_id="rebond-test", aws_secret_access_key="rebond-test-secret",
    )


class Bucket:
    def __init__(self, client, name: str, endpoint: str):
        self.client, self.name, self.endpoint = client, name, endpoint

    def keys(self) -> set[str]:
        return {obj["Key"] for obj in self.client.list_objects_v2(Bucket=self.name).get("Contents", [])}

    def read(self, name: str) -> bytes:
        """The stored object of the storage name ``name``."""
        return self.client.get_object(Bucket=self.name, Key=f"{S3_PREFIX}/{name}")["Body"].read()

    def anonymous_url(self, name: str) -> str:
        return f"{self.endpoint}/{self.name}/{S3_PREFIX}/{name}"


@pytest.fixture
def s3_bucket(s3_endpoint, s3_client, settings, monkeypatch):
    from config.settings import s3_storage

    name = f"rebond-{uuid.uuid4().hex[:12]}"
    for variable, value in {
        "REBOND_S3_ENDPOINT_URL": s3_endpoint, "REBOND_S3_REGION": "fr-par",
        "REBOND_S3_ACCESS_KEY_ID": "rebond-test", "REBOND_S3_SECRET_ACCESS_KEY": "rebond-test-secret",
        "REBOND_S3_PREFIX": S3_PREFIX, "REBOND_S3_ADDRESSING_STYLE": "path",
    }.items():
        monkeypatch.setenv(variable, value)
    s3_client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "fr-par"})
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(name)}
    return Bucket(s3_client, name, s3_endpoint)
