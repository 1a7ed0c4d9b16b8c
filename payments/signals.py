from django.dispatch import Signal

# Sent (in the worker, inside the transaction that locked the dossier) once a payment has
# settled as paid, with `payment`. The back-office (office.receivers) issues the electronic
# receipt and lets processing resume: payments knows nothing of the workflow.
payment_paid = Signal()
