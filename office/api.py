"""The staff's dossier API (/api/v1/office/): the queues, one dossier with everything the
back-office page shows, the workflow actions, and the agency's specialists.

The same selectors, actions and services as the HTML back-office (office.views). Only
officers of the dossier's agency see it; for anyone else every endpoint here answers 404,
the queue and the specialists included (as for a dossier that does not exist), so that the
API does not tell who is an officer. An officer who sees the dossier but whose role does not
allow an action gets 403; an action on a dossier that changed meanwhile (`expected_state`, or
the state no longer allows it) gets 409; anything else the officer can fix is 400, and
nothing is stored."""

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions, generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from office import selectors
from office.actions import ACTIONS, ROLE_REFUSED, available_actions, may_attempt
from portal.parsers import JSONParser
from signing.models import Document, Series
from submissions import downloads
from submissions import selectors as dossier_selectors
from submissions.api import (
    FILE_RESPONSES,
    DossierApplicantOutput,
    DossierDocumentOutput,
    DossierFileOutput,
    FileDownloadMixin,
    absolute_url,
    answers_field,
)
from submissions.models import (
    STATUS_CODES,
    Decision,
    Dossier,
    FilerRole,
    IntakeChannel,
    ResultDelivery,
    State,
    Timeliness,
)

_STATUS_CODE_HELP = "National public-services portal status (1–10)"


def _officer(request) -> None:
    if not selectors.is_officer(request.user):
        raise exceptions.NotFound


def _dossier(request, public_id) -> Dossier:
    dossier = selectors.office_dossier_get_for(user=request.user, public_id=public_id)
    if dossier is None:
        raise exceptions.NotFound
    return dossier


# --- output ---------------------------------------------------------------------------------------


class OfficePersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")


class OfficeProcedureOutput(serializers.Serializer):
    id = serializers.IntegerField(source="procedure_id", help_text="For the queue's `procedure`")
    code = serializers.CharField(source="procedure.code")
    name = serializers.CharField()


class OfficeAgencyOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class OfficeDossierSummaryOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    code = serializers.CharField()
    procedure = OfficeProcedureOutput(source="version")
    applicant_name = serializers.CharField()
    citizen_id = serializers.CharField(source="applicant_citizen_id")
    state = serializers.ChoiceField(choices=State.choices)
    state_label = serializers.CharField(source="get_state_display")
    status_code = serializers.IntegerField(help_text=_STATUS_CODE_HELP)
    channel = serializers.ChoiceField(
        choices=IntakeChannel.choices, help_text="How the dossier reached the desk"
    )
    submitted_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    paused = serializers.SerializerMethodField(
        help_text="The clock is paused (a supplement or a fee is owed)"
    )
    assignee = OfficePersonOutput(allow_null=True)
    agency = OfficeAgencyOutput(help_text="The agency that resolves the dossier")
    receiving_agency = OfficeAgencyOutput(
        allow_null=True,
        help_text="The service centre that received it for that agency (liên thông), if one did",
    )
    transferred_at = serializers.DateTimeField(
        allow_null=True, help_text="When the centre handed it to the resolving agency"
    )
    result_transferred_at = serializers.DateTimeField(
        allow_null=True, help_text="When the agency handed the result back to the centre"
    )

    def get_paused(self, dossier) -> bool:
        return dossier.paused_at is not None


class OfficeAnswerOutput(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField(help_text="As shown on the back-office page")


class OfficeFileOutput(DossierFileOutput):
    def get_download_url(self, record) -> str:
        url = reverse("api-office-dossier-file", args=[record.dossier.public_id, record.pk])
        return absolute_url(self.context, url)


class OfficeRemovedFileOutput(OfficeFileOutput):
    removed_at = serializers.DateTimeField()


class OfficeSupplementOutput(serializers.Serializer):
    reason = serializers.CharField()
    items = serializers.ListField(child=serializers.CharField())
    requested_by = serializers.CharField(source="requested_by.full_name")
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)


class OfficeEventOutput(serializers.Serializer):
    actor = serializers.CharField(
        source="actor.full_name", allow_null=True, help_text="Null: taken by the system"
    )
    action = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    from_label = serializers.CharField(source="get_from_state_display")
    to_label = serializers.CharField(source="get_to_state_display")
    from_status_code = serializers.SerializerMethodField()
    to_status_code = serializers.IntegerField(source="status_code", allow_null=True)
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    working_time = serializers.SerializerMethodField(
        help_text="Working time the step took, in seconds (null: the clock was not running)"
    )
    timeliness = serializers.ChoiceField(choices=Timeliness.choices, allow_blank=True)

    def get_from_status_code(self, event) -> int | None:
        return STATUS_CODES[event.from_state]

    def get_working_time(self, event) -> int | None:
        if event.working_time is None:
            return None
        return int(event.working_time.total_seconds())


class OfficeDocumentOutput(DossierDocumentOutput):
    def get_download_url(self, document) -> str | None:
        if document.status != document.Status.SIGNED:
            return None
        url = reverse("signing:download", args=[document.verification_code])
        return absolute_url(self.context, url)

    status_label = serializers.CharField(source="get_status_display")
    verification_code = serializers.CharField()
    signed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class OfficeDraftOutput(serializers.Serializer):
    """One version of the result's draft (dự thảo), as the specialist proposed it."""

    number = serializers.IntegerField(help_text="1, 2, …: one per proposal")
    decision = serializers.ChoiceField(choices=Decision.choices)
    content = serializers.JSONField(
        help_text="What the paper says: title, recipients, legal bases, articles, …"
    )
    values = serializers.DictField(
        child=serializers.CharField(), help_text="The template's blanks the specialist filled in"
    )
    created_by = serializers.CharField(source="created_by.full_name")
    created_at = serializers.DateTimeField()
    status = serializers.SerializerMethodField(
        help_text="The draft PDF: pending while the worker renders it, then rendered"
    )
    pdf_url = serializers.SerializerMethodField(
        help_text="The draft as a PDF (marked as a draft on every page); null until rendered"
    )

    def get_status(self, draft) -> str:
        return draft.document.status if draft.document else Document.Status.PENDING

    def get_pdf_url(self, draft) -> str | None:
        if draft.document is None or not draft.document.pdf:
            return None
        url = reverse("api-office-dossier-draft", args=[draft.dossier.public_id, draft.number])
        return absolute_url(self.context, url)


class OfficeDossierOutput(OfficeDossierSummaryOutput):
    result_delivery = serializers.ChoiceField(
        choices=ResultDelivery.choices, help_text="How the result is returned"
    )
    delivery_address = serializers.CharField(help_text="Where the result is posted")
    post_service = serializers.CharField()
    post_tracking = serializers.CharField()
    post_sent_at = serializers.DateTimeField(allow_null=True)
    post_delivered_at = serializers.DateTimeField(allow_null=True)
    filer_role = serializers.ChoiceField(choices=FilerRole.choices, help_text="Who files for whom")
    subject_name = serializers.CharField(help_text="The pupil or principal filed for")
    subject_id_number = serializers.CharField()
    org_name = serializers.CharField(help_text="The organisation filed for")
    org_tax_code = serializers.CharField()
    applicant = DossierApplicantOutput(source="*")
    answers = answers_field(help_text="Keyed by the names in the procedure's form_schema")
    answer_rows = OfficeAnswerOutput(many=True, source="api_answer_rows")
    files = OfficeFileOutput(many=True, source="api_files")
    removed_files = OfficeRemovedFileOutput(many=True, source="api_removed_files")
    supplements = OfficeSupplementOutput(many=True, source="api_supplements")
    timeline = OfficeEventOutput(many=True, source="api_timeline")
    documents = OfficeDocumentOutput(many=True, source="api_documents")
    drafts = OfficeDraftOutput(
        many=True, source="api_drafts", help_text="The result's drafts, newest first"
    )
    decision = serializers.ChoiceField(choices=Decision.choices, allow_blank=True)
    reasons = serializers.CharField(source="decision_reasons")
    result_content = serializers.CharField()
    timeliness = serializers.ChoiceField(choices=Timeliness.choices, allow_blank=True)
    rescheduled = serializers.BooleanField()
    original_due_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
    returned_to = serializers.CharField()
    closed_at = serializers.DateTimeField(allow_null=True)
    available_actions = serializers.ListField(
        child=serializers.ChoiceField(choices=list(ACTIONS)),
        source="api_actions",
        help_text="What this officer may do now, as /actions/{action}/",
    )


def _dossier_data(request, dossier: Dossier) -> dict:
    """Everything about one dossier that the back-office page shows."""
    dossier.api_answer_rows = [
        {"label": k, "value": v} for k, v in dossier_selectors.dossier_answer_rows(dossier)
    ]
    dossier.api_files, dossier.api_removed_files = dossier_selectors.dossier_files(dossier)
    dossier.api_supplements = list(dossier.supplements.select_related("requested_by"))
    dossier.api_timeline = list(dossier.events.select_related("actor").order_by("created_at", "pk"))
    dossier.api_documents = dossier_selectors.dossier_documents(dossier, staff=True)
    dossier.api_drafts = selectors.result_drafts(dossier)
    dossier.api_actions = available_actions(dossier, request.user)
    return OfficeDossierOutput(dossier, context={"request": request}).data


# --- the queue ------------------------------------------------------------------------------------


class OfficeQueueInput(serializers.Serializer):
    tab = serializers.ChoiceField(
        choices=selectors.OFFICE_TABS,
        default="all",
        help_text="desk: to accept; assign: accepted, to assign; mine: assigned to me; "
        "approval: proposals; results: to hand back; transfers: to hand between a service "
        "centre and the resolving agency; all",
    )
    procedure = serializers.IntegerField(required=False, min_value=1, help_text="Procedure id")
    state = serializers.ChoiceField(
        choices=[(value, label) for value, label in State.choices if value != State.DRAFT],
        required=False,
    )
    channel = serializers.ChoiceField(choices=IntakeChannel.choices, required=False)
    overdue = serializers.BooleanField(required=False, default=False)
    due_soon = serializers.BooleanField(
        required=False, default=False, help_text="Due within one working day"
    )
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=150, help_text="Code, citizen ID or name"
    )


class OfficeDossierListApi(generics.ListAPIView):
    """The officer's queue, oldest submission first."""

    serializer_class = OfficeDossierSummaryOutput

    def get_queryset(self):
        _officer(self.request)
        # A dict, not the QueryDict: in a QueryDict DRF reads `?tab=` as "not sent" and takes
        # the default; the schema does not allow an empty tab (nor any other empty filter).
        params = OfficeQueueInput(data=self.request.query_params.dict())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return selectors.office_dossier_list_for(
            user=self.request.user,
            tab=data["tab"],
            procedure_id=data.get("procedure"),
            state=data.get("state", ""),
            overdue=data["overdue"],
            due_soon=data["due_soon"],
            query=data.get("q", ""),
            channel=data.get("channel", ""),
        ).select_related("version__procedure", "agency", "receiving_agency")

    @extend_schema(
        parameters=[OfficeQueueInput],
        responses={200: OfficeDossierSummaryOutput(many=True)},
        description="404 for anyone who is not an officer.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OfficeDossierDetailApi(APIView):
    @extend_schema(
        responses={200: OfficeDossierOutput},
        description="A dossier of the officer's agency; 404 for anyone else.",
    )
    def get(self, request, public_id):
        return Response(_dossier_data(request, _dossier(request, public_id)))


class OfficeDossierFileApi(FileDownloadMixin, APIView):
    @extend_schema(
        responses=FILE_RESPONSES,
        description="A file of a dossier of the officer's agency, as an attachment.",
    )
    def get(self, request, public_id, file_id: int):
        record = _dossier(request, public_id).files.filter(pk=file_id).first()
        if record is None:
            raise Http404
        return downloads.file_response(record, attachment=True)


class OfficeDossierDraftApi(FileDownloadMixin, APIView):
    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        description="One draft of the result (dự thảo) as a PDF, to the dossier's agency's "
        "officers; 404 while it is being rendered and for anyone else.",
    )
    def get(self, request, public_id, number: int):
        document = selectors.result_draft_document(_dossier(request, public_id), number)
        if document is None:
            raise Http404
        return FileResponse(
            document.pdf.open("rb"),
            as_attachment=True,
            filename=f"du-thao-{number}-{document.reference or public_id}.pdf",
            content_type="application/pdf",
        )


class OfficeSpecialistListApi(APIView):
    api_extra_error_codes = ("404",)  # for anyone who is not an officer (portal.schema)

    @extend_schema(
        responses={200: OfficePersonOutput(many=True)},
        description="The specialists of the officer's agency, to assign dossiers to.",
    )
    def get(self, request):
        _officer(request)
        specialists = selectors.office_specialists(agency_id=request.user.agency_id)
        return Response(OfficePersonOutput(specialists, many=True).data)


# --- actions --------------------------------------------------------------------------------------


_BODIES = "\n".join(f"- `{name}`: {action.serializer.__name__}" for name, action in ACTIONS.items())


class OfficeDossierActionApi(APIView):
    """The services' refusals are answered by portal.errors: PermissionDenied → 403 (the
    officer sees the dossier, so 404 would mislead: the officer's role does not allow it); no
    such action, or not a dossier of the officer's agency → 404; a dossier that changed
    meanwhile → 409; any other refusal → 400, by field or under "detail"; nothing is stored."""

    parser_classes = [JSONParser]
    forbidden_message = ROLE_REFUSED

    @extend_schema(
        parameters=[
            OpenApiParameter("action", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(ACTIONS))
        ],
        request=PolymorphicProxySerializer(
            component_name="OfficeActionBody",
            serializers=[action.serializer for action in ACTIONS.values()],
            resource_type_field_name=None,
        ),
        responses={200: OfficeDossierOutput},
        description="Take one workflow action; the body depends on the action:\n" + _BODIES,
    )
    def post(self, request, public_id, action: str):
        dossier = _dossier(request, public_id)
        if action not in ACTIONS:
            raise exceptions.NotFound(_("There is no such action."))
        action = ACTIONS[action]
        if not may_attempt(action, dossier, request.user):
            raise exceptions.PermissionDenied(ROLE_REFUSED)
        data = action.serializer(
            data=request.data, context={"request": request, "dossier": dossier}
        )
        data.is_valid(raise_exception=True)
        action.run(dossier=dossier, actor=request.user, data=data.validated_data)
        return Response(_dossier_data(request, _dossier(request, public_id)))


# --- the register of outgoing documents -----------------------------------------------------------


class OfficeOutgoingInput(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Part of the number, the summary or the dossier code",
    )
    year = serializers.IntegerField(
        required=False,
        min_value=2000,
        max_value=2100,
        error_messages={"invalid": gettext_lazy("Enter a year, for example 2026.")},
    )
    series = serializers.ChoiceField(choices=Series.choices, required=False)
    start = serializers.DateField(required=False, help_text="Issued on or after (YYYY-MM-DD)")
    end = serializers.DateField(required=False, help_text="Issued on or before (YYYY-MM-DD)")

    def validate(self, data):
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise serializers.ValidationError(
                {"end": [_("The end of the period is before its start.")]}
            )
        return data


class OfficeOutgoingEntryOutput(serializers.Serializer):
    number = serializers.CharField(help_text="Number and symbol, e.g. 15/QĐ-SGDĐT")
    year = serializers.IntegerField()
    series = serializers.ChoiceField(choices=Series.choices)
    sequence = serializers.IntegerField()
    issued_at = serializers.DateTimeField()
    summary = serializers.CharField(help_text="Trích yếu: the document's title")
    recipient = serializers.CharField()
    dossier_code = serializers.CharField(source="reference")
    signer = serializers.CharField()
    status = serializers.ChoiceField(source="document.status", choices=Document.Status.choices)
    verification_code = serializers.CharField(source="document.verification_code")
    verify_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    def get_verify_url(self, entry) -> str:
        url = reverse("signing:verify", args=[entry.document.verification_code])
        return absolute_url(self.context, url)

    def get_download_url(self, entry) -> str | None:
        if entry.document.status != Document.Status.SIGNED:
            return None
        url = reverse("signing:download", args=[entry.document.verification_code])
        return absolute_url(self.context, url)


class OfficeOutgoingListApi(generics.ListAPIView):
    """The register of outgoing documents (sổ đăng ký văn bản đi) of the officer's agency,
    newest first."""

    serializer_class = OfficeOutgoingEntryOutput

    def get_queryset(self):
        _officer(self.request)
        params = OfficeOutgoingInput(data=self.request.query_params.dict())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return selectors.outgoing_register_for(
            user=self.request.user,
            year=data.get("year"),
            series=data.get("series", ""),
            start=data.get("start"),
            end=data.get("end"),
            query=data.get("q", ""),
        )

    @extend_schema(
        parameters=[OfficeOutgoingInput],
        responses={200: OfficeOutgoingEntryOutput(many=True)},
        description="404 for anyone who is not an officer; only the officer's own agency's.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
