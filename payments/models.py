"""Online fee payments: one `Payment` per attempt, and every message exchanged with the gateway,
stored verbatim (`GatewayMessage`). The gateway's server-to-server notification (IPN) is the
source of truth; the browser's return only shows the outcome."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class Payment(ConcurrentTransitionMixin, models.Model):
    class Status(models.TextChoices):
        NOT_PAID = "not_paid", _("Not paid")
        PENDING = "pending", _("Waiting for payment")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        REFUNDED = "refunded", _("Refunded")

    class Purpose(models.TextChoices):
        BEFORE = "before", _("Fee paid at submission")
        ON_DELIVERY = "on_delivery", _("Fee paid on delivery")

    dossier = models.ForeignKey(
        "submissions.Dossier", on_delete=models.PROTECT, related_name="payments"
    )
    provider = models.CharField(max_length=16)
    order_ref = models.CharField(_("order reference"), max_length=34, unique=True)
    amount = models.PositiveBigIntegerField(_("amount (VND)"))
    currency = models.CharField(max_length=3, default="VND")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    status = FSMField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, protected=True
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    gateway_transaction_no = models.CharField(max_length=40, blank=True)
    bank_code = models.CharField(max_length=20, blank=True)
    response_code = models.CharField(max_length=4, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_status_idx")]

    def __str__(self):
        return f"{self.order_ref} {self.amount} VND ({self.status})"

    SETTLEABLE = [Status.PENDING, Status.EXPIRED, Status.FAILED, Status.CANCELLED]

    @transition(field=status, source=SETTLEABLE, target=Status.PAID)
    def mark_paid(self):
        """Money taken by the gateway is recorded even after a local expiry or failure: the
        gateway's word wins (reconciliation then shows any double payment)."""
        self.paid_at = self.settled_at = timezone.now()

    @transition(field=status, source=Status.PENDING, target=Status.FAILED)
    def mark_failed(self):
        self.settled_at = timezone.now()

    @transition(field=status, source=Status.PENDING, target=Status.CANCELLED)
    def mark_cancelled(self):
        self.settled_at = timezone.now()

    @transition(field=status, source=Status.PENDING, target=Status.EXPIRED)
    def mark_expired(self):
        self.settled_at = timezone.now()

    @transition(field=status, source=Status.PAID, target=Status.REFUNDED)
    def mark_refunded(self):
        pass


class GatewayMessage(models.Model):
    """One message to or from the gateway, kept as it was sent or received."""

    class Kind(models.TextChoices):
        PAY_REQUEST = "pay_request", _("Payment request")
        RETURN = "return", _("Browser return")
        IPN = "ipn", _("Notification (IPN)")
        QUERY_REQUEST = "query_request", _("Status query")
        QUERY_RESPONSE = "query_response", _("Status query answer")

    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    payload = models.JSONField()
    signature_valid = models.BooleanField(null=True)
    outcome = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M:%S}"


class ReconciliationReport(models.Model):
    """The daily comparison of our records with the gateway's (đối soát)."""

    day = models.DateField(unique=True)
    checked = models.PositiveIntegerField(default=0)
    mismatches = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day"]

    def __str__(self):
        return f"{self.day}: {len(self.mismatches)} mismatches in {self.checked}"


class SimulatedTransaction(models.Model):
    """The gateway simulator's own ledger (development and tests only)."""

    tmn_code = models.CharField(max_length=16)
    txn_ref = models.CharField(max_length=34)
    amount = models.PositiveBigIntegerField()  # as the protocol sends it: VND × 100
    order_info = models.CharField(max_length=255)
    return_url = models.URLField(max_length=500)
    create_date = models.CharField(max_length=14)
    status = models.CharField(max_length=16, default="pending")  # pending, paid, failed, cancelled
    response_code = models.CharField(max_length=2, blank=True)
    transaction_no = models.CharField(max_length=20, blank=True)
    bank_code = models.CharField(max_length=20, blank=True)
    pay_date = models.CharField(max_length=14, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tmn_code", "txn_ref"], name="simulated_txn_once")
        ]

    def __str__(self):
        return f"{self.tmn_code}/{self.txn_ref} {self.status}"
