"""Rated calls (CDRs) on one carrier's voice services, for the last three full months.

A ``UsageBuilder`` draws from its own stream (``usage:<carrier id>``), never from the
carrier's main stream, so declaring the USAGE capability adds call records without
changing a single account, service, bill, order or ticket.

Each carrier has a rate card: a per-minute rate per (direction, call type), billed in
whole minutes rounded up. Outbound calls pay for the destination (local calls are often
free, calls to freephone numbers always are); inbound calls are free unless they came in
on a toll-free number, which the subscriber pays for. So a charge is a function of the
carrier, the direction, the call type and the duration only.

There are thousands of calls per data set, so calls draw with ``random()`` and a
bisection (one C-level call per choice) rather than ``randrange``.
"""

from __future__ import annotations

import bisect
import itertools
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from connectors.models import CallDirection, CallType, UsageRecord
from connectors.sandbox import _names
from connectors.sandbox._rand import ZERO, add_months, derive_rng, midnight, money, month_end

if TYPE_CHECKING:
    import random
    from collections.abc import Sequence
    from datetime import date, datetime

    from connectors.models import Money, Service

T = TypeVar("T")

MONTHS = 3  # full months of usage before the anchor
CALLS_PER_MONTH = (3, 15)  # per voice service live in the month
_NORTH_AMERICA = frozenset({"US", "CA"})
_OFFICE_HOURS = {True: (13, 24), False: (7, 18)}  # UTC [from, to) hours, by North American
_OFF_HOURS = 0.12  # share of calls placed at any hour

_OUT, _IN = CallDirection.OUTBOUND, CallDirection.INBOUND
# (direction, call type) per 1000 calls: 55% outbound; freephone calls are mostly inbound.
_KINDS = (
    ((_OUT, CallType.LOCAL), 209), ((_OUT, CallType.LONG_DISTANCE), 149),
    ((_OUT, CallType.MOBILE), 121), ((_OUT, CallType.INTERNATIONAL), 33),
    ((_OUT, CallType.TOLL_FREE), 38), ((_IN, CallType.LOCAL), 158),
    ((_IN, CallType.LONG_DISTANCE), 90), ((_IN, CallType.MOBILE), 99),
    ((_IN, CallType.INTERNATIONAL), 18), ((_IN, CallType.TOLL_FREE), 85),
)  # fmt: skip
# (shortest, longest) seconds, weight: mostly minutes, rarely up to two hours.
_DURATIONS = (
    ((10, 59), 25), ((60, 299), 40), ((300, 1199), 24), ((1200, 3599), 9), ((3600, 7200), 2),
)  # fmt: skip


def _table(rows: Sequence[tuple[T, int]]) -> tuple[tuple[T, ...], tuple[float, ...]]:
    """Values and cumulative shares, for ``_draw``."""
    total = sum(weight for _, weight in rows)
    shares = tuple(run / total for run in itertools.accumulate(weight for _, weight in rows))
    return tuple(value for value, _ in rows), shares


_KIND_TABLE = _table(_KINDS)
_DURATION_TABLE = _table(_DURATIONS)


def _draw(rng: random.Random, table: tuple[tuple[T, ...], tuple[float, ...]]) -> T:
    """One weighted value from a ``_table``, with a single ``random()``."""
    values, shares = table
    return values[min(bisect.bisect_right(shares, rng.random()), len(values) - 1)]


def _below(rng: random.Random, count: int) -> int:
    """A whole number in ``[0, count)`` from a single ``random()``."""
    return min(int(rng.random() * count), count - 1)


def billed_minutes(duration_seconds: int) -> int:
    """Whole minutes a call is rated for (every started minute counts)."""
    return -(-duration_seconds // 60)


class UsageBuilder:
    """Accumulates one carrier's CDRs, account by account, from the carrier's usage stream.

    Args:
        carrier_id: The carrier.
        code: The carrier's short code (prefixes usage ids in some styles).
        seed: The data set seed; with the carrier id it seeds the usage stream.
        anchor: The data set's "today" (first day of a month).
        currency: The carrier's currency (every charge is in it).
    """

    def __init__(self, carrier_id: str, code: str, seed: int, anchor: date, currency: str) -> None:
        rng = derive_rng(seed, f"usage:{carrier_id}")
        self.rng = rng
        self.carrier_id = carrier_id
        self.code = code
        self.anchor = anchor
        self.currency = currency
        self.rates = _rate_card(rng, currency)
        self._style = rng.randrange(3)
        self._counter = rng.randrange(10**6, 10**7)
        self.records: list[UsageRecord] = []

    def _usage_id(self) -> str:
        self._counter += 1 + _below(self.rng, 4)
        match self._style:
            case 0:
                return f"CDR{self._counter:010d}"
            case 1:
                return f"{self.code}-U{self._counter:09d}"
            case _:
                return f"{self.code}-CDR-{self._counter:08d}"

    def charge(self, direction: CallDirection, kind: CallType, seconds: int) -> Money:
        """What a call costs on this carrier's rate card."""
        return money(self.rates[direction, kind] * billed_minutes(seconds), self.currency)

    def add_account(self, billing: Sequence[tuple[Service, date | None]]) -> None:
        """Add the calls of one account's voice services live in the last ``MONTHS`` months.

        Args:
            billing: The account's services, each with the day it stopped billing (None:
                still billing); services without telephone numbers or never activated (and
                months a service was not live in) get no calls.
        """
        for service, stop in billing:
            if not service.telephone_numbers or service.activated_at is None:
                continue
            address = service.service_address
            place = _names.city_named(address.country, address.city)
            for back in range(MONTHS, 0, -1):
                first = add_months(self.anchor, -back)
                start = max(midnight(first), service.activated_at)
                end = midnight(month_end(first)) + timedelta(days=1)
                if stop is not None:
                    end = min(end, midnight(stop) + timedelta(days=1))
                if end - start < timedelta(hours=1):
                    continue
                count = self.rng.randint(*CALLS_PER_MONTH)
                calls = sorted(
                    (self._call(service, place, start, end) for _ in range(count)),
                    key=lambda call: call[0],
                )
                for started, seconds, number, other, (direction, kind) in calls:
                    outbound = direction is CallDirection.OUTBOUND
                    self.records.append(
                        UsageRecord(
                            carrier=self.carrier_id,
                            account_number=service.account_number,
                            usage_id=self._usage_id(),
                            service_id=service.service_id,
                            started_at=started,
                            duration_seconds=seconds,
                            from_number=number if outbound else other,
                            to_number=other if outbound else number,
                            direction=direction,
                            call_type=kind,
                            charge=self.charge(direction, kind, seconds),
                        )
                    )

    def _call(
        self, service: Service, place: _names.City, start: datetime, end: datetime
    ) -> tuple[datetime, int, str, str, tuple[CallDirection, CallType]]:
        """One call inside ``[start, end)`` on ``service``, whose numbers are in ``place``."""
        rng = self.rng
        low, high = _draw(rng, _DURATION_TABLE)
        seconds = min(low + _below(rng, high - low + 1), int((end - start).total_seconds()) - 1)
        latest = end - timedelta(seconds=seconds)  # the call ends inside the window
        started = _when(rng, start, latest, north_american=place.country in _NORTH_AMERICA)
        direction, kind = _draw(rng, _KIND_TABLE)
        numbers = service.telephone_numbers
        number = numbers[_below(rng, len(numbers))]
        other = _far_end(rng, place, direction, kind)
        while other in numbers:
            other = _far_end(rng, place, direction, kind)
        return started, seconds, number, other, (direction, kind)


def _rate_card(rng: random.Random, currency: str) -> dict[tuple[CallDirection, CallType], Decimal]:
    """Per-minute rates by (direction, call type); zero for what the carrier does not charge."""

    def rate(low: int, high: int) -> Decimal:  # in ten-thousandths
        return Decimal(rng.randint(low, high)).scaleb(-4)

    local = ZERO if rng.random() < 0.6 else rate(40, 120)
    long_distance = rate(90, 350)
    mobile = long_distance if currency in {"USD", "CAD"} else rate(300, 1200)
    international = rate(600, 4500)
    toll_free = rate(150, 450)
    card = {(_IN, kind): ZERO for kind in CallType}
    card[_IN, CallType.TOLL_FREE] = toll_free
    card[_OUT, CallType.LOCAL] = local
    card[_OUT, CallType.LONG_DISTANCE] = long_distance
    card[_OUT, CallType.MOBILE] = mobile
    card[_OUT, CallType.INTERNATIONAL] = international
    card[_OUT, CallType.TOLL_FREE] = ZERO
    return card


def _when(
    rng: random.Random, start: datetime, latest: datetime, *, north_american: bool
) -> datetime:
    """A whole-second call start in ``[start, latest]``, mostly in local office hours."""
    window = int((latest - start).total_seconds()) + 1
    day = midnight((start + timedelta(seconds=_below(rng, window))).date())
    low, high = (0, 24) if rng.random() < _OFF_HOURS else _OFFICE_HOURS[north_american]
    offset = timedelta(seconds=low * 3600 + _below(rng, (high - low) * 3600))
    return min(max(day + offset, start), latest)


def _far_end(
    rng: random.Random, place: _names.City, direction: CallDirection, kind: CallType
) -> str:
    """The other party's number for a call of ``kind`` on a number homed in ``place``."""
    country = place.country
    match kind:
        case CallType.LOCAL:
            return _names.phone_number(rng, place)
        case CallType.LONG_DISTANCE:
            others = [c for c in _names.CITIES[country] if c.area != place.area]
            return _names.phone_number(rng, others[_below(rng, len(others))])
        case CallType.MOBILE:
            return _names.mobile_number(rng, country)
        case CallType.INTERNATIONAL:
            return _names.foreign_number(rng, country)
        case _ if direction is CallDirection.OUTBOUND:  # dialled a freephone number
            return _names.toll_free_number(rng, country)
        case _:  # anyone in the country calling the subscriber's freephone number
            if rng.random() < 0.4:
                return _names.mobile_number(rng, country)
            return _names.phone_number(rng, _names.city(rng, country))
