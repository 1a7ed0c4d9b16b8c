import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from portal.models import Agency, StaffRole, User
from procedures.models import Channel, Field, Procedure, ProcedureVersion, RequiredDocument

PASSWORD = "Str0ng-enough-pass"


class AgencyFactory(DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"000.00.{n % 100:02d}.H{n // 100 % 100:02d}")
    name = factory.Sequence(lambda n: f"Sở Giáo dục và Đào tạo số {n}")
    level = Agency.Level.PROVINCE


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.vn")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create:
            self.save()
            for role in extracted or []:
                StaffRole.objects.create(user=self, role=role)


class OfficerFactory(UserFactory):
    agency = factory.SubFactory(AgencyFactory)


# --- procedure catalogue -------------------------------------------------------------------------

# A small but real PDF: what a form template looks like when downloaded.
TEMPLATE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
MINIMAL_SCHEMA = [{"name": "full_name", "label": "Họ và tên", "type": "text", "required": True}]


class FieldFactory(DjangoModelFactory):
    class Meta:
        model = Field
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"linh-vuc-{n}")
    name = factory.Sequence(lambda n: f"Lĩnh vực số {n}")


class ProcedureFactory(DjangoModelFactory):
    class Meta:
        model = Procedure

    code = factory.Sequence(lambda n: f"9.{n:06d}")
    agency = factory.SubFactory(AgencyFactory)


class ChannelFactory(DjangoModelFactory):
    class Meta:
        model = Channel

    version = factory.SubFactory("tests.factories.ProcedureVersionFactory", channels=[])
    kind = Channel.Kind.IN_PERSON
    time_amount = Decimal("5")
    time_unit = Channel.TimeUnit.WORKING_DAYS
    fee_vnd = 0

    class Params:
        online = factory.Trait(kind=Channel.Kind.ONLINE)
        same_day = factory.Trait(time_amount=None, time_unit=Channel.TimeUnit.SAME_DAY)


class RequiredDocumentFactory(DjangoModelFactory):
    class Meta:
        model = RequiredDocument

    version = factory.SubFactory("tests.factories.ProcedureVersionFactory", documents=[])
    name = factory.Sequence(lambda n: f"Giấy tờ số {n}")
    originals = 1
    copies = 0

    class Params:
        # A document filled in on a published form, with the form file uploaded.
        with_template = factory.Trait(
            needs_template=True,
            template=factory.django.FileField(filename="mau-don.pdf", data=TEMPLATE_PDF),
        )


class ProcedureVersionFactory(DjangoModelFactory):
    """A draft at level 1 with one in-person channel (5 working days, free) and one document.

    Traits: `published`, `archived`, `level2` (the document has a form file), `level3` (adds an
    online channel and a minimal form schema), `level4` (level 3 with the online fee stated).
    Pass `channels=[...]` / `documents=[...]` (lists of factory kwargs) to replace the defaults.
    """

    class Meta:
        model = ProcedureVersion
        skip_postgeneration_save = True

    procedure = factory.SubFactory(ProcedureFactory)
    number = 1
    name = factory.Sequence(lambda n: f"Thủ tục thử nghiệm số {n}")
    field = factory.SubFactory(FieldFactory)
    implementing_level = ProcedureVersion.ImplementingLevel.PROVINCE
    applicant_type = ProcedureVersion.ApplicantType.INDIVIDUAL
    service_level = 1
    form_schema = factory.LazyFunction(list)

    class Params:
        published = factory.Trait(
            status=ProcedureVersion.Status.PUBLISHED,
            published_at=factory.LazyFunction(timezone.now),
            effective_date=factory.LazyFunction(
                lambda: timezone.localdate() - dt.timedelta(days=30)
            ),
        )
        archived = factory.Trait(
            status=ProcedureVersion.Status.ARCHIVED,
            published_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=60)),
            archived_at=factory.LazyFunction(timezone.now),
            effective_date=factory.LazyFunction(
                lambda: timezone.localdate() - dt.timedelta(days=60)
            ),
        )
        level2 = factory.Trait(service_level=2)
        level3 = factory.Trait(
            service_level=3, form_schema=factory.LazyFunction(lambda: list(MINIMAL_SCHEMA))
        )
        level4 = factory.Trait(
            service_level=4, form_schema=factory.LazyFunction(lambda: list(MINIMAL_SCHEMA))
        )

    @factory.post_generation
    def channels(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = [{}]
            if self.service_level >= 3:
                extracted.append({"online": True, "fee_vnd": 0})
        for order, spec in enumerate(extracted):
            ChannelFactory(version=self, order=order, **spec)

    @factory.post_generation
    def documents(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = [{"name": "Đơn đề nghị", "with_template": self.service_level >= 2}]
        for order, spec in enumerate(extracted):
            RequiredDocumentFactory(version=self, order=order, **spec)


# --- dossiers ------------------------------------------------------------------------------------

# Real files of each accepted type, small.
PDF_BYTES = TEMPLATE_PDF


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(width: int = 4, height: int = 4) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 30, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


class CitizenFactory(UserFactory):
    """A citizen with a complete profile (a valid citizen ID: Hà Nội, male, born 1990)."""

    citizen_id = factory.Sequence(lambda n: f"001090{n % 1000000:06d}")
    phone = factory.Sequence(lambda n: f"09{n % 100000000:08d}")
    address = "12 Phố Huế, Hà Nội"
    date_of_birth = dt.date(1990, 5, 17)
    gender = User.Gender.MALE


class DossierFactory(DjangoModelFactory):
    """A draft by a citizen under a published level-3 procedure (one required document).

    Traits: `complete` (answers and a PDF for every required document), `submitted` (complete,
    then submitted through the service, so it has its code and event)."""

    class Meta:
        model = "submissions.Dossier"
        skip_postgeneration_save = True

    applicant = factory.SubFactory(CitizenFactory)
    version = factory.SubFactory(ProcedureVersionFactory, published=True, level3=True)
    agency = factory.LazyAttribute(lambda o: o.version.procedure.agency)
    applicant_name = factory.LazyAttribute(lambda o: o.applicant.full_name)
    applicant_citizen_id = factory.LazyAttribute(lambda o: o.applicant.citizen_id or "")
    applicant_phone = factory.LazyAttribute(lambda o: o.applicant.phone)
    applicant_email = factory.LazyAttribute(lambda o: o.applicant.email)
    answers = factory.LazyFunction(dict)

    class Params:
        complete = factory.Trait(
            answers=factory.LazyAttribute(
                lambda o: {
                    spec["name"]: "Nguyễn Văn A"
                    for spec in o.version.form_schema
                    if spec["type"] == "text"
                }
            ),
            files=factory.PostGeneration(lambda obj, create, extracted, **kw: _attach(obj)),
        )
        submitted = factory.Trait(
            complete=True,
            submission=factory.PostGeneration(lambda obj, create, extracted, **kw: _submit(obj)),
        )


def _attach(dossier) -> None:
    """A PDF for every required document."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from submissions import services

    for document in dossier.version.documents.filter(required=True):
        services.dossier_add_files(
            dossier=dossier,
            actor=dossier.applicant,
            requirement_id=document.pk,
            files=[SimpleUploadedFile("giay-to.pdf", PDF_BYTES, "application/pdf")],
        )


def _submit(dossier) -> None:
    from submissions import services

    services.dossier_submit(dossier=dossier, actor=dossier.applicant)
    dossier.refresh_from_db()
