"""The filter conditions every list uses: asked-for conditions only, ends inclusive."""

from __future__ import annotations

from datetime import date

from gateway.schema.lists import among, between, equals, narrow

DAYS = [date(2026, 1, d) for d in (1, 5, 9, 13)]


def test_no_condition_asked_keeps_everything():
    assert (
        narrow(DAYS, among(None, str), equals(None, str), between(None, None, lambda d: d)) == DAYS
    )


def test_among_equals_and_between_combine():
    kept = narrow(
        DAYS,
        among([1, 5, 13], lambda d: d.day),
        equals(False, lambda d: d.day > 10),
        between(date(2026, 1, 5), None, lambda d: d),
    )
    assert kept == [date(2026, 1, 5)]


def test_between_includes_both_ends():
    assert narrow(DAYS, between(DAYS[1], DAYS[2], lambda d: d)) == DAYS[1:3]
    assert narrow(DAYS, between(None, DAYS[0], lambda d: d)) == DAYS[:1]


def test_among_an_empty_list_keeps_nothing():
    assert narrow(DAYS, among([], lambda d: d.day)) == []
