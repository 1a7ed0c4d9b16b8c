"""Two signatures on a result (Decree 30/2020 Art. 5): the leader's, with the key on a PKCS#11
token (SoftHSM2, real PKCS#11), then the agency's. The worker prepares, the leader signs with
the PIN in the request, the worker finishes."""

import io
import subprocess
import uuid

import pytest
from asn1crypto import x509 as asn1_x509
from celery.app.task import Task
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from office import services as workflow
from portal.models import StaffRole
from signing import certificates, devices, pdfsign, softhsm, verify
from signing.models import Document, NumberEntry, PersonalCertificate
from submissions.models import DocumentKind, Dossier, State
from tests.factories import DossierFactory, OfficerFactory, ProcedureVersionFactory
from tests.signing.support import der, run

pytestmark = pytest.mark.django_db

PIN = "918273"
Status = Document.Status


def make_leader(agency, *, pin: str = PIN):
    leader = OfficerFactory(
        agency=agency,
        roles=[StaffRole.Role.LEADER],
        email=f"lanhdao-{uuid.uuid4().hex[:10]}@example.vn",
        full_name="Phạm Thị Dung",
    )
    call_command(
        "make_leader_token", leader.email, "--pin", pin,
        stdout=io.StringIO(),
    )  # fmt: skip
    return leader


@pytest.fixture
def leader(demo_pki, agency):
    return make_leader(agency)


@pytest.fixture
def awaiting(leader, agency, django_capture_on_commit_callbacks):
    """A dossier the leader approved: its result rendered and prepared, waiting for the PIN."""
    version = ProcedureVersionFactory(published=True, level3=True, procedure__agency=agency)
    dossier = DossierFactory(pending_approval=True, version=version, workflow__leader=leader)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_approve(dossier=dossier, actor=leader)
    document = Document.objects.get(
        owner_type=ContentType.objects.get_for_model(Dossier),
        owner_id=dossier.pk,
        kind=DocumentKind.RESULT,
    )
    return dossier, document


def sign_page(dossier):
    return reverse("office:sign", args=[dossier.public_id])


def test_the_key_is_made_on_the_token_and_never_leaves_it(leader):
    personal = certificates.personal_certificate_for(leader)
    assert personal.backend == PersonalCertificate.Backend.PKCS11
    attributes = softhsm.private_key_attributes(
        personal.token_label, pin=PIN, key_label=personal.key_label
    )
    assert attributes == {
        "sensitive": True,
        "extractable": False,
        "always_sensitive": True,
        "never_extractable": True,
    }
    # Nothing in the model can hold a private key.
    names = {f.name for f in PersonalCertificate._meta.get_fields()}
    assert not {n for n in names if "private" in n or "encrypted" in n or n == "key"}
    assert "PRIVATE KEY" not in personal.certificate_pem + personal.chain_pem
    # The certificate names the leader and is for this key: the token's signature verifies.
    assert certificates.personal_signer_name(personal) == "Phạm Thị Dung"
    assert devices.verifies(personal, b"x", devices.sign(personal, b"x", pin=PIN))


def test_approval_prepares_the_result_for_the_leader(awaiting, leader):
    dossier, document = awaiting
    assert document.status == Status.AWAITING_SIGNATURE, document.error
    assert Dossier.objects.get(pk=dossier.pk).state == State.SIGNING
    assert document.personal_certificate.user == leader
    assert document.to_be_signed and not document.personal_signature
    assert not document.pdf and not document.sha256  # nothing public before it is signed
    prepared = document.prepared_pdf.read()
    assert prepared.startswith(b"%PDF") and pdfsign.PERSONAL_FIELD_NAME.encode() in prepared
    page, box = document.prepared_digest["areas"]["sig-personal"]
    assert page == 0 and 0 < box[0] < box[2] < 595 and 0 < box[1] < box[3] < 842


def test_the_leader_signs_with_the_pin_and_the_agency_seals_after(
    awaiting, leader, demo_pki, client, django_capture_on_commit_callbacks, tmp_path, monkeypatch
):
    dossier, document = awaiting
    sent = []
    original = Task.apply_async

    def spy(self, args=None, kwargs=None, **options):
        sent.append((self.name, args, kwargs))
        return original(self, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", spy)
    client.force_login(leader)
    page = client.get(sign_page(dossier))
    assert page.status_code == 200
    assert reverse("office:sign_pdf", args=[dossier.public_id]) in page.content.decode()
    shown = client.get(reverse("office:sign_pdf", args=[dossier.public_id]))
    assert b"".join(shown.streaming_content) == document.prepared_pdf.open("rb").read()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(sign_page(dossier), {"pin": PIN})
    assert response.status_code == 302, response.content.decode()[:2000]

    # The PIN went in no task message; the finishing task took the document's id alone.
    assert sent and all(PIN not in repr((args, kwargs)) for _name, args, kwargs in sent)
    assert ("signing.tasks.finish_document_task", (document.pk,), {}) in [
        (n, tuple(a or ()), k or {}) for n, a, k in sent
    ]
    document.refresh_from_db()
    assert document.status == Status.SIGNED, document.error
    assert document.personal_signer == "Phạm Thị Dung"
    assert Dossier.objects.get(pk=dossier.pk).state == State.RESOLVED

    pdf = document.pdf.open("rb").read()
    path = tmp_path / "result.pdf"
    path.write_bytes(pdf)
    report = run(["pdfsig", str(path)])
    assert report.count("Signature is Valid") == 2, report
    first, second = report.split("Signature #2")
    assert "Phạm Thị Dung" in first and pdfsig_field(first) == pdfsig.PERSONAL
    assert "Sở Giáo dục và Đào tạo Hà Nội" in second and pdfsig_field(second) == pdfsig.ORG

    # pyHanko agrees: both intact, valid and trusted against the demo root.
    verdict = verify.verify_pdf(pdf)
    assert verdict.code == verify.AUTHENTIC, verdict
    assert [s.field for s in verdict.signatures] == [
        pdfsign.PERSONAL_FIELD_NAME,
        pdfsign.FIELD_NAME,
    ]
    assert all(s.ok for s in verdict.signatures)
    personal = certificates.personal_certificate_for(leader)
    assert verdict.signatures[0].certificate_serial == personal.serial
    assert verdict.signatures[1].certificate_serial == demo_pki.certificate.serial
    root = asn1_x509.Certificate.load(der(demo_pki.root_cert))
    assert root.subject.human_friendly in verdict.signatures[0].issuer
    assert verdict.signatures[0].issuer_name == "dvc-portal DEMO Root CA"

    # The public record lists both.
    record = client.get(reverse("signing:verify", args=[document.verification_code]))
    text = record.content.decode()
    assert text.count("<tr><td>") == 2 and "Phạm Thị Dung" in text

    # Issue 16's whole path: the proposal's draft (dự thảo) came first; the result the leader
    # signed carries its number from the agency's register of outgoing documents, printed in the
    # header, and the register names the leader as its signer.
    draft = dossier.drafts.get()
    assert (draft.number, draft.content["articles"][0]) == (1, "Cấp bản sao văn bằng.")
    entry = NumberEntry.objects.get(document=document)
    assert document.number == entry.number and entry.number.startswith("01/QĐ-")
    assert f"Số: {document.number}" in run(["pdftotext", str(path), "-"])
    assert "Phạm Thị Dung" in entry.signer

    # A second submit (or a rerun of the task) changes nothing.
    again = client.post(sign_page(dossier), {"pin": PIN})
    assert again.status_code == 302
    with pytest.raises(ValidationError) as refused:
        from signing import services

        services.document_sign_personal(document=document, actor=leader, pin=PIN)
    assert refused.value.code == "stale"
    services.document_finish(document_id=document.pk)
    assert Document.objects.get(pk=document.pk).sha256 == document.sha256


class pdfsig:  # the field names as pdfsig prints them
    PERSONAL = pdfsign.PERSONAL_FIELD_NAME
    ORG = pdfsign.FIELD_NAME


def pdfsig_field(block: str) -> str:
    return block.split("Signature Field Name:")[1].split()[0]


def test_a_wrong_pin_says_so_changes_nothing_and_the_leader_tries_again(
    awaiting, leader, client, django_capture_on_commit_callbacks
):
    dossier, document = awaiting
    before = bytes(document.to_be_signed)
    leader.language = "en"  # the page speaks the user's language
    leader.save(update_fields=["language"])
    client.force_login(leader)
    response = client.post(sign_page(dossier), {"pin": "000000"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "The PIN is wrong" in response.content.decode()
    document.refresh_from_db()
    assert document.status == Status.AWAITING_SIGNATURE
    assert bytes(document.to_be_signed) == before and not document.personal_signature
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(sign_page(dossier), {"pin": PIN}).status_code == 302
    assert Document.objects.get(pk=document.pk).status == Status.SIGNED


def test_a_locked_token_is_named(awaiting, leader, monkeypatch):
    """SoftHSM2 never locks a PIN, so the token's answer is stood in for here."""
    from pkcs11 import exceptions as p11

    _dossier, document = awaiting

    class Locked:
        def get_token(self, **kwargs):
            raise p11.PinLocked()

    monkeypatch.setattr(devices.pkcs11lib, "load", lambda *a: Locked())
    from signing import services

    with _english():
        with pytest.raises(ValidationError) as refused:
            services.document_sign_personal(document=document, actor=leader, pin=PIN)
        assert "locked" in " ".join(refused.value.messages)
    assert Document.objects.get(pk=document.pk).status == Status.AWAITING_SIGNATURE


def _english():
    from django.utils import translation

    return translation.override("en")


def test_only_the_approving_leader_signs(awaiting, agency, client):
    dossier, document = awaiting
    other = make_leader(agency)
    from signing import services

    with pytest.raises(PermissionDenied):
        services.document_sign_personal(document=document, actor=other, pin=PIN)
    client.force_login(other)
    assert client.post(sign_page(dossier), {"pin": PIN}).status_code == 302
    assert Document.objects.get(pk=document.pk).status == Status.AWAITING_SIGNATURE


def test_an_agency_that_requires_it_refuses_approval_without_a_certificate(demo_pki, agency):
    agency.requires_personal_signature = True
    agency.save()
    version = ProcedureVersionFactory(published=True, level3=True, procedure__agency=agency)
    leader = OfficerFactory(agency=agency, roles=[StaffRole.Role.LEADER])
    dossier = DossierFactory(pending_approval=True, version=version, workflow__leader=leader)
    with pytest.raises(ValidationError) as refused, _english():
        workflow.dossier_approve(dossier=dossier, actor=leader)
    assert refused.value.code == "no_personal_certificate"
    assert "personal signing certificate" in " ".join(refused.value.messages)
    assert Dossier.objects.get(pk=dossier.pk).state == State.PENDING_APPROVAL
    assert not Document.objects.filter(kind=DocumentKind.RESULT).exists()


def test_without_a_personal_certificate_the_agency_signs_alone(
    demo_pki, agency, django_capture_on_commit_callbacks
):
    version = ProcedureVersionFactory(published=True, level3=True, procedure__agency=agency)
    leader = OfficerFactory(agency=agency, roles=[StaffRole.Role.LEADER])
    dossier = DossierFactory(pending_approval=True, version=version, workflow__leader=leader)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dossier_approve(dossier=dossier, actor=leader)
    document = Document.objects.get(kind=DocumentKind.RESULT, owner_id=dossier.pk)
    assert document.status == Status.SIGNED and document.personal_certificate is None


def test_slips_keep_the_agency_signature_alone(awaiting):
    dossier, _result = awaiting
    slips = Document.objects.filter(owner_id=dossier.pk).exclude(kind=DocumentKind.RESULT)
    assert slips and all(d.personal_certificate_id is None for d in slips)


def test_softhsm_util_is_installed():
    assert subprocess.run(["softhsm2-util", "--version"], capture_output=True).returncode == 0


def test_a_certificate_that_lapsed_before_the_leader_signed_fails_and_a_renewed_one_signs(
    awaiting, leader, django_capture_on_commit_callbacks
):
    """The leader's certificate is withdrawn after the result was prepared: signing is refused
    with the reason and the document is recorded as failed (not left waiting for ever), keeping
    its number; once the leader has a certificate in force again, the agency's retry prepares
    it anew with that certificate and the same number, and the leader signs."""
    from signing import services

    _dossier, document = awaiting
    number = Document.objects.get(pk=document.pk).number
    assert number.startswith("01/")
    PersonalCertificate.objects.filter(user=leader).update(is_active=False)
    with _english(), pytest.raises(ValidationError) as refused:
        services.document_sign_personal(document=document, actor=leader, pin=PIN)
    assert refused.value.code == "unusable"
    failed = Document.objects.get(pk=document.pk)
    assert failed.status == Status.FAILED and failed.error

    call_command("make_leader_token", leader.email, "--pin", PIN, stdout=io.StringIO())
    renewed = certificates.personal_certificate_for(leader)
    with django_capture_on_commit_callbacks(execute=True):
        services.document_retry(document=failed)
    again = Document.objects.get(pk=document.pk)
    assert again.status == Status.AWAITING_SIGNATURE, again.error
    assert (again.personal_certificate_id, again.number) == (renewed.pk, number)
    with django_capture_on_commit_callbacks(execute=True):
        services.document_sign_personal(document=again, actor=leader, pin=PIN)
    assert Document.objects.get(pk=document.pk).status == Status.SIGNED
    assert NumberEntry.objects.filter(document=document).count() == 1


def act(client, dossier, action, **fields):
    """Post the dossier page's form for `action` as the browser does (prefixed names)."""
    data = {f"{action}-{name}": value for name, value in fields.items()}
    data[f"{action}-expected_state"] = Dossier.objects.get(pk=dossier.pk).state
    return client.post(reverse("office:act", args=[dossier.public_id, action]), data)


def test_another_leader_signs_in_place_of_one_who_left(
    awaiting, leader, agency, client, django_capture_on_commit_callbacks, tmp_path
):
    """The approving leader leaves before signing: another leader of the agency signs the result
    in their place, with the reason recorded; the paper is prepared again with the new signer's
    name and certificate and keeps its number; the first leader can no longer sign it."""
    from signing import services

    dossier, document = awaiting
    number = Document.objects.get(pk=document.pk).number
    leader.is_active = False
    leader.save()
    deputy = OfficerFactory(
        agency=agency,
        roles=[StaffRole.Role.LEADER],
        email=f"pho-{uuid.uuid4().hex[:8]}@example.vn",
        full_name="Hoàng Văn Phó",
        position="Phó Giám đốc",
        signing_authority="kt",
        language="en",
    )
    call_command("make_leader_token", deputy.email, "--pin", PIN, stdout=io.StringIO())
    client.force_login(deputy)
    page = client.get(reverse("office:dossier", args=[dossier.public_id])).content.decode()
    assert "Sign in place of the approving leader" in page and 'name="sign_in_place-note"' in page

    # Without a reason: refused at the field, nothing changes.
    refused = act(client, dossier, "sign_in_place", note="  ")
    assert refused.status_code == 400
    assert "Say why you sign in place of the approving leader." in refused.content.decode()
    assert Document.objects.get(pk=document.pk).personal_certificate.user == leader

    with django_capture_on_commit_callbacks(execute=True):
        done = act(client, dossier, "sign_in_place", note="Đồng chí Giám đốc đã nghỉ hưu.")
    assert done.status_code == 302, done.content.decode()[:2000]
    again = Document.objects.get(pk=document.pk)
    assert again.status == Status.AWAITING_SIGNATURE, again.error
    assert again.personal_certificate == certificates.personal_certificate_for(deputy)
    assert again.number == number
    event = dossier.events.order_by("-pk").first()
    assert (event.actor, event.action) == (deputy, "approve")
    assert "Phạm Thị Dung" in event.note and "nghỉ hưu" in event.note

    # The first leader's PIN no longer signs it; the deputy's does.
    with pytest.raises(PermissionDenied):
        services.document_sign_personal(document=again, actor=leader, pin=PIN)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(sign_page(dossier), {"pin": PIN}).status_code == 302
    signed = Document.objects.get(pk=document.pk)
    assert signed.status == Status.SIGNED, signed.error
    assert (signed.personal_signer, signed.number) == ("Hoàng Văn Phó", number)
    assert Dossier.objects.get(pk=dossier.pk).state == State.RESOLVED
    assert NumberEntry.objects.get(document=document).signer == "Hoàng Văn Phó"
    path = tmp_path / "result.pdf"
    path.write_bytes(signed.pdf.open("rb").read())
    text = " ".join(run(["pdftotext", str(path), "-"]).split())
    assert "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC" in text and "Hoàng Văn Phó" in text
    assert "Phạm Thị Dung" not in text
    assert run(["pdfsig", str(path)]).count("Signature is Valid") == 2
    # Done: nobody is offered it again.
    page = client.get(reverse("office:dossier", args=[dossier.public_id])).content.decode()
    assert 'name="sign_in_place-note"' not in page


def test_signing_in_place_is_refused_to_the_approver_to_other_roles_and_when_nothing_waits(
    awaiting, leader, agency, client, django_capture_on_commit_callbacks
):
    dossier, document = awaiting
    url = reverse("api-office-dossier-action", args=[dossier.public_id, "sign_in_place"])
    body = {"note": "Vắng mặt."}

    # The approving leader is told to sign it themselves.
    leader.language = "en"
    leader.save()
    client.force_login(leader)
    own = client.post(url, body, content_type="application/json")
    assert own.status_code == 400 and "sign it yourself" in own.json()["detail"]
    # A specialist of the agency: their role does not allow it.
    specialist = OfficerFactory(agency=agency, roles=[StaffRole.Role.SPECIALIST])
    client.force_login(specialist)
    assert client.post(url, body, content_type="application/json").status_code == 403
    # A leader of another agency does not see the dossier.
    stranger = OfficerFactory(roles=[StaffRole.Role.LEADER])
    client.force_login(stranger)
    assert client.post(url, body, content_type="application/json").status_code == 404
    assert Document.objects.get(pk=document.pk).personal_certificate.user == leader

    # Once the leader signed, nothing waits: "changed meanwhile" (409) for another leader.
    from signing import services

    with django_capture_on_commit_callbacks(execute=True):
        services.document_sign_personal(document=document, actor=leader, pin=PIN)
    other = make_leader(agency)
    client.force_login(other)
    late = client.post(url, body, content_type="application/json")
    assert late.status_code == 409, late.content
    assert Document.objects.get(pk=document.pk).status == Status.SIGNED
