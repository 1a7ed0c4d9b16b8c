"""The rating parts of the dossier pages, drawn by the feedback app itself: the citizen's page
(submissions) and the back-office's (office) load these tags; submissions' code does not import
feedback, which stands above it."""

from django import template

from feedback import selectors, services
from feedback.forms import PaperRatingForm, RatingForm

register = template.Library()


@register.inclusion_tag("feedback/_rating_box.html", takes_context=True)
def rating_box(context, dossier, user):
    """The applicant's rating of the dossier: the form once it can be rated, the rating once
    given; and the way to send feedback about it."""
    is_applicant = user.is_authenticated and dossier.applicant_id == user.pk
    rating = selectors.rating_for_dossier(dossier=dossier) if is_applicant else None
    return {
        "dossier": dossier,
        "show": is_applicant and bool(dossier.code),
        "rating": rating,
        "form": RatingForm() if is_applicant and rating is None else None,
        "rateable": services.is_rateable(dossier),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("feedback/_desk_rating_box.html", takes_context=True)
def desk_rating_box(context, dossier, user):
    """The desk's recording of the paper evaluation form, on the back-office dossier page."""
    may_record = services.may_record_paper(user, dossier)
    rating = selectors.rating_for_dossier(dossier=dossier) if may_record else None
    return {
        "dossier": dossier,
        "show": may_record and (rating is not None or services.is_rateable(dossier)),
        "rating": rating,
        "form": PaperRatingForm(auto_id="id_paper_%s") if rating is None else None,
        "csrf_token": context.get("csrf_token"),
    }
