"""``Idempotency-Key`` on POST actions: a repeat within 24 hours returns the first answer and
changes nothing (API.md "Idempotent actions").

Phones queue actions while they have no signal and send them again when it returns; a
request whose answer was lost on the way back is sent again too. Each such request carries
a key of the client's choosing (a UUID); the first answer to it is kept, per person, in
``IdempotentRequest``:

- in the same transaction as the action, so a row exists exactly when the action was
  committed: an error the server did not handle (a 500, a crash) leaves no row, and the
  next try runs the action afresh;
- claimed *before* the action runs, so a concurrent repeat waits for the first one to finish
  and then gets its answer (PostgreSQL holds the second insert on the unique index until the
  first transaction ends; SQLite's IMMEDIATE transactions wait for the write lock);
- refused with 422 ``idempotency_key_reused`` when the same key comes with another method,
  path or body: that is a client bug, not a repeat.

Answers of 4xx are kept too: a wrong handover code sent twice with one key counts one wrong
try, not two. A viewset opts in with ``IdempotentMixin``; the schema then documents the
header on its POST operations.
"""

import hashlib
import json
import re
from datetime import timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .models import IdempotentRequest

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_TTL = timedelta(hours=24)
KEY_MAX_LENGTH = IdempotentRequest._meta.get_field("key").max_length
# Visible ASCII, no spaces: UUIDs, ULIDs and the like.
KEY_PATTERN = re.compile(r"^[\x21-\x7e]+$")


class IdempotentMixin:
    """Makes every POST of a DRF view honour ``Idempotency-Key`` (see the module).

    The key is read after authentication, permissions and throttles (``initial``), and the
    handler DRF is about to call is wrapped: the action, and the exception handler's answer
    to a refusal, run inside one transaction with the key's row.
    """

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method != "POST" or HEADER not in request.headers or not hasattr(self, "post"):
            return
        key = clean_key(request.headers[HEADER])
        if not request.user.is_authenticated:
            return
        handler = self.post

        def idempotent_post(request, *args, **kwargs):
            return replay_or_run(request=request, key=key, run=lambda: self._answer(handler, request, *args, **kwargs))

        self.post = idempotent_post

    def _answer(self, handler, request, *args, **kwargs):
        try:
            return handler(request, *args, **kwargs)
        except Exception as exc:  # the API's own answer to refusals (409, 403, 400…); others re-raise
            return self.handle_exception(exc)


def clean_key(value: str) -> str:
    """The header's value, checked: 1 to 255 visible ASCII characters.

    Raises:
        ValidationError: (400) an empty, too long or non-ASCII key.
    """
    value = value.strip()
    if not value or len(value) > KEY_MAX_LENGTH or not KEY_PATTERN.match(value):
        raise exceptions.ValidationError({HEADER: [_(
            "The Idempotency-Key must be 1 to %(n)s visible ASCII characters (a UUID, for example)."
        ) % {"n": KEY_MAX_LENGTH}]})
    return value


def replay_or_run(*, request, key: str, run) -> Response:
    """The stored answer to ``key`` if there is one (24 hours), else ``run()``'s answer,
    stored in the same transaction as the action ``run`` performs."""
    fingerprint = request_fingerprint(request)
    with transaction.atomic():
        record = _claim(request=request, key=key, fingerprint=fingerprint)
        if record.status_code is not None:
            return _replay(record, fingerprint)
        response = run()
        if response.status_code >= 500:
            # Not an answer worth keeping; whatever the action wrote goes with the key.
            transaction.set_rollback(True)
            return response
        record.status_code = response.status_code
        record.response = _json(getattr(response, "data", None))
        record.save(update_fields=["status_code", "response"])
        return response


def _claim(*, request, key: str, fingerprint: str) -> IdempotentRequest:
    """The key's answered row, or a new unanswered one that this transaction holds."""
    now = timezone.now()
    existing = IdempotentRequest.objects.select_for_update().filter(user=request.user, key=key).first()
    if existing is not None:
        if existing.created_at > now - KEY_TTL:
            return existing
        existing.delete()  # expired: the key starts a new life
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(
                user=request.user, key=key, fingerprint=fingerprint, method=request.method,
                path=request.path[:500], created_at=now,
            )
    except IntegrityError:
        # Another request with this key committed while this one waited on the unique index.
        return IdempotentRequest.objects.get(user=request.user, key=key)


def _replay(record: IdempotentRequest, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        return Response(
            {"detail": _("This Idempotency-Key was already used for a different request (another address or "
                         "body). Use a new key for a new request."), "code": "idempotency_key_reused"},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    return Response(record.response, status=record.status_code, headers={REPLAYED_HEADER: "true"})


def request_fingerprint(request) -> str:
    """SHA-256 of the method, the path and the parsed body (so the same JSON spelt with other
    spaces or key order is the same request; files count by name and size)."""
    canonical = json.dumps(
        [request.method, request.path, _canonical(request.data)], sort_keys=True, default=str, ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical(value):
    if isinstance(value, MultiValueDict):
        return {str(k): [_canonical(v) for v in value.getlist(k)] for k in value}
    if isinstance(value, UploadedFile):
        return {"file": value.name, "size": value.size}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _json(data):
    """The response's data as plain JSON values (what a replay sends back)."""
    return json.loads(json.dumps(data, cls=JSONEncoder)) if data is not None else None


def purge_expired(*, now=None) -> int:
    """Delete the answers older than ``KEY_TTL``; returns how many."""
    cutoff = (now or timezone.now()) - KEY_TTL
    deleted, _per_model = IdempotentRequest.objects.filter(created_at__lte=cutoff).delete()
    return deleted
