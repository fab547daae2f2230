"""Seeded-random, calendar and money helpers shared by the sandbox data set builders.

Every helper takes the ``random.Random`` it draws from, so each builder owns its stream
and nothing touches the global random state or the wall clock.
"""

from __future__ import annotations

import calendar
import hashlib
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from connectors.models import Money

if TYPE_CHECKING:
    from collections.abc import Sequence

T = TypeVar("T")

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def derive_rng(seed: int, key: str) -> random.Random:
    """Return a generator seeded from ``seed`` and ``key`` (stable across processes).

    Args:
        seed: The data set seed.
        key: What the stream is for, for example a carrier id.

    Returns:
        An independent ``random.Random`` (sha256-derived; never Python's salted ``hash``).
    """
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def pick(rng: random.Random, table: Sequence[tuple[T, int]]) -> T:
    """Draw one value from ``(value, weight)`` pairs.

    Args:
        rng: The stream to draw from.
        table: Values with positive integer weights.

    Returns:
        The chosen value.
    """
    roll = rng.randrange(sum(weight for _, weight in table))
    for value, weight in table:
        roll -= weight
        if roll < 0:
            return value
    return table[-1][0]


def amount(rng: random.Random, low: int, high: int) -> Decimal:
    """Return a random amount with cents between two whole-unit bounds (inclusive)."""
    return Decimal(rng.randrange(low * 100, high * 100 + 1)).scaleb(-2).quantize(CENT)


def money(value: Decimal, currency: str) -> Money:
    """Return ``value`` as ``Money`` rounded to cents."""
    return Money(value.quantize(CENT), currency)


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by whole months, clamped to the target month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def month_end(first: date) -> date:
    """Return the last day of the month that ``first`` falls in."""
    return add_months(first.replace(day=1), 1) - timedelta(days=1)


def midnight(day: date) -> datetime:
    """Return 00:00:00 UTC of ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def at(rng: random.Random, day: date, first_hour: int = 13, last_hour: int = 22) -> datetime:
    """Return a whole-second UTC time on ``day`` between two hours (North American office hours).

    Args:
        rng: The stream to draw from.
        day: The calendar day.
        first_hour: Earliest hour (inclusive).
        last_hour: Latest hour (inclusive).

    Returns:
        A timezone-aware UTC datetime.
    """
    return midnight(day) + timedelta(
        hours=rng.randint(first_hour, last_hour),
        minutes=rng.randrange(60),
        seconds=rng.randrange(60),
    )


def span(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    """Return a whole-second duration between ``low`` and ``high`` (inclusive)."""
    return timedelta(seconds=rng.randint(int(low.total_seconds()), int(high.total_seconds())))


def days(count: float) -> timedelta:
    """Shorthand for ``timedelta(days=count)``."""
    return timedelta(days=count)


def hours(count: float) -> timedelta:
    """Shorthand for ``timedelta(hours=count)``."""
    return timedelta(hours=count)
