from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import second_factor, sessions
from portal.errors import error_response
from portal.fields import TextField
from portal.throttling import ScopedAddressRateThrottle


class UserOutput(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    phone = serializers.CharField()
    citizen_id = serializers.CharField(allow_null=True)
    language = serializers.CharField()
    agency = serializers.CharField(source="agency.code", allow_null=True, default=None)
    roles = serializers.ListField(child=serializers.CharField(), source="sorted_roles")


class MeApi(APIView):
    """The authenticated user's own account."""

    @extend_schema(responses=UserOutput)
    def get(self, request):
        user = request.user
        user.sorted_roles = sorted(user.role_names)
        return Response(UserOutput(user).data)


class TokenInput(serializers.Serializer):
    email = serializers.EmailField()
    password = TextField(style={"input_type": "password"}, trim_whitespace=False)
    otp = TextField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text="Staff accounts: the current code of their authenticator app, or a recovery code",
    )


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField(help_text="After this the token is refused")


class TokenInfoOutput(serializers.Serializer):
    created = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class TokenApi(APIView):
    """Exchange an email and password for an API token (send it as `Authorization: Token …`)."""

    throttle_classes = [ScopedAddressRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=TokenInput, responses={200: TokenOutput})
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        # The Django request, so that django-axes counts the attempt per account and address
        # (portal.security) and answers a locked one with 429.
        user = authenticate(
            request._request,
            username=data.validated_data["email"],
            password=data.validated_data["password"],
        )
        if user is None:
            return error_response(
                {"detail": _("Wrong email or password.")}, status.HTTP_400_BAD_REQUEST
            )
        # Staff: a current second-factor code too (portal.second_factor).
        refusal = second_factor.token_refusal(user=user, code=data.validated_data.get("otp", ""))
        if refusal is not None:
            return error_response({"otp": [refusal]}, status.HTTP_400_BAD_REQUEST)
        token, _created = Token.objects.get_or_create(user=user)
        if sessions.token_expires_at(token) <= timezone.now():  # an expired one: a new one
            token.delete()
            token = Token.objects.create(user=user)
        return Response({"token": token.key, "expires_at": sessions.token_expires_at(token)})

    def _with_token(self) -> bool:
        # Asking for a token needs no credentials; reading or revoking one's own, the token.
        # (No request: the schema generator, which documents each method on its own.)
        method = getattr(self.request, "method", None)
        return method in ("GET", "DELETE")

    def get_authenticators(self):
        return [sessions.ExpiringTokenAuthentication()] if self._with_token() else []

    def get_permissions(self):
        if self._with_token():
            return [permissions.IsAuthenticated()]
        return [permissions.AllowAny()]

    @extend_schema(responses={200: TokenInfoOutput})
    def get(self, request):
        """The token this request carries: when it was issued and when it expires."""
        token = request.auth
        return Response({"created": token.created, "expires_at": sessions.token_expires_at(token)})

    @extend_schema(responses={204: None})
    def delete(self, request):
        """Revoke the token this request carries (signing out of the API)."""
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
