"""Signals other apps listen to, so that signing never imports them."""

from django.dispatch import Signal

# Sent after the transaction that stored a signed document commits; kwargs: document.
document_signed = Signal()
