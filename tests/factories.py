import datetime as dt
from decimal import Decimal

import factory
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from factory.django import DjangoModelFactory

from portal.models import Agency, StaffRole, User
from procedures.models import Channel, Field, Procedure, ProcedureVersion, RequiredDocument
from submissions.models import Decision, State

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
    # Confirmed, as an account made through registration's link is (portal.registration).
    email_confirmed_at = factory.LazyFunction(timezone.now)
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


def _taken_to(state: str) -> factory.PostGeneration:
    """A post-generation step that takes the submitted dossier on to `state`."""

    def take(dossier, create, extracted, **how):
        if create:
            dossier_advance(dossier, state, **how)
            dossier.refresh_from_db()

    return factory.PostGeneration(take)


# The fee of the `awaiting_payment` trait's procedure, paid online on delivery.
FEE_ON_DELIVERY = 50_000


class CitizenFactory(UserFactory):
    """A citizen with a complete profile (a valid citizen ID: Hà Nội, male, born 1990)."""

    citizen_id = factory.Sequence(lambda n: f"001090{n % 1000000:06d}")
    phone = factory.Sequence(lambda n: f"09{n % 100000000:08d}")
    phone_confirmed_at = factory.LazyFunction(timezone.now)
    address = "12 Phố Huế, Hà Nội"
    date_of_birth = dt.date(1990, 5, 17)
    gender = User.Gender.MALE


class DossierFactory(DjangoModelFactory):
    """A draft by a citizen under a published level-3 procedure (one required document).

    Traits: `complete` (answers and a PDF for every required document), `submitted` (complete,
    then submitted through the service, so it has its code and event), and one per state of the
    workflow after that: `received`, `refused`, `withdrawn`, `processing`,
    `supplement_required`, `awaiting_payment`, `pending_approval`, `signing`, `resolved`,
    `returned`, `stopped`. Each is reached from `submitted` through the workflow's own services,
    step by step (see `dossier_advance`), so the dossier has what its state implies: code,
    submission and acceptance times, deadline, assignee, decision, result document, paused
    clock, events. `awaiting_payment` puts the dossier under a level-4 procedure whose online
    fee is paid on delivery. Name who takes the steps with `workflow__desk=`,
    `workflow__specialist=` (the assignee) and `workflow__leader=`, and the proposal with
    `workflow__decision=`; otherwise each step is taken by the agency's first officer holding
    the role, made if there is none."""

    class Meta:
        model = "submissions.Dossier"
        skip_postgeneration_save = True

    applicant = factory.SubFactory(CitizenFactory)
    version = factory.SubFactory(ProcedureVersionFactory, published=True, level3=True)
    agency = factory.LazyAttribute(lambda o: o.version.procedure.agency)
    # As submissions.services.dossier_start: the centre receiving for the agency, if one does.
    receiving_agency = factory.LazyAttribute(lambda o: o.version.procedure.agency.service_centre)
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
        received = factory.Trait(submitted=True, workflow=_taken_to(State.RECEIVED))
        refused = factory.Trait(submitted=True, workflow=_taken_to(State.REFUSED))
        withdrawn = factory.Trait(submitted=True, workflow=_taken_to(State.WITHDRAWN))
        processing = factory.Trait(submitted=True, workflow=_taken_to(State.PROCESSING))
        supplement_required = factory.Trait(
            submitted=True, workflow=_taken_to(State.SUPPLEMENT_REQUIRED)
        )
        awaiting_payment = factory.Trait(
            submitted=True,
            version=factory.SubFactory(
                ProcedureVersionFactory,
                published=True,
                level4=True,
                fee_timing="on_delivery",
                channels=[{}, {"online": True, "fee_vnd": FEE_ON_DELIVERY}],
            ),
            workflow=_taken_to(State.AWAITING_PAYMENT),
        )
        pending_approval = factory.Trait(submitted=True, workflow=_taken_to(State.PENDING_APPROVAL))
        signing = factory.Trait(submitted=True, workflow=_taken_to(State.SIGNING))
        resolved = factory.Trait(submitted=True, workflow=_taken_to(State.RESOLVED))
        returned = factory.Trait(submitted=True, workflow=_taken_to(State.RETURNED))
        stopped = factory.Trait(submitted=True, workflow=_taken_to(State.STOPPED))


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


# --- the workflow --------------------------------------------------------------------------------

# The steps that take a submitted dossier to each state (office.services).
WORKFLOW_STEPS = {
    State.SUBMITTED: [],
    State.RECEIVED: ["accept"],
    State.REFUSED: ["refuse"],
    State.WITHDRAWN: ["withdraw"],
    State.PROCESSING: ["accept", "assign"],
    State.SUPPLEMENT_REQUIRED: ["accept", "assign", "request_supplement"],
    State.AWAITING_PAYMENT: ["accept", "assign", "request_payment"],
    State.PENDING_APPROVAL: ["accept", "assign", "propose"],
    State.SIGNING: ["accept", "assign", "propose", "approve"],
    State.RESOLVED: ["accept", "assign", "propose", "approve", "resolve"],
    State.RETURNED: ["accept", "assign", "propose", "approve", "resolve", "hand_back"],
    State.STOPPED: ["accept", "assign", "stop"],
}
# The state each step is taken from.
STEP_FROM = {
    "accept": State.SUBMITTED,
    "refuse": State.SUBMITTED,
    "withdraw": State.SUBMITTED,
    "assign": State.RECEIVED,
    "request_supplement": State.PROCESSING,
    "request_payment": State.PROCESSING,
    "propose": State.PROCESSING,
    "stop": State.PROCESSING,
    "approve": State.PENDING_APPROVAL,
    "resolve": State.SIGNING,
    "hand_back": State.RESOLVED,
}


def _officer(agency, role: str) -> User:
    """The agency's first active officer holding `role`, or a new one."""
    found = (
        User.objects.filter(agency=agency, is_active=True, roles__role=role).order_by("pk").first()
    )
    return found or OfficerFactory(agency=agency, roles=[role])


def dossier_advance(
    dossier, to: str, *, desk=None, specialist=None, leader=None, decision: str = Decision.GRANT
):
    """Take a dossier on from where it is (submitted, or further on the way) to state `to`
    through the workflow's services, each step by the role whose step it is: `desk`,
    `specialist` (the dossier is assigned to them) and `leader`, by default the agency's first
    officer holding the role (made if there is none). The signing worker's part is played by
    `fake_sign`. Returns the dossier as stored."""
    from office import services as workflow
    from submissions import services
    from submissions.models import Dossier

    dossier = Dossier.objects.get(pk=dossier.pk)
    people = {"desk": desk, "specialist": specialist, "leader": leader}

    def by(role: str) -> User:
        if people[role] is None:
            people[role] = _officer(dossier.agency, role)
        return people[role]

    steps = {
        "accept": lambda: workflow.dossier_accept(dossier=dossier, actor=by("desk")),
        "refuse": lambda: workflow.dossier_refuse(
            dossier=dossier, actor=by("desk"), reasons="Không thuộc thẩm quyền."
        ),
        "withdraw": lambda: services.dossier_withdraw(
            dossier=dossier, actor=dossier.applicant, reason="Nộp nhầm."
        ),
        "assign": lambda: workflow.dossier_assign(
            dossier=dossier, actor=by("desk"), specialist=by("specialist")
        ),
        "request_supplement": lambda: workflow.dossier_request_supplement(
            dossier=dossier, actor=by("specialist"), reason="Thiếu học bạ.", items=["Học bạ"]
        ),
        "request_payment": lambda: workflow.dossier_request_payment(
            dossier=dossier, actor=by("specialist")
        ),
        "propose": lambda: workflow.dossier_propose(
            dossier=dossier,
            actor=by("specialist"),
            decision=decision,
            reasons="Không đủ điều kiện." if decision == Decision.DENY else "",
            result_content="Cấp bản sao văn bằng." if decision == Decision.GRANT else "",
        ),
        "approve": lambda: workflow.dossier_approve(dossier=dossier, actor=by("leader")),
        "resolve": lambda: _resolve_with_fake_signature(dossier),
        "hand_back": lambda: workflow.dossier_hand_back(
            dossier=dossier, actor=by("desk"), received_by="Nguyễn Văn Nhận"
        ),
        "stop": lambda: workflow.dossier_stop(
            dossier=dossier, actor=by("leader"), reason="Người nộp đã mất năng lực hành vi."
        ),
    }
    path = WORKFLOW_STEPS[to]
    if dossier.state != to:
        starts = [i for i, step in enumerate(path) if STEP_FROM[step] == dossier.state]
        assert starts, f"no way from {dossier.state} to {to}"
        for step in path[starts[0] :]:
            steps[step]()
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.state == to, (to, dossier.state)
    return dossier


def fake_sign(document):
    """What the signing worker leaves (without rendering or a certificate): a signed PDF."""
    from django.core.files.base import ContentFile

    from signing.models import Document

    document.pdf.save(f"{document.verification_code}.pdf", ContentFile(PDF_BYTES), save=False)
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.SIGNED, pdf=document.pdf.name, signed_at=timezone.now()
    )
    return Document.objects.get(pk=document.pk)


def _resolve_with_fake_signature(dossier) -> None:
    """signing → resolved, as the receiver of `document_signed` would do it."""
    from signing.models import Document
    from submissions import selectors, services

    (result,) = [
        d
        for d in selectors.dossier_documents(dossier, staff=True)
        if d.kind == "result" and d.status != Document.Status.SIGNED
    ]
    fake_sign(result)
    services.dossier_resolve(dossier_id=dossier.pk, document_id=result.pk)


# --- the staff's second factor -------------------------------------------------------------------


class TOTPDeviceFactory(DjangoModelFactory):
    """A confirmed authenticator app (portal.second_factor); `totp_code(device)` is its code."""

    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(OfficerFactory)
    name = "Authenticator app"
    confirmed = True


def totp_code(device, *, steps: int = 0) -> str:
    """The code the device's app shows now (`steps` of 30 s later or earlier), computed from its
    key as an authenticator app does (time-machine moves it with the clock)."""
    from django_otp.oath import totp

    code = totp(device.bin_key, device.step, device.t0, device.digits, drift=steps)
    return f"{code:0{device.digits}d}"


def pass_second_factor(client, user) -> None:
    """Mark the client's session as having passed the second factor with the user's app (one is
    made if the user has none), as the code page does: django-otp's own login()."""
    import django_otp
    from django.http import HttpRequest

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDeviceFactory(
        user=user
    )
    request = HttpRequest()
    request.session = client.session
    request.user = user
    django_otp.login(request, device)
    request.session.save()


class StaffClient(Client):
    """The test client, whose force_login lets a staff member in with the second factor passed
    (it skips the login form, and the code page with it); `second_factor=False` logs in with the
    password only, as the login form leaves a staff session."""

    def force_login(self, user, backend=None, *, second_factor: bool = True):
        super().force_login(user, backend)
        if second_factor and (user.is_staff or user.is_superuser or user.agency_id is not None):
            pass_second_factor(self, user)


# --- ratings and feedback ------------------------------------------------------------------------


class RatingFactory(DjangoModelFactory):
    """A rating row written directly (for counting): its dossier is only submitted, which the
    services would refuse (they rate dossiers returned, refused or stopped)."""

    class Meta:
        model = "feedback.Rating"

    dossier = factory.SubFactory(DossierFactory, submitted=True)
    agency = factory.LazyAttribute(lambda o: o.dossier.agency)
    procedure = factory.LazyAttribute(lambda o: o.dossier.version.procedure)
    level = "satisfied"
    created_at = factory.LazyFunction(timezone.now)


class FeedbackFactory(DjangoModelFactory):
    """Feedback about an agency, received now and due in three weeks. Traits: `answered` (the
    day after, early), `late` (answered after its due time), `refused`, `published` (answered,
    with its masked copy public)."""

    class Meta:
        model = "feedback.Feedback"

    code = factory.Sequence(lambda n: f"PAKN-000.00.00.T00-260101-{n:04d}")
    about = "agency"
    agency = factory.SubFactory(AgencyFactory)
    sender_name = "Lê Thị Hoa"
    sender_email = factory.Sequence(lambda n: f"hoa{n}@example.vn")
    title = "Thời gian trả kết quả quá dài"
    body = "Hồ sơ của tôi chờ lâu hơn thời hạn ghi trên phiếu hẹn."
    received_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda o: o.received_at + dt.timedelta(days=21))

    class Params:
        answered = factory.Trait(
            state="answered",
            answer="Sở đã kiểm tra và chấn chỉnh bộ phận một cửa.",
            answered_at=factory.LazyAttribute(lambda o: o.received_at + dt.timedelta(days=1)),
            timeliness="early",
        )
        late = factory.Trait(
            answered=True,
            answered_at=factory.LazyAttribute(lambda o: o.due_at + dt.timedelta(hours=1)),
            timeliness="late",
        )
        refused = factory.Trait(
            state="refused",
            answer="Không thuộc thẩm quyền của Sở.",
            answered_at=factory.LazyAttribute(lambda o: o.received_at + dt.timedelta(days=1)),
            timeliness="early",
        )
        published = factory.Trait(
            answered=True,
            published_at=factory.LazyAttribute(lambda o: o.answered_at),
            public_title=factory.LazyAttribute(lambda o: o.title),
            public_body=factory.LazyAttribute(lambda o: o.body),
            public_answer=factory.LazyAttribute(lambda o: o.answer),
        )
