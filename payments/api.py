"""The payment API: start a payment for one of my dossiers, follow it, and the gateway's IPN."""

from django.urls import reverse
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from payments import services
from payments.models import Payment
from portal import ratelimit
from submissions import selectors


class PaymentOutput(serializers.Serializer):
    order_ref = serializers.CharField()
    dossier = serializers.CharField(source="dossier.code")
    amount = serializers.IntegerField(help_text="VND")
    currency = serializers.CharField()
    purpose = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)


class PaymentStartOutput(PaymentOutput):
    payment_url = serializers.URLField(help_text="Send the payer's browser here")


class PaymentStartApi(APIView):
    # "Not mine" is 404, as for every dossier endpoint; nothing to pay is 400 (portal.errors).
    forbidden_as_not_found = True

    @extend_schema(
        request=None,
        responses={201: PaymentStartOutput},
        description="Start a payment of the fee now due on one of my dossiers (a new attempt "
        "each time). 400 when there is nothing to pay; 404 for a dossier not mine.",
    )
    def post(self, request, public_id):
        dossier = selectors.dossier_get_for(user=request.user, public_id=public_id)
        if dossier is None:
            raise exceptions.NotFound
        payment, url = services.payment_start(
            dossier=dossier,
            actor=request.user,
            return_url=request.build_absolute_uri(reverse("payments:return")),
            client_ip=ratelimit.client_ip(request),
            locale=get_language() or "vi",
        )
        payment.payment_url = url
        return Response(PaymentStartOutput(payment).data, status=status.HTTP_201_CREATED)


class PaymentDetailApi(APIView):
    @extend_schema(responses={200: PaymentOutput}, description="A payment of one of my dossiers.")
    def get(self, request, order_ref):
        payment = (
            Payment.objects.select_related("dossier")
            .filter(order_ref=order_ref, dossier__applicant=request.user)
            .first()
        )
        if payment is None:
            raise exceptions.NotFound
        return Response(PaymentOutput(payment).data)


class IpnOutput(serializers.Serializer):
    RspCode = serializers.CharField()
    Message = serializers.CharField()


class VnpayIpnApi(APIView):
    """VNPAY's server-to-server notification (GET with the signed vnp_* parameters)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []
    # Every problem is answered in VNPAY's protocol (RspCode), with 200 (portal.schema).
    api_error_codes = ()

    @extend_schema(
        parameters=[
            OpenApiParameter("vnp_TxnRef", OpenApiTypes.STR),
            OpenApiParameter("vnp_Amount", OpenApiTypes.STR),
            OpenApiParameter("vnp_ResponseCode", OpenApiTypes.STR),
            OpenApiParameter("vnp_SecureHash", OpenApiTypes.STR),
        ],
        responses={200: IpnOutput},
        description="Answers RspCode 00 confirmed, 01 order not found, 02 already confirmed, "
        "04 invalid amount, 97 invalid signature, 99 other error.",
    )
    def get(self, request):
        return Response(services.handle_ipn(request.GET.dict()))
