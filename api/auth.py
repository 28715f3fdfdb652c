"""``POST /api/v1/auth/token/``: a token for a username and password, with lock-out."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from api import parsers as api_parsers
from api.schema import ErrorSerializer
from inventory import lockout


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token.

    After 10 failed attempts for one username within 15 minutes, further attempts answer 429
    with ``Retry-After`` (seconds) until the window has passed, even with the right password.
    """

    authentication_classes = []  # no session: the endpoint must not need a CSRF token
    throttle_classes = [AnonRateThrottle]  # per address, on top of the lock-out of failures
    parser_classes = (api_parsers.JSONParser, api_parsers.FormParser, api_parsers.MultiPartParser)

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            429: OpenApiResponse(ErrorSerializer, description="Locked out; see Retry-After."),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        username = username if isinstance(username, str) else ""
        address = request.META.get("REMOTE_ADDR")
        wait = lockout.retry_after(username, address)
        if wait is not None:
            return Response(
                {"detail": lockout.locked_message(wait)},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(wait)},
            )
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if username:
                lockout.record_failure(username, address)
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        lockout.record_success(username)
        return super().post(request, *args, **kwargs)
