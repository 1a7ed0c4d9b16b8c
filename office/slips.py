"""The one-stop forms (Circular 01/2018/TT-VPCP, DOMAIN.md §3) and the results, as signed
documents: each is a snapshot of the dossier, in Vietnamese (the official language of the
document whatever the reader's), rendered and signed by the worker after commit."""

import re

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from procedures import fees as procedure_fees
from procedures.models import Channel
from procedures.result_templates import legal_bases
from signing import services as signing
from signing.models import Series
from submissions.models import (
    Decision,
    DocumentKind,
    EventAction,
    FilerRole,
    IdType,
    IntakeChannel,
    IntakeComponent,
    ResultDelivery,
    Timeliness,
)

Kind = DocumentKind
# title (tên loại), the form's number in Circular 01/2018/TT-VPCP, paper. Decree 30/2020/NĐ-CP
# Appendix I: A4 for every administrative document (a receipt may be A5; on A5 a slip with ten
# components runs to three pages, so all are A4).
TITLES = {
    Kind.RECEIPT: ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "Mẫu số 01", "A4"),
    Kind.SUPPLEMENT: ("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "Mẫu số 02", "A4"),
    Kind.REFUSAL: ("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", "Mẫu số 03", "A4"),
    Kind.APOLOGY: ("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "Mẫu số 04", "A4"),
    Kind.CONTROL_SHEET: ("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "Mẫu số 05", "A4"),
    Kind.REGISTER: ("SỔ THEO DÕI HỒ SƠ", "Mẫu số 06", "A4"),
    Kind.FEE_RECEIPT: ("BIÊN LAI THU PHÍ, LỆ PHÍ", "", "A4"),
    Kind.STOP_NOTICE: ("THÔNG BÁO", "", "A4"),
    Kind.CERTIFIED_COPY: ("CHỨNG THỰC BẢN SAO ĐIỆN TỬ TỪ BẢN CHÍNH", "", "A4"),
    Kind.ANNEX: ("PHỤ LỤC", "", "A4"),
}
# The series each paper is numbered in, in the issuing agency's register of outgoing documents
# (sổ đăng ký văn bản đi, Decree 30/2020/NĐ-CP Art. 15 and 26; the type abbreviations are in
# signing.models.TYPE_ABBREVIATIONS):
# - the result: a decision (QĐ); when the dossier is denied it is a notice of refusal, "THÔNG
#   BÁO TỪ CHỐI GIẢI QUYẾT HỒ SƠ" (TB): see series_for;
# - the notice of stopping: a notice (TB);
# - the desk's slips to the applicant (Mẫu 01 receipt, 02 supplement request, 03 refusal to
#   accept, 04 apology): papers the agency signs and sends out, so numbered; Appendix III has no
#   type for a "giấy tiếp nhận" or a "phiếu yêu cầu/từ chối/xin lỗi", and the nearest is the
#   "phiếu báo" (PB), a slip telling someone something. One series for the four, so that the
#   desk's daily slips do not run through the numbers of the leader's decisions. A choice for the
#   agency's records officer (văn thư) to confirm.
# Not numbered:
# - the register (Mẫu 06) and the control sheet (Mẫu 05): records kept by the agency, not
#   documents it issues to anyone (a sổ is where numbers are written, not a numbered paper);
# - the fee receipt: an electronic receipt (biên lai) carries its own form number, series and
#   number under the rules on invoices and receipts (Decree 123/2020/NĐ-CP, article unconfirmed);
# - the certified electronic copy: a certification is numbered in the certification book (sổ
#   chứng thực) under Decree 23/2015/NĐ-CP, not in the register of outgoing documents.
SERIES = {
    Kind.RESULT: Series.DECISION,
    Kind.STOP_NOTICE: Series.NOTICE,
    Kind.RECEIPT: Series.SLIP,
    Kind.SUPPLEMENT: Series.SLIP,
    Kind.REFUSAL: Series.SLIP,
    Kind.APOLOGY: Series.SLIP,
}


# A result written from a template is numbered as what the template says it is.
TEMPLATE_SERIES = {
    "decision": Series.DECISION,
    "certificate": Series.CERTIFICATE,
    "confirmation": Series.CONFIRMATION,
    "refusal": Series.NOTICE,
}


def series_for(kind: str, dossier, *, template_kind: str = "") -> str:
    """The register series of a paper of `kind` for the dossier ("" if it is not numbered); a
    result written from a template (`template_kind`) is numbered as what the template is."""
    if kind == Kind.RESULT:
        if template_kind:
            return TEMPLATE_SERIES[template_kind]
        if dossier.decision == Decision.DENY:
            return Series.NOTICE
    return SERIES.get(kind, "")


def newest_draft(dossier):
    """The result's newest draft (the one the leader approves), with its template; None."""
    return dossier.drafts.select_related("template").order_by("-number").first()


def _template_kind(dossier) -> str:
    """The kind of the result template of the dossier's newest draft ("" if none)."""
    draft = newest_draft(dossier)
    return draft.template.kind if draft is not None and draft.template is not None else ""


# The channel as the papers name it (Vietnamese whatever the reader's language).
CHANNEL_VI = {
    IntakeChannel.ONLINE: "Trực tuyến",
    IntakeChannel.IN_PERSON: "Trực tiếp",
    IntakeChannel.POST: "Qua bưu chính",
    IntakeChannel.PUBLIC_POST: "Qua dịch vụ bưu chính công ích",
}
DELIVERY_VI = {
    ResultDelivery.ONLINE: "Trực tuyến (tải về từ Cổng dịch vụ công)",
    ResultDelivery.DESK: "Tại Bộ phận Một cửa",
    ResultDelivery.POST: "Qua dịch vụ bưu chính",
}


def _delivery_vi(dossier) -> str:
    if dossier.result_delivery == ResultDelivery.POST:
        if dossier.delivery_address.strip() == (dossier.applicant_address or "").strip():
            return f"{DELIVERY_VI[ResultDelivery.POST]}, đến địa chỉ trên"
        return f"{DELIVERY_VI[ResultDelivery.POST]}, đến: {dossier.delivery_address}"
    if dossier.result_delivery == ResultDelivery.DESK and dossier.receiving_agency_id:
        return f"Tại {dossier.receiving_agency.name}"
    return DELIVERY_VI[dossier.result_delivery]


FORM_VI = {
    IntakeComponent.Form.ORIGINAL: "Bản chính",
    IntakeComponent.Form.COPY: "Bản sao",
    IntakeComponent.Form.CERTIFIED_COPY: "Bản sao có chứng thực",
}
TIMELINESS_VI = {
    Timeliness.EARLY: "Trước hạn",
    Timeliness.ON_TIME: "Đúng hạn",
    Timeliness.LATE: "Quá hạn",
}


def _when(value) -> str:
    return timezone.localtime(value).strftime("%H giờ %M, ngày %d/%m/%Y") if value else ""


ROLE_VI = {
    FilerRole.PARENT: "Cha, mẹ hoặc người giám hộ của",
    FilerRole.REPRESENTATIVE: "Người được ủy quyền của",
}


def who_for_whom_vi(dossier) -> list[list[str]]:
    """The subject (chủ hồ sơ) or the organisation a filer files for, as the papers name them."""
    if dossier.filer_role in ROLE_VI:
        subject = dossier.subject_name
        if dossier.subject_id_number:
            subject += f" (số định danh {dossier.subject_id_number})"
        return [["Chủ hồ sơ", f"{subject} — người nộp là {ROLE_VI[dossier.filer_role].lower()} "
                 "chủ hồ sơ"]]  # fmt: skip
    if dossier.filer_role == FilerRole.ORGANISATION:
        organisation = f"{dossier.org_name}, mã số doanh nghiệp/mã số thuế {dossier.org_tax_code}"
        if dossier.org_address:
            organisation += f", {dossier.org_address}"
        if dossier.org_representative:
            organisation += f"; người đại diện theo pháp luật: {dossier.org_representative}"
        return [["Tổ chức đề nghị", organisation]]
    return []


def _applicant_facts(dossier) -> list[list[str]]:
    filer = dossier.applicant_name
    if dossier.applicant_id_type == IdType.PASSPORT:
        filer += (
            f" (hộ chiếu {dossier.applicant_citizen_id}, quốc tịch {dossier.applicant_nationality})"
        )
    facts = [["Mã hồ sơ", dossier.code or ""], ["Người nộp hồ sơ", filer]]
    facts += who_for_whom_vi(dossier)
    if dossier.applicant_address:
        facts.append(["Địa chỉ", dossier.applicant_address])
    contact = dossier.applicant_phone
    if dossier.applicant_email:
        contact += f"; thư điện tử: {dossier.applicant_email}"
    facts.append(["Số điện thoại", contact])
    facts.append(["Nội dung yêu cầu giải quyết", dossier.version.name])
    if dossier.receiving_agency_id:  # liên thông: received by a centre for the agency
        facts.append(["Cơ quan giải quyết", dossier.agency.name])
    return facts


def signature_of(user, agency, *, note: str = "") -> dict:
    """The signature block (Decree 30/2020/NĐ-CP Appendix I): the signing authority's wording —
    the head signs as their title; a deputy "KT." (ký thay) the head, then their own position;
    "TL." (thừa lệnh) likewise — and the signer's full name."""
    if user is None:
        return {"authority": [], "name": "", "note": note}
    head = agency.head_title_or_default.upper()
    position = (user.position or "").upper()
    authority = {
        "head": [position or head],
        "kt": [f"KT. {head}", position],
        "tl": [f"TL. {head}", position],
    }.get(user.signing_authority, [position] if position else [])
    return {"authority": [line for line in authority if line], "name": user.full_name, "note": note}


def head_signature(agency) -> dict:
    """The head of the agency's own signature (Mẫu 04 is signed by the head)."""
    return {"authority": [agency.head_title_or_default.upper()], "name": agency.head_name}


def _fee_fact(dossier) -> list[list[str]]:
    """The fee on the dossier's channel, as the one fee rule computes it (none: not stated)."""
    amount = procedure_fees.dossier_fee(dossier)
    if amount is None:
        return []
    if procedure_fees.exempt(dossier.version, dossier.answers or {}):
        return [["Phí, lệ phí", "Miễn (thuộc đối tượng được miễn)"]]
    if amount == 0:
        return [["Phí, lệ phí", "Không thu phí, lệ phí"]]
    text = f"{amount:,}".replace(",", ".") + " đồng"
    if dossier.version.fee_quantity_question and any(
        c.fee_per_copy for c in dossier.version.channels.all()
    ):
        text += f" ({procedure_fees.quantity(dossier.version, dossier.answers or {})} bản)"
    return [["Phí, lệ phí", text]]


def register_line(dossier) -> str:
    """Mẫu 01's "Vào Sổ theo dõi hồ sơ": the register's book (the year) and the dossier's line
    in it (the receiving body's dossiers of that year up to this one, in the register's order)."""
    from django.db.models import Q
    from django.db.models.functions import Coalesce

    from submissions.models import Dossier

    day = dossier.received_at or dossier.submitted_at
    if day is None:
        return ""
    year_start = timezone.localtime(day).replace(
        month=1, day=1, hour=0, minute=0, second=0, microsecond=0
    )
    same_desk = (
        Q(receiving_agency_id=dossier.receiving_agency_id)
        if dossier.receiving_agency_id
        else Q(agency_id=dossier.agency_id, receiving_agency__isnull=True)
    )
    line = (
        Dossier.objects.filter(same_desk)
        .alias(register_day=Coalesce("received_at", "submitted_at"))
        .filter(register_day__gte=year_start)
        .filter(Q(register_day__lt=day) | Q(register_day=day, pk__lte=dossier.pk))
        .count()
    )
    return f"Quyển số {year_start.year}, số thứ tự {line}"


def _receipt(dossier, extra) -> dict:
    """Mẫu 01 (Circular 01/2018/TT-VPCP): the applicant, the request, the components received
    (form, sheets × sets), the number of sets, the statutory time, received at, the time the
    result is due, how and where it is returned, the register line, the officer who received
    it; the applicant signs a paper received at the desk."""
    amount, unit = dossier.version.time_limit()
    working = "ngày làm việc" if unit == Channel.TimeUnit.WORKING_DAYS else "giờ làm việc"
    limit = (
        "Trong ngày"
        if unit == Channel.TimeUnit.SAME_DAY
        else f"{amount:g} {working}"
        if amount is not None
        else ""
    )
    files = list(dossier.files.filter(removed_at__isnull=True).select_related("requirement"))
    received = {c.requirement_id: c for c in dossier.components.all()}  # paper: as received
    rows, sets = [], 1
    for number, requirement in enumerate(dossier.version.documents.all(), start=1):
        count = sum(1 for f in files if f.requirement_id == requirement.pk)
        component = received.get(requirement.pk)
        if component is not None:
            amount = f"{component.sheets} tờ × {component.sets} bộ"
            if count:
                amount += f"; {count} bản quét"
            sets = max(sets, component.sets)
            rows.append([str(number), requirement.name, FORM_VI[component.form], amount])
        elif count:
            kind = "Bản chính" if requirement.originals else "Bản sao"
            rows.append([str(number), requirement.name, kind, f"{count} tệp điện tử"])
    actor = (extra or {}).get("actor")
    paper = dossier.channel != IntakeChannel.ONLINE
    return {
        "facts": [
            *_applicant_facts(dossier),
            ["Hình thức nộp hồ sơ", CHANNEL_VI[dossier.channel]],
            *_fee_fact(dossier),
            ["Hình thức nhận kết quả", _delivery_vi(dossier)],
        ],
        "items_title": "1. Thành phần hồ sơ nộp gồm:",
        "headings": ["TT", "Tên giấy tờ", "Hình thức", "Số lượng"],
        "widths": [6, 60, 15, 19],
        "rows": rows,
        "after": [  # two to a line
            [["2. Số lượng hồ sơ", f"{sets:02d} bộ"], ["3. Thời hạn giải quyết", limit]],
            [
                ["4. Thời gian nhận hồ sơ", _when(dossier.received_at)],
                ["5. Hẹn trả kết quả", _when(dossier.due_at)],
            ],
        ],
        "closing": [f"Vào Sổ theo dõi hồ sơ: {register_line(dossier)}."],
        "signature": {
            "authority": ["NGƯỜI TIẾP NHẬN HỒ SƠ"],
            "note": "(Ký và ghi rõ họ tên)",
            "name": actor.full_name if actor else "",
        },
        "counter_signature": {
            "authority": ["NGƯỜI NỘP HỒ SƠ"],
            "note": "(Ký và ghi rõ họ tên)",
            "name": dossier.applicant_name,
        }
        if paper
        else None,
    }


def _supplement(dossier, extra) -> dict:
    """Mẫu 02: what to add or correct, the reason, its legal basis (the procedure's published
    components and their legal bases), whom to ask; signed by the officer who guides."""
    request = dossier.supplements.first()
    actor = (extra or {}).get("actor") or (request.requested_by if request else None)
    contact = dossier.front_agency.name + (
        f", điện thoại {dossier.front_agency.phone}" if dossier.front_agency.phone else ""
    )
    bases = legal_bases(dossier.version)
    return {
        "facts": _applicant_facts(dossier),
        "items_title": "Yêu cầu bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:",
        "items": list(request.items) if request else [],
        "closing": [
            f"Lý do: {request.reason}" if request else "",
            "Căn cứ: thành phần hồ sơ của thủ tục hành chính đã được công bố"
            + (f" và {'; '.join(bases)}" if bases else "")
            + ".",
            "Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, Ông/Bà liên hệ "
            f"{contact} để được hướng dẫn. Ông/Bà bổ sung hồ sơ trực tuyến trên Cổng dịch vụ "
            "công hoặc tại Bộ phận Một cửa.",
        ],
        "signature": {
            "authority": ["NGƯỜI HƯỚNG DẪN"],
            "note": "(Ký và ghi rõ họ tên)",
            "name": actor.full_name if actor else "",
        },
    }


def _refusal(dossier, extra) -> dict:
    """Mẫu 03: the reasons for refusing, with the legal basis; signed by the officer."""
    actor = (extra or {}).get("actor")
    bases = legal_bases(dossier.version)
    return {
        "facts": _applicant_facts(dossier),
        "intro": [
            f"Qua xem xét, {dossier.front_agency.name} thông báo không tiếp nhận, giải quyết hồ sơ "
            "này với lý do cụ thể như sau:"
        ],
        "closing": [
            dossier.decision_reasons,
            *(["Căn cứ: " + "; ".join(bases) + "."] if bases else []),
            "Xin thông báo cho Ông/Bà được biết và thực hiện./.",
        ],
        "signature": {
            "authority": ["NGƯỜI TIẾP NHẬN HỒ SƠ"],
            "note": "(Ký và ghi rõ họ tên)",
            "name": actor.full_name if actor else "",
        },
    }


def _stop_notice(dossier, extra) -> dict:
    """The written notice that the dossier's handling stopped, with the reason (signed by the
    officer who stopped it, with their authority)."""
    actor = (extra or {}).get("actor")
    return {
        "summary": "Về việc dừng giải quyết hồ sơ",
        "recipient": dossier.applicant_name,
        "intro": [
            f"{dossier.agency.name} thông báo dừng giải quyết hồ sơ sau đây:",
        ],
        "facts": [*_applicant_facts(dossier), ["Ngày tiếp nhận hồ sơ", _when(dossier.received_at)]],
        "closing": [
            f"Lý do: {(extra or {}).get('reason', '')}",
            "Xin thông báo để Ông/Bà được biết và thực hiện./.",
        ],
        "recipients": [dossier.applicant_name, "Lưu: VT, hồ sơ " + (dossier.code or "")],
        "signature": signature_of(actor, dossier.agency),
    }


def _certified_copy(dossier, extra) -> dict:
    """The certificate of an electronic copy: which component of which dossier, compared with
    the original by whom, and the SHA-256 of each scan (the copy is checked against it)."""
    component, scans, actor = extra["component"], extra["scans"], extra["actor"]
    return {
        "facts": [
            ["Mã hồ sơ", dossier.code or ""],
            ["Người nộp hồ sơ", dossier.applicant_name],
            ["Thành phần hồ sơ", component.requirement.name],
            ["Giấy tờ đã đối chiếu", FORM_VI[component.form]],
            ["Người chứng thực", f"{actor.full_name}, Bộ phận Một cửa"],
            ["Thời gian chứng thực", _when(timezone.now())],
        ],
        "items_title": "Bản sao điện tử (tệp quét) được chứng thực:",
        "headings": ["TT", "Tên tệp", "Mã băm SHA-256"],
        "rows": [[str(n), scan.name, scan.sha256] for n, scan in enumerate(scans, start=1)],
        "closing": [
            "Bản sao điện tử nêu trên đã được đối chiếu đúng với bản chính. Tệp có mã băm SHA-256 "
            "trùng với mã băm ghi trên đây là bản sao được chứng thực."
        ],
        "signature": {"authority": ["NGƯỜI CHỨNG THỰC"], "name": actor.full_name},
    }


def _apology(dossier, extra) -> dict:
    """Mẫu 04: to the applicant; received on, the code, the date promised, why it is late, the
    apology and the new date; signed by the head of the agency."""
    agency = dossier.agency
    return {
        "recipient": dossier.applicant_name,
        "intro": [
            f"Ngày {_day(dossier.received_at)}, {agency.name} tiếp nhận giải quyết hồ sơ của "
            f"Ông/Bà đề nghị giải quyết thủ tục hành chính “{dossier.version.name}”."
        ],
        "facts": [
            ["Mã hồ sơ", dossier.code or ""],
            ["Ngày tiếp nhận hồ sơ", _when(dossier.received_at)],
            ["Hẹn trả kết quả", _when(dossier.original_due_at)],
            ["Lý do chậm trả kết quả", (extra or {}).get("reason", "")],
            ["Thời gian hẹn trả kết quả lần sau", _when(dossier.due_at)],
        ],
        "closing": [
            f"Tuy nhiên đến nay, {agency.name} chưa trả kết quả giải quyết hồ sơ của Ông/Bà đúng "
            "hạn như đã hẹn. Sự chậm trễ này đã gây phiền hà cho Ông/Bà. "
            f"{agency.name} xin lỗi Ông/Bà và sẽ trả kết quả giải quyết hồ sơ cho Ông/Bà vào "
            f"{_when(dossier.due_at)}.",
            "Xin trân trọng cảm ơn sự hợp tác của Ông/Bà./.",
        ],
        "signature": head_signature(agency),
    }


def _day(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y") if value else ""


def _lowered(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def default_result_content(dossier) -> dict:
    """The result as a decision (Decree 30/2020/NĐ-CP Appendix I, quyết định cá biệt): the
    competent person, the legal bases (the procedure's), the request considered, the articles,
    the recipients; a denial is a notice (thông báo) giving the reasons. The portal's wording
    where the procedure version has no result template of its own."""
    agency = dossier.agency
    version = dossier.version
    bases = legal_bases(version)
    received = f"hồ sơ mã số {dossier.code}, tiếp nhận ngày {_day(dossier.received_at)}"
    if dossier.decision == Decision.DENY:
        return {
            "title": "THÔNG BÁO",
            "template": "documents/form.html",  # the draft and the signed notice alike
            "summary": f"Về việc không giải quyết hồ sơ {dossier.code}",
            "recipient": dossier.applicant_name,
            "intro": [
                f"{agency.name} nhận được đề nghị của Ông/Bà giải quyết thủ tục hành chính "
                f"“{version.name}” ({received}).",
                f"Sau khi xem xét, {agency.name} không giải quyết hồ sơ vì lý do sau:",
            ],
            "closing": [
                dossier.decision_reasons,
                *(["Căn cứ: " + "; ".join(bases) + "."] if bases else []),
                "Xin thông báo để Ông/Bà được biết./.",
            ],
            "recipients": [dossier.applicant_name, f"Lưu: VT, hồ sơ {dossier.code}"],
        }
    return {
        "title": "QUYẾT ĐỊNH",
        "summary": f"Về việc {_lowered(version.name)}",
        "template": "documents/decision.html",
        "competent": agency.competent_authority,
        "bases": [f"Căn cứ {basis}" for basis in bases],
        "considering": f"Xét đề nghị của Ông/Bà {dossier.applicant_name} ({received}) và đề xuất "
        "của bộ phận chuyên môn",
        "articles": [
            dossier.result_content,
            "Quyết định này có hiệu lực kể từ ngày ký.",
            f"Văn phòng, các đơn vị có liên quan và Ông/Bà {dossier.applicant_name} chịu trách "
            "nhiệm thi hành Quyết định này./.",
        ],
        # Mentioned by tests and the API as the result's words.
        "closing": [dossier.result_content],
        "recipients": ["Như Điều 3", f"Lưu: VT, hồ sơ {dossier.code}"],
    }


ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def result_values(dossier, edits: dict) -> dict:
    """What a result template's placeholders name, from the dossier (result_templates.FIXED),
    its answers and the blanks the specialist filled in."""
    values = {
        "applicant_name": dossier.applicant_name,
        "applicant_address": dossier.applicant_address or "",
        "applicant_id": dossier.applicant_citizen_id or "",
        "subject_name": dossier.subject_name or "",
        "organisation_name": dossier.org_name or "",
        "dossier_code": dossier.code or "",
        "procedure_name": dossier.version.name,
        "agency_name": dossier.agency.name,
        "received_date": _day(dossier.received_at),
        "today": timezone.localtime().strftime("%d/%m/%Y"),
        "result_content": dossier.result_content,
        "reasons": dossier.decision_reasons,
    }
    labels = {}
    for spec in dossier.version.form_schema or []:
        labels.update({str(c.get("value")): c.get("label") for c in spec.get("choices", [])})
    for name, answer in (dossier.answers or {}).items():
        if isinstance(answer, list):
            answer = ", ".join(str(labels.get(str(a), a)) for a in answer)
        elif isinstance(answer, bool):
            answer = "Có" if answer else "Không"
        else:
            answer = labels.get(str(answer), answer)
            if isinstance(answer, str) and ISO_DAY.match(answer):  # a date question
                answer = f"{answer[8:10]}/{answer[5:7]}/{answer[:4]}"
        values[f"answers.{name}"] = str(answer)
    values.update({f"edit.{name}": str(value) for name, value in (edits or {}).items()})
    return values


def result_content(dossier, *, template=None, edits: dict | None = None) -> dict:
    """The result's content as its draft and the signed result print it: the procedure
    version's result template filled in, or the portal's own wording."""
    if template is None:
        return default_result_content(dossier)
    from procedures import result_templates

    return result_templates.content(template, result_values(dossier, edits or {}))


def _result(dossier, extra) -> dict:
    """The signed result: the content of the draft the leader approved (the newest), signed
    by the approving leader; with no draft, the portal's wording."""
    draft = newest_draft(dossier)
    content = dict(draft.content) if draft is not None else result_content(dossier)
    content["signature"] = signature_of((extra or {}).get("actor"), dossier.agency)
    return content


# Liên thông: a hand-off between the receiving centre and the resolving agency.
HANDOFFS = (EventAction.TRANSFER, EventAction.TRANSFER_RESULT)


def control_sheet_rows(dossier) -> list[list[str]]:
    """Mẫu 05: one row per hand-off; those between the receiving centre and the resolving
    agency name both bodies."""
    rows, previous = [], None
    for event in dossier.events.select_related("actor", "actor__agency").order_by(
        "created_at", "pk"
    ):
        giver = previous.actor.full_name if previous and previous.actor else dossier.applicant_name
        receiver = event.actor.full_name if event.actor else "Hệ thống"
        if event.action == EventAction.ASSIGN and event.note:
            receiver = event.note  # the specialist it was handed to
        if event.action in HANDOFFS:
            giver = f"{event.actor.full_name} ({event.actor.agency.name})" if event.actor else ""
            receiver = event.note  # the body it was handed to
        rows.append(
            [
                f"{giver} → {receiver}",
                timezone.localtime(event.created_at).strftime("%H:%M %d/%m/%Y"),
                event.get_to_state_display(),
                TIMELINESS_VI.get(event.timeliness, ""),
                event.note,
            ]
        )
        previous = event
    return rows


def _control_sheet(dossier, extra) -> dict:
    """Mẫu 05: the lead and co-operating bodies, each hand-off with its time and result."""
    facts = [
        *_applicant_facts(dossier),
        ["Cơ quan (bộ phận) giải quyết hồ sơ", dossier.agency.name],
        ["Cơ quan phối hợp giải quyết hồ sơ", dossier.version.coordinating_agency or "Không"],
        ["Hẹn trả kết quả", _when(dossier.due_at)],
    ]
    return {
        "facts": facts,
        "headings": ["Bàn giao", "Thời gian", "Trạng thái", "Kết quả", "Ghi chú"],
        "widths": [34, 15, 19, 12, 20],
        "rows": control_sheet_rows(dossier),
        "signature": {"authority": ["CƠ QUAN GIẢI QUYẾT HỒ SƠ"], "name": ""},
    }


# The e-receipt's template and series (ký hiệu mẫu, ký hiệu biên lai): the agency registers
# them with its tax authority; these are the portal's defaults (Decree 123/2020/NĐ-CP Art. 32
# lists the contents; the symbols' format is not confirmed here).
FEE_RECEIPT_FORM = "01BLP0-001"


def _fee_receipt(dossier, extra) -> dict:
    """The electronic fee receipt (biên lai thu phí, lệ phí điện tử), with the contents Decree
    123/2020/NĐ-CP Art. 32 asks: its name, template symbol and series, number, the collecting
    body and its tax code, the payer, the fee, the amount in figures and in words, the date."""
    from portal.words import amount_in_words

    extra = extra or {}
    paid_at = parse_datetime(extra.get("paid_at", "")) if extra.get("paid_at") else None
    amount = int(extra.get("amount", 0))
    agency = dossier.agency
    year = timezone.localtime(paid_at).year if paid_at else timezone.localdate().year
    return {
        "summary": "(Biên lai điện tử)",
        "facts": [
            ["Ký hiệu mẫu biên lai", FEE_RECEIPT_FORM],
            ["Ký hiệu biên lai", f"BL{year % 100:02d}E"],
            ["Đơn vị thu phí, lệ phí", agency.name],
            ["Mã số thuế", agency.tax_code or "(chưa khai báo)"],
            ["Địa chỉ", agency.address or ""],
            ["Người nộp", dossier.applicant_name],
            ["Địa chỉ người nộp", dossier.applicant_address or ""],
            ["Mã hồ sơ", dossier.code or ""],
            ["Tên loại phí, lệ phí", f"Phí, lệ phí giải quyết thủ tục “{dossier.version.name}”"],
            ["Số tiền", f"{amount:,}".replace(",", ".") + " đồng"],
            ["Bằng chữ", amount_in_words(amount)],
            ["Hình thức thanh toán", "Thanh toán trực tuyến"],
            ["Mã giao dịch", f"{extra.get('order_ref', '')} / {extra.get('transaction_no', '')}"],
            ["Thời gian thanh toán", _when(paid_at)],
        ],
        "signature": {"authority": ["ĐƠN VỊ THU PHÍ, LỆ PHÍ"], "name": ""},
    }


def _annex(dossier, extra) -> dict:
    """An annex in its own file (Decree 30/2020/NĐ-CP Appendix I): "PHỤ LỤC", the document it
    goes with (its type, number and date, the issuing body), its title and lines; the agency's
    signature at the top right of the first page (documents/annex.html) shows that number and
    the signing time. Its content is the approved draft's annex."""
    result = extra["result"]
    draft = newest_draft(dossier)
    annex = (draft.content.get("annex") if draft is not None else None) or {}
    heading = (result.context or {}).get("heading") or "văn bản"
    return {
        "template": "documents/annex.html",
        "annex_title": annex.get("title", ""),
        "lines": annex.get("lines", []),
        "goes_with": f"(Kèm theo {heading[:1]}{heading[1:].lower()} số {result.number} ngày "
        f"{_day(result.signed_at)} của {result.agency.name})",
        "result_number": result.number,
    }


def annex_wanted(dossier) -> bool:
    """Whether the approved draft of the dossier's result has an annex."""
    draft = newest_draft(dossier)
    return bool(draft is not None and (draft.content or {}).get("annex"))


BUILDERS = {
    Kind.FEE_RECEIPT: _fee_receipt,
    Kind.RECEIPT: _receipt,
    Kind.SUPPLEMENT: _supplement,
    Kind.REFUSAL: _refusal,
    Kind.APOLOGY: _apology,
    Kind.RESULT: _result,
    Kind.CONTROL_SHEET: _control_sheet,
    Kind.STOP_NOTICE: _stop_notice,
    Kind.CERTIFIED_COPY: _certified_copy,
    Kind.ANNEX: _annex,
}


def build(dossier, kind: str, *, extra: dict | None = None, actor=None):
    """The paper of `kind` for the dossier: (title, template, content, paper size)."""
    extra = dict(extra or {})
    extra.setdefault("actor", actor)
    context = BUILDERS[kind](dossier, extra)
    title, form_number, paper = TITLES.get(kind, (None, "", "A4"))
    heading = context.pop("title", None) or title
    template = context.pop("template", "documents/form.html")
    context["form_number"] = form_number
    context["heading"] = heading
    if context.get("summary") and not context["summary"].startswith("("):
        title = f"{heading} {_lowered(context['summary'])}"  # "QUYẾT ĐỊNH về việc …"
    else:
        title = heading
    return title, template, context, paper


def issue_draft(dossier, draft, *, actor):
    """The draft's PDF (rendered, marked DỰ THẢO, not numbered, not signed), for the leader
    to read before approving; one per draft, kept."""
    context = dict(draft.content)
    heading = context.pop("title", None) or "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
    template = context.pop("template", "documents/decision.html")
    context.update(heading=heading, form_number=f"Dự thảo {draft.number}", unnumbered=False)
    summary = context.get("summary") or ""
    return signing.document_request(
        kind=Kind.DRAFT,
        title=f"Dự thảo {draft.number}: {heading} {_lowered(summary)}".strip()[:300],
        template=template,
        context=context,
        agency=dossier.agency,
        owner=dossier,
        revision=draft.number,
        actor=actor,
        draft=True,
    )


def issue(
    dossier,
    kind: str,
    *,
    actor=None,
    revision: int = 1,
    extra: dict | None = None,
    agency=None,
    personal_certificate=None,
):
    """Ask for the signed document of `kind` for the dossier (rendered after commit), issued
    and signed by `agency`: by default the resolving agency; the receiving desk's papers
    (receipt, refusal, the desk's supplement request, certified copies) by the body whose desk
    received the dossier."""
    title, template, context, paper = build(dossier, kind, extra=extra, actor=actor)
    return signing.document_request(
        kind=kind,
        title=title,
        template=template,
        context=context,
        agency=agency or dossier.agency,
        owner=dossier,
        revision=revision,
        paper=paper,
        actor=actor,
        personal_certificate=personal_certificate,
        series=series_for(
            kind,
            dossier,
            template_kind=_template_kind(dossier) if kind == Kind.RESULT else "",
        ),
        recipient=dossier.applicant_name,
        reference=dossier.code or "",
    )
