"""The one-stop forms (Circular 01/2018/TT-VPCP, DOMAIN.md §3) and the results, as signed
documents: each is a snapshot of the dossier, in Vietnamese (the official language of the
document whatever the reader's), rendered and signed by the worker after commit."""

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from procedures import fees as procedure_fees
from procedures.models import Channel
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
TITLES = {
    Kind.RECEIPT: ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "Mẫu số 01", "A5"),
    Kind.SUPPLEMENT: ("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "Mẫu số 02", "A5"),
    Kind.REFUSAL: ("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", "Mẫu số 03", "A5"),
    Kind.APOLOGY: ("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "Mẫu số 04", "A5"),
    Kind.CONTROL_SHEET: ("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "Mẫu số 05", "A4"),
    Kind.REGISTER: ("SỔ THEO DÕI HỒ SƠ", "Mẫu số 06", "A4"),
    Kind.FEE_RECEIPT: ("BIÊN LAI THU PHÍ, LỆ PHÍ ĐIỆN TỬ", "", "A5"),
    Kind.STOP_NOTICE: ("THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ", "", "A5"),
    Kind.CERTIFIED_COPY: ("CHỨNG THỰC BẢN SAO ĐIỆN TỬ TỪ BẢN CHÍNH", "", "A4"),
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


def series_for(kind: str, dossier) -> str:
    """The register series of a paper of `kind` for the dossier; "" if it is not numbered."""
    if kind == Kind.RESULT and dossier.decision == Decision.DENY:
        return Series.NOTICE
    return SERIES.get(kind, "")


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
    facts.append(["Số điện thoại", dossier.applicant_phone])
    if dossier.applicant_email:
        facts.append(["Thư điện tử", dossier.applicant_email])
    facts.append(["Nội dung yêu cầu giải quyết", dossier.version.name])
    if dossier.receiving_agency_id:  # liên thông: received by a centre for the agency
        facts.append(["Cơ quan giải quyết", dossier.agency.name])
    return facts


def _fee_fact(dossier) -> list[list[str]]:
    """The fee on the dossier's channel, as the one fee rule computes it (none: not stated)."""
    amount = procedure_fees.dossier_fee(dossier)
    if amount is None:
        return []
    if procedure_fees.exempt(dossier.version, dossier.answers or {}):
        return [["Phí, lệ phí", "Miễn (thuộc đối tượng được miễn)"]]
    text = f"{amount:,}".replace(",", ".") + " đồng"
    if dossier.version.fee_quantity_question and any(
        c.fee_per_copy for c in dossier.version.channels.all()
    ):
        text += f" ({procedure_fees.quantity(dossier.version, dossier.answers or {})} bản)"
    return [["Phí, lệ phí", text]]


def _receipt(dossier, extra) -> dict:
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
    rows = []
    for number, requirement in enumerate(dossier.version.documents.all(), start=1):
        count = sum(1 for f in files if f.requirement_id == requirement.pk)
        component = received.get(requirement.pk)
        if component is not None:
            amount = f"{component.sheets} tờ × {component.sets} bộ"
            if count:
                amount += f"; {count} bản quét"
            rows.append([str(number), requirement.name, FORM_VI[component.form], amount])
        elif count:
            kind = "Bản chính" if requirement.originals else "Bản sao"
            rows.append([str(number), requirement.name, kind, f"{count} tệp điện tử"])
    return {
        "facts": [
            *_applicant_facts(dossier),
            ["Thời hạn giải quyết", limit],
            ["Thời gian nhận hồ sơ", _when(dossier.received_at)],
            ["Thời gian trả kết quả", _when(dossier.due_at)],
            ["Hình thức nộp hồ sơ", CHANNEL_VI[dossier.channel]],
            *_fee_fact(dossier),
            ["Hình thức nhận kết quả", _delivery_vi(dossier)],
        ],
        "items_title": "Thành phần hồ sơ đã nhận:",
        "headings": ["TT", "Tên giấy tờ", "Hình thức", "Số lượng"],
        "rows": rows,
        "closing": [
            "Vào sổ theo dõi hồ sơ. Người nộp tra cứu tình trạng hồ sơ bằng mã hồ sơ trên Cổng "
            "dịch vụ công."
        ],
    }


def _supplement(dossier, extra) -> dict:
    request = dossier.supplements.first()
    return {
        "recipient": dossier.applicant_name,
        "facts": _applicant_facts(dossier),
        "items_title": "Yêu cầu bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:",
        "items": list(request.items) if request else [],
        "closing": [
            f"Lý do: {request.reason}" if request else "",
            "Ông/Bà bổ sung hồ sơ trực tuyến trên Cổng dịch vụ công. "
            f"Liên hệ: {dossier.front_agency.name}"
            + (f", điện thoại {dossier.front_agency.phone}" if dossier.front_agency.phone else "")
            + ".",
        ],
    }


def _refusal(dossier, extra) -> dict:
    return {
        "recipient": dossier.applicant_name,
        "facts": _applicant_facts(dossier),
        "intro": ["Cơ quan tiếp nhận hồ sơ không tiếp nhận giải quyết hồ sơ này vì lý do sau:"],
        "closing": [dossier.decision_reasons, "Xin thông báo để Ông/Bà được biết và thực hiện."],
    }


def _stop_notice(dossier, extra) -> dict:
    """The written notice that the dossier's handling stopped, with the reason (signed)."""
    return {
        "recipient": dossier.applicant_name,
        "facts": [*_applicant_facts(dossier), ["Ngày tiếp nhận hồ sơ", _when(dossier.received_at)]],
        "intro": ["Cơ quan giải quyết thông báo dừng giải quyết hồ sơ sau đây:"],
        "closing": [
            f"Lý do: {(extra or {}).get('reason', '')}",
            "Xin thông báo để Ông/Bà được biết và thực hiện.",
        ],
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
    }


def _apology(dossier, extra) -> dict:
    return {
        "recipient": dossier.applicant_name,
        "facts": [
            ["Mã hồ sơ", dossier.code or ""],
            ["Ngày tiếp nhận hồ sơ", _when(dossier.received_at)],
            ["Hẹn trả kết quả", _when(dossier.original_due_at)],
            ["Lý do chậm trả kết quả", (extra or {}).get("reason", "")],
            ["Thời gian hẹn trả kết quả lần sau", _when(dossier.due_at)],
        ],
        "closing": [
            "Cơ quan xin lỗi Ông/Bà vì sự chậm trễ này và sẽ trả kết quả đúng thời gian hẹn lần "
            "sau."
        ],
    }


def _result(dossier, extra) -> dict:
    if dossier.decision == Decision.DENY:
        return {
            "title": "THÔNG BÁO TỪ CHỐI GIẢI QUYẾT HỒ SƠ",
            "recipient": dossier.applicant_name,
            "facts": _applicant_facts(dossier),
            "intro": ["Sau khi xem xét hồ sơ, cơ quan không giải quyết yêu cầu vì lý do sau:"],
            "closing": [dossier.decision_reasons],
        }
    return {
        "title": (dossier.version.result or "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH")[:200],
        "recipient": dossier.applicant_name,
        "facts": _applicant_facts(dossier),
        "intro": [f"Kết quả giải quyết thủ tục hành chính “{dossier.version.name}”:"],
        "closing": [dossier.result_content],
    }


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
    return {
        "facts": [*_applicant_facts(dossier), ["Hẹn trả kết quả", _when(dossier.due_at)]],
        "headings": ["Bàn giao", "Thời gian", "Trạng thái", "Kết quả", "Ghi chú"],
        "rows": control_sheet_rows(dossier),
    }


def _fee_receipt(dossier, extra) -> dict:
    extra = extra or {}
    paid_at = parse_datetime(extra.get("paid_at", "")) if extra.get("paid_at") else None
    amount = f"{int(extra.get('amount', 0)):,}".replace(",", ".")
    return {
        "facts": [
            ["Đơn vị thu", dossier.agency.name],
            ["Người nộp", dossier.applicant_name],
            ["Mã hồ sơ", dossier.code or ""],
            ["Nội dung thu", f"Phí, lệ phí giải quyết thủ tục “{dossier.version.name}”"],
            ["Số tiền", f"{amount} đồng"],
            ["Hình thức thanh toán", "Thanh toán trực tuyến"],
            ["Mã giao dịch", f"{extra.get('order_ref', '')} / {extra.get('transaction_no', '')}"],
            ["Thời gian thanh toán", _when(paid_at)],
        ],
    }


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
}


def issue(
    dossier,
    kind: str,
    *,
    actor=None,
    revision: int = 1,
    extra: dict | None = None,
    agency=None,
):
    """Ask for the signed document of `kind` for the dossier (rendered after commit), issued
    and signed by `agency`: by default the resolving agency; the receiving desk's papers
    (receipt, refusal, the desk's supplement request, certified copies) by the body whose desk
    received the dossier."""
    context = BUILDERS[kind](dossier, extra)
    title, form_number, paper = TITLES.get(kind, (None, "", "A4"))
    title = context.pop("title", None) or title
    context["form_number"] = form_number
    return signing.document_request(
        kind=kind,
        title=title,
        template="documents/form.html",
        context=context,
        agency=agency or dossier.agency,
        owner=dossier,
        revision=revision,
        paper=paper,
        actor=actor,
        series=series_for(kind, dossier),
        recipient=dossier.applicant_name,
        reference=dossier.code or "",
    )
