"""Import and export of an agency's procedure list.

Formats:
- JSON (`dvc-portal/procedures`, every detail: channels, documents with their form templates,
  the form schema); exporting, importing into an empty database and exporting again gives the
  same bytes;
- CSV and XLSX in the shape of a "Quyết định công bố" annex: one row per procedure with code,
  name, field, level, time limit, fee, agency and legal basis.

An import is checked row by row first (a dry run stops there and reports, per row, what would be
created or changed and what is wrong). A real import is all or nothing, changes only drafts (a
published version gets a new draft copied from it) and is idempotent: the same file twice changes
nothing the second time.
"""

import base64
import csv
import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from portal.models import Agency
from portal.spreadsheets import text_cells
from procedures import form_schema
from procedures.models import (
    LEVEL_TO_SERVICE,
    SERVICE_TO_LEVEL,
    Channel,
    FeeTiming,
    Field,
    Procedure,
    ProcedureVersion,
    RequiredDocument,
)
from procedures.search import fold
from procedures.services import copy_version

FORMAT = "dvc-portal/procedures"
FORMAT_VERSION = 1
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 5000

TEXT_FIELDS = [
    "name",
    "implementing_level",
    "implementing_agency",
    "competent_agency",
    "coordinating_agency",
    "applicant_type",
    "applicants",
    "steps",
    "result",
    "legal_basis",
    "requirements",
    "announcing_decision",
]
CHANNEL_FIELDS = ["kind", "time_amount", "time_unit", "fee_vnd", "fee_note", "fee_per_copy", "note"]
# The fee rule's questions (payments.fees.fee_amount).
FEE_RULE_FIELDS = ["fee_quantity_question", "fee_exemption_question", "fee_exempt_answers"]
DOCUMENT_FIELDS = [
    "case", "name", "originals", "copies", "required", "needs_template", "channels",
    "exemption_evidence",
]  # fmt: skip

# Annex columns: the Vietnamese headers of a "Quyết định công bố" annex, with English aliases.
ANNEX_COLUMNS = [
    ("code", "Mã thủ tục"),
    ("name", "Tên thủ tục"),
    ("field", "Lĩnh vực"),
    ("level", "Dịch vụ công trực tuyến"),
    ("time_limit", "Thời hạn giải quyết"),
    ("fee", "Phí, lệ phí (đồng)"),
    ("agency", "Cơ quan thực hiện"),
    ("legal_basis", "Căn cứ pháp lý"),
]
_HEADER_ALIASES = {fold(vi): key for key, vi in ANNEX_COLUMNS} | {
    fold(key): key for key, _ in ANNEX_COLUMNS
}
_HEADER_ALIASES |= {
    "phi le phi": "fee", "muc do dvc": "level", "ma tthc": "code", "stt": "stt",
    "muc do": "level",  # the levels of Decree 43/2011 in older lists
}  # fmt: skip
# Decree 42/2022/NĐ-CP Art. 11 in an annex's words.
SERVICE_VI = {
    ProcedureVersion.OnlineService.FULL: "Toàn trình",
    ProcedureVersion.OnlineService.PARTIAL: "Một phần",
    ProcedureVersion.OnlineService.INFORMATION: "Cung cấp thông tin",
}


@dataclass
class RowResult:
    row: int
    code: str = ""
    action: str = ""  # "create" | "update" | "unchanged" | "error"
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    format: str = ""
    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(r.errors for r in self.rows)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


# --- canonical records ---------------------------------------------------------------------------


def _decimal_text(value) -> str | None:
    if value is None:
        return None
    text = format(Decimal(value).normalize(), "f")
    return text


def version_record(version: ProcedureVersion) -> dict:
    """A version as the JSON format describes it (the unit of comparison and of export)."""
    record = {"code": version.procedure.code}
    record |= {name: getattr(version, name) for name in TEXT_FIELDS}
    record["field"] = {"code": version.field.code, "name": version.field.name}
    record["service_level"] = version.service_level
    record["online_service"] = version.online_service
    record["fee_timing"] = version.fee_timing
    record |= {name: getattr(version, name) for name in FEE_RULE_FIELDS}
    record["effective_date"] = (
        version.effective_date.isoformat() if version.effective_date else None
    )
    record["channels"] = [
        {**{n: getattr(c, n) for n in CHANNEL_FIELDS}, "time_amount": _decimal_text(c.time_amount)}
        for c in version.channels.all()
    ]
    record["documents"] = []
    for document in version.documents.all():
        item = {n: getattr(document, n) for n in DOCUMENT_FIELDS}
        item["template"] = None
        if document.template:
            with document.template.open("rb") as handle:
                item["template"] = {
                    "filename": document.template.name.rsplit("/", 1)[-1],
                    "content_base64": base64.b64encode(handle.read()).decode(),
                }
        record["documents"].append(item)
    record["form_schema"] = version.form_schema
    return _ordered(record)


def _ordered(record: dict) -> dict:
    keys = [
        "code",
        "name",
        "field",
        *TEXT_FIELDS[1:],
        "online_service",
        "service_level",
        "fee_timing",
        *FEE_RULE_FIELDS,
        "effective_date",
    ]
    keys += ["channels", "documents", "form_schema"]
    return {k: record.get(k) for k in keys}


def latest_versions(agency: Agency):
    """Per procedure of the agency, the version an editor works on: the draft if there is one,
    else the published version (archived-only procedures are left out)."""
    versions = (
        ProcedureVersion.objects.filter(procedure__agency=agency)
        .exclude(status=ProcedureVersion.Status.ARCHIVED)
        .select_related("procedure__agency", "field")
        .prefetch_related("channels", "documents")
        .order_by("procedure__code", "-number")
    )
    latest = {}
    for version in versions:
        latest.setdefault(version.procedure.code, version)
    return latest


# --- export ------------------------------------------------------------------------------------


def export_json(agency: Agency) -> str:
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "agency": agency.code,
        "procedures": [version_record(v) for v in latest_versions(agency).values()],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def _time_limit_text(channel: Channel | None) -> str:
    if channel is None:
        return ""
    if channel.time_unit == Channel.TimeUnit.SAME_DAY:
        return "Trong ngày"
    unit = (
        "giờ làm việc" if channel.time_unit == Channel.TimeUnit.WORKING_HOURS else "ngày làm việc"
    )
    return f"{_decimal_text(channel.time_amount)} {unit}"


def annex_rows(agency: Agency) -> list[list]:
    rows = [["STT", *[vi for _, vi in ANNEX_COLUMNS]]]
    for number, version in enumerate(latest_versions(agency).values(), start=1):
        channels = list(version.channels.all())
        first = channels[0] if channels else None
        fee = next((c.fee_vnd for c in channels if c.fee_vnd is not None), None)
        rows.append(
            [
                number,
                version.procedure.code,
                version.name,
                version.field.name,
                SERVICE_VI[version.online_service],
                _time_limit_text(first),
                "" if fee is None else fee,
                agency.code,
                version.legal_basis,
            ]
        )
    return rows


def export_csv(agency: Agency) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(annex_rows(agency))
    return "\ufeff" + out.getvalue()  # a BOM so that spreadsheet programs read UTF-8


def export_xlsx(agency: Agency) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Phu luc")
    for row in annex_rows(agency):
        sheet.append(text_cells(sheet, row))  # a typed formula stays text
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- parsing -----------------------------------------------------------------------------------


def _detect(data: bytes, filename: str) -> str:
    name = filename.lower()
    if data[:4] == b"PK\x03\x04" or name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith(".json") or data.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] == b"{":
        return "json"
    return "csv"


def _read_table(data: bytes, kind: str) -> list[list[str]]:
    if kind == "xlsx":
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            return [
                ["" if cell is None else str(cell).strip() for cell in row]
                for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)
            ]
        # A damaged file fails in the zip, the XML parser or openpyxl, also while rows are read.
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, SyntaxError) as exc:
            raise ValidationError(_("This file is not a readable XLSX spreadsheet.")) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _("This file is not a spreadsheet: save it as XLSX, or as CSV in UTF-8.")
        ) from exc
    if "\x00" in text:
        raise ValidationError(_("This file is not a spreadsheet: save it as XLSX or CSV."))
    sample = text[:4096]
    delimiter = max([",", ";", "\t"], key=sample.count)
    try:
        return [
            [c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)
        ]
    except csv.Error as exc:  # e.g. a field over the csv module's limit: not a procedure list
        raise ValidationError(_("This file is not a spreadsheet: save it as XLSX or CSV.")) from exc


_TIME = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(.*)$")


def _parse_time_limit(text: str) -> tuple[str | None, str]:
    folded = fold(text)
    if not folded:
        raise ValueError(_("the time limit is empty"))
    if "trong ngay" in folded or folded in {"same day", "within the day"}:
        return None, Channel.TimeUnit.SAME_DAY
    match = _TIME.match(text)
    if not match:
        raise ValueError(
            _("the time limit “%(value)s” is not a number of days or hours") % {"value": text}
        )
    amount = match.group(1).replace(",", ".")
    unit_text = fold(match.group(2))
    if unit_text.startswith(("gio", "hour", "working hour")):
        return _decimal_text(amount), Channel.TimeUnit.WORKING_HOURS
    if unit_text == "" or unit_text.startswith(("ngay", "day", "working day")):
        return _decimal_text(amount), Channel.TimeUnit.WORKING_DAYS
    raise ValueError(_("the time limit “%(value)s” has an unknown unit") % {"value": text})


def _parse_fee(text: str) -> int | None:
    folded = fold(text.replace(",", "."))
    if folded == "":
        return None
    if text.strip().startswith(("-", "\u2212")):  # hyphen-minus or the minus sign
        raise ValueError(_("the fee “%(value)s” is not an amount in đồng") % {"value": text})
    if folded in {"khong", "mien phi", "khong thu", "0", "free", "none"}:
        return 0
    match = re.fullmatch(r"(\d{1,3}(?:[.,]\d{3})+|\d+)(?:\s*(?:d|dong|vnd)(?:\s.*)?)?", folded)
    if not match:
        raise ValueError(_("the fee “%(value)s” is not an amount in đồng") % {"value": text})
    return int(re.sub(r"[.,]", "", match.group(1)))


_SERVICE_WORDS = {
    "toan trinh": 4, "dich vu cong truc tuyen toan trinh": 4,
    "mot phan": 3, "dich vu cong truc tuyen mot phan": 3,
    "cung cap thong tin": 2, "thong tin": 2, "khong": 2,
}  # fmt: skip


def _parse_level(text: str) -> int:
    """The stored level of an annex's cell: Decree 42/2022's words (Toàn trình, Một phần, Cung
    cấp thông tin), or an older list's level 1-4 (Decree 43/2011), kept as it was."""
    folded = " ".join(fold(text).split())
    if folded in _SERVICE_WORDS:
        return _SERVICE_WORDS[folded]
    match = re.fullmatch(r"(?:muc(?: do)?\s*)?([1-4])", folded)
    if not match:
        raise ValueError(
            _(
                "the online service “%(value)s” is not Toàn trình, Một phần or Cung cấp thông "
                "tin (nor an older list's level 1 to 4)"
            )
            % {"value": text}
        )
    return int(match.group(1))


def _annex_records(table: list[list[str]], agency: Agency) -> tuple[list[tuple[int, dict]], list]:
    """Rows of an annex as partial records: (spreadsheet row number, record or errors)."""
    rows = [r for r in table if any(c for c in r)]
    if not rows:
        raise ValidationError(_("The file is empty."))
    header = [_HEADER_ALIASES.get(fold(h)) for h in rows[0]]
    missing = [vi for key, vi in ANNEX_COLUMNS if key not in header]
    if missing:
        raise ValidationError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if len(rows) - 1 > MAX_ROWS:
        raise ValidationError(_("At most %(n)s rows per file.") % {"n": MAX_ROWS})
    records = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {key: (row[i] if i < len(row) else "") for i, key in enumerate(header) if key}
        errors, record = [], {"code": cells["code"].strip()}
        if not record["code"]:
            errors.append(_("the procedure code is empty"))
        record["name"] = cells["name"].strip()
        if not record["name"]:
            errors.append(_("the name is empty"))
        record["field_name"] = cells["field"].strip()
        if not record["field_name"]:
            errors.append(_("the field is empty"))
        record["legal_basis"] = cells["legal_basis"].strip()
        for key, parse, target in (
            ("level", _parse_level, "service_level"),
            ("time_limit", _parse_time_limit, "time_limit"),
            ("fee", _parse_fee, "fee_vnd"),
        ):
            try:
                record[target] = parse(cells[key])
            except ValueError as exc:
                errors.append(str(exc))
        if " ".join(fold(cells["level"]).split()) in _SERVICE_WORDS:
            record["level_words"] = True  # Decree 42/2022's words, not an older list's level
        if cells["agency"].strip() and cells["agency"].strip() != agency.code:
            errors.append(
                _("the agency %(code)s is not the one importing (%(mine)s)")
                % {"code": cells["agency"].strip(), "mine": agency.code}
            )
        records.append((number, errors or record))
    return records, []


def _json_records(data: bytes, agency: Agency) -> list[tuple[int, dict | list]]:
    try:
        payload = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(_("This file is not valid JSON.")) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValidationError(_("This JSON is not a dvc-portal procedure list."))
    if payload.get("format_version") != FORMAT_VERSION:
        raise ValidationError(_("This procedure list has an unknown format version."))
    if payload.get("agency") != agency.code:
        raise ValidationError(
            _("This list belongs to agency %(code)s, not %(mine)s.")
            % {"code": payload.get("agency"), "mine": agency.code}
        )
    items = payload.get("procedures")
    if not isinstance(items, list) or len(items) > MAX_ROWS:
        raise ValidationError(_("“procedures” must be a list of at most %(n)s.") % {"n": MAX_ROWS})
    return [(number, _check_json_record(item)) for number, item in enumerate(items, start=1)]


def _check_json_record(item) -> dict | list:
    if not isinstance(item, dict):
        return [_("each procedure must be an object")]
    errors = []
    for key in ("code", "name"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            errors.append(_("“%(key)s” is missing") % {"key": key})
    for key in TEXT_FIELDS:
        if not isinstance(item.get(key, ""), str):
            errors.append(_("“%(key)s” must be text") % {"key": key})
    choice_fields = {
        "implementing_level": ProcedureVersion.ImplementingLevel.values,
        "applicant_type": ProcedureVersion.ApplicantType.values,
    }
    for key, allowed in choice_fields.items():
        if item.get(key) not in allowed:
            errors.append(
                _("“%(key)s” must be one of %(values)s")
                % {"key": key, "values": ", ".join(allowed)}
            )
    if item.get("fee_timing", FeeTiming.BEFORE) not in FeeTiming.values:
        errors.append(_("“fee_timing” must be before or on_delivery"))
    service = item.get("online_service")
    if service is not None:
        if service not in ProcedureVersion.OnlineService.values:
            errors.append(
                _("“online_service” must be one of %(values)s")
                % {"values": ", ".join(ProcedureVersion.OnlineService.values)}
            )
        elif LEVEL_TO_SERVICE.get(item.get("service_level")) != service:
            # Decree 42/2022's category decides; the legacy level follows it.
            item["service_level"] = SERVICE_TO_LEVEL[service]
    elif item.get("service_level") not in (1, 2, 3, 4):
        errors.append(
            _("the level “%(value)s” is not 1, 2, 3 or 4") % {"value": item.get("service_level")}
        )
    effective = item.get("effective_date")
    try:
        if effective is not None:
            dt.date.fromisoformat(effective)
    except (TypeError, ValueError):
        errors.append(
            _("the effective date “%(value)s” is not a date (YYYY-MM-DD)") % {"value": effective}
        )
    fld = item.get("field")
    if not (
        isinstance(fld, dict)
        and isinstance(fld.get("code"), str)
        and fld["code"]
        and isinstance(fld.get("name"), str)
    ):
        errors.append(_("“field” needs a code and a name"))
    errors += _check_channels(item.get("channels"))
    errors += _check_fee_rule(item)
    errors += _check_documents(item.get("documents"))
    errors += form_schema.schema_errors(item.get("form_schema", []))
    return errors or item


def _check_channels(channels) -> list[str]:
    if not isinstance(channels, list):
        return [_("“channels” must be a list")]
    errors = []
    for channel in channels:
        if not isinstance(channel, dict) or channel.get("kind") not in Channel.Kind.values:
            errors.append(_("a channel has an unknown kind"))
            continue
        if channel.get("time_unit") not in Channel.TimeUnit.values:
            errors.append(_("a channel has an unknown time unit"))
        amount = channel.get("time_amount")
        try:
            if amount is not None and Decimal(str(amount)) < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors.append(_("a channel's time limit is not a number"))
        fee = channel.get("fee_vnd")
        if fee is not None and (not isinstance(fee, int) or isinstance(fee, bool) or fee < 0):
            errors.append(_("the fee “%(value)s” is not an amount in đồng") % {"value": fee})
    return errors


def _check_fee_rule(item: dict) -> list[str]:
    """The fee rule names questions of the procedure's own form: a number for the quantity."""
    schema = item.get("form_schema") or []
    kinds = {q.get("name"): q.get("type") for q in schema if isinstance(q, dict)}
    errors = []
    quantity = item.get("fee_quantity_question") or ""
    if quantity and kinds.get(quantity) != "number":
        errors.append(
            _("“fee_quantity_question” must name a number question of the form: %(name)s")
            % {"name": quantity}
        )
    exemption = item.get("fee_exemption_question") or ""
    if exemption and exemption not in kinds:
        errors.append(
            _("“fee_exemption_question” must name a question of the form: %(name)s")
            % {"name": exemption}
        )
    answers = item.get("fee_exempt_answers") or []
    if not isinstance(answers, list) or not all(isinstance(a, str | bool) for a in answers):
        errors.append(_("“fee_exempt_answers” must be a list of answers"))
    return errors


def _check_documents(documents) -> list[str]:
    if not isinstance(documents, list):
        return [_("“documents” must be a list")]
    errors = []
    for document in documents:
        if not isinstance(document, dict) or not isinstance(document.get("name"), str):
            errors.append(_("a document has no name"))
            continue
        channels = document.get("channels")
        if channels is not None and not (
            isinstance(channels, list)
            and channels
            and all(c in RequiredDocument.FilingChannel.values for c in channels)
        ):
            errors.append(
                _("“%(name)s”: “channels” lists where it is asked for: online, in_person, post")
                % {"name": document["name"]}
            )
        template = document.get("template")
        if template is not None:
            try:
                base64.b64decode(template["content_base64"], validate=True)
                name = template["filename"]
                if not isinstance(name, str) or not name or "/" in name or "\\" in name:
                    raise ValueError(name)
                if name in {".", ".."}:
                    raise ValueError(name)
            except (KeyError, TypeError, ValueError):
                errors.append(
                    _("the form template of “%(name)s” is damaged") % {"name": document["name"]}
                )
    return errors


# --- planning and applying ---------------------------------------------------------------------


def _merge_annex(current: dict | None, row: dict, field_codes: dict[str, str]) -> dict:
    """The full record an annex row leads to: the current one with the row's columns applied.
    `field_codes` maps folded field names to the codes of the fields that exist."""
    record = dict(current) if current else {
        "code": row["code"], "implementing_level": "", "implementing_agency": "",
        "competent_agency": "", "coordinating_agency": "", "applicant_type": "individual",
        "applicants": "", "steps": "", "result": "", "requirements": "",
        "announcing_decision": "", "effective_date": None, "channels": [], "documents": [],
        "form_schema": [],
    }  # fmt: skip
    field_code = (
        current["field"]["code"]
        if current and fold(current["field"]["name"]) == fold(row["field_name"])
        else None
    )
    record["field"] = {
        "code": field_code or _field_code_for(row["field_name"], field_codes),
        "name": row["field_name"],
    }
    record["name"] = row["name"]
    # Decree 42/2022's category decides; an older level it reads as stays as it was (a level-1
    # procedure exported as "Cung cấp thông tin" imports back unchanged).
    if not (
        current
        and LEVEL_TO_SERVICE.get(current.get("service_level"))
        == LEVEL_TO_SERVICE[row["service_level"]]
        and "level_words" in row
    ):
        record["service_level"] = row["service_level"]
    record["legal_basis"] = row["legal_basis"] or record.get("legal_basis", "")
    amount, unit = row["time_limit"]
    channels = [dict(c) for c in record["channels"]] or [
        {"kind": "in_person", "fee_note": "", "note": ""}
    ]
    for channel in channels:
        channel.update(time_amount=amount, time_unit=unit, fee_vnd=row["fee_vnd"])
    record["channels"] = [{k: c.get(k) for k in CHANNEL_FIELDS} for c in channels]
    return _ordered(record)


_TEMPLATE_KEYS = ("filename", "content_base64")


def _canonical(item: dict) -> dict:
    """A checked JSON record in the shape version_record gives (defaults filled in, amounts as
    text), so that comparing it with what is stored shows real changes only."""
    record = {name: item.get(name) or "" for name in TEXT_FIELDS}
    record |= {
        "code": item["code"].strip(),
        "field": {"code": item["field"]["code"], "name": item["field"]["name"]},
        "service_level": item["service_level"],
        "online_service": LEVEL_TO_SERVICE[item["service_level"]],
        "fee_timing": item.get("fee_timing") or FeeTiming.BEFORE,
        "fee_quantity_question": item.get("fee_quantity_question") or "",
        "fee_exemption_question": item.get("fee_exemption_question") or "",
        "fee_exempt_answers": item.get("fee_exempt_answers") or [],
        "effective_date": item.get("effective_date"),
        "form_schema": item.get("form_schema") or [],
    }
    record["channels"] = [
        {
            "kind": c["kind"],
            "time_amount": _decimal_text(
                None if c.get("time_amount") is None else str(c["time_amount"])
            ),
            "time_unit": c["time_unit"],
            "fee_vnd": c.get("fee_vnd"),
            "fee_note": c.get("fee_note") or "",
            "fee_per_copy": bool(c.get("fee_per_copy")),
            "note": c.get("note") or "",
        }
        for c in item["channels"]
    ]
    defaults = {
        "case": "", "originals": 1, "copies": 0, "required": True, "needs_template": False,
        "channels": RequiredDocument.FilingChannel.values,  # not stated: asked on every channel
        "exemption_evidence": False,
    }  # fmt: skip
    record["documents"] = [
        {n: d.get(n) if d.get(n) is not None else defaults.get(n) for n in DOCUMENT_FIELDS}
        | {"template": d.get("template") and {k: d["template"][k] for k in _TEMPLATE_KEYS}}
        for d in item["documents"]
    ]
    return _ordered(record)


def _storage_errors(record: dict) -> list[str]:
    """What the database would refuse in a checked record: text longer than its column, numbers
    out of their column's range."""
    values = [(ProcedureVersion, n, record.get(n)) for n in TEXT_FIELDS]
    values += [(Field, "name", record["field"]["name"]), (Field, "code", record["field"]["code"])]
    values += [(Channel, n, c.get(n)) for c in record["channels"] for n in ("fee_note", "note")]
    values += [(RequiredDocument, n, d.get(n)) for d in record["documents"] for n in ("case",)]
    values += [(RequiredDocument, "name", d.get("name")) for d in record["documents"]]
    errors = []
    for model, name, value in values:
        limit = model._meta.get_field(name).max_length  # None for a TextField
        if limit and isinstance(value, str) and len(value) > limit:
            message = _("“%(key)s” is longer than %(n)s characters")
            errors.append(message % {"key": name, "n": limit})
    for channel in record["channels"]:
        amount, fee = channel.get("time_amount"), channel.get("fee_vnd")
        if amount is not None and Decimal(str(amount)) >= 10**5:
            errors.append(_("a channel's time limit is not a number"))
        if fee is not None and fee >= 2**63:
            errors.append(_("the fee “%(value)s” is not an amount in đồng") % {"value": fee})
    for document in record["documents"]:
        counts = [document.get(n) for n in ("originals", "copies")]
        flags = [document.get(n) for n in ("required", "needs_template")]
        if not all(type(c) is int and 0 <= c < 2**15 for c in counts):
            errors.append(_("the numbers of originals and copies must be whole numbers"))
        if not all(isinstance(f, bool) for f in flags):
            errors.append(_("“required” and “needs_template” must be true or false"))
    return errors


def _existing_field_codes() -> dict[str, str]:
    """Folded field name → code, read once per import (the first field wins on a clash)."""
    codes: dict[str, str] = {}
    for field_obj in Field.objects.all():
        codes.setdefault(fold(field_obj.name), field_obj.code)
    return codes


def _field_code_for(name: str, field_codes: dict[str, str]) -> str:
    return field_codes.get(fold(name)) or slugify(fold(name))[:64] or "linh-vuc"


def _diff(before: dict | None, after: dict) -> list[str]:
    if before is None:
        return []
    return [key for key in after if key != "code" and before.get(key) != after.get(key)]


def import_procedures(
    *, data: bytes, filename: str, agency: Agency, actor=None, dry_run: bool = True
) -> ImportReport:
    report = ImportReport()
    if agency.is_service_centre:
        report.file_errors.append(
            _(
                "A Public Administration Service Centre publishes no procedures: import them "
                "for the agency that resolves them."
            )
        )
        return report
    if len(data) > MAX_BYTES:
        report.file_errors.append(_("The file is larger than 10 MB."))
        return report
    report.format = _detect(data, filename)
    try:
        if report.format == "json":
            parsed = _json_records(data, agency)
        else:
            parsed, _unused = _annex_records(_read_table(data, report.format), agency)
    except ValidationError as exc:
        report.file_errors.extend(exc.messages)
        return report

    current = {code: version_record(v) for code, v in latest_versions(agency).items()}
    seen: dict[str, RowResult] = {}
    plans = []
    field_codes: dict[str, str] | None = None
    for number, record in parsed:
        result = RowResult(row=number)
        report.rows.append(result)
        if isinstance(record, list):
            result.action, result.errors = "error", record
            continue
        result.code = record["code"].strip()
        if result.code in seen:
            result.action = "error"
            result.errors.append(
                _("the code %(code)s appears twice in the file") % {"code": result.code}
            )
            first = seen[result.code]
            if not first.errors:
                first.errors.append(
                    _("the code %(code)s appears twice in the file") % {"code": result.code}
                )
                first.action = "error"
            continue
        seen[result.code] = result
        before = current.get(result.code)
        if report.format == "json":
            after = _canonical(record)
        else:
            if field_codes is None:
                field_codes = _existing_field_codes()
            after = _merge_annex(before, record, field_codes)
        result.errors = _storage_errors(after)
        if result.errors:  # a dry run must not promise what the database will refuse
            result.action = "error"
            continue
        result.changes = _diff(before, after)
        result.action = (
            "create" if before is None else ("update" if result.changes else "unchanged")
        )
        plans.append((result, after))

    if dry_run or not report.ok:
        return report
    with transaction.atomic():
        latest = latest_versions(agency)
        for result, record in plans:
            if result.action == "create":
                # The procedure may exist with archived versions only: add the next one to it.
                procedure, _created = Procedure.objects.get_or_create(
                    code=result.code, agency=agency
                )
                number = (procedure.versions.aggregate(n=Max("number"))["n"] or 0) + 1
                _write(
                    ProcedureVersion(procedure=procedure, number=number, created_by=actor),
                    record,
                    with_effective_date=report.format == "json",
                )
            elif result.action == "update":
                version = latest[result.code]
                if version.status != ProcedureVersion.Status.DRAFT:
                    version = copy_version(version, created_by=actor)
                _write(version, record, with_effective_date=report.format == "json")
    report.applied = True
    return report


def _write(version: ProcedureVersion, record: dict, *, with_effective_date: bool) -> None:
    """Write a record into a draft version, replacing its channels and documents. An annex has
    no effective date: the draft keeps its own (none, until it is published)."""
    assert version.status == ProcedureVersion.Status.DRAFT  # noqa: S101 - never a published one
    fld = record["field"]
    version.field, _created = Field.objects.get_or_create(
        code=fld["code"], defaults={"name": fld["name"]}
    )
    for name in TEXT_FIELDS:
        setattr(version, name, record.get(name) or "")
    version.implementing_level = record.get("implementing_level") or {
        "province_committee": "province"
    }.get(version.procedure.agency.level, version.procedure.agency.level)
    version.service_level = record["service_level"]
    version.fee_timing = record.get("fee_timing") or FeeTiming.BEFORE
    version.fee_quantity_question = record.get("fee_quantity_question") or ""
    version.fee_exemption_question = record.get("fee_exemption_question") or ""
    version.fee_exempt_answers = record.get("fee_exempt_answers") or []
    version.form_schema = record.get("form_schema") or []
    if with_effective_date:
        effective = record.get("effective_date")
        version.effective_date = dt.date.fromisoformat(effective) if effective else None
    version.save()
    version.channels.all().delete()
    Channel.objects.bulk_create(
        Channel(
            version=version,
            order=order,
            kind=c["kind"],
            time_amount=None if c.get("time_amount") is None else Decimal(str(c["time_amount"])),
            time_unit=c["time_unit"],
            fee_vnd=c.get("fee_vnd"),
            fee_note=c.get("fee_note") or "",
            fee_per_copy=bool(c.get("fee_per_copy")),
            note=c.get("note") or "",
        )
        for order, c in enumerate(record["channels"])
    )
    version.documents.all().delete()
    for order, d in enumerate(record["documents"]):
        document = RequiredDocument(
            version=version,
            order=order,
            **{n: d.get(n) for n in DOCUMENT_FIELDS if d.get(n) is not None},
        )
        template = d.get("template")
        if template:
            content = base64.b64decode(template["content_base64"])
            path = document.template.field.generate_filename(document, template["filename"])
            if _stored_content(document.template.storage, path) == content:
                document.template.name = path  # the file is there already (an earlier version)
            else:
                document.template.save(template["filename"], ContentFile(content), save=False)
        document.save()


def _stored_content(storage, path: str) -> bytes | None:
    if not storage.exists(path):
        return None
    with storage.open(path, "rb") as handle:
        return handle.read()
