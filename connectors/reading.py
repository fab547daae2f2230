"""Small helpers the record readers share on their hot path (the GraphQL readers, so far).

:func:`attempt` is :meth:`connectors.mapping.Salvage.get` without a closure per value:
the reader and its arguments are passed as they are, so reading the usual well-formed
value creates no function object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from connectors.mapping import FieldError

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectors.mapping import Salvage

__all__ = ["attempt"]

T = TypeVar("T")


def attempt(salvage: Salvage, name: str, read: Callable[..., T], *args: Any) -> T | None:  # noqa: ANN401
    """``read(*args)``, or None with a problem on ``name`` when it raises FieldError."""
    try:
        return read(*args)
    except FieldError as exc:
        salvage.note(name, exc)
        return None
