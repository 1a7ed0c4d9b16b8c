"""A procedure's fee for a dossier, computed once for every place that shows it (the procedure
page shows the unit; the review page, the receipt Mẫu 01, the API and the online payment the
amount): per dossier, or per copy times the copies the form's quantity question asks; nothing
for an applicant whose answer to the exemption question is one of the exempting answers."""

from procedures.models import Channel

# A dossier's filing channel → the procedure channel whose fee applies (the public postal
# service is the post).
_FEE_CHANNEL = {
    "online": Channel.Kind.ONLINE,
    "in_person": Channel.Kind.IN_PERSON,
    "post": Channel.Kind.POST,
    "public_post": Channel.Kind.POST,
}


def fee_channel(filing_channel: str) -> str:
    return _FEE_CHANNEL[filing_channel]


def exempt(version, answers: dict) -> bool:
    """Whether the answers put the applicant in an exemption category of the procedure."""
    question = version.fee_exemption_question
    if not question:
        return False
    given = answers.get(question)
    given = given if isinstance(given, list) else [given]
    return any(str(value) in map(str, version.fee_exempt_answers or []) for value in given)


def quantity(version, answers: dict) -> int:
    """How many copies the applicant asks for (1 without a quantity question or answer)."""
    try:
        number = int(answers.get(version.fee_quantity_question) or 1)
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def fee_amount(version, answers: dict, kind: str) -> int | None:
    """The fee for a dossier of `version` with these answers on channel `kind`, computed once
    here for every place that shows it (the procedure page shows the unit): per dossier, or
    per copy times the quantity asked; 0 when exempt; None when the channel states no fee."""
    channel = next((c for c in version.channels.all() if c.kind == kind), None)
    if channel is None or channel.fee_vnd is None:
        return None
    if exempt(version, answers):
        return 0
    return channel.fee_vnd * (quantity(version, answers) if channel.fee_per_copy else 1)


def dossier_fee(dossier) -> int | None:
    """The fee of a dossier on its own filing channel (what the pages, the receipt and the API
    show; the online payment asks the same amount)."""
    return fee_amount(dossier.version, dossier.answers or {}, fee_channel(dossier.channel))
