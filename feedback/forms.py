from django import forms
from django.utils.translation import gettext_lazy

from feedback.models import FeedbackAbout, RatingLevel
from feedback.services import MAX_COMMENT
from portal.models import Agency


def _text(label, *, rows: int = 4, required: bool = True, max_length: int | None = None):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class RatingForm(forms.Form):
    level = forms.ChoiceField(
        label=gettext_lazy("How satisfied are you with how your dossier was handled?"),
        choices=RatingLevel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose how satisfied you are.")},
    )
    comment = _text(
        gettext_lazy("Comment (optional)"), rows=3, required=False, max_length=MAX_COMMENT
    )


class PaperRatingForm(RatingForm):
    level = forms.ChoiceField(
        label=gettext_lazy("Level ticked on the paper form"),
        choices=RatingLevel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose the level ticked on the form.")},
    )
    comment = _text(
        gettext_lazy("Comment written on the form"), rows=2, required=False, max_length=MAX_COMMENT
    )


class HideForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason for hiding"), max_length=255)


class RatingFilterForm(forms.Form):
    level = forms.ChoiceField(
        label=gettext_lazy("Level"),
        required=False,
        choices=[("", gettext_lazy("Any level")), *RatingLevel.choices],
    )
    procedure = forms.TypedChoiceField(
        label=gettext_lazy("Procedure"), required=False, coerce=int, empty_value=None
    )
    with_comment = forms.BooleanField(label=gettext_lazy("With a comment"), required=False)
    hidden = forms.BooleanField(label=gettext_lazy("Comment hidden"), required=False)

    def __init__(self, *args, procedures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [
            ("", gettext_lazy("All procedures")),
            *procedures,
        ]


class FeedbackForm(forms.Form):
    """What anyone sends; which of procedure and agency is needed, and whether a name and a
    contact are, is the service's rule (feedback.services.feedback_send)."""

    about = forms.ChoiceField(
        label=gettext_lazy("The feedback is about"),
        choices=[
            (FeedbackAbout.PROCEDURE, gettext_lazy("A procedure")),
            (FeedbackAbout.AGENCY, gettext_lazy("An agency")),
        ],
        widget=forms.RadioSelect,
        initial=FeedbackAbout.PROCEDURE,
    )
    procedure = forms.TypedChoiceField(
        label=gettext_lazy("Procedure"), required=False, coerce=int, empty_value=None
    )
    agency = forms.ModelChoiceField(
        label=gettext_lazy("Agency"),
        required=False,
        queryset=Agency.objects.filter(is_active=True).order_by("name"),
        empty_label=gettext_lazy("Choose the agency"),
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = _text(gettext_lazy("Your feedback or proposal"), rows=8, max_length=5000)
    attachment = forms.FileField(
        label=gettext_lazy("Attachment (optional)"),
        required=False,
        help_text=gettext_lazy("One PDF, JPEG or PNG file."),
    )
    sender_name = forms.CharField(label=gettext_lazy("Full name"), max_length=150, required=False)
    sender_email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    sender_phone = forms.RegexField(
        label=gettext_lazy("Phone"),
        required=False,
        regex=r"\A(\+84|0)[0-9]{9,10}\Z",
        error_messages={
            "invalid": gettext_lazy(
                "Enter a Vietnamese phone number, for example 0912345678 or +84912345678."
            )
        },
    )

    def __init__(self, *args, procedures=(), dossier=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [("", gettext_lazy("Choose the procedure")), *procedures]
        if dossier is not None:  # about one's own dossier: nothing to choose
            for name in ("about", "procedure", "agency"):
                del self.fields[name]
        if user is not None and user.is_authenticated:
            # Answered at the account's address: the contact fields only override it.
            for name in ("sender_name", "sender_email", "sender_phone"):
                self.fields[name].help_text = gettext_lazy("Empty: as in your account.")
        else:
            self.fields["sender_name"].required = True
            self.fields["sender_email"].help_text = gettext_lazy(
                "An email address or a phone number, to send you the answer."
            )


class TrackForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Feedback code"), max_length=64)
    secret = forms.CharField(label=gettext_lazy("The email or phone you gave"), max_length=254)

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()


class RateAnswerForm(forms.Form):
    satisfied = forms.TypedChoiceField(
        label=gettext_lazy("Did the answer satisfy you?"),
        choices=[
            ("yes", gettext_lazy("Yes, satisfied")),
            ("no", gettext_lazy("No, not satisfied")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )


class AnswerForm(forms.Form):
    answer = _text(gettext_lazy("Answer"), rows=8)


class RefuseForm(forms.Form):
    reason = _text(gettext_lazy("Why it is not taken up, and where to turn"), rows=4)


class OfficeFeedbackFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Code, title or sender"), required=False)
