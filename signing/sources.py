"""Documents whose lines are read when they are rendered, not stored with the request.

A register of a busy agency's year holds a hundred thousand lines: kept in the document's
`context` they would be one JSON value of tens of megabytes in a row. The app that owns such a
document registers a provider for its kind (office registers Mẫu 06 in its AppConfig.ready);
the worker asks it for the lines, a few thousand at a time, while it renders. Signing imports
none of its callers: they tell it."""

from collections.abc import Callable, Iterable

_PROVIDERS: dict[str, Callable[[object], Iterable[list[str]]]] = {}


def provide(kind: str, provider: Callable[[object], Iterable[list[str]]]) -> None:
    """`provider(document)` yields the document's lines, each a list of cells (strings)."""
    _PROVIDERS[kind] = provider


def lines_of(document) -> Iterable[list[str]] | None:
    provider = _PROVIDERS.get(document.kind)
    return None if provider is None else provider(document)


def provides(kind: str) -> bool:
    """Whether documents of `kind` are read from a provider (long: see DOCUMENT_LONG_*)."""
    return kind in _PROVIDERS
