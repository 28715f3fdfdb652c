"""``POST /api/v1/auth/token/`` (a token for a username and password, with the sign-in
lock-out) and ``POST /api/v1/auth/logout/`` (revokes the token presented)."""

from django.contrib.auth import authenticate, user_logged_in, user_logged_out
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts.models import ApiToken
from accounts.tokens import TokenAuthentication, token_issue
from api import parsers as api_parsers
from api.schema import VALIDATION_ERROR, ErrorSerializer
from inventory import lockout


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})

    def validate(self, attrs):
        user = authenticate(self.context["request"], username=attrs["username"], password=attrs["password"])
        if user is None:
            raise serializers.ValidationError(_("Unable to log in with provided credentials."), code="authorization")
        attrs["user"] = user
        return attrs


TokenSerializer = inline_serializer("Token", {"token": serializers.CharField(), "expiry": serializers.DateTimeField()})


class TokenView(APIView):
    """Exchange a username and password for an API token (``{"token", "expiry"}``).

    The token is stored hashed, expires a week after its last use (at most 90 days after it
    was issued) and ends when the password changes. After 10 failed attempts for one username
    from one address (15 from anywhere) within 15 minutes, further attempts answer 429 with
    ``Retry-After`` (seconds), even with the right password.
    """

    authentication_classes = []  # no session: the endpoint must not need a CSRF token
    permission_classes = []
    throttle_classes = [AnonRateThrottle]  # per address, on top of the lock-out of failures
    parser_classes = (api_parsers.JSONParser, api_parsers.FormParser, api_parsers.MultiPartParser)
    serializer_class = CredentialsSerializer

    @extend_schema(
        request=CredentialsSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(VALIDATION_ERROR, description="Wrong or missing credentials."),
            429: OpenApiResponse(ErrorSerializer, description="Locked out; see Retry-After."),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        attempt = lockout.Attempt.of(request, username)
        wait = lockout.begin(attempt)
        if wait is not None:
            return Response(
                {"detail": lockout.locked_message(wait)},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(wait)},
            )
        serializer = CredentialsSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        user = serializer.validated_data["user"]
        token, key = token_issue(user=user)
        user_logged_in.send(sender=user.__class__, request=request, user=user)  # last_login
        response = Response({"token": key, "expiry": serializers.DateTimeField().to_representation(token.expiry)})
        lockout.record_success(attempt, response)
        return response


class LogoutView(APIView):
    """Revoke the token this request presents (``Authorization: Token <key>``); 204."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, 401: OpenApiResponse(ErrorSerializer)})
    def post(self, request, *args, **kwargs):
        if not isinstance(request.auth, ApiToken):
            raise exceptions.NotAuthenticated()
        request.auth.delete()
        user_logged_out.send(sender=request.user.__class__, request=request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
