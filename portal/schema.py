"""The API's OpenAPI schema (drf-spectacular), made to tell a generated client the truth.

- Every operation declares the errors it can answer, each with the one error body the exception
  handler (portal.errors) produces: `Error` = `{"detail": "…"}` for a message not tied to a field,
  and messages by field name (`{"files": ["…"]}`, nested for a nested object). Which codes an
  operation declares follows from its view (`ERRORS` below), so a new view is right without
  listing them by hand.
- 401 carries `WWW-Authenticate: Token`.
- Request components are named after their serializer (…Input), file parts are binary.
- A serializer with `refuses_unknown_keys = True` is declared with `additionalProperties: false`.
- Every free text a request carries is declared with the pattern that refuses control
  characters, as the server does (`forbid_control_characters`).
- The dossier's lifecycle is described by OpenAPI links (`LINKS`): create a draft → read, change,
  add files, submit, pay; the desk's queue → a dossier → an action.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import permissions
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView

from portal.controls import CONTROL_FREE_PATTERN, NOT_BLANK_PATTERN

ERROR_COMPONENT = "Error"
FIELD_ERRORS_COMPONENT = "FieldErrors"

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error. `detail`: what went wrong, when it is not about one field; any other "
    "key names a field of the request and holds its messages (for a nested object or a list, the "
    "same shape again, keyed by the inner field or the item's index). Nothing was stored.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"$ref": f"#/components/schemas/{FIELD_ERRORS_COMPONENT}"},
}
FIELD_ERRORS_SCHEMA = {
    "description": "A field's messages, or for a nested object or list, its fields' messages.",
    "anyOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    ],
}

# The errors an operation can answer, and when (see _error_codes).
ERRORS = {
    "400": "The request is malformed or its values are refused (a control character anywhere, "
    "an invalid value, a rule of the procedure); the messages say what to change.",
    "401": "No credentials, or a bad or expired token: send `Authorization: Token <key>` "
    "(POST /api/v1/auth/token/).",
    "403": "Not allowed: the user's role does not permit it, or a session request without its "
    "CSRF token.",
    "404": "No such thing, or not one the user may see (another's dossier is 404, never 403); "
    "for a list, a page past the end.",
    "409": "The dossier's state no longer allows this, or it changed meanwhile: read it again.",
    "415": "The body's media type is not one this operation takes.",
    "429": "Too many requests: wait the number of seconds in `Retry-After`.",
}
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class PortalAutoSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        """What this operation can answer besides its success, from its view.

        A view may state its own list in `api_error_codes` (the payment gateway's notification
        answers every problem in its own protocol, with 200), or add to the inferred one in
        `api_extra_error_codes` (the back office's 404 for anyone who is not an officer)."""
        view = self.view
        if hasattr(view, "api_error_codes"):
            return list(view.api_error_codes)
        codes = ["400"]  # portal.middleware and the parsers refuse control characters anywhere
        authenticators = view.get_authenticators()
        open_to_all = all(isinstance(p, permissions.AllowAny) for p in view.get_permissions())
        if authenticators:
            codes.append("401")  # also on an open view: a bad token is refused, not ignored
        session = any(isinstance(a, SessionAuthentication) for a in authenticators)
        if not open_to_all or (session and self.method in UNSAFE):
            codes.append("403")
        paginated = isinstance(view, GenericAPIView) and self._is_list_view() and view.paginator
        if "{" in self.path or paginated:
            codes.append("404")
        if "{" in self.path and self.method in UNSAFE and not open_to_all:
            codes.append("409")
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("415")
        if view.get_throttles() or getattr(view, "rate_limited", False):
            codes.append("429")
        codes += [c for c in getattr(view, "api_extra_error_codes", ()) if c not in codes]
        return sorted(codes)

    def _error_response(self, code: str) -> dict:
        self.registry.register_on_missing(
            ResolvedComponent(
                name=FIELD_ERRORS_COMPONENT,
                type=ResolvedComponent.SCHEMA,
                object=FIELD_ERRORS_COMPONENT,
                schema=FIELD_ERRORS_SCHEMA,
            )
        )
        component = ResolvedComponent(
            name=ERROR_COMPONENT,
            type=ResolvedComponent.SCHEMA,
            object=ERROR_COMPONENT,
            schema=ERROR_SCHEMA,
        )
        self.registry.register_on_missing(component)
        response = {
            "description": ERRORS[code],
            "content": {"application/json": {"schema": component.ref}},
        }
        if code == "401":
            response["headers"] = {
                "WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Token`"}
            }
        if code == "429":
            response["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}
            }
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            responses.setdefault(code, self._error_response(code))
        return dict(sorted(responses.items()))

    def map_parsers(self):
        """One request media type per operation, so a generated client knows what to send: JSON,
        or multipart where the view takes files. (The server still reads a form body where REST
        framework's defaults allow it.)"""
        types = super().map_parsers()
        if "application/json" in types:
            return ["application/json"]
        if "multipart/form-data" in types:
            return ["multipart/form-data"]
        return types

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False) -> str:
        """COMPONENT_SPLIT_REQUEST names a request component "…Request": not for the serializers
        that only ever are requests (…Input, …Body), which keep their own name."""
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        if direction == "request" and name.removesuffix("Request").endswith(("Input", "Body")):
            return name.removesuffix("Request")
        return name

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if getattr(serializer, "refuses_unknown_keys", False):
            schema["additionalProperties"] = False
        extra = getattr(serializer, "extra_parts", None)
        if extra and direction == "request":
            schema["additionalProperties"] = extra
        return schema


def _link(operation: str, description: str, **parameters) -> dict:
    link = {"operationId": operation, "description": description}
    body = parameters.pop("requestBody", None)
    if parameters:
        link["parameters"] = parameters
    if body is not None:
        link["requestBody"] = body
    return link


# The lifecycle, by operation id and response: where a response leads next.
_DOSSIER = "$response.body#/id"
_SAME = "$request.path.public_id"


# The citizen's next steps on one dossier: link name, operation, what it does.
_DOSSIER_STEPS = (
    ("GetDossier", "v1_dossiers_retrieve", "Read the dossier."),
    ("UpdateDossier", "v1_dossiers_partial_update", "Change a draft's answers."),
    ("AddFiles", "v1_dossiers_files_create", "Attach files to a document."),
    ("SubmitDossier", "v1_dossiers_submit_create", "Submit the complete draft."),
    ("SendSupplement", "v1_dossiers_supplement_create", "Send the supplement asked for."),
    ("WithdrawDossier", "v1_dossiers_withdraw_create", "Withdraw the dossier."),
    ("StartPayment", "v1_dossiers_payments_create", "Pay the fee now due."),
    ("DeleteDraft", "v1_dossiers_destroy", "Delete the draft."),
)


def _dossier_links(public_id: str) -> dict:
    return {
        name: _link(operation, description, public_id=public_id)
        for name, operation, description in _DOSSIER_STEPS
    }


def _office_links(public_id: str) -> dict:
    return {
        "OfficeGetDossier": _link(
            "v1_office_dossiers_retrieve", "The desk reads the dossier.", public_id=public_id
        ),
        "OfficeAccept": _link(
            "v1_office_dossiers_actions_create",
            "The desk accepts the dossier (other actions: see the operation).",
            public_id=public_id,
            action="accept",
        ),
    }


LINKS = {
    ("v1_procedures_list", "200"): {
        "GetProcedure": _link(
            "v1_procedures_retrieve",
            "The first procedure of the page.",
            code="$response.body#/results/0/service_code",
        ),
    },
    ("v1_procedures_retrieve", "200"): {
        "StartDossier": _link(
            "v1_dossiers_create",
            "Start a draft of this procedure.",
            requestBody={"procedure": "$response.body#/service_code"},
        ),
    },
    ("v1_dossiers_list", "200"): {
        "GetDossier": _link(
            "v1_dossiers_retrieve",
            "The first dossier of the page.",
            public_id="$response.body#/results/0/id",
        ),
    },
    ("v1_dossiers_create", "201"): _dossier_links(_DOSSIER),
    ("v1_dossiers_file_create", "201"): {
        **_dossier_links(_DOSSIER),
        **_office_links(_DOSSIER),
    },
    ("v1_dossiers_retrieve", "200"): {
        **_dossier_links(_DOSSIER),
        "GetFile": _link(
            "v1_dossiers_files_retrieve",
            "Download the dossier's first file.",
            public_id=_DOSSIER,
            file_id="$response.body#/files/0/id",
        ),
    },
    ("v1_dossiers_partial_update", "200"): _dossier_links(_DOSSIER),
    ("v1_dossiers_files_create", "201"): {
        "GetFile": _link(
            "v1_dossiers_files_retrieve",
            "Download the first file stored.",
            public_id=_SAME,
            file_id="$response.body#/0/id",
        ),
        "RemoveFile": _link(
            "v1_dossiers_files_destroy",
            "Remove the first file stored.",
            public_id=_SAME,
            file_id="$response.body#/0/id",
        ),
        "SubmitDossier": _link(
            "v1_dossiers_submit_create", "Submit the complete draft.", public_id=_SAME
        ),
    },
    ("v1_dossiers_submit_create", "200"): {
        "GetDossier": _link("v1_dossiers_retrieve", "Follow the dossier.", public_id=_DOSSIER),
        "WithdrawDossier": _link(
            "v1_dossiers_withdraw_create", "Withdraw the dossier.", public_id=_DOSSIER
        ),
        **_office_links(_DOSSIER),
    },
    ("v1_dossiers_supplement_create", "200"): {
        "GetDossier": _link("v1_dossiers_retrieve", "Follow the dossier.", public_id=_DOSSIER),
    },
    ("v1_dossiers_payments_create", "201"): {
        "GetPayment": _link(
            "v1_payments_retrieve", "Follow the payment.", order_ref="$response.body#/order_ref"
        ),
    },
    ("v1_office_dossiers_list", "200"): {
        "OfficeGetDossier": _link(
            "v1_office_dossiers_retrieve",
            "The first dossier of the queue.",
            public_id="$response.body#/results/0/id",
        ),
    },
    ("v1_office_dossiers_retrieve", "200"): {
        **_office_links(_DOSSIER),
        "OfficeGetFile": _link(
            "v1_office_dossiers_files_retrieve",
            "Download the dossier's first file.",
            public_id=_DOSSIER,
            file_id="$response.body#/files/0/id",
        ),
    },
    ("v1_office_dossiers_actions_create", "200"): {
        "OfficeGetDossier": _link(
            "v1_office_dossiers_retrieve", "Read the dossier again.", public_id=_DOSSIER
        ),
    },
}


def add_links(result, generator, request, public):
    """POSTPROCESSING_HOOKS: put LINKS on their responses; an operation id that no longer
    exists fails the schema's generation (and its test), never silently."""
    operations = {
        operation["operationId"]: operation
        for path in result["paths"].values()
        for operation in path.values()
    }
    for (operation_id, code), links in LINKS.items():
        targets = {link["operationId"] for link in links.values()}
        unknown = ({operation_id} | targets) - set(operations)
        if unknown:
            raise ValueError(f"portal.schema.LINKS names unknown operations: {sorted(unknown)}")
        operations[operation_id]["responses"][code]["links"] = links
    return result


def _request_components(result) -> set[str]:
    """The components a request can carry, found by following $refs from every operation's
    parameters and request bodies."""
    components = result.get("components", {}).get("schemas", {})
    seen: set[str] = set()

    def follow(node) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in seen:
                    seen.add(name)
                    follow(components.get(name))
            for value in node.values():
                follow(value)
        elif isinstance(node, list):
            for value in node:
                follow(value)

    for path in result["paths"].values():
        for operation in path.values():
            follow(operation.get("parameters", []))
            follow(operation.get("requestBody", {}))
    return seen


def _forbid_controls_in(node) -> None:
    if isinstance(node, list):
        for value in node:
            _forbid_controls_in(value)
        return
    if not isinstance(node, dict):
        return
    free_text = (
        node.get("type") == "string" and not {"format", "enum", "pattern", "$ref"} & node.keys()
    )
    if free_text:
        # minLength 1: a field that may not be blank, which REST framework trims first.
        blank = node.get("minLength", 0) < 1
        node["pattern"] = CONTROL_FREE_PATTERN if blank else NOT_BLANK_PATTERN
    for key, value in node.items():
        if key in ("properties",):
            for schema in value.values():
                _forbid_controls_in(schema)
        elif key in ("items", "additionalProperties", "allOf", "anyOf", "oneOf", "schema"):
            _forbid_controls_in(value)


def forbid_control_characters(result, generator, request, public):
    """POSTPROCESSING_HOOKS: every free text a request carries (a path, query or header
    parameter, a body's string) is declared with the pattern that refuses control characters,
    as the server does (portal.controls): a client learns it from the schema, not from a 400.
    Names a client makes up (an answer's key, a part's name) cannot carry a pattern in OpenAPI
    3.0, which has no `propertyNames`; the server refuses control characters there too."""
    components = result.get("components", {}).get("schemas", {})
    for name in _request_components(result):
        _forbid_controls_in(components.get(name))
    for path in result["paths"].values():
        for operation in path.values():
            if "400" not in operation["responses"]:
                # It answers in its own protocol (the payment gateway's notification: 200
                # with a code), so refuses nothing with a 400: no pattern to promise.
                continue
            for parameter in operation.get("parameters", []):
                _forbid_controls_in(parameter.get("schema"))
            for content in operation.get("requestBody", {}).get("content", {}).values():
                _forbid_controls_in(content.get("schema"))
    return result


REQUEST_LINE_LIMIT = 4094  # gunicorn's limit_request_line (its default; gunicorn.conf.py)


def declare_server_limits(result, generator, request, public):
    """POSTPROCESSING_HOOKS: what the server in front of Django refuses before the portal sees
    the request, on every operation: a request line (method, path and query) longer than
    gunicorn takes gets its own 414, with no JSON body."""
    for path in result["paths"].values():
        for operation in path.values():
            operation["responses"]["414"] = {
                "description": f"The request line (method, path and query) is longer than the "
                f"server takes ({REQUEST_LINE_LIMIT:,} bytes): answered by the server in front, "
                "without a JSON body. Send long values in a request body instead."
            }
            operation["responses"] = dict(sorted(operation["responses"].items()))
    return result
