"""The one-stop workflow in real browsers, with a real Celery worker process signing the slips and
the result: a level-4 dossier goes from the citizen through the desk, the leader and the specialist
(with a supplement round) to a signed result that the citizen downloads, which checks out in
poppler's pdfsig and on the portal's /verify/ page; and a dossier refused at the desk.

Every role has its own browser context. The worker is the docker-compose command, started once for
the module against the test database and Redis, with the same MEDIA_ROOT, demo PKI, trust roots
and SIGNING_KEK as this process (see tests/integration/test_documents.py). Nothing here runs
pyHanko in the test's thread: the worker signs, and the live server's thread verifies."""

import contextlib
import io
import re
import time
import types

import pytest
import redis
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import translation
from PIL import Image
from playwright.sync_api import expect

from portal.celery import app as celery_app
from signing import certificates, keys, verify
from submissions import services
from submissions.models import Dossier, State
from tests.e2e.conftest import ARTIFACTS, pass_second_factor
from tests.factories import (
    PASSWORD,
    CitizenFactory,
    DossierFactory,
    OfficerFactory,
    ProcedureVersionFactory,
    png_bytes,
)
from tests.integration import processes
from tests.signing.support import nss_db, run, wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

SIGNED_WITHIN = 60  # seconds for the worker to sign a document


# --- the worker, once for the module ------------------------------------------------------------


def _log_text(path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    """The worker command of docker-compose.yml (queues default, documents, notifications) with
    this module's MEDIA_ROOT, demo PKI directory, trust root and KEK."""
    assert django_settings.REDIS_URL, "needs REDIS_URL (run with `make test`)"
    assert django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "needs PostgreSQL"
    base = tmp_path_factory.mktemp("workflow")
    shared = types.SimpleNamespace(
        tmp=base,
        media=base / "media",
        pki_dir=base / "pki",
        root=base / "pki" / "demo-root.pem",
        kek=keys.new_kek_text(),
        log=base / "worker.log",
    )
    env = processes.base_env(
        DATABASE_URL=processes.test_database_url(),
        REDIS_URL=django_settings.REDIS_URL,
        MEDIA_ROOT=str(shared.media),
        SIGNING_DEMO_PKI_DIR=str(shared.pki_dir),
        SIGNING_TRUST_ROOTS=str(shared.root),
        SIGNING_KEK=shared.kek,
        SIGNING_KEK_OLD="",
        SIGNING_TSA_URL="",
        EMAIL_URL=f"filemail://{base / 'mail'}",
    )
    # Messages left by an earlier run name rows of an earlier test database.
    celery_app.control.purge()
    redis.Redis.from_url(django_settings.REDIS_URL).delete("unacked", "unacked_index")
    with processes.running(processes.compose_command("worker"), env, shared.log) as proc:
        wait_until(
            lambda: proc.poll() is not None or " ready." in _log_text(shared.log),
            timeout=60,
            what=f"the worker to start:\n{_log_text(shared.log)}",
        )
        assert proc.poll() is None, f"the worker exited:\n{_log_text(shared.log)}"
        shared.proc = proc
        yield shared


@pytest.fixture(autouse=True)
def _through_the_worker(
    worker, settings, _eager_celery_in_process, _media_in_tmp, _demo_pki_in_tmp
):
    """Tasks go through Redis to the worker (not in-process), and this process (the live
    server's thread) reads the files the worker writes and trusts the root it signs under."""
    settings.MEDIA_ROOT = worker.media
    settings.SIGNING_DEMO_PKI_DIR = worker.pki_dir
    settings.SIGNING_TRUST_ROOTS = [str(worker.root)]
    settings.SIGNING_KEK = worker.kek
    settings.SIGNING_KEK_OLD = ""
    settings.SIGNING_TSA_URL = ""
    celery_app.conf.task_always_eager = False  # the conftest fixture restores it
    certificates._signer.cache_clear()
    verify._trust_roots.cache_clear()
    yield
    certificates._signer.cache_clear()
    verify._trust_roots.cache_clear()


# --- people and pages ---------------------------------------------------------------------------


@pytest.fixture
def agency(agency, worker):
    """The conftest's agency, with a demo signing certificate under the module's root."""
    call_command("make_demo_pki", "--dir", str(worker.pki_dir), stdout=io.StringIO())
    return agency


@pytest.fixture
def version(agency):
    return ProcedureVersionFactory(
        published=True,
        level4=True,
        procedure__agency=agency,
        name="Cấp bản sao văn bằng tốt nghiệp",
        result="Bản sao văn bằng tốt nghiệp",
        documents=[
            {"name": "Đơn đề nghị cấp bản sao"},
            {"name": "Giấy tờ chứng minh nhân thân", "required": False},
        ],
    )


@pytest.fixture
def citizen():
    return CitizenFactory(email="lan.pham@example.vn", full_name="Phạm Thị Lan")


def _one_page_pdf() -> bytes:
    """A PDF that Chromium's viewer shows. (The factories' page-less PDF makes the viewer in the
    back-office page's <iframe> open an error dialog that takes the focus and scrolls the page
    under a click that is on its way.)"""
    buffer = io.BytesIO()
    Image.new("RGB", (595, 842), "white").save(buffer, format="PDF")
    return buffer.getvalue()


def _complete_draft(citizen, version) -> Dossier:
    dossier = DossierFactory(
        applicant=citizen, version=version, answers={"full_name": "Phạm Thị Lan"}
    )
    services.dossier_add_files(
        dossier=dossier,
        actor=citizen,
        requirement_id=version.documents.get(required=True).pk,
        files=[SimpleUploadedFile("don-de-nghi.pdf", _one_page_pdf(), "application/pdf")],
    )
    return dossier


@pytest.fixture
def sign_in(browser, live_server, request):
    """sign_in(user) → a page of a browser context of its own, logged in as `user`."""
    opened = []

    def sign_in(user):
        context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        opened.append((user, context, page))
        page.goto(f"{live_server.url}/account/login/")
        page.locator("#id_username").fill(user.email)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        if user.is_officer:
            pass_second_factor(page, user)
        expect(page.locator('form[action="/account/logout/"]')).to_have_count(1)
        return page

    yield sign_in
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for number, (user, context, page) in enumerate(opened):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = f"{request.node.name}-{number}-{user.email.split('@')[0]}.png"
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        context.close()


def _vi(message: str, **values) -> str:
    with translation.override("vi"):
        text = translation.gettext(message)
    return text % values if values else text


def _reload_until(page, locator, *, what: str, worker, timeout: float = SIGNED_WITHIN):
    """Reload the page until `locator` matches (the worker's work shows up on reload)."""
    deadline = time.monotonic() + timeout
    while not locator.count():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; worker log:\n"
                f"{_log_text(worker.log)[-6000:]}"
            )
        page.wait_for_timeout(500)
        page.reload()


def _open_from_queue(page, live_server, dossier, tab: str):
    page.goto(f"{live_server.url}/office/?tab={tab}")
    page.locator(f'main a[href="/office/dossiers/{dossier.public_id}/"]').click()
    expect(page).to_have_url(f"{live_server.url}/office/dossiers/{dossier.public_id}/")


def _act(page, name: str, fill=None):
    """Open the action's panel, fill it in, and send it."""
    panel = page.locator(f"#action-{name}")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    expect(panel).to_have_js_property("open", True)
    if fill:
        fill(panel)
    panel.locator("button[type=submit]").click()


def _expect_state(page, state: str):
    expect(page.locator("#dossier-state")).to_have_attribute("data-state", state)


def _citizen_state(page, state: str):
    expect(page.locator("main .badge-state")).to_have_class(re.compile(rf"\bstate-{state}\b"))


def _pdf_text(path) -> str:
    """The PDF's text (poppler's pdftotext), with runs of whitespace as one space."""
    return " ".join(run(["pdftotext", str(path), "-"]).split())


def _download(page, kind: str, path):
    with page.expect_download() as info:
        page.locator(f'a.document-download[data-kind="{kind}"]').click()
    info.value.save_as(path)
    return path


# --- the journeys -------------------------------------------------------------------------------


def test_level4_dossier_through_every_role_to_a_signed_result(
    sign_in, live_server, agency, version, citizen, worker, tmp_path
):
    desk = OfficerFactory(
        agency=agency, roles=["desk"], email="mot.cua@so-hn.example.vn", full_name="Lê Thu Hà"
    )
    leader = OfficerFactory(
        agency=agency, roles=["leader"], email="lanh.dao@so-hn.example.vn", full_name="Vũ Đức Minh"
    )
    specialist = OfficerFactory(
        agency=agency,
        roles=["specialist"],
        email="chuyen.vien@so-hn.example.vn",
        full_name="Hoàng Văn Nam",
    )
    dossier = _complete_draft(citizen, version)
    _form_doc, identity_doc = version.documents.order_by("order")
    url = f"{live_server.url}/dossiers/{dossier.public_id}/"

    # The citizen submits the complete draft from its review page.
    lan = sign_in(citizen)
    lan.goto(f"{url}review/")
    expect(lan.locator("#missing")).to_have_count(0)
    lan.locator(f'form[action="/dossiers/{dossier.public_id}/submit/"] button').click()
    expect(lan).to_have_url(f"{url}?submitted=1")
    dossier.refresh_from_db()
    assert dossier.state == State.SUBMITTED and dossier.code
    _citizen_state(lan, State.SUBMITTED)

    # The desk finds it in its queue and accepts it: the receipt is signed by the worker.
    ha = sign_in(desk)
    _open_from_queue(ha, live_server, dossier, "desk")
    _act(ha, "accept")
    _expect_state(ha, State.RECEIVED)
    expect(ha.locator("#due-at")).to_be_visible()

    _reload_until(
        lan,
        lan.locator('a.document-download[data-kind="receipt"]'),
        what="the signed receipt on the citizen's page",
        worker=worker,
    )
    _citizen_state(lan, State.RECEIVED)
    receipt = _download(lan, "receipt", tmp_path / "receipt.pdf")
    assert dossier.code in _pdf_text(receipt)

    # The leader forwards it to the specialist.
    minh = sign_in(leader)
    _open_from_queue(minh, live_server, dossier, "assign")
    _act(
        minh,
        "assign",
        lambda panel: panel.locator('select[name="assign-specialist"]').select_option(
            str(specialist.pk)
        ),
    )
    _expect_state(minh, State.PROCESSING)

    # The specialist asks for one more document.
    nam = sign_in(specialist)
    _open_from_queue(nam, live_server, dossier, "mine")

    def ask(panel):
        panel.locator('textarea[name="request_supplement-reason"]').fill(
            "Cần đối chiếu nhân thân của người đề nghị."
        )
        panel.locator('textarea[name="request_supplement-items"]').fill(
            "Bản chụp căn cước công dân"
        )

    _act(nam, "request_supplement", ask)
    _expect_state(nam, State.SUPPLEMENT_REQUIRED)

    # The citizen sees what is asked, adds the file and sends the supplement.
    lan.goto(url)
    _citizen_state(lan, State.SUPPLEMENT_REQUIRED)
    expect(lan.locator(".supplement")).to_contain_text("Cần đối chiếu nhân thân")
    expect(lan.locator(".supplement")).to_contain_text("Bản chụp căn cước công dân")
    lan.locator(f'main .actions a[href="/dossiers/{dossier.public_id}/edit/"]').click()
    lan.locator('button[name="continue"]').click()
    expect(lan).to_have_url(f"{url}documents/")
    slot = lan.locator(f"#requirement-{identity_doc.pk}")
    slot.locator("input[type=file]").set_input_files(
        {"name": "can-cuoc.png", "mimeType": "image/png", "buffer": png_bytes(60, 40)}
    )
    slot.locator(".upload-form button[type=submit]").click()
    expect(lan.locator(f"#requirement-{identity_doc.pk} .file-list")).to_contain_text(
        "can-cuoc.png"
    )
    lan.locator(f'main .actions a[href="/dossiers/{dossier.public_id}/review/"]').click()
    lan.locator("#id_note").fill("Đã bổ sung bản chụp căn cước.")
    lan.locator(f'form[action="/dossiers/{dossier.public_id}/submit/"] button').click()
    expect(lan).to_have_url(url)
    _citizen_state(lan, State.PROCESSING)
    assert dossier.files.filter(requirement=identity_doc, round=1).count() == 1

    # The specialist proposes to grant; the leader approves; the worker signs the result.
    nam.reload()
    _expect_state(nam, State.PROCESSING)
    expect(nam.locator("main")).to_contain_text("can-cuoc.png")

    def grant(panel):
        panel.locator('input[name="propose-decision"][value="grant"]').check()
        panel.locator('textarea[name="propose-result_content"]').fill(
            "Cấp 01 bản sao Bằng tốt nghiệp trung học phổ thông số hiệu B 0123456."
        )

    _act(nam, "propose", grant)
    _expect_state(nam, State.PENDING_APPROVAL)

    _open_from_queue(minh, live_server, dossier, "approval")
    _act(minh, "approve")
    _expect_state(minh, State.SIGNING)
    _reload_until(
        minh,
        minh.locator('#dossier-state[data-state="resolved"]'),
        what="the dossier to be resolved once its result is signed",
        worker=worker,
    )

    # The citizen downloads the signed result, which hands it back (level 4).
    lan.reload()
    _citizen_state(lan, State.RESOLVED)
    for kind in ("receipt", "supplement", "result"):
        expect(lan.locator(f'a.document-download[data-kind="{kind}"]')).to_have_count(1)
    result = _download(lan, "result", tmp_path / "result.pdf")
    lan.reload()
    _citizen_state(lan, State.RETURNED)
    expect(lan.locator("main dl.record").first).to_contain_text(
        _vi("national portal status %(code)s", code=10)
    )
    dossier.refresh_from_db()
    assert dossier.state == State.RETURNED and dossier.status_code == 10
    assert dossier.returned_to == dossier.applicant_name
    # The worker process signed the slips and the result, and resolved the dossier.
    log = _log_text(worker.log)
    assert re.search(r"render_and_sign_task\[[^]]+\] succeeded", log), log[-3000:]
    assert re.search(r"resolve_dossier_task\[[^]]+\] succeeded", log), log[-3000:]
    assert [e.action for e in dossier.events.order_by("created_at", "pk")] == [
        "submit",
        "accept",
        "assign",
        "request_supplement",
        "resubmit",
        "propose",
        "approve",
        "resolve",
        "collect_online",
    ]

    # What the citizen holds is the signed result: poppler's pdfsig finds the signature valid,
    # and the certificate trusted once the demo root is in an NSS database …
    text = _pdf_text(result)
    assert "B 0123456" in text and dossier.code in text
    report = run(["pdfsig", "-nssdir", nss_db(tmp_path / "nss", worker.root), str(result)])
    assert "Signature is Valid" in report, report
    assert "Certificate is Trusted" in report, report

    # … and the portal's own check of the uploaded file says authentic.
    lan.goto(f"{live_server.url}/verify/")
    lan.locator("input[type=file][name=file]").set_input_files(str(result))
    lan.locator("main form button[type=submit]").click()
    expect(lan.locator(".verdict-authentic")).to_be_visible()
    expect(lan.locator(".verdict .hash")).to_have_text(certificates.sha256_hex(result.read_bytes()))
    # Checking it changes nothing.
    assert Dossier.objects.get(pk=dossier.pk).state == State.RETURNED


def test_a_dossier_refused_at_the_desk_gets_its_signed_refusal(
    sign_in, live_server, agency, version, citizen, worker, tmp_path
):
    desk = OfficerFactory(
        agency=agency, roles=["desk"], email="mot.cua@so-hn.example.vn", full_name="Lê Thu Hà"
    )
    dossier = services.dossier_submit(dossier=_complete_draft(citizen, version), actor=citizen)
    assert dossier.state == State.SUBMITTED

    ha = sign_in(desk)
    _open_from_queue(ha, live_server, dossier, "desk")
    reasons = "Văn bằng do Sở Giáo dục và Đào tạo tỉnh khác cấp, không thuộc thẩm quyền."
    _act(
        ha,
        "refuse",
        lambda panel: panel.locator('textarea[name="refuse-reasons"]').fill(reasons),
    )
    _expect_state(ha, State.REFUSED)
    expect(ha.locator("#actions-title")).to_have_count(0)

    lan = sign_in(citizen)
    lan.goto(f"{live_server.url}/dossiers/{dossier.public_id}/")
    _citizen_state(lan, State.REFUSED)
    expect(lan.locator(".timeline")).to_contain_text(reasons)
    _reload_until(
        lan,
        lan.locator('a.document-download[data-kind="refusal"]'),
        what="the signed refusal slip on the citizen's page",
        worker=worker,
    )
    refusal = _download(lan, "refusal", tmp_path / "refusal.pdf")
    text = _pdf_text(refusal)
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN" in text and dossier.code in text
    assert "không thuộc thẩm quyền" in text
    assert "Signature is Valid" in run(["pdfsig", str(refusal)])
    dossier.refresh_from_db()
    assert dossier.state == State.REFUSED and dossier.status_code == 3
