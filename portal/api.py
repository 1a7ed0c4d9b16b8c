from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from portal import second_factor
from portal.errors import error_response
from portal.fields import TextField


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


class TokenApi(APIView):
    """Exchange an email and password for an API token (send it as `Authorization: Token …`)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=TokenInput, responses={200: TokenOutput})
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request, username=data.validated_data["email"], password=data.validated_data["password"]
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
        return Response({"token": token.key})
