"""Cheaper construction of the frozen record dataclasses, for the readers' hot loops.

A frozen dataclass's ``__init__`` sets each field with ``object.__setattr__`` looked up
on every call, and calling a class goes through ``type.__call__``; readers build
hundreds of records per dashboard, and that was about a tenth of reading a carrier's
answer. :func:`builder` makes a plain function with the class's own parameters (names,
order, defaults: type checkers see the class's signature) that creates the instance and
sets each slot through its descriptor. The result is an ordinary instance of the class:
same type, equality, hash and repr, still frozen.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["builder"]

P = ParamSpec("P")
T = TypeVar("T")

_names = itertools.count(1)


def builder(cls: Callable[P, T]) -> Callable[P, T]:
    """A function building ``cls`` instances like ``cls(...)`` does, only faster.

    Raises:
        TypeError: ``cls`` is not a frozen, slotted dataclass whose fields are all plain
            ``__init__`` parameters with at most a constant default (what the generated
            function could not reproduce).
    """
    if not (
        isinstance(cls, type)
        and dataclasses.is_dataclass(cls)
        and cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
        and "__slots__" in cls.__dict__
        and not hasattr(cls, "__post_init__")
    ):
        raise TypeError(f"{cls!r} is not a frozen, slotted dataclass")
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    params, sets = [], []
    for n, f in enumerate(dataclasses.fields(cls)):
        if not f.init or f.kw_only or f.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{f.name}: not a plain __init__ parameter")
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            namespace[f"d{n}"] = f.default
            params.append(f"{f.name}=d{n}")
        namespace[f"s{n}"] = cls.__dict__[f.name].__set__  # the slot's member descriptor
        sets.append(f"    s{n}(self, {f.name})")
    source = "\n".join(
        [f"def build({', '.join(params)}):", "    self = _new(_cls)", *sets, "    return self"]
    )
    code = compile(source, f"<builder {cls.__name__} #{next(_names)}>", "exec")
    exec(code, namespace)  # noqa: S102 - source built above from dataclass field names only
    build: Callable[P, T] = namespace["build"]
    build.__doc__ = f"Build one {cls.__name__} as ``{cls.__name__}(...)`` does."
    return build
