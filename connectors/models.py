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
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import date, datetime
    from decimal import Decimal


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


class ServiceStatus(enum.StrEnum):
    """Lifecycle of an installed service."""

    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    DISCONNECTED = "DISCONNECTED"


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


class InvoiceStatus(enum.StrEnum):
    """Bill state; ``OVERDUE`` is derived by carriers that report it."""

    ISSUED = "ISSUED"
    PAYMENT_DUE = "PAYMENT_DUE"
    PAID = "PAID"
    OVERDUE = "OVERDUE"
    DISPUTED = "DISPUTED"
    CREDITED = "CREDITED"


class InvoiceLineKind(enum.StrEnum):
    """What an invoice line charges for."""

    RECURRING = "RECURRING"
    ONE_TIME = "ONE_TIME"
    USAGE = "USAGE"
    TAX = "TAX"
    CREDIT = "CREDIT"
    ADJUSTMENT = "ADJUSTMENT"


class OrderKind(enum.StrEnum):
    """What an order asks the carrier to do."""

    NEW = "NEW"
    CHANGE = "CHANGE"
    MOVE = "MOVE"
    DISCONNECT = "DISCONNECT"


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


class TicketType(enum.StrEnum):
    """Why a ticket was opened."""

    ASSISTANCE = "ASSISTANCE"
    INFORMATION = "INFORMATION"
    INSTALLATION = "INSTALLATION"
    MAINTENANCE = "MAINTENANCE"


class TicketSeverity(enum.StrEnum):
    """How much of the service is affected."""

    MINOR = "MINOR"
    MODERATE = "MODERATE"
    SIGNIFICANT = "SIGNIFICANT"
    EXTENSIVE = "EXTENSIVE"


class TicketPriority(enum.StrEnum):
    """How urgently the carrier works it."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class ObservedImpact(enum.StrEnum):
    """What the customer observes."""

    DEGRADED = "DEGRADED"
    INTERMITTENT = "INTERMITTENT"
    DOWN = "DOWN"


class TicketStatus(enum.StrEnum):
    """MEF Sonata trouble ticket states."""

    ACKNOWLEDGED = "ACKNOWLEDGED"
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"
    REOPENED = "REOPENED"

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


class CallType(enum.StrEnum):
    """How a call was rated."""

    LOCAL = "LOCAL"
    LONG_DISTANCE = "LONG_DISTANCE"
    INTERNATIONAL = "INTERNATIONAL"
    TOLL_FREE = "TOLL_FREE"
    MOBILE = "MOBILE"


class QuoteStatus(enum.StrEnum):
    """TMF648 / MEF Sonata quote states."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    APPROVED = "APPROVED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


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


@dataclass(frozen=True, slots=True)
class Money:
    """A decimal amount in an ISO 4217 currency."""

    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Address:
    """A postal location (service A/Z end or billing address)."""

    street: str
    city: str
    state: str
    postcode: str
    country: str


@dataclass(frozen=True, slots=True)
class Carrier:
    """A supplier whose back office a connector reaches."""

    id: str
    name: str
    protocol: Protocol
    capabilities: frozenset[Resource]


@dataclass(frozen=True, slots=True)
class CarrierAccount:
    """One customer's account at one carrier."""

    carrier: str
    account_number: str
    name: str
    status: AccountStatus
    billing_address: Address
    created_at: datetime
    currency: str


@dataclass(frozen=True, slots=True)
class Service:
    """An installed (or pending) circuit, trunk or line."""

    carrier: str
    account_number: str
    service_id: str
    circuit_id: str | None
    telephone_numbers: tuple[str, ...]
    product: Product
    bandwidth_mbps: int | None
    service_address: Address
    z_address: Address | None
    status: ServiceStatus
    activated_at: datetime | None
    mrc: Money
    nrc: Money
    term_months: int
    contract_end: date | None


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One charge on a bill."""

    kind: InvoiceLineKind
    service_id: str | None
    description: str
    quantity: Decimal
    amount: Money


@dataclass(frozen=True, slots=True)
class Invoice:
    """A carrier bill for one account and one billing period."""

    carrier: str
    account_number: str
    invoice_number: str
    period_start: date
    period_end: date
    issued_at: datetime
    due_at: datetime
    status: InvoiceStatus
    total: Money
    taxes: Money


@dataclass(frozen=True, slots=True)
class Note:
    """A remark on an order or ticket."""

    author: str
    organization: str
    created_at: datetime
    text: str
    visibility: NoteVisibility


@dataclass(frozen=True, slots=True)
class OrderMilestone:
    """A provisioning step: planned date, actual date when it happened."""

    kind: MilestoneKind
    planned_at: datetime | None
    actual_at: datetime | None
    note: str | None = None

    def missed(self, now: datetime) -> bool:
        """Whether the planned date passed without the step happening."""
        return self.actual_at is None and self.planned_at is not None and self.planned_at < now


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One line of an order, with its own state."""

    item_id: str
    action: OrderKind
    product: Product
    status: OrderStatus
    service_id: str | None


@dataclass(frozen=True, slots=True)
class Order:
    """A product order and its provisioning progress."""

    carrier: str
    account_number: str
    order_id: str
    purchase_order_number: str | None
    kind: OrderKind
    status: OrderStatus
    ordered_at: datetime
    requested_date: date | None
    committed_date: date | None
    items: tuple[OrderItem, ...]
    milestones: tuple[OrderMilestone, ...]
    notes: tuple[Note, ...]

    def in_jeopardy(self, now: datetime) -> bool:
        """Whether an open order has a planned milestone that passed without happening."""
        return self.status.is_open and any(m.missed(now) for m in self.milestones)


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
    type: TicketType
    severity: TicketSeverity
    priority: TicketPriority
    observed_impact: ObservedImpact
    status: TicketStatus
    description: str
    opened_at: datetime
    expected_resolution_at: datetime | None
    resolved_at: datetime | None
    sla_target: datetime | None
    status_changes: tuple[StatusChange, ...]
    notes: tuple[Note, ...]

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
    service_id: str
    started_at: datetime
    duration_seconds: int
    from_number: str
    to_number: str
    direction: CallDirection
    call_type: CallType
    charge: Money


@dataclass(frozen=True, slots=True)
class QuoteOption:
    """One priced answer to a quote request (a term, an interval, a price)."""

    term_months: int
    mrc: Money
    nrc: Money
    interval_days: int


@dataclass(frozen=True, slots=True)
class Quote:
    """A carrier's priced answer to a request for a product at an address."""

    carrier: str
    account_number: str
    quote_id: str
    status: QuoteStatus
    product: Product
    bandwidth_mbps: int | None
    service_address: Address
    requested_at: datetime
    valid_until: datetime
    options: tuple[QuoteOption, ...]


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
