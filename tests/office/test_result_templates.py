"""Results drafted from per-procedure templates (issue 16, item 3): the agency administrator
writes each version's result (a decision, a certificate, a confirmation, a reasoned refusal) in
a placeholder language limited to the dossier's answers and fixed fields; a template with a
Django tag, HTML or an unknown placeholder is refused at save with the reason and nothing is
stored; the specialist's proposal makes a draft (dự thảo) from it — kept, one per proposal —
that the leader reads before approving, and the signed result is the approved draft's text.
Decree 30/2020/NĐ-CP Appendix I gives the decision's parts (title, summary, competent person,
legal bases, articles, recipients, signer)."""

import io
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from office import services as workflow
from procedures import services as catalogue
from procedures.models import ResultTemplate
from signing.models import Document
from submissions.models import Decision, State
from tests.factories import DossierFactory, ProcedureVersionFactory
from tests.submissions.workflow_support import crew, fresh

pytestmark = pytest.mark.django_db

SCHEMA = [
    {"name": "full_name", "label": "Họ và tên", "type": "text", "required": True},
    {"name": "school", "label": "Trường đã học", "type": "text", "required": True},
]


def pdf_text(document: Document) -> str:
    with document.pdf.open("rb") as handle:
        data = handle.read()
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, timeout=60)
    return " ".join(done.stdout.decode().split())


@pytest.fixture
def version(agency):
    return ProcedureVersionFactory(
        procedure__agency=agency,
        published=True,
        level3=True,
        form_schema=SCHEMA,
        name="Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
        legal_basis="- Nghị định số 23/2015/NĐ-CP ngày 16/02/2015 của Chính phủ",
    )


def decision_template(version, **overrides):
    fields = {
        "version": version,
        "kind": ResultTemplate.Kind.DECISION,
        "title": "QUYẾT ĐỊNH",
        "summary": "Về việc cấp bản sao bằng tốt nghiệp cho {{ applicant_name }}",
        "body": (
            "Cấp {{ edit.so_ban_sao }} bản sao bằng tốt nghiệp cho {{ answers.full_name }}, "
            "học tại {{ answers.school }} (hồ sơ {{ dossier_code }}).\n"
            "Quyết định này có hiệu lực kể từ ngày ký.\n"
            "Văn phòng và {{ applicant_name }} chịu trách nhiệm thi hành Quyết định này./."
        ),
        "recipients": "Như Điều 3\nLưu: VT",
        "editable": "so_ban_sao: Số bản sao",
    }
    fields.update(overrides)
    template = ResultTemplate(**fields)
    template.full_clean()
    template.save()
    return template


@pytest.mark.parametrize(
    ("part", "text", "says"),
    [
        ("body", "{% load static %}Cấp cho {{ applicant_name }}", "Template tags"),
        ("body", "Cấp cho <script>alert(1)</script>{{ applicant_name }}", "HTML is not allowed"),
        ("summary", "Về việc {{ answers.nope }}", "Unknown placeholder {{ answers.nope }}"),
        ("body", "Cấp cho {{ applicant_name|upper }}", "is not a placeholder"),
        ("title", "QUYẾT ĐỊNH {{ applicant_name", "not closed"),
        ("body", "{{ edit.undeclared }}", "Unknown placeholder {{ edit.undeclared }}"),
    ],
)
def test_a_template_that_is_not_plain_text_with_known_placeholders_is_refused(
    version, english, part, text, says
):
    with pytest.raises(ValidationError) as refused:
        decision_template(version, **{part: text})
    assert any(says in message for message in refused.value.message_dict[part])
    assert not ResultTemplate.objects.exists()


def test_the_admin_refuses_it_at_save_and_stores_nothing(client, agency_admin, version, english):
    agency_admin.language = "en"  # the admin speaks the user's language
    agency_admin.save(update_fields=["language"])
    client.force_login(agency_admin)
    url = reverse("admin:procedures_resulttemplate_add")
    response = client.post(
        url,
        {
            "version": version.pk,
            "kind": "decision",
            "title": "QUYẾT ĐỊNH",
            "body": "{% load static %}<script>x</script>{{ answers.nope }}",
        },
    )
    assert response.status_code == 200  # the form again, with the reasons
    page = response.content.decode()
    assert "Template tags" in page and "HTML is not allowed" in page
    assert "Unknown placeholder {{ answers.nope }}" in page
    assert not ResultTemplate.objects.exists()


def test_the_admin_previews_it_as_a_pdf_with_sample_data(
    client, agency_admin, agency, version, django_capture_on_commit_callbacks
):
    call_command("make_demo_pki", stdout=io.StringIO())
    # A published version's templates are read-only: the preview is of a draft version's.
    draft_version = catalogue.copy_version(version)
    template = decision_template(draft_version)
    client.force_login(agency_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:procedures_resulttemplate_preview", args=[template.pk])
        )
    assert response.status_code == 302
    (preview,) = Document.objects.filter(kind="template_preview")
    assert (preview.status, preview.draft, preview.number) == ("rendered", True, "")
    pdf = client.get(reverse("admin:procedures_resulttemplate_preview_pdf", args=[template.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(preview)
    assert "(Dự thảo, chưa ký)" in text and "Mã xác thực" not in text  # not verifiable
    assert "Cấp [Số bản sao] bản sao bằng tốt nghiệp cho [Họ và tên]" in text
    # Never public: the verification page does not know a preview.
    assert client.get(reverse("signing:verify", args=[preview.verification_code])).status_code == (
        404
    )


def test_a_new_version_keeps_its_result_templates(version):
    decision_template(version)
    copy = catalogue.copy_version(version)
    assert list(copy.result_templates.values_list("kind", "title")) == [("decision", "QUYẾT ĐỊNH")]


@pytest.fixture
def people(agency, other_agency):
    return crew(agency, other_agency)


def processing(version, people):
    dossier = DossierFactory(
        version=version,
        processing=True,
        workflow__specialist=people.specialist,
        answers={"full_name": "<b>Lê Văn</b> & <script>x</script>", "school": "THPT Chu Văn An"},
    )
    return fresh(dossier)


def test_the_proposal_drafts_the_result_from_the_template_and_the_leader_signs_that_draft(
    client, people, version, django_capture_on_commit_callbacks
):
    call_command("make_demo_pki", stdout=io.StringIO())
    decision_template(version)
    dossier = processing(version, people)

    # A blank left empty: refused with its label, nothing changes.
    with pytest.raises(ValidationError) as refused:
        workflow.dossier_propose(
            dossier=dossier, actor=people.specialist, decision=Decision.GRANT, result_content="x"
        )
    assert "Số bản sao" in refused.value.message_dict["values"][0]
    assert (fresh(dossier).state, fresh(dossier).drafts.count()) == (State.PROCESSING, 0)

    def propose(copies: str):
        with django_capture_on_commit_callbacks(execute=True):
            workflow.dossier_propose(
                dossier=fresh(dossier),
                actor=people.specialist,
                decision=Decision.GRANT,
                result_content="Cấp bản sao.",
                values={"so_ban_sao": copies},
            )

    propose("02")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_send_back(dossier=fresh(dossier), actor=people.leader, note="Sửa số bản.")
    propose("03")
    first, second = fresh(dossier).drafts.order_by("number")
    assert (first.number, second.number) == (1, 2)  # each draft kept
    assert "Cấp 02 bản sao" in first.content["articles"][0]
    assert "Cấp 03 bản sao" in second.content["articles"][0]

    # The leader reads the newest draft on the dossier page: a PDF marked DỰ THẢO, unsigned,
    # unnumbered; the citizen's answer prints as the characters typed, never as markup.
    client.force_login(people.leader)
    page = client.get(reverse("office:dossier", args=[dossier.public_id])).content.decode()
    assert reverse("office:draft_pdf", args=[dossier.public_id, 2]) in page
    draft_pdf = client.get(reverse("office:draft_pdf", args=[dossier.public_id, 2]))
    assert draft_pdf.status_code == 200
    drafted = Document.objects.get(kind="draft", revision=2)
    assert (drafted.status, drafted.number, drafted.certificate_id) == ("rendered", "", None)
    text = pdf_text(drafted)
    assert "(Dự thảo, chưa ký)" in text
    assert "<b>Lê Văn</b> & <script>x</" in text  # (a line may break after "</")
    # Nobody outside the agency reads it; the public never does.
    client.force_login(people.stranger)
    assert client.get(reverse("office:draft_pdf", args=[dossier.public_id, 2])).status_code == 404
    client.force_login(people.citizen)
    assert client.get(reverse("office:draft_pdf", args=[dossier.public_id, 2])).status_code in (
        302,
        403,
        404,
    )
    assert client.get(
        reverse("signing:download", args=[drafted.verification_code])
    ).status_code == (404)

    # The staff API lists the same drafts, newest first, each with its PDF to the agency only.
    client.force_login(people.leader)
    data = client.get(reverse("api-office-dossier", args=[dossier.public_id])).json()
    assert [d["number"] for d in data["drafts"]] == [2, 1]
    newest = data["drafts"][0]
    assert (newest["decision"], newest["values"], newest["status"]) == (
        "grant", {"so_ban_sao": "03"}, "rendered",
    )  # fmt: skip
    assert "Cấp 03 bản sao" in newest["content"]["articles"][0]
    api_pdf = client.get(newest["pdf_url"])
    assert api_pdf.status_code == 200 and api_pdf["Content-Type"] == "application/pdf"
    assert b"".join(api_pdf.streaming_content) == drafted.pdf.open("rb").read()
    assert client.get(newest["pdf_url"].replace("/drafts/2/", "/drafts/9/")).status_code == 404
    client.force_login(people.stranger)
    assert client.get(newest["pdf_url"]).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_approve(dossier=fresh(dossier), actor=people.leader)
    (result,) = Document.objects.filter(kind="result")
    assert result.status == "signed", result.error
    text = pdf_text(result)
    assert "Cấp 03 bản sao bằng tốt nghiệp cho <b>Lê Văn</b> & <script>x</" in text
    assert "Dự thảo" not in text
    assert result.number.startswith("01/QĐ-")  # numbered when signed
    assert people.leader.full_name in text


def test_a_refusal_template_words_the_denial(people, version, django_capture_on_commit_callbacks):
    call_command("make_demo_pki", stdout=io.StringIO())
    ResultTemplate.objects.create(
        version=version,
        kind=ResultTemplate.Kind.REFUSAL,
        title="THÔNG BÁO",
        summary="Về việc không cấp bản sao văn bằng",
        body="{{ agency_name }} không cấp bản sao cho {{ applicant_name }} vì: {{ reasons }}",
    )
    dossier = processing(version, people)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_propose(
            dossier=dossier,
            actor=people.specialist,
            decision=Decision.DENY,
            reasons="Không có tên trong sổ gốc.",
        )
        workflow.dossier_approve(dossier=fresh(dossier), actor=people.leader)
    (result,) = Document.objects.filter(kind="result")
    assert result.template == "documents/result.html"
    text = pdf_text(result)
    assert f"không cấp bản sao cho {dossier.applicant_name} vì: Không có tên trong sổ gốc." in text
    assert result.number.startswith("01/TB-")


def test_the_office_page_offers_the_template_s_blanks(client, people, version):
    decision_template(version)
    dossier = processing(version, people)
    client.force_login(people.specialist)
    page = client.get(reverse("office:dossier", args=[dossier.public_id])).content.decode()
    assert 'name="propose-edit_so_ban_sao"' in page
    response = client.post(
        reverse("office:act", args=[dossier.public_id, "propose"]),
        {
            "propose-expected_state": State.PROCESSING,
            "propose-decision": Decision.GRANT,
            "propose-result_content": "Cấp bản sao.",
        },
    )
    assert response.status_code == 400
    assert "Số bản sao" in response.content.decode()
    assert fresh(dossier).state == State.PROCESSING


def test_a_denial_s_draft_is_the_paper_that_is_signed(
    people, version, django_capture_on_commit_callbacks
):
    """Without a refusal template the portal's own notice is both the draft the leader reads
    and the signed result: the same template, the same reasons."""
    call_command("make_demo_pki", stdout=io.StringIO())
    dossier = processing(version, people)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_propose(
            dossier=dossier, actor=people.specialist, decision=Decision.DENY, reasons="LYDO-123."
        )
        workflow.dossier_approve(dossier=fresh(dossier), actor=people.leader)
    drafted = Document.objects.get(kind="draft")
    (result,) = Document.objects.filter(kind="result")
    assert drafted.template == result.template == "documents/form.html"
    assert "LYDO-123." in pdf_text(drafted) and "LYDO-123." in pdf_text(result)


def test_a_version_whose_template_names_a_question_it_no_longer_has_is_not_published(
    version, english
):
    decision_template(version)
    draft = catalogue.copy_version(version)
    draft.form_schema = [spec for spec in SCHEMA if spec["name"] != "school"]
    draft.save()
    problems = catalogue.publication_errors(draft)
    assert any("Unknown placeholder {{ answers.school }}" in p for p in problems), problems


def test_a_result_s_annex_comes_in_its_own_file_signed_at_the_top_right(
    people, version, django_capture_on_commit_callbacks, tmp_path
):
    """Decree 30/2020/NĐ-CP Appendix I: an annex in a separate file carries the organisation's
    signature at the top right of its first page, giving the number of the document it goes
    with and the signing time; the applicant receives it with the result."""
    import pdfplumber

    from submissions import selectors as dossier_selectors

    call_command("make_demo_pki", stdout=io.StringIO())
    decision_template(
        version,
        annex_title="DANH SÁCH VĂN BẰNG ĐƯỢC CẤP BẢN SAO",
        annex_body="1. {{ answers.full_name }} — {{ answers.school }} — {{ edit.so_ban_sao }} bản",
    )
    dossier = processing(version, people)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_propose(
            dossier=dossier,
            actor=people.specialist,
            decision=Decision.GRANT,
            result_content="Cấp bản sao.",
            values={"so_ban_sao": "02"},
        )
        workflow.dossier_approve(dossier=fresh(dossier), actor=people.leader)
    result = Document.objects.get(kind="result")
    (annex,) = Document.objects.filter(kind="annex")
    assert (annex.status, annex.number) == ("signed", ""), annex.error  # the result's number
    path = tmp_path / "annex.pdf"
    path.write_bytes(annex.pdf.open("rb").read())
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in report
    text = pdf_text(annex)
    assert "PHỤ LỤC" in text and f"Kèm theo Quyết định số {result.number}" in text
    assert "DANH SÁCH VĂN BẰNG ĐƯỢC CẤP BẢN SAO" in text and "THPT Chu Văn An — 02 bản" in text
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        signed_by = next(w for w in page.extract_words() if w["text"] == "Ký")
        assert signed_by["x0"] > page.width / 2 and signed_by["top"] < page.height / 5
    assert annex in dossier_selectors.dossier_documents(fresh(dossier))  # the applicant's


def test_an_annex_needs_its_title_and_its_lines(version, english):
    with pytest.raises(ValidationError) as refused:
        decision_template(version, annex_title="DANH SÁCH")
    assert (
        "An annex needs both its title and its lines." in refused.value.message_dict["annex_body"]
    )
