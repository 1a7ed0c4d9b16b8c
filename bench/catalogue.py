"""Catalogue under load: 2,000 published procedures on PostgreSQL, served by gunicorn (2 sync
workers), measured with wrk (-t2 -c50) in one run against a bare Django template view as the
baseline. Writes the figures to bench/RESULTS.md (the "Catalogue" section).

    make bench        (or: DATABASE_URL=postgres://… REDIS_URL=redis://… python bench/catalogue.py)

Goal (issue 3): the search page reaches at least half the baseline's requests/s.
"""

import datetime as dt
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from bench.bench_http import measure, write_section  # noqa: E402
from portal.models import Agency  # noqa: E402
from procedures.models import Channel, Field, Procedure, ProcedureVersion  # noqa: E402
from procedures.search import fold  # noqa: E402

COUNT = 2000
NAMES = [
    "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
    "Chỉnh sửa nội dung văn bằng, chứng chỉ",
    "Công nhận bằng tốt nghiệp do cơ sở giáo dục nước ngoài cấp",
    "Chuyển trường đối với học sinh trung học phổ thông",
    "Đăng ký dự thi tốt nghiệp trung học phổ thông",
    "Phúc khảo bài thi tốt nghiệp trung học phổ thông",
    "Cho phép trường trung học phổ thông hoạt động giáo dục",
    "Thành lập trung tâm ngoại ngữ, tin học",
    "Cho phép hoạt động giáo dục nhóm trẻ, lớp mẫu giáo độc lập",
    "Xét tuyển sinh vào trung học cơ sở",
]


@transaction.atomic
def load() -> int:
    """Make sure COUNT bench procedures are published (idempotent)."""
    call_command("migrate", verbosity=0)
    agency, _ = Agency.objects.get_or_create(
        code="000.00.99.H99",
        defaults={"name": "Sở Giáo dục và Đào tạo (benchmark)", "level": Agency.Level.PROVINCE},
    )
    have = Procedure.objects.filter(agency=agency).count()
    if have >= COUNT:
        return have
    fields = [
        Field.objects.get_or_create(code=f"bench-{i}", defaults={"name": f"Lĩnh vực {i}"})[0]
        for i in range(8)
    ]
    procedures = Procedure.objects.bulk_create(
        Procedure(code=f"9.{i:06d}", agency=agency) for i in range(have, COUNT)
    )
    versions = []
    for procedure in procedures:
        i = int(procedure.code.split(".")[1])
        name = f"{NAMES[i % len(NAMES)]} ({i})"
        versions.append(
            ProcedureVersion(
                procedure=procedure, number=1, status="published", name=name,
                field=fields[i % len(fields)], implementing_level="province",
                service_level=1 + i % 4, effective_date=dt.date(2025, 7, 1),
                published_at=dt.datetime(2025, 7, 1, tzinfo=dt.UTC),
                search_text=fold(f"{procedure.code} {name}"),
            )
        )  # fmt: skip
    versions = ProcedureVersion.objects.bulk_create(versions)
    Channel.objects.bulk_create(
        Channel(version=v, kind=kind, time_amount=5, time_unit="working_days", fee_vnd=0)
        for v in versions
        for kind in ("in_person", "online")
    )
    return Procedure.objects.filter(agency=agency).count()


def run() -> dict:
    loaded = load()
    env = {**os.environ, "PORTAL_ENV": "development", "DEBUG": "false"}
    targets = [
        ("baseline: bare Django template", "bench.baseline_site:application", 8201, "/"),
        ("search page", "portal.wsgi:application", 8202, "/procedures/?q=cap+ban+sao+van+bang"),
        ("catalogue page (no query)", "portal.wsgi:application", 8202, "/procedures/"),
        ("list API search", "portal.wsgi:application", 8202,
         "/api/v1/procedures/?q=cap+ban+sao+van+bang"),
    ]  # fmt: skip
    results = measure(targets, env, baseline="baseline: bare Django template")
    return {"procedures": loaded, "results": results}


def write_results(outcome: dict) -> str:
    ratio = outcome["results"]["search page"]["ratio"]
    lines = [
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores), {outcome['procedures']} published procedures on PostgreSQL; "
        "gunicorn 2 sync workers; wrk -t2 -c50 "
        f"-d{os.environ.get('BENCH_SECONDS', '10')}s.",
        "",
        "| target | requests/s | p50 | p99 | × baseline | non-2xx |",
        "|---|---|---|---|---|---|",
    ]
    for name, f in outcome["results"].items():
        row = [name, f"{f['rps']:.0f}", f["p50"], f["p99"], f"{f['ratio']:.2f}", str(f["errors"])]
        lines.append("| " + " | ".join(row) + " |")
    verdict = "met" if ratio >= 0.5 else "NOT met"
    lines += ["", f"Goal (search page ≥ 0.5 × baseline): **{verdict}** ({ratio:.2f}).", ""]
    return write_section("Catalogue (bench/catalogue.py)", lines)


if __name__ == "__main__":
    print(write_results(run()))
