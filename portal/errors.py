"""The services' errors, turned into answers in one place: the API's exception handler
(REST_FRAMEWORK["EXCEPTION_HANDLER"]) and the helpers the HTML views use.

Services refuse with Django's own exceptions:
- `PermissionDenied`: the actor may not do this. An API view that must not tell whether the
  object exists (a citizen's dossier: "missing" and "not yours" look alike) sets
  `forbidden_as_not_found = True` and answers 404; others answer 403 with the view's
  `forbidden_message`, if it has one.
- `ValidationError` with code "stale" or "not_editable": the object changed meanwhile, or its
  state no longer allows the change → 409 {"detail": "…"}.
- `ValidationError` with code "gone": the thing acted on is no longer there → 404.
- `ValidationError` keyed by field names → 400 {field: [messages]}; any other → 400 with its
  messages under the view's `problems_key` (a list), or joined as `detail` when it has none.

Every error body has one shape (`error_body`, declared as `Error` by portal.schema): `detail`, a
string, for what is not about one field, and messages by field name. REST framework's own
`non_field_errors` (and a Django form's `__all__`) are folded into `detail`.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

CONFLICT_CODES = frozenset({"stale", "not_editable"})


class Refused(exceptions.APIException):
    """An answer with its own body and status (a 409 with the service's message)."""

    def __init__(self, body: dict | list, status_code: int):
        super().__init__(detail=body)
        self.status_code = status_code


def is_conflict(exc: ValidationError) -> bool:
    return getattr(exc, "code", None) in CONFLICT_CODES


def _as_api_exception(exc: Exception, view) -> Exception:
    if isinstance(exc, PermissionDenied):
        if getattr(view, "forbidden_as_not_found", False):
            return exceptions.NotFound()
        message = getattr(view, "forbidden_message", None)
        return exceptions.PermissionDenied(message) if message else exc
    if isinstance(exc, ValidationError):
        if is_conflict(exc):
            return Refused({"detail": " ".join(exc.messages)}, status.HTTP_409_CONFLICT)
        if getattr(exc, "code", None) == "gone":
            return exceptions.NotFound(" ".join(exc.messages))
        if hasattr(exc, "error_dict"):
            return Refused(exc.message_dict, status.HTTP_400_BAD_REQUEST)
        key = getattr(view, "problems_key", None)
        body = {key: exc.messages} if key else {"detail": " ".join(exc.messages)}
        return Refused(body, status.HTTP_400_BAD_REQUEST)
    return exc


GENERAL_KEYS = ("detail", "non_field_errors", "__all__")


def error_body(data) -> dict:
    """The one error shape: {"detail": "…", field: [messages] or {inner: [messages]}}."""
    if isinstance(data, list):
        return {"detail": " ".join(str(message) for message in data)}
    if not isinstance(data, dict):
        return {"detail": str(data)}
    body = dict(data)
    general = []
    for key in GENERAL_KEYS:
        value = body.pop(key, None)
        if value:
            general.extend(value if isinstance(value, list) else [value])
    return {"detail": " ".join(str(m) for m in general), **body} if general else body


def form_messages(errors) -> dict[str, list[str]]:
    """A Django form's errors as {name: [messages]}."""
    return {name: [e["message"] for e in items] for name, items in errors.get_json_data().items()}


def is_api_request(request) -> bool:
    """Under /api/, every answer is JSON (errors included)."""
    return request.path_info.startswith("/api/")


def error_response(data, status_code: int) -> Response:
    """An error answered by a view itself, in the one shape."""
    return Response(error_body(data), status=status_code)


def api_exception_handler(exc: Exception, context: dict):
    """REST framework's handler, after the services' errors are given their answers; every body
    in the one shape."""
    response = exception_handler(_as_api_exception(exc, context.get("view")), context)
    if response is not None:
        response.data = error_body(response.data)
    return response


def add_to_form(form, exc: ValidationError) -> None:
    """Show a service's refusal on the form that was sent: messages tied to a field at that
    field, the others above the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        for message in exc.messages:
            form.add_error(None, message)
