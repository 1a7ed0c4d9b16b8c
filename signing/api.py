from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.errors import error_response, form_messages
from portal.parsers import FormParser, MultiPartParser
from portal.throttling import AddressRateThrottle
from signing import selectors, verify
from signing.forms import VerifyForm
from signing.models import Document


class SignedDocumentOutput(serializers.Serializer):
    verification_code = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    agency = serializers.CharField(source="agency.code")
    agency_name = serializers.CharField(source="agency.name")
    status = serializers.CharField()
    signer = serializers.CharField()
    certificate_serial = serializers.CharField()
    signed_at = serializers.DateTimeField(allow_null=True)
    sha256 = serializers.CharField()
    pades_level = serializers.CharField(
        help_text="PAdES baseline level: B-B, B-T, B-LT (revocation data embedded) or B-LTA "
        "(and a document timestamp); empty until signed"
    )
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, document) -> str | None:
        if document.status != Document.Status.SIGNED:
            return None
        from django.urls import reverse

        url = reverse("signing:download", args=[document.verification_code])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class SignatureOutput(serializers.Serializer):
    field = serializers.CharField()
    signer = serializers.CharField()
    certificate_serial = serializers.CharField()
    issuer = serializers.CharField()
    signed_at = serializers.CharField()
    intact = serializers.BooleanField()
    valid = serializers.BooleanField()
    trusted = serializers.BooleanField()
    long_term = serializers.BooleanField(
        help_text="Validated at the time its timestamp proves, with the embedded revocation data"
    )
    revoked = serializers.BooleanField(help_text="Made with a certificate already revoked")


class VerdictOutput(serializers.Serializer):
    verdict = serializers.ChoiceField(
        source="code",
        choices=[
            verify.AUTHENTIC, verify.NOT_PDF, verify.UNSIGNED, verify.MODIFIED,
            verify.UNTRUSTED, verify.NOT_ISSUED, verify.REVOKED, verify.NOT_LONG_TERM,
        ],
    )  # fmt: skip
    message = serializers.CharField()
    sha256 = serializers.CharField()
    signer = serializers.CharField()
    signed_at = serializers.CharField()
    details = serializers.ListField(child=serializers.CharField())
    signatures = SignatureOutput(many=True)
    document = SignedDocumentOutput(allow_null=True)


class VerifyCodeApi(APIView):
    """A document by its verification code (what its QR code opens)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: SignedDocumentOutput})
    def get(self, request, code: str):
        document = selectors.document_get_public(code=code)
        if document is None:
            return error_response({"detail": verify.UNKNOWN_CODE}, status.HTTP_404_NOT_FOUND)
        return Response(SignedDocumentOutput(document, context={"request": request}).data)


class VerifyUploadInput(serializers.Serializer):
    file = serializers.FileField()


class VerifyUploadApi(APIView):
    """Check a PDF: issued by us, unchanged, validly signed by a trusted certificate?"""

    permission_classes = [permissions.AllowAny]
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [AddressRateThrottle]

    @extend_schema(
        request={"multipart/form-data": VerifyUploadInput}, responses={200: VerdictOutput}
    )
    def post(self, request):
        form = VerifyForm(data={}, files=request.FILES)
        if not form.is_valid() or not form.cleaned_data.get("file"):
            messages = form_messages(form.errors)
            return error_response(
                messages or {"file": [_("Choose a PDF file.")]}, status.HTTP_400_BAD_REQUEST
            )
        verdict = verify.verify_pdf(form.cleaned_data["file"].read())
        return Response(VerdictOutput(verdict, context={"request": request}).data)
