"""The fee rule, written once: what a dossier owes online, and when it must be paid (the
amount itself, per dossier or per copy, exemptions: procedures.fees).

A level-4 procedure's online channel fee is due online (Decree 42/2022: full online service
includes paying online); its version's `fee_timing` says whether it is paid at submission
(thu trước: the desk may not accept the dossier before) or on delivery (thu sau: the specialist
asks for it, the leader may not approve a grant before). Without a configured gateway the fee is
collected at the desk and nothing is owed online.
"""

from django.conf import settings

from payments.models import Payment
from procedures.fees import dossier_fee
from procedures.models import FeeTiming
from submissions.models import Dossier, IntakeChannel, State


def fee_due(dossier: Dossier) -> int:
    """The amount to pay online: the online channel's fee, for level 4 only (0 when free or
    exempt), for a dossier filed online (one taken in at the desk pays there)."""
    if dossier.version.service_level < 4 or dossier.channel != IntakeChannel.ONLINE:
        return 0
    return dossier_fee(dossier) or 0


def online_payment_enabled() -> bool:
    return bool(settings.VNPAY_TMN_CODE and settings.VNPAY_HASH_SECRET)


def paid(dossier: Dossier) -> Payment | None:
    return dossier.payments.filter(status=Payment.Status.PAID).first()


def _owed(dossier: Dossier, timing: str) -> bool:
    return (
        dossier.version.fee_timing == timing
        and online_payment_enabled()
        and fee_due(dossier) > 0
        and paid(dossier) is None
    )


def fee_outstanding(dossier: Dossier) -> bool:
    """A fee due at submission and not yet paid: the desk may not accept the dossier."""
    return _owed(dossier, FeeTiming.BEFORE)


def fee_owed_on_delivery(dossier: Dossier) -> bool:
    """A fee due on delivery and not yet paid: the specialist may ask for it, and a grant may
    not be approved before it is paid."""
    return _owed(dossier, FeeTiming.ON_DELIVERY)


def purpose_now(dossier: Dossier) -> str | None:
    """Which fee the applicant can pay now, if any."""
    if fee_due(dossier) == 0 or paid(dossier) is not None:
        return None
    timing = dossier.version.fee_timing
    if timing == FeeTiming.BEFORE and dossier.state in (
        State.SUBMITTED,
        State.SUPPLEMENT_REQUIRED,
    ):
        return Payment.Purpose.BEFORE
    if dossier.state == State.AWAITING_PAYMENT:
        return Payment.Purpose.ON_DELIVERY
    return None
