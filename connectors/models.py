"""Normalized records: the one language every layer above the connectors speaks.

Every protocol adapter turns its carrier's wire format into these records, and the
sandbox data set is made of them, so "the gateway returned what the carrier holds"
is a plain equality check. Records are frozen, slotted dataclasses: they are built
thousands of times per dashboard, validated once at the wire boundary, and read as
plain attributes by the schema (no per-field resolver).

Money is ``Decimal`` + ISO 4217 currency, never a float; times are timezone-aware
UTC; statuses are enums that each carrier file maps its own codes onto.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

# Runtime imports, not TYPE_CHECKING ones: the cache's typed decoder resolves these
# annotations when it reads records back.
from datetime import date, datetime  # noqa: TC003
from decimal import Decimal  # noqa: TC003
from typing import TypeVar


class Protocol(enum.StrEnum):
    """The wire family a carrier speaks."""

    TMF = "tmf"
    SONATA = "sonata"
    SOAP = "soap"
    CSV = "csv"
    REST = "rest"
    GRAPHQL = "graphql"


class Resource(enum.StrEnum):
    """A kind of record a connector can be asked for; also a declared capability."""

    ACCOUNTS = "accounts"
    SERVICES = "services"
    INVOICES = "invoices"
    INVOICE_LINES = "invoice_lines"
    ORDERS = "orders"
    TICKETS = "tickets"
    USAGE = "usage"
    QUOTES = "quotes"


class PartyKind(enum.StrEnum):
    """Where a party sits in the channel tree."""

    OPERATOR = "operator"
    CARRIER = "carrier"
    MASTER_AGENT = "master_agent"
    AGENT = "agent"
    CUSTOMER = "customer"


class AccountStatus(enum.StrEnum):
    """Billing account state (TMF666 ``state``)."""

    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"
    UNKNOWN = "UNKNOWN"


class ServiceStatus(enum.StrEnum):
    """Lifecycle of an installed service."""

    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    DISCONNECTED = "DISCONNECTED"
    UNKNOWN = "UNKNOWN"


class Product(enum.StrEnum):
    """Product families sold through the channel."""

    DIA = "DIA"
    BROADBAND = "BROADBAND"
    MPLS = "MPLS"
    SD_WAN = "SD_WAN"
    SIP_TRUNK = "SIP_TRUNK"
    PRI = "PRI"
    POTS = "POTS"
    ETHERNET_PRIVATE_LINE = "ETHERNET_PRIVATE_LINE"
    WAVELENGTH = "WAVELENGTH"
    UCAAS = "UCAAS"
    OTHER = "OTHER"


class InvoiceStatus(enum.StrEnum):
    """Bill state; ``OVERDUE`` is derived by carriers that report it."""

    ISSUED = "ISSUED"
    PAYMENT_DUE = "PAYMENT_DUE"
    PAID = "PAID"
    OVERDUE = "OVERDUE"
    DISPUTED = "DISPUTED"
    CREDITED = "CREDITED"
    UNKNOWN = "UNKNOWN"


class InvoiceLineKind(enum.StrEnum):
    """What an invoice line charges for."""

    RECURRING = "RECURRING"
    ONE_TIME = "ONE_TIME"
    USAGE = "USAGE"
    TAX = "TAX"
    CREDIT = "CREDIT"
    ADJUSTMENT = "ADJUSTMENT"
    UNKNOWN = "UNKNOWN"


class OrderKind(enum.StrEnum):
    """What an order asks the carrier to do."""

    NEW = "NEW"
    CHANGE = "CHANGE"
    MOVE = "MOVE"
    DISCONNECT = "DISCONNECT"
    UNKNOWN = "UNKNOWN"


class OrderStatus(enum.StrEnum):
    """MEF Sonata product order states."""

    ACKNOWLEDGED = "ACKNOWLEDGED"
    IN_PROGRESS = "IN_PROGRESS"
    PENDING = "PENDING"
    HELD = "HELD"
    PARTIAL = "PARTIAL"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    PENDING_CANCELLATION = "PENDING_CANCELLATION"
    REJECTED = "REJECTED"
    FAILED = "FAILED"
    UNKNOWN = "UNKNOWN"

    @property
    def is_open(self) -> bool:
        """Whether the order still needs work (not in a final state)."""
        return self not in _FINAL_ORDER_STATES


_FINAL_ORDER_STATES = frozenset(
    {OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.FAILED}
)


class MilestoneKind(enum.StrEnum):
    """Provisioning milestones; carriers name theirs freely and map them here."""

    SUBMITTED = "SUBMITTED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    FOC = "FOC"
    DESIGN_LAYOUT = "DESIGN_LAYOUT"
    LEC_DUE = "LEC_DUE"
    LOOP_ACCEPT = "LOOP_ACCEPT"
    INSTALLED = "INSTALLED"
    TEST_AND_TURN_UP = "TEST_AND_TURN_UP"
    BILLING_START = "BILLING_START"
    COMPLETED = "COMPLETED"
    OTHER = "OTHER"


class TicketType(enum.StrEnum):
    """Why a ticket was opened."""

    ASSISTANCE = "ASSISTANCE"
    INFORMATION = "INFORMATION"
    INSTALLATION = "INSTALLATION"
    MAINTENANCE = "MAINTENANCE"
    UNKNOWN = "UNKNOWN"


class TicketSeverity(enum.StrEnum):
    """How much of the service is affected."""

    MINOR = "MINOR"
    MODERATE = "MODERATE"
    SIGNIFICANT = "SIGNIFICANT"
    EXTENSIVE = "EXTENSIVE"
    UNKNOWN = "UNKNOWN"


class TicketPriority(enum.StrEnum):
    """How urgently the carrier works it."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"
    UNKNOWN = "UNKNOWN"


class ObservedImpact(enum.StrEnum):
    """What the customer observes."""

    DEGRADED = "DEGRADED"
    INTERMITTENT = "INTERMITTENT"
    DOWN = "DOWN"
    UNKNOWN = "UNKNOWN"


class TicketStatus(enum.StrEnum):
    """MEF Sonata trouble ticket states."""

    ACKNOWLEDGED = "ACKNOWLEDGED"
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"
    REOPENED = "REOPENED"
    UNKNOWN = "UNKNOWN"

    @property
    def is_open(self) -> bool:
        """Whether the ticket is still being worked."""
        return self not in _FINAL_TICKET_STATES


_FINAL_TICKET_STATES = frozenset(
    {TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.CANCELLED}
)


class CallDirection(enum.StrEnum):
    """Which way a call went, from the customer's side."""

    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"
    UNKNOWN = "UNKNOWN"


class CallType(enum.StrEnum):
    """How a call was rated."""

    LOCAL = "LOCAL"
    LONG_DISTANCE = "LONG_DISTANCE"
    INTERNATIONAL = "INTERNATIONAL"
    TOLL_FREE = "TOLL_FREE"
    MOBILE = "MOBILE"
    UNKNOWN = "UNKNOWN"


class QuoteStatus(enum.StrEnum):
    """TMF648 / MEF Sonata quote states."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    APPROVED = "APPROVED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"


class NoteVisibility(enum.StrEnum):
    """Who a note is written for."""

    PUBLIC = "PUBLIC"
    INTERNAL = "INTERNAL"


class ContactRole(enum.StrEnum):
    """What a carrier contact does for the account."""

    ACCOUNT_MANAGER = "ACCOUNT_MANAGER"
    PROVISIONING = "PROVISIONING"
    SUPPORT = "SUPPORT"
    BILLING = "BILLING"


FALLBACK_VALUES = frozenset({"UNKNOWN", "OTHER"})
"""Enum values that stand for a carrier code no carrier file maps, never sent by the sandbox."""


_E = TypeVar("_E", bound=enum.Enum)


def known_members(kind: type[_E]) -> tuple[_E, ...]:
    """An enum's real values, without its UNKNOWN/OTHER fallback."""
    return tuple(m for m in kind if m.value not in FALLBACK_VALUES)


@dataclass(frozen=True, slots=True)
class Money:
    """A decimal amount in an ISO 4217 currency."""

    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One value of a record that could not be read: that field is null, the record still arrives.

    ``field`` names the normalized attribute (``total``), ``wire_field`` the carrier's own
    path to the value (``taxIncludedAmount.value``) and ``problem`` what was wrong with it.
    """

    field: str
    wire_field: str
    problem: str


Problems = tuple[FieldProblem, ...]


@dataclass(frozen=True, slots=True)
class Address:
    """A postal location (service A/Z end or billing address); every part may be absent."""

    street: str | None
    city: str | None
    state: str | None
    postcode: str | None
    country: str | None


@dataclass(frozen=True, slots=True)
class Carrier:
    """A supplier whose back office a connector reaches."""

    id: str
    name: str
    protocol: Protocol
    capabilities: frozenset[Resource]


# Records below: the identity (carrier, account number, the record's own id) is required;
# every other value may be absent at the carrier or unreadable, and is then None, with a
# FieldProblem in ``problems`` when it was present but could not be read. Enum values a
# carrier file does not map are UNKNOWN (OTHER for products and milestones), with the
# carrier's own code in the matching ``*_code`` field. Raw codes are the carrier's
# spelling of a value, not part of it: records compare equal without them.


@dataclass(frozen=True, slots=True)
class CarrierAccount:
    """One customer's account at one carrier."""

    carrier: str
    account_number: str
    name: str | None
    status: AccountStatus | None
    billing_address: Address | None
    created_at: datetime | None
    currency: str | None
    status_code: str | None = field(default=None, compare=False)
    problems: Problems = ()


@dataclass(frozen=True, slots=True)
class Service:
    """An installed (or pending) circuit, trunk or line."""

    carrier: str
    account_number: str
    service_id: str
    circuit_id: str | None
    telephone_numbers: tuple[str, ...]
    product: Product | None
    bandwidth_mbps: int | None
    service_address: Address | None
    z_address: Address | None
    status: ServiceStatus | None
    activated_at: datetime | None
    mrc: Money | None
    nrc: Money | None
    term_months: int | None
    contract_end: date | None
    status_code: str | None = field(default=None, compare=False)
    product_code: str | None = field(default=None, compare=False)
    problems: Problems = ()


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One charge on a bill."""

    kind: InvoiceLineKind | None
    service_id: str | None
    description: str | None
    quantity: Decimal | None
    amount: Money | None
    kind_code: str | None = field(default=None, compare=False)
    problems: Problems = ()


@dataclass(frozen=True, slots=True)
class Invoice:
    """A carrier bill for one account and one billing period."""

    carrier: str
    account_number: str
    invoice_number: str
    period_start: date | None
    period_end: date | None
    issued_at: datetime | None
    due_at: datetime | None
    status: InvoiceStatus | None
    total: Money | None
    taxes: Money | None
    status_code: str | None = field(default=None, compare=False)
    problems: Problems = ()


@dataclass(frozen=True, slots=True)
class Note:
    """A remark on an order or ticket."""

    author: str | None
    organization: str
    created_at: datetime | None
    text: str
    visibility: NoteVisibility


@dataclass(frozen=True, slots=True)
class OrderMilestone:
    """A provisioning step: planned date, actual date when it happened."""

    kind: MilestoneKind
    planned_at: datetime | None
    actual_at: datetime | None
    note: str | None = None
    name: str | None = field(default=None, compare=False)

    def missed(self, now: datetime) -> bool:
        """Whether the planned date passed without the step happening."""
        return self.actual_at is None and self.planned_at is not None and self.planned_at < now


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One line of an order, with its own state."""

    item_id: str
    action: OrderKind | None
    product: Product | None
    status: OrderStatus | None
    service_id: str | None
    status_code: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Order:
    """A product order and its provisioning progress."""

    carrier: str
    account_number: str
    order_id: str
    purchase_order_number: str | None
    kind: OrderKind | None
    status: OrderStatus | None
    ordered_at: datetime | None
    requested_date: date | None
    committed_date: date | None
    items: tuple[OrderItem, ...]
    milestones: tuple[OrderMilestone, ...]
    notes: tuple[Note, ...]
    status_code: str | None = field(default=None, compare=False)
    kind_code: str | None = field(default=None, compare=False)
    problems: Problems = ()

    def in_jeopardy(self, now: datetime) -> bool:
        """Whether an open order has a planned milestone that passed without happening."""
        return (self.status is None or self.status.is_open) and any(
            m.missed(now) for m in self.milestones
        )


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A ticket status transition."""

    status: TicketStatus
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class TroubleTicket:
    """A fault or request raised with a carrier."""

    carrier: str
    account_number: str
    ticket_id: str
    service_id: str | None
    type: TicketType | None
    severity: TicketSeverity | None
    priority: TicketPriority | None
    observed_impact: ObservedImpact | None
    status: TicketStatus | None
    description: str | None
    opened_at: datetime | None
    expected_resolution_at: datetime | None
    resolved_at: datetime | None
    sla_target: datetime | None
    status_changes: tuple[StatusChange, ...]
    notes: tuple[Note, ...]
    status_code: str | None = field(default=None, compare=False)
    problems: Problems = ()

    def sla_breached(self, now: datetime) -> bool:
        """Whether the SLA target passed before (or without) resolution; never for cancelled."""
        if self.sla_target is None or self.status is TicketStatus.CANCELLED:
            return False
        end = self.resolved_at or now
        return end > self.sla_target


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One rated call (CDR) on a voice service."""

    carrier: str
    account_number: str
    usage_id: str
    service_id: str | None
    started_at: datetime | None
    duration_seconds: int | None
    from_number: str | None
    to_number: str | None
    direction: CallDirection | None
    call_type: CallType | None
    charge: Money | None
    problems: Problems = ()


@dataclass(frozen=True, slots=True)
class QuoteOption:
    """One priced answer to a quote request (a term, an interval, a price)."""

    term_months: int | None
    mrc: Money | None
    nrc: Money | None
    interval_days: int | None


@dataclass(frozen=True, slots=True)
class Quote:
    """A carrier's priced answer to a request for a product at an address."""

    carrier: str
    account_number: str
    quote_id: str
    status: QuoteStatus | None
    product: Product | None
    bandwidth_mbps: int | None
    service_address: Address | None
    requested_at: datetime | None
    valid_until: datetime | None
    options: tuple[QuoteOption, ...]
    status_code: str | None = field(default=None, compare=False)
    problems: Problems = ()


@dataclass(frozen=True, slots=True)
class Contact:
    """A person on the carrier's account team."""

    name: str
    title: str
    organization: str
    email: str
    phone: str
    role: ContactRole
    reports_to: Contact | None = None


@dataclass(frozen=True, slots=True)
class ChannelParty:
    """A node of the channel tree as the data set (and later the directory) holds it."""

    id: str
    kind: PartyKind
    name: str
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class AccountLink:
    """Which customer party owns which carrier account."""

    customer_id: str
    carrier: str
    account_number: str
