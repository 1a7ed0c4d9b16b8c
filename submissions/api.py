"""The citizen's dossier API (/api/v1/dossiers/) and public tracking (/api/v1/track/).

The same services and selectors as the HTML views: "missing" and "not yours" are both 404; a
change the dossier's state no longer allows is 409; anything else the user can fix is 400 with
the service's own messages, and nothing is stored."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import ratelimit
from portal.controls import MESSAGE, has_control
from portal.errors import Refused, error_response, form_messages
from portal.fields import TextField
from portal.parsers import FormParser, JSONParser, MultiPartParser
from procedures import selectors as procedure_selectors
from procedures.fees import dossier_fee
from submissions import downloads, selectors, services
from submissions.forms import APPLICANT_FIELDS, AnswersForm, TrackForm
from submissions.models import Dossier, IntakeChannel, ResultDelivery, State

# The applicant's details as the API names them, and the dossier fields they are stored in.
APPLICANT_KEYS = {name.removeprefix("applicant_"): name for name in APPLICANT_FIELDS}


def absolute_url(context: dict, url: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(url) if request else url


# --- output ---------------------------------------------------------------------------------------


class DossierApplicantOutput(serializers.Serializer):
    name = serializers.CharField(source="applicant_name")
    citizen_id = serializers.CharField(source="applicant_citizen_id")
    phone = serializers.CharField(source="applicant_phone")
    email = serializers.CharField(source="applicant_email")
    address = serializers.CharField(source="applicant_address")


class DossierFileOutput(serializers.Serializer):
    id = serializers.IntegerField()
    document = serializers.IntegerField(source="requirement_id")
    document_name = serializers.CharField(source="requirement.name")
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    round = serializers.IntegerField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, record) -> str:
        url = reverse("api-dossier-file", args=[record.dossier.public_id, record.pk])
        return absolute_url(self.context, url)


class DossierRemovedFileOutput(DossierFileOutput):
    removed_at = serializers.DateTimeField()


class DossierEventOutput(serializers.Serializer):
    action = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    label = serializers.CharField(source="get_to_state_display")
    status_code = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class DossierSupplementOutput(serializers.Serializer):
    reason = serializers.CharField()
    items = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


class DossierDocumentOutput(serializers.Serializer):
    """A slip or result the agency issued for the dossier (signing.models.Document)."""

    kind = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    verification_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    def get_verification_url(self, document) -> str:
        url = reverse("signing:verify", args=[document.verification_code])
        return absolute_url(self.context, url)

    def get_download_url(self, document) -> str | None:
        if document.status != document.Status.SIGNED:
            return None
        # The applicant's own download (at level 4 the result's first download is the
        # hand-back), not the public one.
        dossier = self.context["dossier"]
        url = reverse("submissions:document", args=[dossier.public_id, document.pk])
        return absolute_url(self.context, url)


class DossierSummaryOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    code = serializers.CharField(allow_null=True)
    procedure = serializers.CharField(
        source="version.procedure.service_code", help_text="Service code, as in /procedures/"
    )
    procedure_name = serializers.CharField(source="version.name")
    procedure_version = serializers.IntegerField(source="version.number")
    agency = serializers.CharField(source="agency.code", help_text="The resolving agency")
    agency_name = serializers.CharField(source="agency.name")
    receiving_agency_name = serializers.CharField(
        source="receiving_agency.name",
        allow_null=True,
        help_text="The service centre that receives the dossier and returns its result, if one "
        "does for the agency (liên thông)",
    )
    state = serializers.ChoiceField(choices=State.choices)
    state_label = serializers.CharField(source="get_state_display")
    channel = serializers.ChoiceField(
        choices=IntakeChannel.choices, help_text="How the dossier reached the desk"
    )
    status_code = serializers.IntegerField(
        allow_null=True, help_text="National public-services portal status (1–10); null: draft"
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)


@extend_schema_field(
    {
        "description": "A text, date (YYYY-MM-DD) or choice value; a number; a checkbox's "
        "true or false; a list of choice values (multichoice); null for no answer",
        "nullable": True,
        "anyOf": [
            {"type": "string"},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "array", "items": {"type": "string"}},
        ],
    }
)
class AnswerValueField(serializers.JSONField):
    """One answer, in the shapes a form schema's questions take (declared for the schema; the
    procedure's form checks the value itself)."""


def answers_field(**kwargs) -> serializers.DictField:
    return serializers.DictField(child=AnswerValueField(allow_null=True), **kwargs)


class DossierOutput(DossierSummaryOutput):
    fee_amount = serializers.SerializerMethodField(
        help_text="The fee for this dossier on its channel (VND; 0 free or exempt; null when "
        "the procedure states none): per copy times the copies asked, if so"
    )

    def get_fee_amount(self, dossier) -> int | None:
        return dossier_fee(dossier)

    result_delivery = serializers.ChoiceField(
        choices=ResultDelivery.choices, help_text="How the result is returned"
    )
    delivery_address = serializers.CharField(help_text="Where the result is posted")
    post_service = serializers.CharField()
    post_tracking = serializers.CharField()
    post_sent_at = serializers.DateTimeField(allow_null=True)
    post_delivered_at = serializers.DateTimeField(allow_null=True)
    is_editable = serializers.BooleanField()
    can_withdraw = serializers.BooleanField()
    closed_at = serializers.DateTimeField(allow_null=True)
    applicant = DossierApplicantOutput(source="*")
    answers = answers_field(help_text="Keyed by the names in the procedure's form_schema")
    files = DossierFileOutput(many=True, source="api_files")
    removed_files = DossierRemovedFileOutput(many=True, source="api_removed_files")
    missing = serializers.ListField(
        child=serializers.CharField(),
        source="api_missing",
        help_text="What still stops submission (empty once complete, or when not editable)",
    )
    supplement = DossierSupplementOutput(allow_null=True, source="api_supplement")
    timeline = DossierEventOutput(many=True, source="api_timeline")
    documents = DossierDocumentOutput(many=True, source="api_documents")


def _dossier_data(request, dossier: Dossier) -> dict:
    """Everything about one dossier, read through the selectors."""
    dossier.api_files, dossier.api_removed_files = selectors.dossier_files(dossier)
    dossier.api_missing = services.dossier_missing(dossier) if dossier.is_editable else []
    dossier.api_supplement = (
        dossier.supplements.first() if dossier.state == State.SUPPLEMENT_REQUIRED else None
    )
    dossier.api_timeline = selectors.dossier_timeline(dossier)
    dossier.api_documents = selectors.dossier_documents(dossier)
    return DossierOutput(dossier, context={"request": request, "dossier": dossier}).data


# --- errors ---------------------------------------------------------------------------------------
# The services' refusals are answered by portal.errors: PermissionDenied → 404 on every view here
# (never 403 for another's dossier: `forbidden_as_not_found`); a state conflict → 409 with its
# message; any other ValidationError → 400, by field, under the view's `problems_key`, or as
# `detail`. Every error body has the one shape that portal.schema declares on every operation.


class CitizenApiView(APIView):
    forbidden_as_not_found = True


def _own(request, public_id) -> Dossier:
    dossier = selectors.dossier_get_for(user=request.user, public_id=public_id)
    if dossier is None:
        raise exceptions.NotFound
    return dossier


def _require_editable(dossier: Dossier) -> None:
    """Answer 409 before validating: the service would refuse the change anyway."""
    if not dossier.is_editable:
        raise Refused(
            {
                "detail": _("This dossier can no longer be changed (it is now: %(state)s).")
                % {"state": dossier.get_state_display()}
            },
            status.HTTP_409_CONFLICT,
        )


# --- dossiers -------------------------------------------------------------------------------------


class DossierCreateInput(serializers.Serializer):
    procedure = TextField(max_length=120, help_text="Service code, as in /api/v1/procedures/")


class DossierListApi(generics.ListAPIView):
    """My dossiers, most recently changed first; POST starts a new draft."""

    serializer_class = DossierSummaryOutput

    def get_queryset(self):
        return selectors.dossier_list_for(user=self.request.user).select_related(
            "version__procedure__agency"
        )

    @extend_schema(
        request=DossierCreateInput,
        responses={201: DossierOutput},
        description="A new draft of an online procedure, prefilled from the profile.",
    )
    def post(self, request):
        data = DossierCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        version = procedure_selectors.procedure_get_public(code=data.validated_data["procedure"])
        if version is None:
            message = _("There is no published procedure with this code.")
            return error_response({"procedure": [message]}, status.HTTP_400_BAD_REQUEST)
        try:
            dossier = services.dossier_start(version=version, applicant=request.user)
        except ValidationError as exc:
            return error_response({"procedure": exc.messages}, status.HTTP_400_BAD_REQUEST)
        return Response(_dossier_data(request, dossier), status=status.HTTP_201_CREATED)


class DossierApplicantInput(serializers.Serializer):
    """The applicant's details; a key not listed here is refused (400)."""

    refuses_unknown_keys = True  # portal.schema: additionalProperties false
    name = TextField(required=False, allow_blank=True, allow_null=True)
    citizen_id = TextField(required=False, allow_blank=True, allow_null=True)
    phone = TextField(required=False, allow_blank=True, allow_null=True)
    email = TextField(required=False, allow_blank=True, allow_null=True)
    address = TextField(required=False, allow_blank=True, allow_null=True)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: [_("Unknown field.")] for key in unknown})
        return super().to_internal_value(data)


class DossierFileAtOnceInput(serializers.Serializer):
    """The multipart body (for the schema: the view reads the parts itself). `applicant` and
    `answers` are JSON parts; each required document's files are parts named `document_<id>`."""

    procedure = serializers.CharField(
        max_length=120, help_text="Service code, as in /api/v1/procedures/"
    )
    applicant = DossierApplicantInput(required=False, help_text="A JSON part")
    answers = answers_field(
        required=False, help_text="A JSON part: the answers keyed by the form schema's names"
    )
    # portal.schema: the parts a request adds by name
    extra_parts = {
        "description": "A file (PDF, JPEG or PNG) for each required document, in a part named "
        "`document_<id>` (the id in the procedure's `documents`); repeat the part to send more "
        "than one file for a document.",
        "type": "string",
        "format": "binary",
    }


class DossierFileAtOnceApi(APIView):
    """File a complete dossier in one multipart request: the answers, every document's files,
    and the submission, all or nothing. Send an `Idempotency-Key` header to make a retry safe:
    the same key returns the dossier the first request filed (200 instead of 201)."""

    parser_classes = [MultiPartParser]
    throttle_uploads = True

    @extend_schema(
        request={"multipart/form-data": DossierFileAtOnceInput},
        responses={201: DossierSummaryOutput, 200: DossierSummaryOutput},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
    )
    def post(self, request):
        code = request.data.get("procedure", "")
        version = procedure_selectors.procedure_get_public(code=str(code)[:120])
        if version is None:
            message = _("There is no published procedure with this code.")
            return error_response({"procedure": [message]}, status.HTTP_400_BAD_REQUEST)
        try:
            details = _json_field(request.data.get("applicant"), "applicant")
            answers = _json_field(request.data.get("answers"), "answers")
        except ValueError as exc:
            return error_response({str(exc): [_("Send a JSON object.")]}, 400)
        renamed = {f"applicant_{key}": value for key, value in details.items()}
        files = {}
        for key in request.FILES:
            number = key.removeprefix("document_")
            if not key.startswith("document_") or not number.isdigit():
                return error_response({key: [_("Unknown field.")]}, 400)
            files[int(number)] = request.FILES.getlist(key)
        # An incomplete or bad filing is answered by portal.errors: 400, by field or under
        # "detail", nothing stored.
        dossier, created = services.dossier_file_at_once(
            version=version,
            applicant=request.user,
            details=renamed,
            answers=answers,
            files=files,
            client_ref=request.headers.get("Idempotency-Key", "")[:64],
        )
        return Response(
            DossierSummaryOutput(dossier).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def _json_field(value, name: str) -> dict:
    import json

    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValueError(name) from exc
    if not isinstance(value, dict):
        raise ValueError(name)
    if has_control(value):  # a "\u0000" escape inside the JSON text of a form field
        raise ParseError(MESSAGE)
    return value


class DossierUpdateInput(serializers.Serializer):
    applicant = DossierApplicantInput(required=False)
    answers = answers_field(
        required=False,
        help_text="Keyed by the names in the procedure's form_schema; null clears an answer",
    )


def _answer_shape_errors(schema: list[dict], answers: dict) -> dict[str, list[str]]:
    """What the form would silently turn into text: unknown names, lists or objects given
    for a question that takes one value."""
    kinds = {spec["name"]: spec["type"] for spec in schema}
    errors = {}
    for name, value in answers.items():
        if name not in kinds:
            errors[name] = [_("This procedure asks no question with this name.")]
        elif kinds[name] != "multichoice" and isinstance(value, list | dict):
            errors[name] = [_("Give one value, not a list.")]
    return errors


def _answers_errors(form: AnswersForm, shape_errors: dict) -> dict:
    """The form's errors named as the request named the values (a question may itself be
    called "applicant_…": the q_ prefix, not the name, tells them apart)."""
    errors = form_messages(form.errors)
    answers = {k.removeprefix("q_"): v for k, v in errors.items() if k.startswith("q_")}
    applicant = {
        k.removeprefix("applicant_"): v for k, v in errors.items() if k in APPLICANT_FIELDS
    }
    return {"answers": {**answers, **shape_errors}, "applicant": applicant}


class DossierDetailApi(CitizenApiView):
    """One of my dossiers: read it, change a draft's answers, delete a draft."""

    # JSON only: the answers and the applicant are nested objects, which a form body cannot
    # carry (a multipart PATCH used to be read as empty and answered 200, changing nothing).
    parser_classes = [JSONParser]

    @extend_schema(responses={200: DossierOutput})
    def get(self, request, public_id):
        return Response(_dossier_data(request, _own(request, public_id)))

    @extend_schema(
        request=DossierUpdateInput,
        responses={200: DossierOutput},
        description="Merged with the stored values and checked as a draft (required answers "
        "may still be empty). On any error nothing is stored.",
    )
    def patch(self, request, public_id):
        dossier = _own(request, public_id)
        _require_editable(dossier)
        data = DossierUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        schema = dossier.version.form_schema
        given = data.validated_data.get("answers", {})
        applicant = {name: getattr(dossier, name) for name in APPLICANT_FIELDS}
        for key, value in data.validated_data.get("applicant", {}).items():
            applicant[APPLICANT_KEYS[key]] = value
        form = AnswersForm.from_json(
            schema=schema, applicant=applicant, answers={**dossier.answers, **given}, final=False
        )
        shape_errors = _answer_shape_errors(schema, given)
        if not form.is_valid() or shape_errors:
            return error_response(_answers_errors(form, shape_errors), status.HTTP_400_BAD_REQUEST)
        applicant, answers = form.values()
        dossier = services.dossier_update(
            dossier=dossier, actor=request.user, applicant=applicant, answers=answers
        )
        return Response(_dossier_data(request, dossier))

    @extend_schema(responses={204: None})
    def delete(self, request, public_id):
        dossier = _own(request, public_id)
        services.dossier_delete_draft(dossier=dossier, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- files ----------------------------------------------------------------------------------------


class DossierUploadInput(serializers.Serializer):
    document = serializers.IntegerField(help_text="The required document's id")
    files = serializers.ListField(child=serializers.FileField(), help_text="PDF, JPEG or PNG")


class DossierFilesApi(CitizenApiView):
    """Attach files to one document of a dossier: all are stored, or none."""

    throttle_uploads = True

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": DossierUploadInput},
        responses={201: DossierFileOutput(many=True)},
    )
    def post(self, request, public_id):
        dossier = _own(request, public_id)
        try:
            requirement_id = int(request.data.get("document", ""))
        except (TypeError, ValueError):
            requirement_id = None
        # The files are checked by submissions.uploads (through the service), not a serializer,
        # so that every message is the portal's own and names the file.
        stored = services.dossier_add_files(
            dossier=dossier,
            actor=request.user,
            requirement_id=requirement_id,
            files=request.FILES.getlist("files"),
        )
        output = DossierFileOutput(stored, many=True, context={"request": request})
        return Response(output.data, status=status.HTTP_201_CREATED)


# A dossier's file, as stored (submissions.uploads takes these three types only).
FILE_RESPONSES = {
    (200, "application/pdf"): OpenApiTypes.BINARY,
    (200, "image/jpeg"): OpenApiTypes.BINARY,
    (200, "image/png"): OpenApiTypes.BINARY,
}


class FileDownloadMixin:
    def perform_content_negotiation(self, request, force=False):
        # A client asking for the file's own type (Accept: application/pdf) still gets it.
        return super().perform_content_negotiation(request, force=True)


class DossierFileApi(FileDownloadMixin, CitizenApiView):
    """One file of one of my dossiers: download it, or remove it while the dossier is editable
    (after submission the file stays in `removed_files`)."""

    @extend_schema(responses=FILE_RESPONSES)
    def get(self, request, public_id, file_id: int):
        record = selectors.dossier_file_get_for(
            user=request.user, public_id=public_id, file_id=file_id
        )
        if record is None:
            raise exceptions.NotFound
        return downloads.file_response(record, attachment=True)

    @extend_schema(responses={204: None})
    def delete(self, request, public_id, file_id: int):
        dossier = _own(request, public_id)
        services.dossier_remove_file(dossier=dossier, actor=request.user, file_id=file_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- transitions ----------------------------------------------------------------------------------


class DossierSubmitApi(CitizenApiView):
    problems_key = "missing"

    @extend_schema(
        request=None,
        responses={200: DossierOutput},
        description="Submit a complete draft; it gets its code. Submitting again returns the "
        "dossier as the first submission left it.",
    )
    def post(self, request, public_id):
        dossier = _own(request, public_id)
        dossier = services.dossier_submit(dossier=dossier, actor=request.user)
        return Response(_dossier_data(request, dossier))


class DossierSupplementInput(serializers.Serializer):
    note = TextField(required=False, allow_blank=True, max_length=2000, default="")


class DossierSupplementApi(CitizenApiView):
    problems_key = "missing"

    @extend_schema(
        request=DossierSupplementInput,
        responses={200: DossierOutput},
        description="Send the supplement an officer asked for (change answers and files "
        "first); the dossier goes back to where it was.",
    )
    def post(self, request, public_id):
        dossier = _own(request, public_id)
        data = DossierSupplementInput(data=request.data)
        data.is_valid(raise_exception=True)
        dossier = services.dossier_resubmit(
            dossier=dossier, actor=request.user, note=data.validated_data["note"]
        )
        return Response(_dossier_data(request, dossier))


class DossierWithdrawInput(serializers.Serializer):
    reason = TextField(
        max_length=1000,
        help_text="Why the dossier is withdrawn",
        error_messages={
            "required": gettext_lazy("Give a reason for withdrawing."),
            "blank": gettext_lazy("Give a reason for withdrawing."),
        },
    )


class DossierWithdrawApi(CitizenApiView):
    @extend_schema(
        request=DossierWithdrawInput,
        responses={200: DossierOutput},
    )
    def post(self, request, public_id):
        dossier = _own(request, public_id)
        data = DossierWithdrawInput(data=request.data)
        data.is_valid(raise_exception=True)
        dossier = services.dossier_withdraw(
            dossier=dossier, actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(_dossier_data(request, dossier))


# --- public tracking ------------------------------------------------------------------------------


class TrackInput(serializers.Serializer):
    code = TextField(max_length=64, help_text="Dossier code")
    secret = TextField(max_length=20, help_text="The applicant's citizen ID number or phone")


class TrackEventOutput(serializers.Serializer):
    label = serializers.CharField(source="get_to_state_display")
    status_code = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class TrackOutput(serializers.Serializer):
    """Where a dossier is: no notes, no personal data."""

    code = serializers.CharField()
    procedure_name = serializers.CharField(source="version.name")
    agency_name = serializers.CharField(source="agency.name")
    receiving_agency_name = serializers.CharField(source="receiving_agency.name", allow_null=True)
    state = serializers.ChoiceField(choices=State.choices)
    state_label = serializers.CharField(source="get_state_display")
    status_code = serializers.IntegerField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    timeline = TrackEventOutput(many=True, source="events.all")


class TrackApi(APIView):
    """Tra cứu hồ sơ: a dossier's progress by its code and the applicant's citizen ID or phone.
    Failed attempts count per client address and per code, together with the HTML form's."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    rate_limited = True  # portal.ratelimit: 429 (portal.schema)
    api_extra_error_codes = ("404",)  # no dossier with this code and secret

    @extend_schema(
        request=TrackInput,
        responses={200: TrackOutput},
        auth=[],
    )
    def post(self, request):
        # The schema's types first (a list or an object is not a code), then the page's rules.
        data = TrackInput(data=request.data if isinstance(request.data, dict) else {})
        data.is_valid(raise_exception=True)
        form = TrackForm(data.validated_data)
        if not form.is_valid():
            return error_response(form_messages(form.errors), status.HTTP_400_BAD_REQUEST)
        code = form.cleaned_data["code"]
        keys = (f"track-ip:{ratelimit.client_ip(request)}", f"track-code:{code}")
        window = settings.TRACKING_WINDOW_MINUTES * 60
        # As the page does: counted first, given back on success.
        if not ratelimit.take(*keys, limit=settings.TRACKING_MAX_FAILURES, window_seconds=window):
            message = _("Too many failed attempts. Try again in %(minutes)s minutes.") % {
                "minutes": settings.TRACKING_WINDOW_MINUTES
            }
            response = error_response({"detail": message}, status.HTTP_429_TOO_MANY_REQUESTS)
            response["Retry-After"] = str(window)
            return response
        dossier = selectors.dossier_track(code=code, secret=form.cleaned_data["secret"])
        if dossier is None:
            message = _("No dossier has this code and this citizen ID number or phone.")
            return error_response({"detail": message}, status.HTTP_404_NOT_FOUND)
        ratelimit.give_back(*keys)
        return Response(TrackOutput(dossier).data)
