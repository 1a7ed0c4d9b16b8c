"""Public, read-only catalogue API."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers

from portal.models import Agency
from procedures import selectors
from procedures.models import Channel, Field, ProcedureVersion, RequiredDocument
from procedures.search import MAX_QUERY_LENGTH


class ChannelOutput(serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["kind", "time_amount", "time_unit", "fee_vnd", "fee_note", "note"]


class DocumentOutput(serializers.ModelSerializer):
    template_url = serializers.SerializerMethodField()

    class Meta:
        model = RequiredDocument
        # id: what a dossier's files are attached to (the `document` of an upload, the
        # `document_<id>` part of a filing at once).
        fields = ["id", "case", "name", "originals", "copies", "required", "template_url"]

    def get_template_url(self, document) -> str | None:
        if not document.template or not document.version.offers_forms:
            return None
        from django.urls import reverse

        url = reverse(
            "procedures:template", args=[document.version.procedure.service_code, document.pk]
        )
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ProcedureListOutput(serializers.ModelSerializer):
    code = serializers.CharField(source="procedure.code")
    service_code = serializers.CharField(source="procedure.service_code")
    agency = serializers.CharField(source="procedure.agency.code")
    agency_name = serializers.CharField(source="procedure.agency.name")
    field = serializers.CharField(source="field.code")
    field_name = serializers.CharField(source="field.name")
    online_service = serializers.ChoiceField(
        choices=ProcedureVersion.OnlineService.choices,
        help_text="Decree 42/2022/NĐ-CP Art. 11: full (toàn trình), partial (một phần) or "
        "information only",
    )
    online_level = serializers.CharField(
        source="online_level_label", help_text="The online_service's label"
    )
    service_level = serializers.IntegerField(
        help_text="Legacy: the level 1-4 of Decree 43/2011 that Decree 42/2022 replaced"
    )
    channels = ChannelOutput(many=True)

    class Meta:
        model = ProcedureVersion
        fields = [
            "code",
            "service_code",
            "name",
            "agency",
            "agency_name",
            "field",
            "field_name",
            "implementing_level",
            "online_service",
            "online_level",
            "service_level",
            "applicant_type",
            "number",
            "effective_date",
            "channels",
        ]


class ProcedureDetailOutput(ProcedureListOutput):
    documents = DocumentOutput(many=True)

    class Meta(ProcedureListOutput.Meta):
        fields = [
            *ProcedureListOutput.Meta.fields,
            "implementing_agency",
            "competent_agency",
            "coordinating_agency",
            "applicants",
            "steps",
            "result",
            "legal_basis",
            "requirements",
            "announcing_decision",
            "documents",
            "form_schema",
        ]


class ProcedureQueryInput(serializers.Serializer):
    """The catalogue's filters, as the API takes them: unlike the search page, which drops an
    odd filter and answers anyway, the API refuses a value its schema does not allow (400), and
    an unknown field or agency code filters to nothing rather than to everything."""

    q = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_QUERY_LENGTH,
        help_text="Name or code; accents optional",
    )  # fmt: skip
    field = serializers.CharField(required=False, max_length=64, help_text="Field code")
    agency = serializers.CharField(
        required=False, max_length=35, help_text="Agency code (QCVN 102:2016)"
    )
    implementing_level = serializers.ChoiceField(
        choices=ProcedureVersion.ImplementingLevel.values, required=False
    )
    online = serializers.ChoiceField(
        choices=ProcedureVersion.OnlineService.values,
        required=False,
        help_text="Decree 42/2022 online service: full, partial or information",
    )
    level = serializers.ChoiceField(
        choices=ProcedureVersion.ServiceLevel.values,
        required=False,
        help_text="Legacy level 1-4 (Decree 43/2011); prefer `online`",
    )
    applicant = serializers.ChoiceField(
        choices=[
            ProcedureVersion.ApplicantType.INDIVIDUAL,
            ProcedureVersion.ApplicantType.ORGANIZATION,
        ],
        required=False,
        help_text="Procedures open to this applicant (those open to both included)",
    )

    def filters(self) -> selectors.CatalogueFilters:
        data = self.validated_data
        return selectors.CatalogueFilters(
            query=data.get("q", ""),
            field=data.get("field", ""),
            agency=data.get("agency", ""),
            implementing_level=data.get("implementing_level", ""),
            service_level=data.get("level"),
            online_service=data.get("online", ""),
            applicant=data.get("applicant", ""),
        )


@extend_schema(parameters=[ProcedureQueryInput])
class ProcedureListApi(generics.ListAPIView):
    """Published procedures, searched and filtered as on the catalogue page."""

    permission_classes = [permissions.AllowAny]
    serializer_class = ProcedureListOutput

    def get_queryset(self):
        # A plain dict, not the QueryDict: DRF reads an empty value in a QueryDict as "not
        # sent" (an HTML form's empty field); here `?level=` is a value the schema forbids.
        query = ProcedureQueryInput(data=self.request.query_params.dict())
        query.is_valid(raise_exception=True)
        return selectors.procedure_list_for(filters=query.filters())


@extend_schema(
    parameters=[
        OpenApiParameter(
            "code",
            OpenApiTypes.STR,
            OpenApiParameter.PATH,
            description="Service code (2.001914.000.00.12.H26), or a procedure code published "
            "by one agency only",
        )
    ]
)
class ProcedureDetailApi(generics.RetrieveAPIView):
    """The current published version of a procedure, with documents, channels and form schema."""

    permission_classes = [permissions.AllowAny]
    serializer_class = ProcedureDetailOutput

    def get_object(self):
        version = selectors.procedure_get_public(code=self.kwargs["code"])
        if version is None:
            raise Http404
        return version


class FieldOutput(serializers.ModelSerializer):
    class Meta:
        model = Field
        fields = ["code", "name"]


class FieldListApi(generics.ListAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = FieldOutput
    pagination_class = None
    queryset = Field.objects.all()


class AgencyOutput(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent.code", allow_null=True, default=None)

    class Meta:
        model = Agency
        fields = ["code", "name", "short_name", "level", "parent"]


class AgencyListApi(generics.ListAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = AgencyOutput
    pagination_class = None
    queryset = Agency.objects.filter(is_active=True).select_related("parent").order_by("code")
