"""A client generated from /api/schema/ files a dossier and reads it back (issue 13).

openapi-python-client reads the schema the live server serves and writes a package; the test
imports it and files a dossier through its functions and models alone, as an integrating
system would: a token, the catalogue, a draft, its answers, two PDFs, the submission, the
status. Nothing here sends a request by hand, so a schema that validates but misleads a
generator fails this test."""

import hashlib
import importlib
import io
import json
import os
import pkgutil
import subprocess
import sys
import uuid

import pytest
from PIL import Image

from submissions.models import Dossier, State
from tests.factories import (
    MINIMAL_SCHEMA,
    PASSWORD,
    PDF_BYTES,
    CitizenFactory,
    ProcedureVersionFactory,
)

# It starts a process (the generator) and a live server.
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PACKAGE = "dvc_client"

GENERATOR_CONFIG = {
    "package_name_override": PACKAGE,
    # The generated code is imported, not read: no formatter run (nor ruff needed on PATH).
    "post_hooks": [],
    # A file download answers with the file's own type. openapi-python-client 0.28 reads a
    # binary response only as application/octet-stream (any other type: "Unsupported
    # content_type", and the response is left out of the client); this setting is its way to
    # say that these types are bytes too.
    "content_type_overrides": {
        "application/pdf": "application/octet-stream",
        "image/jpeg": "application/octet-stream",
        "image/png": "application/octet-stream",
    },
}


def scan_pdf() -> bytes:
    """A one-page PDF as a scanner makes it (an image on a page), unlike PDF_BYTES."""
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (240, 240, 230)).save(buffer, format="PDF")
    return buffer.getvalue()


def generate_client(schema_url: str, where) -> str:
    """Generate the client package into `where` from the schema at `schema_url`; return what
    the generator printed."""
    config = where / "generator.json"
    config.write_text(json.dumps(GENERATOR_CONFIG))
    command = [
        *(sys.executable, "-m", "openapi_python_client", "generate"),
        *("--url", schema_url, "--meta", "none", "--config", str(config)),
        *("--output-path", str(where / PACKAGE), "--fail-on-warning"),
    ]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        # Wide and plain, so that no message is cut or coloured.
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"},
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@pytest.fixture
def client_package(live_server, tmp_path, monkeypatch):
    """The package generated from the schema as served, every module of it imported (and all
    forgotten afterwards)."""
    output = generate_client(f"{live_server.url}/api/schema/", tmp_path)
    # Not one warning about a construct the generator could not handle.
    assert output.strip().splitlines() == [f"Generating {tmp_path / PACKAGE}"], output
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        package = importlib.import_module(PACKAGE)
        # Every operation's module, not only the ones used below: one that does not import
        # is an operation no client can call.
        for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
            importlib.import_module(module.name)
        yield package
    finally:
        for name in [name for name in sys.modules if name.partition(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_a_generated_client_files_a_dossier_with_two_pdfs(client_package, live_server, agency):
    # The catalogue: one procedure filed at the desk only, one that takes online filing.
    ProcedureVersionFactory(procedure__agency=agency, published=True, name="Chỉ nộp tại quầy")
    online = ProcedureVersionFactory(
        procedure__code="2.001914",
        procedure__agency=agency,
        name="Cấp bản sao văn bằng, chứng chỉ",
        published=True,
        level3=True,
        documents=[{"name": "Đơn đề nghị cấp bản sao"}, {"name": "Bản chính văn bằng (bản chụp)"}],
    )
    citizen = CitizenFactory(email="tich.hop@example.vn", full_name="Lê Thị Tích Hợp")
    pdfs = {"don-de-nghi.pdf": PDF_BYTES, "van-bang.pdf": scan_pdf()}

    v1 = f"{PACKAGE}.api.v1"
    models = importlib.import_module(f"{PACKAGE}.models")
    File = importlib.import_module(f"{PACKAGE}.types").File
    token_create = importlib.import_module(f"{v1}.v1_auth_token_create")
    procedures_list = importlib.import_module(f"{v1}.v1_procedures_list")
    procedures_retrieve = importlib.import_module(f"{v1}.v1_procedures_retrieve")
    dossiers_create = importlib.import_module(f"{v1}.v1_dossiers_create")
    dossiers_partial_update = importlib.import_module(f"{v1}.v1_dossiers_partial_update")
    dossiers_files_create = importlib.import_module(f"{v1}.v1_dossiers_files_create")
    dossiers_submit_create = importlib.import_module(f"{v1}.v1_dossiers_submit_create")
    dossiers_retrieve = importlib.import_module(f"{v1}.v1_dossiers_retrieve")
    dossiers_files_retrieve = importlib.import_module(f"{v1}.v1_dossiers_files_retrieve")

    # Closed at the end, so that no kept-alive connection holds a server thread (and its
    # database connection) past the test.
    with client_package.Client(
        base_url=live_server.url, raise_on_unexpected_status=True
    ) as anonymous:
        # A token for the citizen's email and password.
        token = token_create.sync(
            client=anonymous,
            body=models.TokenInput(email=citizen.email, password=PASSWORD),
        )
        assert isinstance(token, models.TokenOutput) and token.token

        # Of the agency's published procedures, the one with an online channel.
        listed = procedures_list.sync(client=anonymous, agency=agency.code)
        assert isinstance(listed, models.PaginatedProcedureListOutputList)
        assert listed.count == 2
        filed_online = [
            procedure
            for procedure in listed.results
            if any(channel.kind == models.KindEnum.ONLINE for channel in procedure.channels)
        ]
        assert [p.service_code for p in filed_online] == [online.procedure.service_code]
        procedure = procedures_retrieve.sync(filed_online[0].service_code, client=anonymous)
        assert isinstance(procedure, models.ProcedureDetailOutput)
        required = [document for document in procedure.documents if document.required]
        assert [document.name for document in required] == list(
            online.documents.values_list("name", flat=True)
        )
        assert [question["name"] for question in procedure.form_schema] == [
            question["name"] for question in MINIMAL_SCHEMA
        ]

    with client_package.AuthenticatedClient(
        base_url=live_server.url, token=token.token, prefix="Token", raise_on_unexpected_status=True
    ) as me:
        # A draft, prefilled from the profile; then the answers.
        draft = dossiers_create.sync(
            client=me, body=models.DossierCreateInput(procedure=procedure.service_code)
        )
        assert isinstance(draft, models.DossierOutput), draft
        assert draft.state == models.StateEnum.DRAFT and draft.code is None
        assert draft.applicant.name == citizen.full_name
        assert len(draft.missing) == 3  # the answer and both documents
        changed = dossiers_partial_update.sync(
            draft.id,
            client=me,
            body=models.PatchedDossierUpdateInput(
                answers=models.PatchedDossierUpdateInputAnswers.from_dict(
                    {"full_name": "Lê Thị Tích Hợp"}
                )
            ),
        )
        assert isinstance(changed, models.DossierOutput), changed
        assert changed.answers.to_dict() == {"full_name": "Lê Thị Tích Hợp"}

        # Submitted too early: a declared error, read as the schema's one error shape.
        early = dossiers_submit_create.sync_detailed(draft.id, client=me)
        assert early.status_code == 400 and isinstance(early.parsed, models.Error)
        missing = early.parsed.additional_properties["missing"]
        assert len(missing) == 2 and all(isinstance(m, str) for m in missing), missing

        # A PDF for each required document, through the multipart endpoint.
        for document, (name, content) in zip(required, pdfs.items(), strict=True):
            upload = File(payload=io.BytesIO(content), file_name=name, mime_type="application/pdf")
            stored = dossiers_files_create.sync(
                draft.id,
                client=me,
                body=models.DossierUploadInput(document=document.id, files=[upload]),
            )
            assert isinstance(stored, list), stored
            assert [(f.document, f.name, f.size) for f in stored] == [
                (document.id, name, len(content))
            ]

        submitted = dossiers_submit_create.sync(draft.id, client=me)
        assert isinstance(submitted, models.DossierOutput), submitted
        assert submitted.state == models.StateEnum.SUBMITTED

        # Its status, read back, with both files.
        dossier = dossiers_retrieve.sync(draft.id, client=me)
        assert isinstance(dossier, models.DossierOutput), dossier
        assert isinstance(dossier.id, uuid.UUID) and dossier.id == draft.id
        assert dossier.state == models.StateEnum.SUBMITTED
        assert dossier.code and dossier.status_code is not None
        assert dossier.submitted_at is not None and dossier.missing == []
        files = sorted(dossier.files, key=lambda f: f.name)
        assert [(f.document, f.name, f.content_type, f.sha256) for f in files] == [
            (document.id, name, "application/pdf", hashlib.sha256(content).hexdigest())
            for document, (name, content) in zip(required, pdfs.items(), strict=True)
        ]
        # And the files themselves, as stored.
        for record in files:
            download = dossiers_files_retrieve.sync_detailed(dossier.id, record.id, client=me)
            assert download.status_code == 200
            assert download.content == pdfs[record.name]

    stored = Dossier.objects.get(public_id=draft.id)
    assert stored.state == State.SUBMITTED and stored.code == dossier.code
    assert sorted(stored.files.values_list("name", flat=True)) == sorted(pdfs)
