from django import forms
from django.utils.translation import gettext_lazy as _


class LinkForm(forms.Form):
    """The existing account's password, typed once to tie it to the national eID identity."""

    password = forms.CharField(
        label=_("Password of the existing account"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
