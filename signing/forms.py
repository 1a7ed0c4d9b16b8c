from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from signing.verify import MAX_UPLOAD_BYTES


class VerifyForm(forms.Form):
    code = forms.CharField(label=_("Verification code"), required=False, max_length=64)
    file = forms.FileField(label=_("Or upload the PDF file"), required=False)

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than 20 MB."), code="too_large")
        return upload

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("code") and not cleaned.get("file") and not self.errors:
            raise ValidationError(_("Enter a verification code or choose a PDF file."))
        return cleaned


class CertificateImportForm(forms.Form):
    file = forms.FileField(label=_("PKCS#12 file (.p12, .pfx)"))
    passphrase = forms.CharField(
        label=_("Passphrase"), required=False, strip=False, widget=forms.PasswordInput
    )
    name = forms.CharField(label=_("Name"), required=False, max_length=255)
