"""What the back-office does when a lower app says something happened (connected in
office.apps): the signing worker stored a signed document, the gateway confirmed a payment."""

from django.contrib.contenttypes.models import ContentType

from submissions.models import DocumentKind, Dossier


def result_signed(sender, document, **kwargs) -> None:
    """A dossier's signed result exists: resolve the dossier (in the worker that signed it)."""
    if document.kind != DocumentKind.RESULT or document.owner_id is None:
        return
    if document.owner_type_id != ContentType.objects.get_for_model(Dossier).pk:
        return
    from django.db import transaction

    from office import slips
    from office.tasks import resolve_dossier_task

    dossier = Dossier.objects.select_related("version", "agency").get(pk=document.owner_id)
    if slips.annex_wanted(dossier):  # its annex, in its own file, with the result's number
        with transaction.atomic():
            slips.issue(
                dossier,
                DocumentKind.ANNEX,
                revision=document.revision,
                extra={"result": document},
                agency=document.agency,
            )
    resolve_dossier_task.delay(document.owner_id, document.pk)


def payment_paid(sender, payment, **kwargs) -> None:
    """A fee was paid (inside the transaction that locked its dossier): the electronic receipt
    (biên lai điện tử), and a dossier waiting for the fee goes back to processing with the
    working time that was left. A rerun asks for the same receipt and changes nothing."""
    from office import services, slips

    dossier = payment.dossier
    slips.issue(
        dossier,
        DocumentKind.FEE_RECEIPT,
        revision=payment.pk,
        extra={
            "amount": payment.amount,
            "order_ref": payment.order_ref,
            "transaction_no": payment.gateway_transaction_no,
            "paid_at": payment.paid_at.isoformat(),
            "purpose": payment.purpose,
        },
    )
    services.dossier_payment_received(dossier=dossier, payment=payment)
