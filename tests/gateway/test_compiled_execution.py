"""Compiled execution answers what the interpreter answers, byte for byte.

The interpreter (graphql-core's executor, as Strawberry configures it) is the oracle.
Hypothesis draws documents (aliases, repeated fields, named and inline fragments,
``__typename``, literal ``@skip``/``@include``) over a small schema shaped like the
gateway's (plain nodes under async resolvers, lists, non-null fields, enums, custom
scalars, an interface) and data with every kind of bad value a carrier reader or
``flag_problems`` can leave in a node: errors in place of values, nulls in non-null
positions, values a scalar refuses. Both answers must serialize to the same bytes.

The gateway's own schema is held to the same in its e2e suite, the leak matrix and the
slice property test, which run with ``execution="verify"`` (both modes on every request).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.extensions import ParserCache

from gateway.schema import compiled
from gateway.schema.compiled import CompiledExecutor

if TYPE_CHECKING:
    import pytest

EXAMPLES = 1000


@strawberry.enum
class Color(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Part(Named):
    name: str
    size: int | None
    ratio: float | None
    color: Color | None
    tags: list[str]
    day: date | None
    at: datetime | None
    price: Decimal | None
    ok: bool


@strawberry.type
class Box(Named):
    name: str
    parts: list[Part]
    maybe: Part | None
    strict: Part
    labels: list[str | None] | None

    @strawberry.field
    async def later(self) -> Part | None:
        await asyncio.sleep(0)
        return self.maybe

    @strawberry.field
    def named(self) -> list[Named]:
        return list(self.parts)


@strawberry.type
class Query:
    @strawberry.field
    async def boxes(self, info: strawberry.Info) -> list[Box]:
        await asyncio.sleep(0)
        return info.root_value.boxes  # type: ignore[no-any-return]


@dataclass
class Root:
    boxes: list[Box] = field(default_factory=list)


INTERPRETED = strawberry.Schema(query=Query)
COMPILED = strawberry.Schema(query=Query, execution_context_class=CompiledExecutor)
CACHING = strawberry.Schema(  # as the gateway runs: parsed documents are reused
    query=Query,
    execution_context_class=CompiledExecutor,
    extensions=[lambda: ParserCache(maxsize=16)],
)

ZONES = [UTC, UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=7))]

FIELDS = {
    "Part": ["name", "size", "ratio", "color", "tags", "day", "at", "price", "ok", "__typename"],
    "Box": ["name", "parts", "maybe", "strict", "labels", "later", "named", "__typename"],
    "Named": ["name", "__typename"],
}
CHILD = {"parts": "Part", "maybe": "Part", "strict": "Part", "later": "Part", "named": "Named"}


def _problem(name: str) -> GraphQLError:
    return GraphQLError(f"bad {name}", extensions={"code": "UPSTREAM_INVALID", "field": name})


def _maybe_bad(draw: st.DrawFn, good: st.SearchStrategy[Any], name: str) -> Any:
    kind = draw(st.sampled_from(["good"] * 8 + ["error", "none", "odd"]))
    if kind == "error":
        return _problem(name)
    if kind == "none":
        return None
    if kind == "odd":
        return draw(st.sampled_from([2**40, float("nan"), "text", 3, 1.5, True, object()]))
    return draw(good)


@st.composite
def parts(draw: st.DrawFn) -> Part:
    return Part(
        name=_maybe_bad(draw, st.text(max_size=5), "name"),
        size=_maybe_bad(draw, st.integers(-5, 5), "size"),
        ratio=_maybe_bad(draw, st.floats(-2, 2), "ratio"),
        color=_maybe_bad(draw, st.sampled_from(Color), "color"),
        tags=_maybe_bad(draw, st.lists(st.sampled_from(["a", "b", None]), max_size=3), "tags"),
        day=_maybe_bad(draw, st.dates(), "day"),
        at=_maybe_bad(draw, st.datetimes(timezones=st.sampled_from(ZONES)), "at"),
        price=_maybe_bad(draw, st.decimals(places=2, min_value=-9, max_value=9), "price"),
        ok=_maybe_bad(draw, st.booleans(), "ok"),
    )


@st.composite
def boxes(draw: st.DrawFn) -> Box:
    return Box(
        name=_maybe_bad(draw, st.text(max_size=5), "name"),
        parts=_maybe_bad(draw, st.lists(parts(), max_size=3), "parts"),
        maybe=_maybe_bad(draw, parts(), "maybe"),
        strict=_maybe_bad(draw, parts(), "strict"),
        labels=_maybe_bad(draw, st.lists(st.sampled_from(["x", None]), max_size=3), "labels"),
    )


@st.composite
def selections(draw: st.DrawFn, type_name: str, depth: int, fragments: dict[str, str]) -> str:
    names = [f for f in FIELDS[type_name] if depth > 0 or f not in CHILD]
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=6))
    out = []
    for name in chosen:
        sub = draw(selections(CHILD[name], depth - 1, fragments)) if name in CHILD else ""
        # Aliases only on leaves, each alias its own name: merged fields stay valid.
        alias = draw(st.sampled_from(["", "", f"{name}Alias: "])) if not sub else ""
        directive = draw(st.sampled_from(["", "", "", "@skip(if: {})", "@include(if: {})"]))
        if directive:
            directive = directive.format(str(draw(st.booleans())).lower())
        text = f"{alias}{name} {directive} {sub}"
        wrap = draw(st.sampled_from(["plain"] * 5 + ["inline", "fragment", "include"]))
        if wrap == "inline":
            text = f"... on {type_name} {{ {text} }}"
        elif wrap == "fragment":
            fragment = f"F{len(fragments)}"
            fragments[fragment] = f"fragment {fragment} on {type_name} {{ {text} }}"
            text = f"...{fragment}"
        elif wrap == "include":
            text = f"... @include(if: {str(draw(st.booleans())).lower()}) {{ {text} }}"
        out.append(text)
    return "{ " + " ".join(out) + " }"


@st.composite
def documents(draw: st.DrawFn) -> str:
    fragments: dict[str, str] = {}
    body = draw(selections("Box", 2, fragments))
    return "query Q { boxes " + body + " } " + " ".join(fragments.values())


def _bytes(result: Any) -> bytes:
    assert all(error.path for error in result.errors or []), result.errors  # executed, not refused
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return json.dumps(body, default=str).encode()


async def _both(document: str, root: Root) -> tuple[bytes, bytes]:
    mine = await COMPILED.execute(document, root_value=root)
    theirs = await INTERPRETED.execute(document, root_value=root)
    return _bytes(mine), _bytes(theirs)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(document=documents(), data=st.lists(boxes(), max_size=3))
def test_compiled_answers_are_the_interpreters(document: str, data: list[Box]) -> None:
    mine, theirs = asyncio.run(_both(document, Root(data)))
    assert mine == theirs, document
    assert json.loads(mine).get("data") is not None or data, document  # the document is valid


def _part(**values: Any) -> Part:
    defaults: dict[str, Any] = {
        "name": "p", "size": 1, "ratio": 0.5, "color": Color.RED, "tags": ["a"],
        "day": None, "at": None, "price": None, "ok": True,
    }  # fmt: skip
    return Part(**{**defaults, **values})


def _box(**values: Any) -> Box:
    defaults: dict[str, Any] = {"name": "box", "parts": [], "maybe": None, "labels": None}
    return Box(**{**defaults, **values})


def test_a_problem_inside_a_projected_node_is_reported_at_its_path() -> None:
    good = _part(day=date(2026, 1, 1), price=Decimal("1.50"))
    bad = _part(name="q", size=_problem("size"), color=Color.BLUE)
    root = Root([_box(parts=[good, bad], strict=good)])
    document = "{ boxes { parts { name size color } strict { day price } } }"
    mine = asyncio.run(COMPILED.execute(document, root_value=root))
    assert mine.data == {
        "boxes": [
            {
                "parts": [
                    {"name": "p", "size": 1, "color": "RED"},
                    {"name": "q", "size": None, "color": "BLUE"},
                ],
                "strict": {"day": "2026-01-01", "price": "1.50"},
            }
        ]
    }
    assert [(e.message, e.path) for e in mine.errors or []] == [
        ("bad size", ["boxes", 0, "parts", 1, "size"])
    ]


def test_a_null_in_a_non_null_position_nulls_the_nearest_nullable_parent() -> None:
    broken = _part(name=None)
    root = Root([_box(parts=[broken], maybe=broken, strict=broken)])
    mine, theirs = asyncio.run(_both("{ boxes { maybe { name } } }", root))
    assert mine == theirs
    answer = json.loads(mine)
    assert answer["data"] == {"boxes": [{"maybe": None}]}
    assert [e["path"] for e in answer["errors"]] == [["boxes", 0, "maybe", "name"]]
    # Through [Part!]! and [Box!]! the null reaches the root.
    mine, theirs = asyncio.run(_both("{ boxes { name parts { name } } }", root))
    assert mine == theirs
    answer = json.loads(mine)
    assert answer["data"] is None
    assert [e["path"] for e in answer["errors"]] == [["boxes", 0, "parts", 0, "name"]]


def test_plans_are_compiled_once_per_document(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled._PLANS.clear()
    calls = []
    original = CompiledExecutor._compile

    def counting(self: CompiledExecutor, *args: Any) -> Any:
        calls.append(args[0].name)
        return original(self, *args)

    monkeypatch.setattr(CompiledExecutor, "_compile", counting)
    part = _part()
    root = Root([_box(parts=[part, part], maybe=part, strict=part, labels=["x"])])
    document = "{ boxes { name parts { name tags } strict { size } later { name } } }"
    asyncio.run(CACHING.execute(document, root_value=root))
    first = len(calls)
    asyncio.run(CACHING.execute(document, root_value=root))
    assert first > 0
    assert len(calls) == first  # the second request reuses every plan


def test_variables_in_skip_and_include_run_interpreted() -> None:
    part = _part()
    root = Root([_box(parts=[part], maybe=part, strict=part)])
    document = "query Q($s: Boolean!) { boxes { parts { name size @skip(if: $s) } } }"
    for skip in (True, False):
        mine = asyncio.run(COMPILED.execute(document, {"s": skip}, root_value=root))
        theirs = asyncio.run(INTERPRETED.execute(document, {"s": skip}, root_value=root))
        assert _bytes(mine) == _bytes(theirs)
        assert ("size" in mine.data["boxes"][0]["parts"][0]) is not skip  # type: ignore[index]


def test_equal_instants_in_other_zones_keep_their_own_text() -> None:
    # Serialized instants are memoized by value, and these two are equal (same hash).
    utc = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    east = utc.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert utc == east
    items = [_part(name=str(i), at=at) for i, at in enumerate([utc, east, utc])]
    root = Root([_box(parts=items, strict=items[0])])
    document = "{ boxes { parts { at } } }"
    for _ in range(2):  # the second time from the memo
        mine, theirs = asyncio.run(_both(document, root))
        assert mine == theirs
        texts = [p["at"] for p in json.loads(mine)["data"]["boxes"][0]["parts"]]
        assert texts == ["2026-03-01T12:00:00+00:00", "2026-03-01T17:30:00+05:30", texts[0]]
