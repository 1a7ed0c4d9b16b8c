"""The payment parts of the citizen's dossier page, drawn by the payments app itself: the
dossier pages (submissions) load these tags instead of importing payments, which stands above
them."""

from django import template

from payments import fees
from procedures import fees as procedure_fees

register = template.Library()


@register.inclusion_tag("payments/_pay_box.html", takes_context=True)
def pay_box(context, dossier):
    """The fee the applicant can pay online now, with its button (nothing when none)."""
    payable = fees.online_payment_enabled() and fees.purpose_now(dossier) is not None
    return {
        "dossier": dossier,
        "fee": fees.fee_due(dossier) if payable else 0,
        "fee_payable": payable,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("payments/_payments.html")
def payment_list(dossier):
    """The dossier's payment attempts."""
    return {"payments": list(dossier.payments.all())}


@register.simple_tag
def fee_due(dossier) -> int:
    """The fee the dossier's procedure asks online (0: none): `{% fee_due dossier as fee %}`."""
    return fees.fee_due(dossier)


@register.inclusion_tag("payments/_fee_line.html")
def fee_line(dossier):
    """The dossier's fee on its channel, computed by the one fee rule (payments.fees): per copy
    times the copies asked, or exempt."""
    version, answers = dossier.version, dossier.answers or {}
    return {
        "amount": procedure_fees.dossier_fee(dossier),
        "exempt": procedure_fees.exempt(version, answers),
        "copies": procedure_fees.quantity(version, answers)
        if version.fee_quantity_question
        else None,
    }
