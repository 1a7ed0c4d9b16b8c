"""Public, read-only catalogue API."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers

from portal.models import Agency
from procedures import selectors
from procedures.forms import CatalogueSearchForm
from procedures.models import Channel, Field, ProcedureVersion, RequiredDocument


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
    online_level = serializers.CharField(source="online_level_label")
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
            "service_level",
            "online_level",
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


_FILTERS = [
    OpenApiParameter("q", str, description="Name or code; accents optional"),
    OpenApiParameter("field", str, description="Field code"),
    OpenApiParameter("agency", str, description="Agency code (QCVN 102:2016)"),
    OpenApiParameter("implementing_level", str, enum=ProcedureVersion.ImplementingLevel.values),
    OpenApiParameter("level", int, enum=[1, 2, 3, 4], description="Service level"),
    OpenApiParameter("applicant", str, enum=["individual", "organization"]),
]


@extend_schema(parameters=_FILTERS)
class ProcedureListApi(generics.ListAPIView):
    """Published procedures, searched and filtered as on the catalogue page."""

    permission_classes = [permissions.AllowAny]
    serializer_class = ProcedureListOutput

    def get_queryset(self):
        return selectors.procedure_list_for(
            filters=CatalogueSearchForm(self.request.query_params or None).filters()
        )


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
