"""connectors.reading.attempt reads like Salvage.get, without a closure."""

from __future__ import annotations

import pytest

from connectors.mapping import Salvage, parse_money
from connectors.models import FieldProblem
from connectors.reading import attempt


def test_a_readable_value_is_returned_without_a_problem():
    s = Salvage()
    assert attempt(s, "count", int, "12") == 12
    assert s.done() == ()


def test_an_unreadable_value_is_none_with_the_same_problem_as_salvage_get():
    bad = {"unit": "xyz", "value": 1}
    s, t = Salvage(), Salvage()
    assert attempt(s, "total", parse_money, bad, "amount") is None
    assert t.get("total", lambda: parse_money(bad, "amount")) is None
    assert s.done() == t.done()
    assert s.done()[0] == FieldProblem("total", "amount.unit", s.done()[0].problem)


def test_other_errors_pass_through():
    with pytest.raises(ValueError, match="invalid literal"):
        attempt(Salvage(), "count", int, "x")
