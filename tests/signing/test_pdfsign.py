"""The PAdES signature itself (what it carries, with ECDSA and RSA keys) and the documents
thread that rendering and signing run on."""

import hashlib
import os
import signal
import threading
import time

import pytest
from cryptography.hazmat.primitives import serialization

from signing import certificates, render, runner, verify
from signing.models import Document, SigningCertificate
from tests.signing.support import P12_PASSPHRASE, embedded_signature, p12_for, validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def pyhanko_sign_raw_fails(monkeypatch):
    """pyHanko's own sign_raw loads the private key again for each signature; ours must sign."""
    from pyhanko.sign import signers

    def reloads_the_key(*args, **kwargs):
        raise AssertionError("pyHanko's sign_raw was used")

    monkeypatch.setattr(signers.SimpleSigner, "sign_raw", reloads_the_key)


def signed_attributes(pdf: bytes) -> dict:
    info = embedded_signature(pdf).signer_info
    return {attribute["type"].native: attribute["values"] for attribute in info["signed_attrs"]}


def test_the_signature_carries_the_pades_baseline_attributes_and_no_signing_time(signed):
    pdf = signed.pdf.read()
    attributes = signed_attributes(pdf)
    # PAdES puts the signing time in the signature dictionary (/M), not in signing-time.
    assert set(attributes) == {"content_type", "message_digest", "signing_certificate_v2"}
    (ess,) = attributes["signing_certificate_v2"][0]["certs"]
    certificate = certificates.load_x509(signed.certificate)
    assert (
        ess["cert_hash"].native
        == hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()
    )
    assert ess["issuer_serial"]["serial_number"].native == certificate.serial_number
    assert verify.verify_pdf(pdf).code == verify.AUTHENTIC


def test_consecutive_signatures_by_one_loaded_signer_each_cover_their_own_document(
    demo_pki, agency, request_document, pyhanko_sign_raw_fails
):
    """The signer, its key and its signing-certificate-v2 attribute are made once per process;
    each signature must still be over its own document."""
    first = request_document(agency, revision=1)
    second = request_document(agency, revision=2, context={"paragraphs": ["Một văn bản khác."]})
    for document in (first, second):
        pdf = document.pdf.read()
        status = validate(pdf, [demo_pki.root_cert])
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert verify.verify_pdf(pdf).document == document
    assert certificates._signer.cache_info().misses == 1  # one key decrypted and loaded


def test_an_rsa_2048_certificate_signs_documents_that_verify(
    demo_pki, agency, request_document, pyhanko_sign_raw_fails
):
    """Vietnamese CAs mostly issue RSA-2048 keys; the demo PKI uses ECDSA. The key loaded once
    signs: pyHanko's own path (which loads the key again each time) is not taken."""
    SigningCertificate.objects.update(is_active=False)
    rsa_certificate = certificates.certificate_import(
        agency=agency,
        data=p12_for(demo_pki.root_key, demo_pki.root_cert, key_type="rsa"),
        passphrase=P12_PASSPHRASE,
    )
    for revision in (1, 2):
        document = request_document(agency, revision=revision)
        assert document.status == Document.Status.SIGNED, document.error
        assert document.certificate == rsa_certificate
        pdf = document.pdf.read()
        signature = embedded_signature(pdf)
        assert signature.signer_info["signature_algorithm"].signature_algo == "rsassa_pkcs1v15"
        status = validate(pdf, [demo_pki.root_cert])
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert verify.verify_pdf(pdf).code == verify.AUTHENTIC


# --- the documents thread ---------------------------------------------------------------------


def test_rendering_runs_on_the_documents_thread_the_same_one_each_time():
    seen = []

    def where(html):
        seen.append(threading.current_thread())
        return b"%PDF"

    original = render._render_pdf
    try:
        render._render_pdf = where
        render.render_pdf("<p>một</p>")
        render.render_pdf("<p>hai</p>")
    finally:
        render._render_pdf = original
    assert seen[0] is seen[1]
    assert seen[0] is not threading.current_thread()
    assert seen[0].name.startswith("documents_")


def test_the_documents_thread_returns_results_and_raises_errors_to_the_caller():
    assert runner.run(lambda a, b=0: a + b, 2, b=3) == 5
    with pytest.raises(ZeroDivisionError):
        runner.run(lambda: 1 / 0)
    # A call from the documents thread itself runs there directly instead of waiting for itself.
    assert runner.run(lambda: runner.run(lambda: threading.current_thread().name)).startswith(
        "documents_"
    )


def test_a_forked_child_gets_a_documents_thread_of_its_own():
    """Without its own thread a child would wait forever on its parent's, which it lacks."""
    runner.run(threading.get_ident)  # the parent's thread exists
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer through the pipe, never return into pytest
        try:
            os.write(write, str(runner.run(threading.get_ident) != threading.get_ident()).encode())
        finally:
            os._exit(0)
    os.close(write)
    deadline = time.monotonic() + 20
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child's call never ran")
        time.sleep(0.02)
    assert os.read(read, 16) == b"True"
    os.close(read)


class Interrupted(Exception):
    pass


@pytest.fixture
def interrupt_after():
    """`interrupt_after(seconds)` raises Interrupted in the main thread, where the test runs,
    after `seconds`, as Celery's soft time limit raises in a task that is waiting. It may be
    called from any thread; the event it returns is set when the interrupt is raised."""
    fired = threading.Event()

    def handler(signum, frame):
        fired.set()
        raise Interrupted

    def arm(seconds):
        signal.setitimer(signal.ITIMER_REAL, seconds)
        return fired

    signal.signal(signal.SIGALRM, handler)
    yield arm
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)


def test_an_interrupted_caller_cancels_its_work_that_had_not_started(interrupt_after):
    busy, release, ran = threading.Event(), threading.Event(), []

    def occupy():
        busy.set()
        release.wait(10)

    occupant = threading.Thread(target=runner.run, args=(occupy,))
    occupant.start()
    assert busy.wait(10)  # the documents thread is busy with the occupant's call
    interrupt_after(0.2)
    with pytest.raises(Interrupted):
        runner.run(ran.append, "late")  # queued behind the occupant, then interrupted
    release.set()
    occupant.join(10)
    runner.run(lambda: None)  # everything queued before this has run or been cancelled
    assert ran == []


def test_an_interrupted_caller_waits_for_its_running_work_before_giving_up(interrupt_after):
    """So that a hanging render keeps its own task busy until the hard time limit, instead of
    every later task queueing behind it."""
    order = []

    def running():
        fired = interrupt_after(0.05)  # the soft time limit strikes while this work runs
        assert fired.wait(10), "the caller was never interrupted"
        order.append("work finished")

    with pytest.raises(Interrupted):
        runner.run(running)
    order.append("caller gave up")
    assert order == ["work finished", "caller gave up"], "the caller gave up before its work"
