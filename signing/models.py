import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from portal.models import Agency

# Unambiguous upper-case letters and digits (no 0/O, 1/I/L): easy to type from a printed slip.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16  # 16 symbols of 31: about 79 bits


# signing.ltv's levels (ETSI EN 319 142-1), here so that the model needs no pyHanko.
PADES_LEVELS = [
    ("B-B", "PAdES B-B"),
    ("B-T", "PAdES B-T"),
    ("B-LT", "PAdES B-LT"),
    ("B-LTA", "PAdES B-LTA"),
]


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class Series(models.TextChoices):
    """The series an agency numbers its outgoing documents in, each from 1 every calendar year
    (Decree 30/2020/NĐ-CP Art. 15(1) and 26(1): the number is the document's order among those
    the agency issues in the year; how administrative documents are grouped into series is the
    head of the agency's to decide, Art. 26(1)(d)). The caller says which series a document
    takes (office.slips.SERIES); a document with none is not numbered."""

    DECISION = "decision", _("Decisions (QĐ)")
    NOTICE = "notice", _("Notices (TB)")
    SLIP = "slip", _("Slips (PB)")
    CERTIFICATE = "certificate", _("Certificates (GCN)")
    CONFIRMATION = "confirmation", _("Confirmations (GXN)")
    LETTER = "letter", _("Official letters (no type abbreviation)")
    REPORT = "report", _("Reports (BC)")


# The type's abbreviation in the symbol (Decree 30/2020/NĐ-CP Appendix III, "Bảng chữ viết tắt
# tên loại văn bản hành chính"): Quyết định QĐ, Thông báo TB, Phiếu báo PB; công văn has none
# and its symbol is the agency's abbreviation alone. The decree's text was not in the sources at
# hand; these three agree with a third-party tabulation of Appendix III (QĐ, TB, PB, and none
# for công văn and thư công) and with symbols in use (6905/TB-KBNN, 18/2020/QĐ-TTg).
TYPE_ABBREVIATIONS = {
    Series.DECISION: "QĐ",
    Series.NOTICE: "TB",
    Series.SLIP: "PB",
    # Giấy chứng nhận GCN, giấy xác nhận GXN (the same third-party tabulation of Appendix III).
    Series.CERTIFICATE: "GCN",
    Series.CONFIRMATION: "GXN",
    Series.LETTER: "",
    # Báo cáo BC (the same third-party tabulation of Appendix III).
    Series.REPORT: "BC",
}


def document_symbol(*, sequence: int, series: str, agency: Agency) -> str:
    """ "Số và ký hiệu": 05/QĐ-SGDĐT, or 05/SGDĐT for a series without a type abbreviation.
    Numbers below 10 take a leading zero (Decree 30/2020/NĐ-CP Appendix I, "Số, ký hiệu của văn
    bản"; as read in a third-party checker of the layout, the decree's text not at hand)."""
    prefix = TYPE_ABBREVIATIONS[Series(series)]
    symbol = f"{prefix}-{agency.symbol_abbreviation}" if prefix else agency.symbol_abbreviation
    return f"{sequence:02d}/{symbol}"


class CertificateRecord(models.Model):
    """What the portal keeps of an X.509 certificate it signs with (an agency's or a leader's):
    read from the certificate when it is registered, never edited."""

    subject = models.CharField(_("subject"), max_length=500, editable=False)
    issuer = models.CharField(_("issuer"), max_length=500, editable=False)
    serial = models.CharField(_("serial number"), max_length=80, editable=False)
    sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True, editable=False)
    not_before = models.DateTimeField(_("valid from"), editable=False)
    not_after = models.DateTimeField(_("valid until"), editable=False)
    certificate_pem = models.TextField(editable=False)
    chain_pem = models.TextField(blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True

    @property
    def is_current(self) -> bool:
        now = timezone.now()
        return self.is_active and self.not_before <= now <= self.not_after


class SigningCertificate(CertificateRecord):
    """An agency's signing certificate with its chain; the private key is stored encrypted
    (signing/keys.py) and is never shown anywhere."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="certificates"
    )
    name = models.CharField(_("name"), max_length=255)
    encrypted_key = models.BinaryField(editable=False)
    kek_id = models.CharField(max_length=16, editable=False)
    seal_image = models.FileField(
        _("seal image"),
        upload_to="seals/",
        blank=True,
        help_text=_("The agency's seal, red on a transparent background (PNG), at actual size"),
    )
    created_at = models.DateTimeField(_("imported"), auto_now_add=True)
    # When the agency's administrators were told it expires soon (signing.lifecycle): once.
    expiry_warned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("signing certificate")
        verbose_name_plural = _("signing certificates")
        ordering = ["agency", "-not_after"]

    def __str__(self):
        return f"{self.name} ({self.serial})"


class PersonalCertificate(CertificateRecord):
    """A staff member's own signing certificate (a leader's, Decree 30/2020 Art. 5) with where
    its key lives: on the leader's PKCS#11 token or at a remote signing service (CSC API v2).
    There is no private key here, on purpose: the portal never holds a leader's key; the leader
    unlocks it with the PIN for each signature."""

    class Backend(models.TextChoices):
        PKCS11 = "pkcs11", _("PKCS#11 token")
        CSC = "csc", _("Remote signing service (CSC)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="personal_certificates",
    )
    backend = models.CharField(
        _("where the key is"), max_length=10, choices=Backend.choices, default=Backend.PKCS11
    )
    token_label = models.CharField(_("token label"), max_length=32, blank=True)
    key_label = models.CharField(_("key label"), max_length=64, blank=True)
    key_id = models.CharField(_("key ID (hex)"), max_length=128, blank=True)
    csc_service_url = models.URLField(_("CSC service URL"), blank=True)
    csc_credential_id = models.CharField(_("CSC credential ID"), max_length=200, blank=True)
    signature_image = models.FileField(
        _("signature image"),
        upload_to="signatures/",
        blank=True,
        help_text=_("Blue, on a transparent background (PNG), Decree 30/2020 Appendix I"),
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)

    class Meta:
        verbose_name = _("personal signing certificate")
        verbose_name_plural = _("personal signing certificates")
        ordering = ["user", "-not_after"]

    def __str__(self):
        return f"{self.subject} ({self.serial})"


class Document(models.Model):
    """A rendered and signed PDF. Once signed, nothing about it changes.

    With a personal certificate the document is signed twice (Decree 30/2020 Art. 5): the
    worker renders it and prepares the leader's signature (pending → awaiting_signature), the
    leader signs the prepared bytes with the PIN (→ signature_received), and the worker embeds
    that signature and adds the organisation's (→ signed)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        AWAITING_SIGNATURE = "awaiting_signature", _("Awaiting the leader's signature")
        SIGNATURE_RECEIVED = "signature_received", _("Being sealed")
        SIGNED = "signed", _("Signed")
        RENDERED = "rendered", _("Rendered (draft, not signed)")
        FAILED = "failed", _("Failed")

    kind = models.SlugField(_("kind"), max_length=40)
    # A draft (dự thảo) or a template's preview: rendered for its readers, marked as a draft on
    # every page, never numbered, never signed, never shown by the public verification.
    draft = models.BooleanField(_("draft"), default=False)
    title = models.CharField(_("title"), max_length=300)
    template = models.CharField(_("template"), max_length=200)
    context = models.JSONField(_("content"), default=dict, blank=True)
    paper = models.CharField(_("paper size"), max_length=4, default="A4")
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="documents"
    )
    owner_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner_id = models.PositiveBigIntegerField(null=True, blank=True)
    owner = GenericForeignKey("owner_type", "owner_id")
    revision = models.PositiveIntegerField(_("revision"), default=1)
    series = models.CharField(
        _("register series"),
        max_length=16,
        choices=Series.choices,
        blank=True,
        help_text="Empty: not numbered in the register of outgoing documents",
    )
    number = models.CharField(_("number and symbol"), max_length=60, blank=True)
    recipient = models.CharField(_("recipient"), max_length=300, blank=True)
    reference = models.CharField(
        _("reference"), max_length=60, blank=True, help_text="The owner's code, e.g. a dossier's"
    )
    key = models.CharField(
        max_length=200, unique=True, help_text="owner, kind and revision: one document each"
    )

    status = FSMField(_("status"), default=Status.PENDING, choices=Status.choices, protected=False)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    pdf = models.FileField(_("PDF"), upload_to="documents/%Y/%m/", blank=True, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    verification_code = models.CharField(
        _("verification code"), max_length=32, unique=True, default=new_verification_code
    )
    certificate = models.ForeignKey(
        SigningCertificate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signer = models.CharField(_("signer"), max_length=300, blank=True)
    # The PAdES baseline level the signed file reaches (signing.ltv.reached; level_of reads it).
    pades_level = models.CharField(
        _("signature level"), max_length=8, blank=True, choices=PADES_LEVELS
    )
    certificate_serial = models.CharField(_("certificate serial"), max_length=80, blank=True)
    # B-LTA: when the newest document timestamp's authority certificate expires, read by the
    # daily renewal task; it is renewed before then (signing.archive).
    archive_until = models.DateTimeField(_("archive timestamp valid until"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # The leader's signature, when the document needs one (see the class docstring).
    personal_certificate = models.ForeignKey(
        PersonalCertificate,
        verbose_name=_("personal certificate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    prepared_pdf = models.FileField(upload_to="prepared/%Y/%m/", blank=True, max_length=200)
    # What pyHanko needs to resume: the /ByteRange digest and where the signature goes.
    prepared_digest = models.JSONField(default=dict, blank=True, editable=False)
    # The DER of the CMS signed attributes: exactly the bytes the leader's key signs.
    to_be_signed = models.BinaryField(blank=True, default=b"", editable=False)
    personal_signature = models.BinaryField(blank=True, default=b"", editable=False)
    personal_signer = models.CharField(_("signed personally by"), max_length=300, blank=True)
    personal_signed_at = models.DateTimeField(_("signed personally at"), null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["owner_type", "owner_id"]),
        ]

    def __str__(self):
        return f"{self.title} [{self.verification_code}]"

    @staticmethod
    def make_key(*, owner=None, kind: str, revision: int = 1, agency=None) -> str:
        if owner is not None:
            ct = ContentType.objects.get_for_model(owner)
            return f"{ct.app_label}.{ct.model}:{owner.pk}:{kind}:{revision}"
        return f"agency:{agency.pk}:{kind}:{revision}"

    @transition(field=status, source=Status.PENDING, target=Status.AWAITING_SIGNATURE)
    def mark_prepared(self):
        self.error = ""

    @transition(field=status, source=Status.PENDING, target=Status.RENDERED)
    def mark_rendered(self):
        self.error = ""

    @transition(field=status, source=Status.AWAITING_SIGNATURE, target=Status.SIGNATURE_RECEIVED)
    def receive_signature(self, signature: bytes, *, signer: str):
        self.personal_signature = signature
        self.personal_signer = signer
        self.personal_signed_at = timezone.now()

    @transition(
        field=status, source=[Status.PENDING, Status.SIGNATURE_RECEIVED], target=Status.SIGNED
    )
    def mark_signed(self):
        self.error = ""

    @transition(
        field=status,
        # awaiting_signature: the leader's certificate became unusable before they signed.
        source=[
            Status.PENDING,
            Status.AWAITING_SIGNATURE,
            Status.SIGNATURE_RECEIVED,
            Status.FAILED,
        ],
        target=Status.FAILED,
    )
    def mark_failed(self, error: str):
        self.error = error[:2000]

    @transition(field=status, source=Status.FAILED, target=Status.PENDING)
    def retry(self):
        self.error = ""

    @transition(
        field=status, source=[Status.AWAITING_SIGNATURE, Status.FAILED], target=Status.PENDING
    )
    def hand_over(self):
        """Another leader signs in place of the one who approved and has not signed: the
        document is prepared again for them (signing.services.document_hand_over)."""
        self.error = ""
        self.prepared_digest = {}
        self.to_be_signed = b""


class NumberCounter(models.Model):
    """The last number an agency gave in a series in a year (its register of outgoing documents,
    sổ đăng ký văn bản đi). Only signing.numbering writes it, under the row lock."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    series = models.CharField(max_length=16, choices=Series.choices)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "year", "series"], name="numbercounter_agency_year_series"
            )
        ]

    def __str__(self):
        return f"{self.agency_id} {self.year} {self.series}: {self.last}"


class NumberEntry(models.Model):
    """A line of the register of outgoing documents: the number a document was given, once and
    for good (a document that failed keeps it and is signed with it when retried)."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    series = models.CharField(_("series"), max_length=16, choices=Series.choices)
    sequence = models.PositiveIntegerField(_("number"))
    number = models.CharField(_("number and symbol"), max_length=60)
    document = models.OneToOneField(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="entry"
    )
    issued_at = models.DateTimeField(_("issued"))
    summary = models.CharField(_("summary"), max_length=300)
    recipient = models.CharField(_("recipient"), max_length=300, blank=True)
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    signer = models.CharField(_("signer"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("register entry")
        verbose_name_plural = _("register of outgoing documents")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "year", "series", "sequence"],
                name="numberentry_agency_year_series_sequence",
            )
        ]
        indexes = [models.Index(fields=["agency", "-issued_at"], name="numberentry_agency_issued")]

    def __str__(self):
        return self.number


class EarlierVersion(models.Model):
    """A signed document's file before its archive timestamp was renewed (signing.archive): a
    copy downloaded then is still one the portal issued."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="earlier")
    sha256 = models.CharField(max_length=64, db_index=True)
    replaced_at = models.DateTimeField()

    class Meta:
        verbose_name = _("earlier version of a document")
        verbose_name_plural = _("earlier versions of documents")

    def __str__(self):
        return f"{self.document_id}: {self.sha256}"
