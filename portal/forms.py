from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template import loader
from django.utils.translation import gettext_lazy as _

from portal import citizen_id
from portal.models import User


class _ProfileFieldsMixin:
    """Cross-field checks of the citizen ID number against the date of birth and gender."""

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        clash = User.objects.filter(email__iexact=email)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(
                _("An account with this email address already exists."), code="duplicate_email"
            )
        return email

    def clean_citizen_id(self):
        number = (self.cleaned_data.get("citizen_id") or "").strip() or None
        if number:
            clash = User.objects.filter(citizen_id=number)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise ValidationError(
                    _("An account with this citizen ID number already exists."),
                    code="duplicate_citizen_id",
                )
        return number

    def clean(self):
        cleaned = super().clean()
        number = cleaned.get("citizen_id")
        if number:
            for error in citizen_id.check_consistent(
                number,
                date_of_birth=cleaned.get("date_of_birth"),
                gender=cleaned.get("gender") or None,
            ):
                self.add_error("citizen_id", error)
        return cleaned

    def _post_clean(self):
        if not self.has_error("citizen_id"):
            return super()._post_clean()
        # The entered number was rejected, so the instance still holds the stored one; User.clean
        # would check that against the new date of birth and gender, repeating or inventing errors
        # about a number the user is not entering.
        stored, self.instance.citizen_id = self.instance.citizen_id, None
        try:
            return super()._post_clean()
        finally:
            self.instance.citizen_id = stored


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class RegistrationForm(_ProfileFieldsMixin, forms.ModelForm):
    """A citizen asks for an account (portal.registration makes it once the email address is
    confirmed). Staff accounts are made by an administrator.

    Whether the address or the citizen ID number is already on an account is not checked here:
    the answer would tell anyone who has an account (the confirmation step deals with it)."""

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = ["full_name", "email", "phone", "citizen_id", "date_of_birth", "gender"]
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "citizen_id": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 12}),
            "date_of_birth": DateInput(attrs={"autocomplete": "bday"}),
        }

    def clean_password2(self):
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            raise ValidationError(_("The two passwords do not match."), code="password_mismatch")
        return second

    def _post_clean(self):
        # The model's constraints are the uniqueness of the address and of the number: not
        # checked here (see the class); the account's save checks them at confirmation.
        self.instance.validate_constraints = lambda exclude=None: None
        super()._post_clean()
        password = self.cleaned_data.get("password1")
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except ValidationError as error:
                self.add_error("password1", error)

    def clean_email(self):
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()

    def clean_citizen_id(self):
        return (self.cleaned_data.get("citizen_id") or "").strip() or None

    def validate_unique(self):
        """Not here (see the class): the account is made, or not, at confirmation."""

    def save(self, commit=True):
        raise NotImplementedError("Accounts are made by portal.registration.registration_confirm")


class PhoneCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": 8}
        ),
        error_messages={"required": _("Enter the 6-digit code from the SMS.")},
    )


class ProfileForm(_ProfileFieldsMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "full_name",
            "email",
            "phone",
            "citizen_id",
            "date_of_birth",
            "gender",
            "address",
            "language",
        ]
        widgets = {"date_of_birth": DateInput()}


class LoginForm(AuthenticationForm):
    """The password login. With PASSWORD_LOGIN_CITIZENS off, citizens are sent to the national
    eID instead (after the password is checked, so the refusal tells nothing to a guesser);
    staff keep their password sign-in."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not settings.PASSWORD_LOGIN_CITIZENS and not user.is_staff_account:
            raise ValidationError(
                _(
                    "Citizens sign in with their electronic identity account (VNeID): use the "
                    "VNeID button above."
                ),
                code="eid_only",
            )


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the email goes out through the Celery `notifications` queue."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        from portal.tasks import send_email_task

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        html = (
            loader.render_to_string(html_email_template_name, context)
            if html_email_template_name
            else None
        )
        sender = from_email or settings.DEFAULT_FROM_EMAIL
        transaction.on_commit(
            lambda: send_email_task.delay(subject, body, sender, [to_email], html)
        )


class LimitedPasswordChangeForm(PasswordChangeForm):
    """The password change, with the current password counted like a sign-in (django-axes,
    portal.security): a wrong one is a failed attempt for the account and the address, and a
    locked account or address cannot try at all."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        from axes.handlers.proxy import AxesProxyHandler
        from django.contrib.auth.signals import user_login_failed

        credentials = {"username": self.user.email}
        if self.request is not None and not AxesProxyHandler.is_allowed(self.request, credentials):
            from portal.security import locked_message

            raise forms.ValidationError(locked_message(), code="locked")
        try:
            return super().clean_old_password()
        except forms.ValidationError:
            if self.request is not None:
                user_login_failed.send(
                    sender=__name__, credentials=credentials, request=self.request
                )
            raise
