"""The schema tells the truth (issue 13, items 3–6, 8 and 11): every operation declares the
errors it answers in one shape, a missing or bad token is 401 with its challenge, file parts are
binary, the constraints the API applies are stated, and the dossier's lifecycle is linked.

The error bodies are checked against the schema's own `Error` component with jsonschema, as a
generated client or a fuzzer would read them."""

import re

import jsonschema
import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal.schema import LINKS
from tests.factories import CitizenFactory, DossierFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", {"format": "json"}).json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method != "parameters":
                yield path, method, operation


def error_validator(schema):
    """A validator of the `Error` component, with the schema's other components to resolve."""
    document = {**schema["components"]["schemas"]["Error"], "components": schema["components"]}
    return jsonschema.Draft7Validator(document)


def component(schema, ref: str) -> dict:
    return schema["components"]["schemas"][ref.rpartition("/")[2]]


# --- declared errors ------------------------------------------------------------------------------


def test_every_error_of_every_operation_is_the_one_error_shape(schema):
    declared = 0
    for path, method, operation in operations(schema):
        # gunicorn's 414 for an over-long request line, on every operation, without a body
        assert "content" not in operation["responses"]["414"], (method, path)
        if operation["operationId"] == "v1_payments_vnpay_ipn_retrieve":
            # The gateway's notification answers everything in VNPAY's protocol, with 200.
            assert set(operation["responses"]) == {"200", "414"}
            continue
        assert "400" in operation["responses"], (method, path)
        for code, response in operation["responses"].items():
            if code >= "400" and code != "414":
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", (method, path, code)
                declared += 1
    assert declared > 100


def test_operations_that_need_a_login_declare_401_with_its_challenge_and_403(schema):
    for path, method, operation in operations(schema):
        if {} in operation.get("security", [{}]):
            continue  # open to anyone
        responses = operation["responses"]
        assert {"401", "403"} <= set(responses), (method, path)
        assert "WWW-Authenticate" in responses["401"]["headers"]


def test_path_parameters_pages_and_conflicts_are_declared(schema):
    paths = schema["paths"]
    assert "404" in paths["/api/v1/procedures/{code}/"]["get"]["responses"]
    assert "404" in paths["/api/v1/verify/{code}/"]["get"]["responses"]
    assert "404" in paths["/api/v1/payments/{order_ref}/"]["get"]["responses"]
    assert "404" in paths["/api/v1/procedures/"]["get"]["responses"]  # ?page=0
    # Not an officer, or no dossier with this code and secret
    assert "404" in paths["/api/v1/office/specialists/"]["get"]["responses"]
    assert "404" in paths["/api/v1/track/"]["post"]["responses"]
    assert "409" in paths["/api/v1/dossiers/{public_id}/submit/"]["post"]["responses"]
    assert "429" in paths["/api/v1/track/"]["post"]["responses"]
    assert "429" in paths["/api/v1/auth/token/"]["post"]["responses"]


# --- what the server answers matches what is declared ---------------------------------------------


def test_no_token_and_a_bad_token_are_401_with_www_authenticate(schema):
    validator = error_validator(schema)
    for headers in ({}, {"HTTP_AUTHORIZATION": "Token not-a-token"}):
        response = APIClient().get("/api/v1/dossiers/", **headers)
        assert response.status_code == 401, headers
        assert response["WWW-Authenticate"] == "Token"
        validator.validate(response.json())
    # A bad token on an open operation is refused too, not silently ignored.
    response = APIClient().get("/api/v1/procedures/", HTTP_AUTHORIZATION="Token not-a-token")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_a_good_token_still_works_and_a_session_is_still_a_session(client):
    citizen = CitizenFactory()
    token = Token.objects.create(user=citizen)
    api = APIClient()
    assert api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    client.force_login(citizen)
    assert client.get("/api/v1/me/").status_code == 200


def test_the_error_bodies_once_off_schema_now_match_it(schema):
    """Bodies the fuzzer found off their declared schemas: the payment start's `detail` list,
    the field-keyed 400s of PATCH /dossiers/{id}/, POST /dossiers/ and POST /dossiers/file/, a
    bad page, a wrong password."""
    validator = error_validator(schema)
    citizen = CitizenFactory()
    api = APIClient()
    api.force_authenticate(citizen)
    version = ProcedureVersionFactory(published=True, level3=True)
    dossier = DossierFactory(applicant=citizen, version=version)
    bodies = []

    nothing_due = api.post(f"/api/v1/dossiers/{dossier.public_id}/payments/")
    assert nothing_due.status_code == 400
    assert isinstance(nothing_due.json()["detail"], str)
    bodies.append(nothing_due.json())

    patch = api.patch(
        f"/api/v1/dossiers/{dossier.public_id}/",
        {"applicant": {"nickname": "x"}, "answers": {"nope": 1}},
        format="json",
    )
    assert patch.status_code == 400
    bodies.append(patch.json())

    create = api.post("/api/v1/dossiers/", {"procedure": "no-such-code"}, format="json")
    assert create.status_code == 400 and "procedure" in create.json()
    bodies.append(create.json())

    at_once = api.post(
        "/api/v1/dossiers/file/",
        {"procedure": version.procedure.service_code, "answers": "not json"},
        format="multipart",
    )
    assert at_once.status_code == 400 and "answers" in at_once.json()
    bodies.append(at_once.json())

    page = APIClient().get("/api/v1/procedures/", {"page": 0})
    assert page.status_code == 404
    bodies.append(page.json())

    password = APIClient().post(
        "/api/v1/auth/token/", {"email": citizen.email, "password": "wrong"}, format="json"
    )
    assert password.status_code == 400
    bodies.append(password.json())

    for body in bodies:
        validator.validate(body)


def test_an_unknown_api_path_is_json_404(schema):
    for path in ("/api/v1/dossiers/not-a-uuid/", "/api/v1/nothing/", "/api/v1/dossiers/1/files/x/"):
        response = APIClient().get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        error_validator(schema).validate(response.json())


# --- request bodies -------------------------------------------------------------------------------


def test_file_parts_are_binary_and_document_parts_are_declared(schema):
    paths = schema["paths"]
    upload = paths["/api/v1/dossiers/{public_id}/files/"]["post"]["requestBody"]["content"]
    files = component(schema, upload["multipart/form-data"]["schema"]["$ref"])["properties"]
    assert files["files"]["items"] == {"type": "string", "format": "binary"}
    verify = paths["/api/v1/verify/"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert component(schema, verify["schema"]["$ref"])["properties"]["file"]["format"] == "binary"
    at_once = paths["/api/v1/dossiers/file/"]["post"]["requestBody"]["content"]
    body = component(schema, at_once["multipart/form-data"]["schema"]["$ref"])
    assert "document_ID" not in body["properties"]
    assert body["additionalProperties"]["format"] == "binary"
    assert "document_<id>" in body["additionalProperties"]["description"]
    # The documents' ids, which those parts name, are in the procedure's detail.
    document = component(schema, "DocumentOutput")
    assert "id" in document["required"]


def test_one_media_type_per_request_body(schema):
    for path, method, operation in operations(schema):
        if "requestBody" in operation:
            assert len(operation["requestBody"]["content"]) == 1, (method, path)


def test_the_stated_constraints_are_the_real_ones(schema):
    components = schema["components"]["schemas"]
    assert components["TokenInput"]["properties"]["password"]["minLength"] == 1
    assert components["TrackInput"]["properties"]["code"]["minLength"] == 1
    assert components["TrackInput"]["properties"]["secret"]["minLength"] == 1
    assert components["DossierCreateInput"]["properties"]["procedure"]["minLength"] == 1
    assert components["DossierApplicantInput"]["additionalProperties"] is False
    assert components["DossierWithdrawInput"]["required"] == ["reason"]
    # An answer's value in the shapes a form takes, not "anything"
    answer = components["PatchedDossierUpdateInput"]["properties"]["answers"]
    shapes = answer["additionalProperties"]["anyOf"]
    assert [shape["type"] for shape in shapes] == ["string", "number", "boolean", "array"]
    assert answer["additionalProperties"]["nullable"] is True
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v1/procedures/"]["get"]["parameters"]
    }
    assert parameters["page"]["minimum"] == 1
    assert parameters["level"]["enum"] == [1, 2, 3, 4]
    assert parameters["q"]["maxLength"] == 200


def strings(node, where=""):
    """Every string schema under a node, with where it is."""
    if isinstance(node, dict):
        if node.get("type") == "string":
            yield where, node
        for key, value in node.items():
            yield from strings(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from strings(value, f"{where}/{i}")


def test_every_free_text_a_request_takes_refuses_control_characters(schema):
    """Issue 13: the server refuses control characters in every text (portal.controls); the
    schema says so wherever a text is free, and a text that may not be blank needs a visible
    character as well."""
    from portal.controls import CONTROL, CONTROL_FREE_PATTERN, NOT_BLANK_PATTERN

    requests = [
        [*operation.get("parameters", []), operation.get("requestBody", {})]
        for _path, _method, operation in operations(schema)
        if "400" in operation["responses"]
    ]
    request_components = {
        name: value
        for name, value in schema["components"]["schemas"].items()
        if name.endswith(("Input", "Body"))
    }
    checked = 0
    for where, node in [*strings(requests), *strings(request_components)]:
        if {"format", "enum"} & node.keys():
            continue
        assert node.get("pattern") in (CONTROL_FREE_PATTERN, NOT_BLANK_PATTERN), where
        checked += 1
    assert checked > 30
    assert request_components["TrackInput"]["properties"]["code"]["pattern"] == NOT_BLANK_PATTERN
    assert request_components["DossierSupplementInput"]["properties"]["note"]["pattern"] == (
        CONTROL_FREE_PATTERN
    )
    # The patterns say what the server does, character for character.
    free, visible = re.compile(CONTROL_FREE_PATTERN), re.compile(NOT_BLANK_PATTERN)
    for code in range(0x2100):
        character = chr(code)
        refused = bool(CONTROL.search(character))
        assert (free.match(f"a{character}b") is None) == refused, hex(code)
        assert (visible.match(f"a{character}b") is None) == refused, hex(code)
    assert visible.match(" \t ") is None
    assert visible.match(" x ") is not None
    # The gateway's notification refuses nothing with 400: no pattern promised there.
    ipn = schema["paths"]["/api/v1/payments/vnpay/ipn/"]["get"]["parameters"]
    assert all("pattern" not in parameter["schema"] for parameter in ipn)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/token/", {"email": "a@b.vn", "password": ""}),
        ("/api/v1/track/", {"code": "", "secret": "1"}),
        ("/api/v1/track/", {"code": "X", "secret": ""}),
        ("/api/v1/dossiers/", {"procedure": ""}),
        ("/api/v1/track/", {"code": "  ", "secret": "1"}),  # blank: the pattern
    ],
)
def test_what_the_schema_forbids_the_server_refuses(schema, path, body):
    api = APIClient()
    api.force_authenticate(CitizenFactory())
    response = api.post(path, body, format="json")
    assert response.status_code == 400
    error_validator(schema).validate(response.json())


# --- links ----------------------------------------------------------------------------------------


def test_the_lifecycle_is_linked(schema):
    by_id = {operation["operationId"]: operation for _p, _m, operation in operations(schema)}
    created = by_id["v1_dossiers_create"]["responses"]["201"]["links"]
    assert created["SubmitDossier"] == {
        "operationId": "v1_dossiers_submit_create",
        "description": "Submit the complete draft.",
        "parameters": {"public_id": "$response.body#/id"},
    }
    assert created["AddFiles"]["operationId"] == "v1_dossiers_files_create"
    submitted = by_id["v1_dossiers_submit_create"]["responses"]["200"]["links"]
    assert submitted["OfficeAccept"]["parameters"] == {
        "public_id": "$response.body#/id",
        "action": "accept",
    }
    for (operation_id, code), links in LINKS.items():
        assert by_id[operation_id]["responses"][code]["links"] == links
        for link in links.values():
            target = by_id[link["operationId"]]
            names = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
            assert set(link.get("parameters", {})) <= names, (operation_id, link)
