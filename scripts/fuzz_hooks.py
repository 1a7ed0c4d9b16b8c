"""schemathesis hooks for `make fuzz-api` (loaded through SCHEMATHESIS_HOOKS by
scripts/fuzz_api.py), for the cases schemathesis means to be valid: the upload endpoints get
real files, a new draft a procedure that exists, a login an account that exists, and no case
makes up a key, or a text under one, with a control character; and one refusal the schema
cannot foresee is not counted as a failure (`filter_failure`).

A valid file part is, to the schema, any bytes (`format: binary`), and the portal refuses bytes
that are not the PDF, JPEG or PNG they claim to be — rightly, so random bytes in an allowed case
would be a false "valid data refused". An allowed case therefore carries a real one-page PDF;
a forbidden case keeps whatever schemathesis made of it.

A valid `procedure` is, to the schema, any code; to the portal, a published procedure open to
online filing; a valid login is an account's. The seed's (FUZZ_PROCEDURES, FUZZ_LOGIN, from
demo.fuzz) go into the allowed cases of those two operations, so that `positive_data_
acceptance` checks them too, and a new draft leads the stateful phase on to the dossier's other
operations.

Where a schema allows keys of its client's choosing (an object's extra keys, a multipart
body's extra parts), OpenAPI 3.0 cannot say which (it has no `propertyNames`), nor constrain
the texts inside an extra key's free value. schemathesis may then make up a key, or a text
under it, with a control character, which the portal refuses as it refuses them everywhere
(portal.controls): such a case is not generated as a valid one. A forbidden case still may
carry one, and must be refused."""

import io
import json
import os
import zlib

import schemathesis
from PIL import Image
from schemathesis.transport.serialization import Binary

# The portal's own rule (a lazy message only: no Django settings needed in this process).
from portal.controls import CONTROL

UPLOADS = {
    "POST /api/v1/dossiers/{public_id}/files/",
    "POST /api/v1/dossiers/file/",
    "POST /api/v1/verify/",
}


def _pdf() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (240, 240, 230)).save(buffer, format="PDF")
    return buffer.getvalue()


PDF = _pdf()
PROCEDURES = [code for code in os.environ.get("FUZZ_PROCEDURES", "").split(",") if code]
LOGIN = json.loads(os.environ.get("FUZZ_LOGIN") or "{}")


def _pick(choices: list[str], generated) -> str:
    """One of `choices`, chosen by what schemathesis generated (so a run stays repeatable)."""
    return choices[zlib.crc32(repr(generated).encode()) % len(choices)]


def _valid(case) -> bool:
    return case.meta is None or case.meta.generation.mode.is_positive


def _is_file(value) -> bool:
    # schemathesis makes a `format: binary` value a Binary (a str holding bytes), or bytes.
    return isinstance(value, Binary | bytes | bytearray)


@schemathesis.hook
def map_case(ctx, case):
    if not isinstance(case.body, dict) or not _valid(case):
        return case
    label = case.operation.label
    if label == "POST /api/v1/dossiers/" and PROCEDURES:
        case.body["procedure"] = _pick(PROCEDURES, case.body.get("procedure"))
    if label == "POST /api/v1/auth/token/" and LOGIN:
        case.body.update(LOGIN)
    if label not in UPLOADS:
        return case
    for name, value in list(case.body.items()):
        if _is_file(value):
            case.body[name] = Binary(PDF)
        elif isinstance(value, list) and value and all(_is_file(v) for v in value):
            case.body[name] = [Binary(PDF) for _ in value]
    return case


def _has_control(value) -> bool:
    if isinstance(value, str) and not isinstance(value, Binary):
        return bool(CONTROL.search(value))
    if isinstance(value, dict):
        return any(_has_control(k) or _has_control(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_control(v) for v in value)
    return False


@schemathesis.hook
def filter_case(ctx, case):
    if not _valid(case):
        return True
    # The declared texts carry the pattern, so schemathesis puts no control character there in
    # a valid case: what this drops is a case with one in a name or value it made up.
    return not _has_control(case.body)


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    """Two refusals the schema cannot foresee are kept out of the failures: a body the stateful
    phase made up with a control character in it, and starting a draft of a procedure that is
    published but not open to online filing (information only). The catalogue's
    OpenAPI link "start a draft of this procedure" carries any procedure's code into the stateful
    phase, where the hooks above do not replace it; the portal rightly refuses it, by name.
    Every other failure stands."""
    if (
        type(failure).__name__ == "RejectedPositiveData"
        and response.status_code == 400
        and _has_control(case.body)
    ):
        # The stateful phase builds its own bodies, past filter_case: one with a control
        # character in a key or value it made up is rightly refused (portal.controls).
        return False
    refused_procedure = (
        type(failure).__name__ == "RejectedPositiveData"
        and case.operation.label == "POST /api/v1/dossiers/"
        and response.status_code == 400
        and isinstance(case.body, dict)
        and case.body.get("procedure") not in PROCEDURES
    )
    if not refused_procedure:
        return True
    try:
        return set(response.json()) != {"procedure"}
    except ValueError:
        return True
