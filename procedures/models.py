from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from portal.models import Agency
from procedures import form_schema
from procedures.search import fold


class FeeTiming(models.TextChoices):
    """When a level-4 procedure's online fee is paid (thu trước / thu sau)."""

    BEFORE = "before", _("before processing (at submission)")
    ON_DELIVERY = "on_delivery", _("on delivery of the result")


class Field(models.Model):
    """A field of procedures (lĩnh vực), e.g. "Văn bằng, chứng chỉ"."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("field")
        verbose_name_plural = _("fields")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class Procedure(models.Model):
    """The identity of a procedure as one agency announced it: the catalogue is keyed by
    (code, agency, version). What it says lives in its versions."""

    code = models.CharField(
        _("procedure code"), max_length=64, help_text=_("As announced, e.g. 2.001914")
    )
    # A service centre resolves nothing: it publishes no procedures (it receives the dossiers
    # of the agencies it serves).
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="procedures",
        limit_choices_to={"kind": "agency"},
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "agency"], name="procedure_code_agency_unique")
        ]

    def __str__(self):
        return f"{self.code} ({self.agency.code})"

    @property
    def service_code(self) -> str:
        """The provincial service code: the procedure code followed by the agency's code."""
        return f"{self.code}.{self.agency.code}"


class ProcedureVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class ServiceLevel(models.IntegerChoices):
        """The four levels of Decree 43/2011, which Decree 42/2022 replaced: kept as the stored
        legacy field (older lists are imported by it) and read as an OnlineService."""

        LEVEL_1 = 1, _("Level 1")
        LEVEL_2 = 2, _("Level 2")
        LEVEL_3 = 3, _("Level 3")
        LEVEL_4 = 4, _("Level 4")

    class OnlineService(models.TextChoices):
        """Decree 42/2022/NĐ-CP Art. 11(1): a fully online public service (toàn trình) provides
        all information and is filed and resolved entirely online, its result returned online
        or by the public postal service; a partly online one (một phần) is an online service
        that does not meet that; the others give the procedure's information online only."""

        FULL = "full", _("Fully online public service")
        PARTIAL = "partial", _("Partly online public service")
        INFORMATION = "information", _("Information online")

    class ImplementingLevel(models.TextChoices):
        MINISTRY = "ministry", _("Ministry")
        PROVINCE = "province", _("Province")
        COMMUNE = "commune", _("Commune")

    class ApplicantType(models.TextChoices):
        INDIVIDUAL = "individual", _("Individuals")
        ORGANIZATION = "organization", _("Organisations")
        BOTH = "both", _("Individuals and organisations")

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=False)
    effective_date = models.DateField(_("effective date"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    name = models.CharField(_("name"), max_length=500)
    field = models.ForeignKey(
        Field, verbose_name=_("field"), on_delete=models.PROTECT, related_name="versions"
    )
    implementing_level = models.CharField(
        _("implementing level"), max_length=16, choices=ImplementingLevel.choices
    )
    implementing_agency = models.CharField(_("implementing agency"), max_length=500, blank=True)
    competent_agency = models.CharField(_("competent agency"), max_length=500, blank=True)
    coordinating_agency = models.CharField(_("co-operating agency"), max_length=500, blank=True)
    applicant_type = models.CharField(
        _("applicant type"), max_length=16, choices=ApplicantType.choices, default="individual"
    )
    applicants = models.TextField(_("applicants"), blank=True)
    steps = models.TextField(_("steps"), blank=True)
    result = models.TextField(_("result"), blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    requirements = models.TextField(_("requirements and conditions"), blank=True)
    announcing_decision = models.CharField(_("announcing decision"), max_length=500, blank=True)
    service_level = models.PositiveSmallIntegerField(
        _("service level"),
        choices=ServiceLevel.choices,
        default=ServiceLevel.LEVEL_1,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    # A time limit the law counts from the close of the filing window (re-marking "within N
    # days of the results" is resolved N days after the window closes), not from receipt.
    time_from_window_close = models.BooleanField(
        _("time limit counted from the window's close"),
        default=False,
        help_text=_("For a procedure with filing windows whose time limit runs from the close"),
    )
    # The fee rule's questions in the form schema (payments.fees.fee_amount): how many copies,
    # and whether the applicant is exempt (the answers that exempt, each with its evidence among
    # the documents).
    fee_quantity_question = models.CharField(
        _("quantity question"), max_length=64, blank=True,
        help_text=_("Name of the number question giving the copies, for a fee per copy"),
    )  # fmt: skip
    fee_exemption_question = models.CharField(
        _("exemption question"), max_length=64, blank=True,
        help_text=_("Name of the question whose answer may exempt from the fee"),
    )  # fmt: skip
    fee_exempt_answers = models.JSONField(
        _("exempting answers"), default=list, blank=True,
        help_text=_("The answers to the exemption question that exempt from the fee"),
    )  # fmt: skip
    fee_timing = models.CharField(
        _("fee paid"),
        max_length=16,
        choices=FeeTiming.choices,
        default=FeeTiming.BEFORE,
        help_text=_("Level 4: when the online fee is paid (thu trước / thu sau)"),
    )
    form_schema = models.JSONField(
        _("online form schema"),
        default=list,
        blank=True,
        validators=[form_schema.validate_schema],
        help_text=_("Level 3 and 4: the fields of the online application form"),
    )
    search_text = models.TextField(editable=False, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("procedure version")
        verbose_name_plural = _("procedure versions")
        ordering = ["procedure__code", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "number"], name="procedureversion_number_unique"
            ),
            models.UniqueConstraint(
                fields=["procedure"],
                condition=models.Q(status="published"),
                name="procedureversion_one_published",
            ),
        ]
        indexes = [models.Index(fields=["status", "service_level"])]

    def __str__(self):
        return f"{self.procedure.code} v{self.number} — {self.name}"

    def save(self, *args, **kwargs):
        self.search_text = fold(f"{self.procedure.code} {self.name}")
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    # --- transitions: state and guards only (procedures/services.py does the rest) ------------

    @transition(field=status, source=Status.DRAFT, target=Status.PUBLISHED)
    def publish(self):
        self.published_at = timezone.now()
        if self.effective_date is None:
            self.effective_date = timezone.localdate()

    @transition(field=status, source=Status.PUBLISHED, target=Status.ARCHIVED)
    def archive(self):
        self.archived_at = timezone.now()

    # --- what the level offers ------------------------------------------------------------------

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def online_service(self) -> str:
        """The Decree 42/2022 category (OnlineService) the version is offered as."""
        return LEVEL_TO_SERVICE[self.service_level]

    @property
    def online_level_label(self) -> str:
        """The Decree 42/2022 label of the version (DOMAIN.md §1)."""
        return str(self.OnlineService(self.online_service).label)

    @property
    def offers_forms(self) -> bool:
        return self.service_level >= 2

    @property
    def offers_online_filing(self) -> bool:
        return self.service_level >= 3

    @property
    def offers_online_payment(self) -> bool:
        return self.service_level >= 4

    def time_limit(self) -> tuple[float | None, str]:
        """(amount, unit) of the time limit a dossier filed under this version runs on: the
        online channel's, else the first channel's."""
        channels = list(self.channels.all())
        channel = next((c for c in channels if c.kind == Channel.Kind.ONLINE), None) or (
            channels[0] if channels else None
        )
        if channel is None:
            return None, Channel.TimeUnit.WORKING_DAYS
        amount = float(channel.time_amount) if channel.time_amount is not None else None
        return amount, channel.time_unit


class Channel(models.Model):
    """A way to file (cách thức thực hiện) with its time limit and fee."""

    class Kind(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        POST = "post", _("By post")

    class TimeUnit(models.TextChoices):
        WORKING_DAYS = "working_days", _("working days")
        WORKING_HOURS = "working_hours", _("working hours")
        SAME_DAY = "same_day", _("same day")

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(_("channel"), max_length=16, choices=Kind.choices)
    time_amount = models.DecimalField(
        _("time limit"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Empty for same-day procedures"),
    )
    time_unit = models.CharField(
        _("time unit"), max_length=16, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS
    )
    fee_vnd = models.PositiveBigIntegerField(
        _("fee (VND)"), null=True, blank=True, help_text=_("0 when free; empty when not stated")
    )
    fee_note = models.CharField(_("fee note"), max_length=500, blank=True)
    fee_per_copy = models.BooleanField(
        _("fee per copy"),
        default=False,
        help_text=_("The fee is per copy: times the number the form's quantity question asks"),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["order", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.time_limit_display}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.time_unit != self.TimeUnit.SAME_DAY and not self.time_amount:
            raise ValidationError({"time_amount": _("Give the time limit.")})

    @property
    def time_limit_display(self) -> str:
        if self.time_unit == self.TimeUnit.SAME_DAY:
            return str(_("within the day"))
        amount = self.time_amount.normalize() if self.time_amount is not None else "?"
        return f"{amount:f} {self.get_time_unit_display()}" if amount != "?" else "?"


def template_upload_to(instance, filename: str) -> str:
    return f"procedures/templates/{instance.version.procedure_id}/{filename}"


def all_filing_channels() -> list[str]:
    return list(RequiredDocument.FilingChannel.values)


class RequiredDocument(models.Model):
    """A document of the dossier (thành phần hồ sơ), and the filing channels it is asked for on:
    "xuất trình bản chính để đối chiếu" is for the desk, a stamped envelope for the post; an
    online filer is asked only for what applies online."""

    class FilingChannel(models.TextChoices):
        ONLINE = "online", _("Online")
        IN_PERSON = "in_person", _("In person")
        POST = "post", _("By post")  # the public postal service too

    version = models.ForeignKey(
        ProcedureVersion, on_delete=models.CASCADE, related_name="documents"
    )
    case = models.CharField(
        _("case"), max_length=255, blank=True, help_text=_("Groups documents by case, if any")
    )
    name = models.CharField(_("document"), max_length=1000)
    originals = models.PositiveSmallIntegerField(_("originals"), default=1)
    copies = models.PositiveSmallIntegerField(_("copies"), default=0)
    required = models.BooleanField(_("required"), default=True)
    needs_template = models.BooleanField(
        _("has a form"), default=False, help_text=_("The applicant fills in a published form")
    )
    template = models.FileField(
        _("form template"), upload_to=template_upload_to, blank=True, max_length=300
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    exemption_evidence = models.BooleanField(
        _("evidence of a fee exemption"),
        default=False,
        help_text=_("Asked for (and then required) only of an applicant exempt from the fee"),
    )
    channels = models.JSONField(
        _("asked for when filed"),
        default=all_filing_channels,
        help_text=_("The filing channels this document is asked for on: online, in_person, post"),
    )

    class Meta:
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        ordering = ["order", "pk"]

    def __str__(self):
        return self.name

    @property
    def channel_labels(self) -> list[str]:
        return [str(label) for value, label in self.FilingChannel.choices if value in self.channels]

    def applies_to(self, channel: str) -> bool:
        """Whether a dossier filed on `channel` (a dossier's channel: the public postal service
        counts as the post) is asked for this document."""
        return ("post" if channel == "public_post" else channel) in (self.channels or [])


class FilingWindow(models.Model):
    """A period in which a procedure that runs in fixed periods (exam registration, admissions,
    re-marking within N days of the results) takes dossiers; several a year. A procedure with
    windows takes none outside them."""

    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), on_delete=models.CASCADE, related_name="windows"
    )
    name = models.CharField(_("name"), max_length=150, help_text=_("e.g. Đợt 1 năm 2026"))
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))

    class Meta:
        verbose_name = _("filing window")
        verbose_name_plural = _("filing windows")
        ordering = ["opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="filingwindow_closes_after_opening",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError(
                {"closes_at": _("A window closes after it opens.")}, code="window_order"
            )
        # In the admin the procedure's whole set of windows is checked together, as edited
        # (FilingWindowFormSet): the stored ones may be moving in the same save.
        if getattr(self, "checked_as_a_set", False):
            return
        if self.procedure_id and self.opens_at and self.closes_at:
            overlapping = FilingWindow.objects.filter(
                procedure_id=self.procedure_id,
                opens_at__lt=self.closes_at,
                closes_at__gt=self.opens_at,
            ).exclude(pk=self.pk)
            other = overlapping.first()
            if other is not None:
                raise ValidationError(
                    _("This window overlaps “%(name)s” (%(opens)s – %(closes)s).")
                    % {
                        "name": other.name,
                        "opens": timezone.localtime(other.opens_at).strftime("%H:%M %d/%m/%Y"),
                        "closes": timezone.localtime(other.closes_at).strftime("%H:%M %d/%m/%Y"),
                    },
                    code="window_overlap",
                )


# Decree 43/2011's levels read as Decree 42/2022's categories, and back (the level a category
# is stored as: information is level 2, forms offered where they exist).
LEVEL_TO_SERVICE = {
    1: ProcedureVersion.OnlineService.INFORMATION,
    2: ProcedureVersion.OnlineService.INFORMATION,
    3: ProcedureVersion.OnlineService.PARTIAL,
    4: ProcedureVersion.OnlineService.FULL,
}
SERVICE_TO_LEVEL = {
    ProcedureVersion.OnlineService.INFORMATION: 2,
    ProcedureVersion.OnlineService.PARTIAL: 3,
    ProcedureVersion.OnlineService.FULL: 4,
}


class ResultTemplate(models.Model):
    """How a procedure version's result reads: a decision, a certificate, a confirmation, or the
    reasoned refusal, written by the agency's administrator as text with placeholders
    (procedures/result_templates.py). The specialist's proposal fills it into a draft (dự thảo)
    that the leader approves; the signed result is that draft, numbered and signed."""

    class Kind(models.TextChoices):
        DECISION = "decision", _("Decision (quyết định)")
        CERTIFICATE = "certificate", _("Certificate (giấy chứng nhận)")
        CONFIRMATION = "confirmation", _("Confirmation (giấy xác nhận)")
        REFUSAL = "refusal", _("Reasoned refusal (thông báo)")

    GRANTING = (Kind.DECISION, Kind.CERTIFICATE, Kind.CONFIRMATION)

    version = models.ForeignKey(
        ProcedureVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="result_templates",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(
        _("title"), max_length=120, help_text=_("The document's type, e.g. QUYẾT ĐỊNH.")
    )
    summary = models.CharField(
        _("summary"),
        max_length=300,
        blank=True,
        help_text=_("Under the title (trích yếu), e.g. Về việc cấp bản sao văn bằng."),
    )
    competent = models.CharField(
        _("competent person"),
        max_length=200,
        blank=True,
        help_text=_(
            "A decision's issuing authority line, e.g. GIÁM ĐỐC SỞ GIÁO DỤC VÀ ĐÀO TẠO. Empty: "
            "the head's title and the agency's name."
        ),
    )
    bases = models.TextField(
        _("legal bases"),
        blank=True,
        help_text=_("One per line (Căn cứ …). Empty: the procedure version's legal basis."),
    )
    body = models.TextField(
        _("body"),
        help_text=_(
            "One paragraph per line; in a decision each line is an article (Điều 1, Điều 2, …). "
            "Placeholders: {{ applicant_name }}, {{ answers.QUESTION }} (a question of the online "
            "form), {{ edit.BLANK }} (a blank below) …"
        ),
    )
    recipients = models.TextField(
        _("recipients"), blank=True, help_text=_("Nơi nhận, one per line.")
    )
    annex_title = models.CharField(
        _("annex title"),
        max_length=300,
        blank=True,
        help_text=_(
            "An annex in its own file (phụ lục), signed by the agency at the top right of its "
            "first page with the result's number. Empty: no annex."
        ),
    )
    annex_body = models.TextField(
        _("annex"), blank=True, help_text=_("One line per line of the annex; placeholders allowed.")
    )
    editable = models.TextField(
        _("blanks the specialist fills"),
        blank=True,
        help_text=_("One per line as name: label, e.g. so_ban_sao: Số bản sao."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("result template")
        verbose_name_plural = _("result templates")
        constraints = [
            models.UniqueConstraint(fields=["version", "kind"], name="result_template_once")
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.title}"

    TEXT_PARTS = (
        "title", "summary", "competent", "bases", "body", "recipients", "annex_title", "annex_body",
    )  # fmt: skip

    def blanks(self) -> list[tuple[str, str]]:
        from procedures import result_templates

        return result_templates.parse_editable(self.editable)[0]

    def clean(self):
        from procedures import result_templates

        blanks, errors = result_templates.parse_editable(self.editable)
        found = {"editable": errors} if errors else {}
        answers = [
            spec["name"]
            for spec in (self.version.form_schema if self.version_id else []) or []
            if spec.get("name")
        ]
        allowed = result_templates.allowed_names(
            answers=answers, editable=[name for name, _label in blanks]
        )
        for part in self.TEXT_PARTS:
            problems = result_templates.problems(getattr(self, part), allowed=allowed)
            if problems:
                found[part] = problems
        if bool(self.annex_title.strip()) != bool(self.annex_body.strip()):
            found.setdefault("annex_body", []).append(
                _("An annex needs both its title and its lines.")
            )
        if found:
            raise ValidationError(found)
