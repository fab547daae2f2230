"""Pricing views: each tier's buy and sell price, never the margins above it.

Every service has a **price chain**. The carrier charges the channel its *wholesale*
price (``Service.mrc``, and ``Service.nrc`` for the one-time charge); then each seller
on the owning customer's path, from the top of the channel (the master agent) down to
the customer's direct agent, applies its one winning markup rule to what it buys and
sells the result to its child. The last seller's sell price is the customer's *price*.

Rule selection (per seller, per service, per pricing day):

1. Only the seller's own rules that are effective on the day count
   (``effective_from <= day <= effective_to``; a missing end is open).
2. A fixed rule whose currency is not the service's currency is skipped (never
   converted): the next most specific rule applies instead.
3. The most specific scope wins: ``service`` (the service id or the circuit id) >
   ``telephone_number`` (any of the service's TNs, compared by digits only) >
   ``customer`` (the owning customer) > ``product`` > ``carrier`` > ``all``.
4. Ties within one scope: the latest ``effective_from`` wins (an open start is the
   oldest), then the highest rule id (string order).
5. No rule: the seller resells at cost.

Arithmetic (all ``Decimal``, explicit context, never ``float``):

* ``percent``: ``sell = buy * (100 + value) / 100``; ``value`` is in percent points.
* ``fixed``: ``sell = buy + value`` per month, in the rule's currency. Fixed rules are
  monthly, so they apply to the MRC only: on the NRC (and on usage) a winning fixed
  rule means that seller resells at cost.
* Rounding: the wholesale price is rounded to the currency's minor unit (the cent for
  USD, EUR, GBP...) when it enters the chain, and every tier's sell price is rounded
  again right after its rule is applied, so each percent markup applies to the
  already-rounded buy price. Rounding is ``ROUND_HALF_UP`` (half away from zero, so
  ``0.005`` becomes ``0.01`` and ``-0.005`` becomes ``-0.01``). Intermediate results
  carry 34 significant digits; only the re-rating ratios below can be inexact there.

Visibility (:meth:`PricingView.service_prices`; a field the principal may not see is
``None``, the same for the MRC and the NRC):

============================ ========= ============ ============ ========== =========
principal                    wholesale buy          sell         price      tiers
============================ ========= ============ ============ ========== =========
operator admin / finance     yes       wholesale    price        yes        every tier
operator support             no        no           no           no         no
carrier (the service's)      yes       no           no           no         no
master agent on the chain    yes       own          own          yes        no
agent on the chain           no        own          own          yes        no
the owning customer          no        no           no           yes        no
anyone else (off the chain)  no        no           no           no         no
============================ ========= ============ ============ ========== =========

"Own" buy is what the seller's parent charges it (the wholesale price for the top
seller), "own" sell is what it charges its child. The customer's price sits below
every seller on the chain, so sellers may see it; nobody but operators, the carrier
and master agents sees the wholesale price, and no seller sees another seller's
margin. An operator, outside the chain, sees the channel end to end: buy is the
wholesale price, sell the customer's price, and ``tiers`` every seller's step.

Private-label invoices (:meth:`PricingView.rerate_invoice`): a customer whose nearest
branded ancestor bills private-label is billed by that reseller, so the carrier's
invoice is re-rated line by line:

* ``RECURRING`` / ``ONE_TIME`` for a known service: ``amount * price / wholesale`` with
  the service's MRC (resp. NRC) chain, rounded (a line equal to the wholesale price
  becomes exactly the customer's price; prorated lines scale alike).
* ``USAGE`` (and ``RECURRING`` / ``ONE_TIME`` of an unknown service): marked up tier by
  tier with each seller's winning rule if it is a percent rule (rounded per tier);
  fixed rules apply to recurring charges only. Without a known service, only the
  ``customer``, ``carrier`` and ``all`` scopes can match.
* ``CREDIT`` / ``ADJUSTMENT``: scaled by the MRC ratio of the service they reference;
  unchanged when they reference none (or an unknown one).
* ``TAX``: each tax line is scaled by ``new subtotal / old subtotal`` (the effective
  tax rate is kept), rounded; unchanged when the old subtotal is not positive, and a
  negative new subtotal is taxed as zero. The subtotal is every non-tax line.
* ``taxes`` is the sum of the new tax lines and ``total`` the sum of all new lines,
  so both are consistent to the cent. An invoice with no tax lines scales
  ``invoice.taxes`` the same way and adds it to the total; an invoice with no lines
  at all re-rates ``total - taxes`` as one account-level usage-like line.
* Lines in another currency than the invoice's are left as they are and not summed.
* A zero wholesale price leaves the lines that would be scaled by it unchanged.

The module is past the ~500-line guide, about a third of it the rules written out;
the invoice re-rating (:func:`rerate_invoice` and its helpers) is the piece to move
out first if it grows.

Example:
    >>> book = RuleBook(rules)
    >>> view = PricingView(principal, snapshot, book)
    >>> prices = view.service_prices(service, customer_id="cust-1", on=date.today())
    >>> prices.price, prices.buy, prices.sell
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from connectors.models import InvoiceLine, InvoiceLineKind, Money, PartyKind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from auth.directory import DirectorySnapshot
    from auth.principal import Principal
    from connectors.models import Invoice, Service

__all__ = [
    "NO_PRICES",
    "SPECIFICITY",
    "ChargePrices",
    "MarkupKind",
    "MarkupRule",
    "PriceChain",
    "PricingView",
    "RuleBook",
    "Scope",
    "ServicePrices",
    "Target",
    "TierPrice",
    "minor_unit",
    "normalize_tn",
    "price_chain",
    "rerate_invoice",
    "round_money",
    "sellers_of",
]


class Scope(enum.StrEnum):
    """What a markup rule applies to (its ``scope_value`` names which one)."""

    ALL = "all"
    CARRIER = "carrier"
    PRODUCT = "product"
    CUSTOMER = "customer"
    SERVICE = "service"
    TELEPHONE_NUMBER = "telephone_number"


SPECIFICITY: Final[tuple[Scope, ...]] = (
    Scope.SERVICE,
    Scope.TELEPHONE_NUMBER,
    Scope.CUSTOMER,
    Scope.PRODUCT,
    Scope.CARRIER,
    Scope.ALL,
)
"""Scopes from the most specific to the least: the first that matches wins."""


class MarkupKind(enum.StrEnum):
    """How a rule marks up: by a percentage or by a fixed monthly amount."""

    PERCENT = "percent"
    FIXED = "fixed"


_CTX: Final = Context(prec=34, rounding=ROUND_HALF_UP)
_HUNDRED: Final = Decimal(100)
_ZERO: Final = Decimal(0)
_NON_DIGITS: Final = re.compile(r"\D")
# ISO 4217 minor units where they are not 2 (the common ones; anything else: cents).
_MINOR_UNITS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "BHD": 3,
        "BIF": 0,
        "CLP": 0,
        "IQD": 3,
        "ISK": 0,
        "JOD": 3,
        "JPY": 0,
        "KRW": 0,
        "KWD": 3,
        "LYD": 3,
        "OMR": 3,
        "PYG": 0,
        "TND": 3,
        "UGX": 0,
        "VND": 0,
        "XAF": 0,
        "XOF": 0,
    }
)
_QUANTA: dict[str, Decimal] = {}


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of a currency (``Decimal('0.01')`` for USD, ``1`` for JPY)."""
    quantum = _QUANTA.get(currency)
    if quantum is None:
        quantum = Decimal(1).scaleb(-_MINOR_UNITS.get(currency, 2))
        _QUANTA[currency] = quantum
    return quantum


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half away from zero (``ROUND_HALF_UP``)."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP, context=_CTX)


@functools.lru_cache(maxsize=65536)
def normalize_tn(number: str) -> str:
    """A telephone number's digits, so ``+1 (555) 010-0199`` matches ``15550100199``."""
    return _NON_DIGITS.sub("", number) or number


@dataclass(frozen=True, slots=True)
class MarkupRule:
    """One seller's markup on what it sells to its children, scoped and dated.

    Attributes:
        id: Stable rule id (ties are broken by the highest id).
        seller_id: The party applying the markup.
        scope: What the rule applies to.
        scope_value: Which one (a carrier id, a :class:`~connectors.models.Product`
            value, a customer id, a service or circuit id, a telephone number);
            ``None`` for :attr:`Scope.ALL`.
        kind: Percent or fixed.
        value: Percent points (``Decimal('12.5')`` is 12.5 %) or a monthly amount.
        currency: The currency of a fixed amount; ``None`` for percent rules.
        effective_from: First day the rule applies (``None``: always has).
        effective_to: Last day the rule applies, inclusive (``None``: open).

    Example:
        >>> MarkupRule("r1", "ma-1", Scope.PRODUCT, "DIA", MarkupKind.PERCENT, Decimal(8))
    """

    id: str
    seller_id: str
    scope: Scope
    scope_value: str | None
    kind: MarkupKind
    value: Decimal
    currency: str | None = None
    effective_from: date | None = None
    effective_to: date | None = None

    def __post_init__(self) -> None:
        if (self.scope is Scope.ALL) != (self.scope_value is None):
            raise ValueError(f"rule {self.id!r}: scope_value is required unless scope is 'all'")
        if self.kind is MarkupKind.FIXED and self.currency is None:
            raise ValueError(f"rule {self.id!r}: a fixed rule needs a currency")

    def effective_on(self, day: date) -> bool:
        """Whether the rule applies on this day (both ends inclusive, open ends allowed)."""
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )

    def applies_to(self, currency: str) -> bool:
        """Whether the rule can price an amount in this currency (fixed rules: same only)."""
        return self.kind is MarkupKind.PERCENT or self.currency == currency


def _priority(rule: MarkupRule) -> tuple[date, str]:
    return (rule.effective_from or date.min, rule.id)


@dataclass(frozen=True, slots=True)
class Target:
    """What is being priced: per scope, most specific first, the values a rule can name.

    Build it once per service (:meth:`for_service`) or per account-level charge
    (:meth:`for_account`) and reuse it for every seller of the chain.
    """

    levels: tuple[tuple[Scope, tuple[str | None, ...]], ...]

    @classmethod
    def for_service(cls, service: Service, customer_id: str) -> Target:
        """The keys of a service owned by ``customer_id``."""
        circuit = service.circuit_id
        ids = (service.service_id,) if not circuit else (service.service_id, circuit)
        levels: list[tuple[Scope, tuple[str | None, ...]]] = [(Scope.SERVICE, ids)]
        if service.telephone_numbers:
            tns = tuple(normalize_tn(tn) for tn in service.telephone_numbers)
            levels.append((Scope.TELEPHONE_NUMBER, tns))
        levels += [
            (Scope.CUSTOMER, (customer_id,)),
            (Scope.PRODUCT, (None if service.product is None else service.product.value,)),
            (Scope.CARRIER, (service.carrier,)),
            (Scope.ALL, (None,)),
        ]
        return cls(tuple(levels))

    @classmethod
    def for_account(cls, carrier: str, customer_id: str) -> Target:
        """The keys of a charge tied to no known service (customer, carrier, all)."""
        return cls(
            (
                (Scope.CUSTOMER, (customer_id,)),
                (Scope.CARRIER, (carrier,)),
                (Scope.ALL, (None,)),
            )
        )


if TYPE_CHECKING:
    _Index = Mapping[Scope, Mapping[str | None, tuple[MarkupRule, ...]]]


class RuleBook:
    """Markup rules indexed for the hot path: seller -> scope -> value -> rules, best first.

    Build it once per rule set (it is immutable and shared by every request); a lookup
    is a handful of dict hits per seller, and a seller without rules costs one.

    Example:
        >>> book = RuleBook(rules)
        >>> book.select("ma-1", Target.for_service(service, "cust-1"), date.today(), "USD")
    """

    __slots__ = ("_factors", "_index", "rules")

    def __init__(self, rules: Iterable[MarkupRule] = ()) -> None:
        """Index rules.

        Args:
            rules: The rules of every seller.

        Raises:
            ValueError: If two rules share an id.
        """
        by_id: dict[str, MarkupRule] = {}
        index: dict[str, dict[Scope, dict[str | None, list[MarkupRule]]]] = {}
        for rule in rules:
            if by_id.setdefault(rule.id, rule) is not rule:
                raise ValueError(f"duplicate markup rule id {rule.id!r}")
            value = rule.scope_value
            if rule.scope is Scope.TELEPHONE_NUMBER and value is not None:
                value = normalize_tn(value)
            by_scope = index.setdefault(rule.seller_id, {}).setdefault(rule.scope, {})
            by_scope.setdefault(value, []).append(rule)
        self.rules: tuple[MarkupRule, ...] = tuple(by_id[k] for k in sorted(by_id))
        self._index: Mapping[str, _Index] = MappingProxyType(
            {
                seller: MappingProxyType(
                    {
                        scope: MappingProxyType(
                            {
                                value: tuple(sorted(found, key=_priority, reverse=True))
                                for value, found in by_value.items()
                            }
                        )
                        for scope, by_value in by_scope.items()
                    }
                )
                for seller, by_scope in index.items()
            }
        )
        # (100 + value) / 100 is exact for Numeric(14, 4) values: one multiply per tier.
        self._factors: Mapping[str, Decimal] = MappingProxyType(
            {
                r.id: _CTX.divide(_CTX.add(_HUNDRED, r.value), _HUNDRED)
                for r in self.rules
                if r.kind is MarkupKind.PERCENT
            }
        )

    def rules_of(self, seller_id: str) -> tuple[MarkupRule, ...]:
        """One seller's rules, by id."""
        return tuple(r for r in self.rules if r.seller_id == seller_id)

    def has_rules(self, seller_id: str) -> bool:
        """Whether the seller has any rule at all (else it always resells at cost)."""
        return seller_id in self._index

    def select(self, seller_id: str, target: Target, on: date, currency: str) -> MarkupRule | None:
        """The winning rule of one seller for a target on a day (``None``: resell at cost).

        Args:
            seller_id: The seller.
            target: What is priced.
            on: The pricing day.
            currency: The currency of the amount priced (fixed rules must match it).

        Returns:
            The most specific effective, applicable rule; ties as the module says.
        """
        by_scope = self._index.get(seller_id)
        if by_scope is None:
            return None
        for scope, values in target.levels:
            by_value = by_scope.get(scope)
            if by_value is None:
                continue
            best: MarkupRule | None = None
            for value in values:
                for rule in by_value.get(value, ()):
                    if rule.effective_on(on) and rule.applies_to(currency):
                        if best is None or _priority(rule) > _priority(best):
                            best = rule
                        break  # best first: the rest of this value cannot beat it
            if best is not None:
                return best
        return None

    def apply(
        self, rule: MarkupRule | None, amount: Decimal, quantum: Decimal, *, monthly: bool
    ) -> Decimal:
        """One tier's step on an already-rounded amount: apply the rule, then round.

        Args:
            rule: The seller's winning rule (``None``: at cost).
            amount: The buy price, already rounded to ``quantum``.
            quantum: The currency's minor unit.
            monthly: Whether the charge is monthly (fixed rules apply only then).

        Returns:
            The sell price, rounded half up to ``quantum``.
        """
        if rule is None:
            return amount
        factor = self._factors.get(rule.id)
        if factor is not None:
            amount = _CTX.multiply(amount, factor)
        elif monthly:
            amount = _CTX.add(amount, rule.value)
        else:
            return amount
        return amount.quantize(quantum, rounding=ROUND_HALF_UP, context=_CTX)


@dataclass(frozen=True, slots=True)
class TierPrice:
    """One seller's step of a price chain (operators' view only).

    Attributes:
        seller_id: The seller.
        rule: Its winning rule (``None``: resold at cost).
        buy: What its parent charges it, monthly.
        sell: What it charges its child, monthly.
        nrc_buy: The same for the one-time charge.
        nrc_sell: The same for the one-time charge.
    """

    seller_id: str
    rule: MarkupRule | None
    buy: Money
    sell: Money
    nrc_buy: Money
    nrc_sell: Money


@dataclass(frozen=True, slots=True)
class PriceChain:
    """A service's whole price chain, unsliced: never hand it to a client as is.

    Attributes:
        customer_id: The owning customer.
        wholesale: The carrier's monthly price, rounded to the minor unit.
        nrc_wholesale: The carrier's one-time price, rounded to the minor unit.
        tiers: Each seller's step, from the top of the channel down.
    """

    customer_id: str
    wholesale: Money
    nrc_wholesale: Money
    tiers: tuple[TierPrice, ...]

    @property
    def price(self) -> Money:
        """The customer's monthly price (the last seller's sell price)."""
        return self.tiers[-1].sell if self.tiers else self.wholesale

    @property
    def nrc_price(self) -> Money:
        """The customer's one-time price."""
        return self.tiers[-1].nrc_sell if self.tiers else self.nrc_wholesale


def sellers_of(snapshot: DirectorySnapshot, customer_id: str) -> tuple[str, ...]:
    """A customer's sellers, from the top of the channel down to its direct agent.

    Only master agents and agents sell; other ancestors (bad data) are skipped.
    """
    sellers = [
        party_id
        for party_id in snapshot.chain(customer_id)
        if (party := snapshot.parties.get(party_id)) is not None
        and party.kind in (PartyKind.MASTER_AGENT, PartyKind.AGENT)
    ]
    sellers.reverse()
    return tuple(sellers)


_Step = tuple[str, MarkupRule | None, Decimal, Decimal, Decimal, Decimal]


def _walk(
    book: RuleBook, sellers: Sequence[str], service: Service, customer_id: str, on: date
) -> tuple[Decimal, Decimal, list[_Step]]:
    """The chain as plain decimals: wholesale, NRC wholesale, then each seller's step."""
    mrc, nrc = charges(service)
    currency = mrc.currency
    quantum, nrc_quantum = minor_unit(currency), minor_unit(nrc.currency)
    buy = mrc.amount.quantize(quantum, rounding=ROUND_HALF_UP, context=_CTX)
    nrc_buy = nrc.amount.quantize(nrc_quantum, rounding=ROUND_HALF_UP, context=_CTX)
    wholesale, nrc_wholesale = buy, nrc_buy
    steps: list[_Step] = []
    target: Target | None = None
    for seller in sellers:
        rule = None
        if book.has_rules(seller):
            if target is None:
                target = Target.for_service(service, customer_id)
            rule = book.select(seller, target, on, currency)
        sell = book.apply(rule, buy, quantum, monthly=True)
        nrc_sell = book.apply(rule, nrc_buy, nrc_quantum, monthly=False)
        steps.append((seller, rule, buy, sell, nrc_buy, nrc_sell))
        buy, nrc_buy = sell, nrc_sell
    return wholesale, nrc_wholesale, steps


def price_chain(
    book: RuleBook, sellers: Sequence[str], service: Service, customer_id: str, on: date
) -> PriceChain:
    """Price one service down its seller chain (see the module docstring for the rules).

    Args:
        book: The markup rules.
        sellers: The customer's sellers, top first (:func:`sellers_of`).
        service: The service (its ``mrc`` and ``nrc`` are the wholesale prices).
        customer_id: The owning customer.
        on: The pricing day.

    Returns:
        The chain with every tier's buy and sell price.
    """
    mrc, nrc = charges(service)
    currency, nrc_currency = mrc.currency, nrc.currency
    wholesale, nrc_wholesale, steps = _walk(book, sellers, service, customer_id, on)
    tiers = tuple(
        TierPrice(
            seller,
            rule,
            Money(buy, currency),
            Money(sell, currency),
            Money(nrc_buy, nrc_currency),
            Money(nrc_sell, nrc_currency),
        )
        for seller, rule, buy, sell, nrc_buy, nrc_sell in steps
    )
    return PriceChain(
        customer_id, Money(wholesale, currency), Money(nrc_wholesale, nrc_currency), tiers
    )


@dataclass(frozen=True, slots=True)
class ChargePrices:
    """One charge (MRC or NRC) as one principal may see it; hidden fields are ``None``.

    Attributes:
        wholesale: The carrier's price to the channel.
        buy: What the principal pays for it (its parent's sell price).
        sell: What the principal charges its child.
        price: What the customer pays.
    """

    wholesale: Money | None = None
    buy: Money | None = None
    sell: Money | None = None
    price: Money | None = None


_HIDDEN: Final = ChargePrices()


@dataclass(frozen=True, slots=True)
class ServicePrices:
    """A service's prices as one principal may see them (the module's visibility table).

    Attributes:
        mrc: The monthly charge.
        nrc: The one-time charge.
        tiers: Every seller's step (operators with money access only; else ``()``).
    """

    mrc: ChargePrices = _HIDDEN
    nrc: ChargePrices = _HIDDEN
    tiers: tuple[TierPrice, ...] = ()

    @property
    def wholesale(self) -> Money | None:
        """The monthly wholesale price, if visible."""
        return self.mrc.wholesale

    @property
    def buy(self) -> Money | None:
        """The principal's monthly buy price, if it has one."""
        return self.mrc.buy

    @property
    def sell(self) -> Money | None:
        """The principal's monthly sell price, if it has one."""
        return self.mrc.sell

    @property
    def price(self) -> Money | None:
        """The customer's monthly price, if visible."""
        return self.mrc.price


NO_PRICES: Final = ServicePrices()
"""What a principal that may see no price of a service gets."""


class _Audience(enum.Enum):
    NONE = enum.auto()
    FULL = enum.auto()
    CARRIER = enum.auto()
    SELLER = enum.auto()
    CUSTOMER = enum.auto()


_MONEY_OPERATOR_ROLES: Final = frozenset({"admin", "finance"})


def _audience(principal: Principal) -> _Audience:
    match principal.kind:
        case PartyKind.OPERATOR:
            full = principal.role in _MONEY_OPERATOR_ROLES
            return _Audience.FULL if full else _Audience.NONE
        case PartyKind.CARRIER:
            return _Audience.CARRIER
        case PartyKind.MASTER_AGENT | PartyKind.AGENT:
            return _Audience.SELLER
        case PartyKind.CUSTOMER:
            return _Audience.CUSTOMER


class PricingView:
    """The prices one principal may see; build one per request and reuse it.

    Construction is cheap (it stores references); each customer's seller chain and
    the principal's place in it are worked out once, on first use, so pricing a
    service costs a few dict lookups per seller and a few ``Decimal`` operations.

    Example:
        >>> view = PricingView(principal, snapshot, book, private_label={"agent-1": True})
        >>> view.service_prices(service, "cust-1", date(2026, 1, 1)).sell
    """

    __slots__ = (
        "_audience",
        "_book",
        "_labels",
        "_positions",
        "_private",
        "_sellers",
        "_snap",
        "principal",
    )

    def __init__(
        self,
        principal: Principal,
        snapshot: DirectorySnapshot,
        book: RuleBook,
        private_label: Mapping[str, bool] | None = None,
    ) -> None:
        """Bind a principal to the tree and the rules.

        Args:
            principal: Who is asking.
            snapshot: The channel tree (the request's snapshot).
            book: The markup rules.
            private_label: For each branded reseller, whether it bills its customers
                itself (``Brand.private_label_billing``); ``None`` for none.
        """
        self.principal = principal
        self._snap = snapshot
        self._book = book
        self._private: Mapping[str, bool] = private_label or {}
        self._audience = _audience(principal)
        self._sellers: dict[str, tuple[str, ...]] = {}
        self._positions: dict[str, int | None] = {}
        self._labels: dict[str, bool] = {}

    def sellers(self, customer_id: str) -> tuple[str, ...]:
        """The customer's sellers, top of the channel first (cached)."""
        sellers = self._sellers.get(customer_id)
        if sellers is None:
            sellers = self._sellers[customer_id] = sellers_of(self._snap, customer_id)
        return sellers

    def _position(self, customer_id: str) -> int | None:
        if customer_id in self._positions:
            return self._positions[customer_id]
        sellers = self.sellers(customer_id)
        party = self.principal.party_id
        position = sellers.index(party) if party in sellers else None
        self._positions[customer_id] = position
        return position

    def _partly_priced(self, service: Service, customer_id: str, on: date) -> ServicePrices:
        """Prices of a service whose carrier charge (recurring or one-time) could not be read.

        The readable charge is priced as usual; the unreadable one has no price at any tier.
        """
        known = service.mrc or service.nrc
        if known is None:
            return NO_PRICES
        filler = Money(_ZERO, known.currency)
        full = self.service_prices(
            dataclasses.replace(service, mrc=service.mrc or filler, nrc=service.nrc or filler),
            customer_id,
            on,
        )
        return ServicePrices(
            full.mrc if service.mrc is not None else ChargePrices(),
            full.nrc if service.nrc is not None else ChargePrices(),
        )

    def service_prices(self, service: Service, customer_id: str, on: date) -> ServicePrices:
        """The service's prices as this principal may see them.

        Args:
            service: The service (``mrc`` and ``nrc`` are the carrier's prices).
            customer_id: The customer owning the service's account.
            on: The pricing day (rules effective that day apply).

        Returns:
            The visible prices; see the module's visibility table.
        """
        audience = self._audience
        if audience is _Audience.NONE:
            return NO_PRICES
        if service.mrc is None or service.nrc is None:
            return self._partly_priced(service, customer_id, on)
        if audience is _Audience.CARRIER:
            if service.carrier != self.principal.party_id:
                return NO_PRICES
            mrc, nrc = service.mrc, service.nrc
            return ServicePrices(
                ChargePrices(wholesale=Money(round_money(mrc.amount, mrc.currency), mrc.currency)),
                ChargePrices(wholesale=Money(round_money(nrc.amount, nrc.currency), nrc.currency)),
            )
        if audience is _Audience.FULL:
            chain = price_chain(self._book, self.sellers(customer_id), service, customer_id, on)
            return ServicePrices(
                ChargePrices(chain.wholesale, chain.wholesale, chain.price, chain.price),
                ChargePrices(
                    chain.nrc_wholesale, chain.nrc_wholesale, chain.nrc_price, chain.nrc_price
                ),
                chain.tiers,
            )
        position: int | None = None
        if audience is _Audience.CUSTOMER:
            if customer_id != self.principal.party_id:
                return NO_PRICES
        else:  # a seller: only on its own chains
            position = self._position(customer_id)
            if position is None:
                return NO_PRICES
        sellers = self.sellers(customer_id)
        wholesale, nrc_wholesale, steps = _walk(self._book, sellers, service, customer_id, on)
        mrc, nrc = charges(service)
        currency, nrc_currency = mrc.currency, nrc.currency
        price = Money(steps[-1][3] if steps else wholesale, currency)
        nrc_price = Money(steps[-1][5] if steps else nrc_wholesale, nrc_currency)
        if position is None:
            return ServicePrices(ChargePrices(price=price), ChargePrices(price=nrc_price))
        _, _, buy, sell, nrc_buy, nrc_sell = steps[position]
        master = self.principal.kind is PartyKind.MASTER_AGENT
        return ServicePrices(
            ChargePrices(
                Money(wholesale, currency) if master else None,
                Money(buy, currency),
                Money(sell, currency),
                price,
            ),
            ChargePrices(
                Money(nrc_wholesale, nrc_currency) if master else None,
                Money(nrc_buy, nrc_currency),
                Money(nrc_sell, nrc_currency),
                nrc_price,
            ),
        )

    def bills_private_label(self, customer_id: str) -> bool:
        """Whether the customer's nearest branded ancestor bills it (private-label)."""
        billed = self._labels.get(customer_id)
        if billed is None:
            billed = False
            for ancestor in self._snap.chain(customer_id):
                label = self._private.get(ancestor)
                if label is not None:
                    billed = label
                    break
            self._labels[customer_id] = billed
        return billed

    def rerate_invoice(
        self,
        invoice: Invoice,
        lines: Sequence[InvoiceLine],
        customer_id: str,
        services_by_id: Mapping[str, Service],
        on: date,
    ) -> tuple[Invoice, tuple[InvoiceLine, ...]]:
        """The invoice the customer is billed: re-rated when its reseller bills it.

        The result does not depend on the principal; use :meth:`invoice_for_viewer`
        to decide who sees which invoice.

        Args:
            invoice: The carrier's invoice.
            lines: Its lines.
            customer_id: The customer owning the invoice's account.
            services_by_id: The account's services by service id (lines name them).
            on: The pricing day (e.g. the billing period's start).

        Returns:
            The re-rated invoice and lines, or the originals when the customer is not
            billed private-label.
        """
        if not self.bills_private_label(customer_id):
            return invoice, tuple(lines)
        return rerate_invoice(
            self._book, self.sellers(customer_id), invoice, lines, customer_id, services_by_id, on
        )

    def invoice_for_viewer(
        self,
        invoice: Invoice,
        lines: Sequence[InvoiceLine],
        customer_id: str,
        services_by_id: Mapping[str, Service],
        on: date,
    ) -> tuple[Invoice, tuple[InvoiceLine, ...]]:
        """The invoice this principal is shown: re-rated for the billed customer itself.

        The owning customer of a private-label reseller sees the reseller's bill
        (:meth:`rerate_invoice`); every other principal sees the carrier's invoice.
        """
        if self._audience is _Audience.CUSTOMER and customer_id == self.principal.party_id:
            return self.rerate_invoice(invoice, lines, customer_id, services_by_id, on)
        return invoice, tuple(lines)


def _percent_chain(
    book: RuleBook,
    sellers: Sequence[str],
    target: Target,
    amount: Decimal,
    currency: str,
    on: date,
) -> Decimal:
    """A non-monthly amount marked up tier by tier (percent rules only), rounded per tier."""
    quantum = minor_unit(currency)
    amount = amount.quantize(quantum, rounding=ROUND_HALF_UP, context=_CTX)
    for seller in sellers:
        rule = book.select(seller, target, on, currency)
        amount = book.apply(rule, amount, quantum, monthly=False)
    return amount


def _scaled(amount: Decimal, numerator: Decimal, denominator: Decimal, currency: str) -> Decimal:
    """``amount * numerator / denominator``, rounded; multiplying first keeps it exact."""
    return round_money(_CTX.divide(_CTX.multiply(amount, numerator), denominator), currency)


def rerate_invoice(
    book: RuleBook,
    sellers: Sequence[str],
    invoice: Invoice,
    lines: Sequence[InvoiceLine],
    customer_id: str,
    services_by_id: Mapping[str, Service],
    on: date,
) -> tuple[Invoice, tuple[InvoiceLine, ...]]:
    """Re-rate a carrier invoice with the seller chain (rules: the module docstring).

    Args:
        book: The markup rules.
        sellers: The customer's sellers, top first.
        invoice: The carrier's invoice.
        lines: Its lines.
        customer_id: The owning customer.
        services_by_id: Services by service id.
        on: The pricing day.

    Returns:
        The re-rated invoice (``total`` and ``taxes`` recomputed) and lines.
    """
    known = invoice.total or next((line.amount for line in lines if line.amount), None)
    if known is None:
        return _with_totals(invoice, None, None, ""), tuple(lines)
    currency = known.currency
    account = Target.for_account(invoice.carrier, customer_id)
    if not lines:
        if invoice.total is None or invoice.taxes is None:
            return _with_totals(invoice, None, None, currency), ()
        pre_tax = _CTX.subtract(invoice.total.amount, invoice.taxes.amount)
        rerated_pre_tax = _percent_chain(book, sellers, account, pre_tax, currency, on)
        taxes = _scaled_tax(invoice.taxes.amount, pre_tax, rerated_pre_tax, currency)
        total = _CTX.add(rerated_pre_tax, taxes)
        return _with_totals(invoice, total, taxes, currency), ()

    chains: dict[str, PriceChain] = {}

    def chain_of(service: Service) -> PriceChain:
        chain = chains.get(service.service_id)
        if chain is None:
            chain = chains[service.service_id] = price_chain(
                book, sellers, service, customer_id, on
            )
        return chain

    new_amounts: list[Decimal | None] = []
    old_subtotal = new_subtotal = _ZERO
    for line in lines:
        amount = line.amount
        if amount is None or line.kind is InvoiceLineKind.TAX or amount.currency != currency:
            new_amounts.append(None)
            continue
        service = services_by_id.get(line.service_id) if line.service_id is not None else None
        new = _rerate_line(book, sellers, line, service, account, customer_id, on, chain_of)
        new_amounts.append(new)
        old_subtotal = _CTX.add(old_subtotal, amount.amount)
        new_subtotal = _CTX.add(new_subtotal, new)

    out: list[InvoiceLine] = []
    taxes = _ZERO
    total = new_subtotal
    has_tax_lines = False
    for line, new_amount in zip(lines, new_amounts, strict=True):
        if new_amount is not None:
            out.append(dataclasses.replace(line, amount=Money(new_amount, currency)))
        elif (
            line.kind is InvoiceLineKind.TAX
            and line.amount is not None
            and line.amount.currency == currency
        ):
            has_tax_lines = True
            tax = _scaled_tax(line.amount.amount, old_subtotal, new_subtotal, currency)
            taxes = _CTX.add(taxes, tax)
            total = _CTX.add(total, tax)
            out.append(dataclasses.replace(line, amount=Money(tax, currency)))
        else:
            out.append(line)  # another currency: cannot be re-rated or summed
    if not has_tax_lines:
        if invoice.taxes is None:
            return _with_totals(invoice, None, None, currency), tuple(out)
        taxes = _scaled_tax(invoice.taxes.amount, old_subtotal, new_subtotal, currency)
        total = _CTX.add(total, taxes)
    return _with_totals(invoice, total, taxes, currency), tuple(out)


def _rerate_line(
    book: RuleBook,
    sellers: Sequence[str],
    line: InvoiceLine,
    service: Service | None,
    account: Target,
    customer_id: str,
    on: date,
    chain_of: Callable[[Service], PriceChain],
) -> Decimal:
    if line.amount is None:
        raise ValueError("only lines with a readable amount are re-rated")
    amount, currency, kind = line.amount.amount, line.amount.currency, line.kind
    if kind in (InvoiceLineKind.CREDIT, InvoiceLineKind.ADJUSTMENT):
        if service is None or service.mrc is None or service.mrc.currency != currency:
            return amount
        chain = chain_of(service)
        if chain.wholesale.amount == _ZERO:
            return amount
        return _scaled(amount, chain.price.amount, chain.wholesale.amount, currency)
    if service is not None and kind in (InvoiceLineKind.RECURRING, InvoiceLineKind.ONE_TIME):
        recurring = kind is InvoiceLineKind.RECURRING
        charge = service.mrc if recurring else service.nrc
        if charge is not None and charge.currency == currency:
            chain = chain_of(service)
            wholesale = chain.wholesale if recurring else chain.nrc_wholesale
            price = chain.price if recurring else chain.nrc_price
            if wholesale.amount == _ZERO:
                return amount
            return _scaled(amount, price.amount, wholesale.amount, currency)
    target = account if service is None else Target.for_service(service, customer_id)
    return _percent_chain(book, sellers, target, amount, currency, on)


def _scaled_tax(
    tax: Decimal, old_subtotal: Decimal, new_subtotal: Decimal, currency: str
) -> Decimal:
    """Keep the effective tax rate: ``tax * max(new, 0) / old`` (unchanged if old <= 0)."""
    if old_subtotal <= _ZERO:
        return tax
    return _scaled(tax, max(new_subtotal, _ZERO), old_subtotal, currency)


def _with_totals(
    invoice: Invoice, total: Decimal | None, taxes: Decimal | None, currency: str
) -> Invoice:
    """The invoice with re-rated totals; None where the carrier's own could not be read."""
    return dataclasses.replace(
        invoice,
        total=None if total is None else Money(total, currency),
        taxes=None if taxes is None else Money(taxes, currency),
    )


def charges(service: Service) -> tuple[Money, Money]:
    """The carrier's recurring and one-time charges of a service priced in full.

    Raises:
        ValueError: one of them could not be read (callers price such services in part).
    """
    if service.mrc is None or service.nrc is None:
        raise ValueError(f"service '{service.service_id}' has an unreadable charge")
    return service.mrc, service.nrc
