"""Orders and trouble tickets for one sandbox account, timed relative to the anchor.

Open orders straddle the anchor (done milestones behind it, planned ones ahead), and a
share of them has a planned milestone that passed without an actual date, so "in
jeopardy" has real cases. Tickets carry a status history that ends in their status, and
some resolve after (or are still open past) their SLA target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from connectors.models import (
    MilestoneKind,
    Note,
    NoteVisibility,
    ObservedImpact,
    Order,
    OrderItem,
    OrderKind,
    OrderMilestone,
    OrderStatus,
    Product,
    Service,
    ServiceStatus,
    StatusChange,
    TicketPriority,
    TicketSeverity,
    TicketStatus,
    TicketType,
    TroubleTicket,
    known_members,
)
from connectors.sandbox import _names
from connectors.sandbox._rand import at, days, hours, pick, span

if TYPE_CHECKING:
    import random
    from datetime import datetime

M = MilestoneKind
_SECOND = timedelta(seconds=1)

# What the synthetic carriers sell and report: the normalized values, not the
# fallbacks that stand for a real carrier's unmapped codes.
_PRODUCTS = known_members(Product)
_MILESTONES = known_members(MilestoneKind)


@dataclass(frozen=True, slots=True)
class Scope:
    """What order and ticket generation needs to know about one account."""

    carrier_id: str
    carrier_name: str
    account_number: str
    services: tuple[Service, ...]
    customer_name: str
    agent_name: str
    staff: tuple[str, ...]
    now: datetime


_KINDS = (
    (OrderKind.NEW, 50),
    (OrderKind.CHANGE, 25),
    (OrderKind.MOVE, 10),
    (OrderKind.DISCONNECT, 15),
)
_ORDER_STATUSES = (
    (OrderStatus.COMPLETED, 40), (OrderStatus.IN_PROGRESS, 18), (OrderStatus.ACKNOWLEDGED, 7),
    (OrderStatus.PENDING, 6), (OrderStatus.HELD, 5), (OrderStatus.PARTIAL, 4),
    (OrderStatus.PENDING_CANCELLATION, 3), (OrderStatus.CANCELLED, 8), (OrderStatus.REJECTED, 5),
    (OrderStatus.FAILED, 4),
)  # fmt: skip
_LOOP = frozenset(
    {Product.DIA, Product.BROADBAND, Product.MPLS, Product.SD_WAN, Product.PRI,
     Product.ETHERNET_PRIVATE_LINE, Product.WAVELENGTH}
)  # fmt: skip
_STEP = {
    M.SUBMITTED: 0.0, M.ACKNOWLEDGED: 0.03, M.FOC: 0.15, M.DESIGN_LAYOUT: 0.3, M.LEC_DUE: 0.5,
    M.LOOP_ACCEPT: 0.65, M.INSTALLED: 0.8, M.TEST_AND_TURN_UP: 0.88, M.BILLING_START: 0.95,
    M.COMPLETED: 1.0,
}  # fmt: skip
_LIVE = (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED)
_STUCK = (
    "LEC has not confirmed facilities",
    "building access not granted by landlord",
    "fiber lateral needs a permit",
    "customer site not ready",
    "waiting on customer LOA",
)
_CARRIER_ORDER_NOTES = (
    "Order received and validated.",
    "Site survey completed; demarc is in the basement MPOE.",
    "Design complete; equipment shipped to the site.",
    "Circuit tested clean end to end.",
)
_INTERNAL_ORDER_NOTES = (
    "Credit check hold released.",
    "Escalated to the service delivery manager.",
    "Off-net build quoted by the LEC; margin still positive.",
)
_CHANNEL_ORDER_NOTES = (
    "Customer asks for the install after 5pm local time.",
    "Please confirm the demarc location with the site contact.",
    "Any update on the FOC date?",
)
_TICKET_TYPES = (
    (TicketType.MAINTENANCE, 40), (TicketType.ASSISTANCE, 30), (TicketType.INSTALLATION, 15),
    (TicketType.INFORMATION, 15),
)  # fmt: skip
_PRIORITIES = (
    (TicketPriority.LOW, 25), (TicketPriority.MEDIUM, 40), (TicketPriority.HIGH, 25),
    (TicketPriority.CRITICAL, 10),
)  # fmt: skip
_SLA_HOURS = {
    TicketPriority.CRITICAL: 4, TicketPriority.HIGH: 8, TicketPriority.MEDIUM: 24,
    TicketPriority.LOW: 24,
}  # fmt: skip
_SEVERITIES = {
    TicketPriority.LOW: (TicketSeverity.MINOR, TicketSeverity.MODERATE),
    TicketPriority.MEDIUM: (
        TicketSeverity.MINOR,
        TicketSeverity.MODERATE,
        TicketSeverity.SIGNIFICANT,
    ),
    TicketPriority.HIGH: (TicketSeverity.MODERATE, TicketSeverity.SIGNIFICANT),
    TicketPriority.CRITICAL: (TicketSeverity.SIGNIFICANT, TicketSeverity.EXTENSIVE),
}
_IMPACTS = {
    TicketPriority.LOW: (ObservedImpact.DEGRADED, ObservedImpact.INTERMITTENT),
    TicketPriority.MEDIUM: (ObservedImpact.DEGRADED, ObservedImpact.INTERMITTENT),
    TicketPriority.HIGH: (
        ObservedImpact.DEGRADED,
        ObservedImpact.INTERMITTENT,
        ObservedImpact.DOWN,
    ),
    TicketPriority.CRITICAL: (ObservedImpact.DOWN,),
}
_TICKET_STATUSES = (
    (TicketStatus.CLOSED, 35), (TicketStatus.RESOLVED, 22), (TicketStatus.CANCELLED, 5),
    (TicketStatus.ACKNOWLEDGED, 8), (TicketStatus.IN_PROGRESS, 17), (TicketStatus.PENDING, 8),
    (TicketStatus.REOPENED, 5),
)  # fmt: skip
_DESCRIPTIONS = {
    TicketType.MAINTENANCE: (
        "{product} hard down at {city}",
        "Packet loss and high latency on {product} at {city}",
        "Intermittent drops on {product}",
    ),
    TicketType.ASSISTANCE: (
        "Slow throughput on {product} during business hours",
        "One-way audio on inbound calls ({product})",
        "Help needed configuring the BGP session on {product}",
    ),
    TicketType.INSTALLATION: (
        "Technician missed the install window at {city}",
        "{product} delivered but not passing traffic",
    ),
    TicketType.INFORMATION: (
        "Request a copy of the customer service record",
        "Question about charges on the last invoice",
        "Request LOA/CFA for a cross-connect at {city}",
    ),
}
_CARRIER_TICKET_NOTES = (
    "Ticket received; testing from the network side.",
    "Technician dispatched to site.",
    "Loop tested clean to the demarc; please check customer equipment.",
    "Failed line card replaced; monitoring.",
)
_INTERNAL_TICKET_NOTES = (
    "Possible fiber cut in the area; outside plant crew engaged.",
    "Escalated to tier 2 transport.",
    "Customer CPE has a history of issues; check their router first.",
)
_CUSTOMER_TICKET_NOTES = (
    "Site contact available until 5pm local time.",
    "Issue still occurring, please escalate.",
    "Confirmed service restored, thanks.",
)


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A whole-second time strictly inside ``(start, end)`` when there is room."""
    if end - start <= 2 * _SECOND:
        return start + _SECOND
    return start + span(rng, _SECOND, end - start - _SECOND)


def _fraction(length: timedelta, share: float) -> timedelta:
    return timedelta(seconds=int(length.total_seconds() * share))


def _milestone_kinds(kind: OrderKind, product: Product) -> tuple[MilestoneKind, ...]:
    if kind is OrderKind.DISCONNECT:
        return (M.SUBMITTED, M.ACKNOWLEDGED, M.FOC, M.COMPLETED)
    if kind is OrderKind.CHANGE:
        return (
            M.SUBMITTED,
            M.ACKNOWLEDGED,
            M.FOC,
            M.TEST_AND_TURN_UP,
            M.BILLING_START,
            M.COMPLETED,
        )
    if product in _LOOP:
        return _MILESTONES
    return (M.SUBMITTED, M.ACKNOWLEDGED, M.FOC, M.INSTALLED, M.TEST_AND_TURN_UP, M.BILLING_START,
            M.COMPLETED)  # fmt: skip


def _interval_days(kind: OrderKind, product: Product) -> tuple[int, int]:
    if kind is OrderKind.DISCONNECT:
        return 20, 35
    if kind is OrderKind.CHANGE:
        return 7, 25
    if product is Product.WAVELENGTH:
        return 60, 120
    return (35, 75) if product in _LOOP else (10, 30)


def _target(
    rng: random.Random, scope: Scope, kind: OrderKind, status: OrderStatus
) -> Service | None:
    def having(*states: ServiceStatus) -> list[Service]:
        return [s for s in scope.services if s.status in states]

    if kind is OrderKind.NEW:
        pool = having(ServiceStatus.PENDING) if status.is_open else having(*_LIVE)
    elif kind is OrderKind.DISCONNECT and status is OrderStatus.COMPLETED:
        pool = having(ServiceStatus.DISCONNECTED)
    else:
        pool = having(*_LIVE)
    return rng.choice(pool) if pool else None


def _notes(
    rng: random.Random,
    scope: Scope,
    window: tuple[datetime, datetime],
    texts: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
) -> list[Note]:
    """Up to three notes inside ``window``: carrier public/internal, agent or customer public."""
    public, internal, channel = texts
    notes = []
    for _ in range(rng.randint(0, 3)):
        created = _between(rng, *window)
        roll = rng.random()
        if roll < 0.6:
            visibility = NoteVisibility.INTERNAL if roll < 0.25 else NoteVisibility.PUBLIC
            text = rng.choice(internal if roll < 0.25 else public)
            notes.append(
                Note(rng.choice(scope.staff), scope.carrier_name, created, text, visibility)
            )
        else:
            org = scope.agent_name if roll < 0.8 else scope.customer_name
            text = rng.choice(channel)
            notes.append(Note(_names.person(rng), org, created, text, NoteVisibility.PUBLIC))
    return notes


def _order_start(
    rng: random.Random, now: datetime, length: timedelta, status: OrderStatus, *, jeopardy: bool
) -> datetime:
    """When the order was placed, so that its milestones straddle ``now`` as its status implies."""
    if not status.is_open:
        return now - length - span(rng, days(7), days(330))
    if status is OrderStatus.ACKNOWLEDGED:
        low, high = (0.2, 0.4) if jeopardy else (0.04, 0.14)
    else:
        low, high = (0.25, 1.2) if jeopardy else (0.1, 0.9)
    return now - _fraction(length, rng.uniform(low, high))


def _done_count(
    rng: random.Random, status: OrderStatus, total: int, passed: int, *, jeopardy: bool
) -> int:
    """How many milestones (from the first) have happened."""
    match status:
        case OrderStatus.COMPLETED:
            return total
        case OrderStatus.REJECTED:
            return rng.randint(1, 2)
        case OrderStatus.CANCELLED:
            return rng.randint(1, total - 2)
        case OrderStatus.FAILED:
            return rng.randint(2, total - 1)
        case _:
            return (
                rng.randint(max(1, passed - 2), passed - 1) if jeopardy and passed > 1 else passed
            )


def _items(
    rng: random.Random,
    scope: Scope,
    order_id: str,
    kind: OrderKind,
    status: OrderStatus,
    target: Service | None,
    product: Product,
) -> tuple[OrderItem, ...]:
    """One to three items: the first acts on ``target``, the rest on other services or new ones."""
    count = (
        rng.randint(2, 3)
        if status is OrderStatus.PARTIAL
        else pick(rng, ((1, 70), (2, 20), (3, 10)))
    )
    others = [s for s in scope.services if s.status in _LIVE and s is not target]
    items = []
    for index in range(count):
        action, item_product, sid = kind, product, target.service_id if target else None
        if index:
            action = kind if kind in {OrderKind.NEW, OrderKind.DISCONNECT} else OrderKind.CHANGE
            if action is OrderKind.NEW or not others:
                item_product, sid = rng.choice(_PRODUCTS), None
            else:
                other = rng.choice(others)
                item_product, sid = other.product, other.service_id
        item_status = status
        if status is OrderStatus.PARTIAL:
            item_status = OrderStatus.COMPLETED if index == 0 else OrderStatus.IN_PROGRESS
        items.append(
            OrderItem(f"{order_id}-{index + 1:02d}", action, item_product, item_status, sid)
        )
    return tuple(items)


def make_order(
    rng: random.Random, scope: Scope, order_id: str, purchase_order_number: str | None
) -> Order:
    """Return one order on the account in ``scope``.

    Args:
        rng: The carrier's stream.
        scope: The account and its people.
        order_id: The carrier's id for the order (unique per carrier).
        purchase_order_number: The buyer's PO, if any.

    Returns:
        The order, with items, milestones and notes consistent with its status at ``now``.
    """
    now = scope.now
    kind, status = pick(rng, _KINDS), pick(rng, _ORDER_STATUSES)
    target = _target(rng, scope, kind, status)
    product = target.product if target else rng.choice(_PRODUCTS)
    kinds = _milestone_kinds(kind, product)
    length = days(rng.randint(*_interval_days(kind, product)))
    jeopardy = status is OrderStatus.HELD or (status.is_open and rng.random() < 0.35)
    ordered_at = _order_start(rng, now, length, status, jeopardy=jeopardy)

    planned = [ordered_at]
    for kind_ in kinds[1:]:
        when = at(rng, (ordered_at + _fraction(length, _STEP[kind_])).date(), 13, 23)
        planned.append(max(when, planned[-1] + hours(1)))
    passed = sum(1 for when in planned if when < now)
    done = _done_count(rng, status, len(kinds), passed, jeopardy=jeopardy)
    jeopardy = status.is_open and done < passed

    milestones, last = [OrderMilestone(M.SUBMITTED, ordered_at, ordered_at)], ordered_at
    for index in range(1, len(kinds)):
        plan: datetime | None = planned[index]
        actual, note = None, None
        if index < done:
            guess = planned[index] + span(rng, -hours(12), hours(30))
            guess = min(max(guess, last + timedelta(minutes=5)), now - timedelta(minutes=1))
            actual = last = max(guess, last + _SECOND)  # in order, and never after now
        elif not status.is_open:
            plan = None  # a closed order no longer plans the steps it never reached
        elif jeopardy and index == done:
            note = rng.choice(_STUCK)
        milestones.append(OrderMilestone(kinds[index], plan, actual, note))

    foc_done = done > kinds.index(M.FOC)
    committed = planned[-1].date() if foc_done else None
    requested = (ordered_at + length + span(rng, -days(3), days(14))).date()

    items = _items(rng, scope, order_id, kind, status, target, product)
    texts = (_CARRIER_ORDER_NOTES, _INTERNAL_ORDER_NOTES, _CHANNEL_ORDER_NOTES)
    notes = _notes(rng, scope, (ordered_at, now if status.is_open else last), texts)
    if jeopardy:
        stuck = milestones[done]
        when = _between(rng, planned[done], now)
        text = f"{stuck.kind} date missed: {stuck.note}. New date to follow."
        notes.append(
            Note(rng.choice(scope.staff), scope.carrier_name, when, text, NoteVisibility.PUBLIC)
        )
    return Order(
        carrier=scope.carrier_id,
        account_number=scope.account_number,
        order_id=order_id,
        purchase_order_number=purchase_order_number,
        kind=kind,
        status=status,
        ordered_at=ordered_at,
        requested_date=requested,
        committed_date=committed,
        items=items,
        milestones=tuple(milestones),
        notes=tuple(sorted(notes, key=lambda n: n.created_at)),
    )


def _history(
    rng: random.Random,
    status: TicketStatus,
    opened: datetime,
    resolved: datetime | None,
    now: datetime,
) -> list[StatusChange]:
    """Status transitions from acknowledgement to ``status``, all between ``opened`` and ``now``."""
    first_end = resolved or min(opened + days(2), now)
    ack = opened + span(
        rng, timedelta(minutes=1), min(timedelta(minutes=45), (first_end - opened) / 4)
    )
    changes = [StatusChange(TicketStatus.ACKNOWLEDGED, ack)]
    if status is TicketStatus.ACKNOWLEDGED:
        return changes
    if status is TicketStatus.CANCELLED:
        changes.append(StatusChange(status, _between(rng, ack, first_end)))
        return changes
    working = _between(rng, ack, first_end)
    changes.append(StatusChange(TicketStatus.IN_PROGRESS, working))
    if status is TicketStatus.PENDING:
        changes.append(StatusChange(status, _between(rng, working, now)))
    if resolved is not None:
        changes.append(StatusChange(TicketStatus.RESOLVED, resolved))
        if status is TicketStatus.CLOSED:
            changes.append(StatusChange(status, resolved + span(rng, hours(1), hours(72))))
        elif status is TicketStatus.REOPENED:
            changes.append(StatusChange(status, _between(rng, resolved, now)))
    return changes


def make_ticket(rng: random.Random, scope: Scope, ticket_id: str) -> TroubleTicket:
    """Return one trouble ticket on the account in ``scope``.

    Args:
        rng: The carrier's stream.
        scope: The account and its people.
        ticket_id: The carrier's id for the ticket (unique per carrier).

    Returns:
        The ticket, with a status history that ends in its status at ``now``.
    """
    now = scope.now
    kind, priority, status = (
        pick(rng, _TICKET_TYPES),
        pick(rng, _PRIORITIES),
        pick(rng, _TICKET_STATUSES),
    )
    pending = [s for s in scope.services if s.status is ServiceStatus.PENDING]
    live = [s for s in scope.services if s.status is not ServiceStatus.PENDING]
    pool = pending if kind is TicketType.INSTALLATION and pending else live
    service = None if kind is TicketType.INFORMATION and rng.random() < 0.4 else rng.choice(pool)
    sla = hours(_SLA_HOURS[priority])

    if status is TicketStatus.REOPENED:
        opened = now - span(rng, days(6), days(20))
    elif status.is_open and rng.random() < 0.5:
        opened = now - _fraction(sla, rng.uniform(0.1, 0.9))  # still inside its SLA
    elif status.is_open:
        opened = now - span(rng, sla, days(5))
    else:
        opened = at(rng, (now - days(rng.randint(8, 360))).date(), 0, 23)
    resolved = None
    if status in {TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.REOPENED}:
        share = rng.uniform(1.1, 4.0) if rng.random() < 0.25 else rng.uniform(0.15, 0.95)
        resolved = opened + _fraction(sla, share)
    changes = _history(rng, status, opened, resolved, now)

    sla_target = None if status is TicketStatus.CANCELLED else opened + sla
    expected = sla_target
    if sla_target is not None and status.is_open and sla_target < now:
        expected = now + span(rng, hours(2), hours(24))  # the carrier's new estimate
    end = changes[-1].changed_at if not status.is_open else now
    texts = (_CARRIER_TICKET_NOTES, _INTERNAL_TICKET_NOTES, _CUSTOMER_TICKET_NOTES)
    notes = _notes(rng, scope, (opened, end), texts)
    product = service.product if service else Product.DIA
    city = service.service_address.city if service else "the main site"
    description = rng.choice(_DESCRIPTIONS[kind]).format(
        product=_names.PRODUCT_LABELS[product], city=city
    )
    return TroubleTicket(
        carrier=scope.carrier_id,
        account_number=scope.account_number,
        ticket_id=ticket_id,
        service_id=service.service_id if service else None,
        type=kind,
        severity=rng.choice(_SEVERITIES[priority]),
        priority=priority,
        observed_impact=rng.choice(_IMPACTS[priority]),
        status=status,
        description=description,
        opened_at=opened,
        expected_resolution_at=expected,
        resolved_at=None if status is TicketStatus.REOPENED else resolved,
        sla_target=sla_target,
        status_changes=tuple(changes),
        notes=tuple(sorted(notes, key=lambda n: n.created_at)),
    )
