"""One carrier's slice of the sandbox data set: accounts, services, bills and account team.

A ``CarrierBuilder`` owns the carrier's random stream (derived from the seed and the
carrier id) and its id counters, so every number it hands out is unique per carrier and
the same inputs always give the same records. Orders and tickets come from ``_work``.

Call records (``_usage``) and quotes come from streams of their own (``usage:<id>``,
``quotes:<id>``), drawn only when the carrier declares the USAGE or QUOTES capability, so
declaring them adds those records and changes nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from connectors.models import (
    AccountStatus,
    Address,
    Carrier,
    CarrierAccount,
    ChannelParty,
    Contact,
    ContactRole,
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceStatus,
    Money,
    Order,
    Product,
    Quote,
    QuoteOption,
    QuoteStatus,
    Resource,
    Service,
    ServiceStatus,
    TroubleTicket,
    UsageRecord,
)
from connectors.sandbox import _names, _work
from connectors.sandbox._rand import (
    ZERO,
    add_months,
    amount,
    at,
    days,
    derive_rng,
    midnight,
    money,
    month_end,
    pick,
)
from connectors.sandbox._usage import UsageBuilder

if TYPE_CHECKING:
    import random
    from datetime import date

VOICE = frozenset({Product.SIP_TRUNK, Product.PRI, Product.POTS, Product.UCAAS})

_CURRENCIES = (("USD", 60), ("CAD", 15), ("EUR", 15), ("GBP", 10))
_COUNTRIES = {"USD": ("US",), "CAD": ("CA",), "EUR": ("DE", "FR", "NL", "IE"), "GBP": ("GB",)}
_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class Owner:
    """A customer as carrier builders need it: the party, its agent and its head office."""

    party: ChannelParty
    agent: ChannelParty
    hq: Address


@dataclass(frozen=True, slots=True)
class _Spec:
    weight: int
    tiers: tuple[tuple[int | None, int, int], ...]  # (bandwidth Mbps, MRC low, MRC high)
    nrc: tuple[int, int]
    facility: str | None = None  # facility code for circuit ids; None: no circuit id
    numbers: tuple[int, int] = (0, 0)  # telephone numbers per service
    per_number: bool = False  # the MRC tier is per line/seat
    z_end: bool = False  # point-to-point: has a Z location


_SPECS: dict[Product, _Spec] = {
    Product.DIA: _Spec(
        20,
        ((50, 300, 550), (100, 400, 750), (200, 550, 950), (500, 800, 1400), (1000, 1000, 2200),
         (10000, 3500, 7500)),
        (500, 2500), "KQGN",
    ),
    Product.BROADBAND: _Spec(
        10, ((100, 70, 120), (300, 90, 160), (500, 110, 190), (1000, 130, 250)),
        (99, 199), "BBXX",
    ),
    Product.MPLS: _Spec(
        10,
        ((10, 250, 450), (20, 350, 600), (50, 500, 900), (100, 700, 1300), (200, 900, 1700),
         (500, 1400, 2600), (1000, 2000, 3800)),
        (500, 2000), "KRGN",
    ),
    Product.SD_WAN: _Spec(
        8,
        ((50, 150, 300), (100, 200, 400), (200, 280, 520), (500, 400, 750), (1000, 550, 1000)),
        (250, 1200),
    ),
    Product.SIP_TRUNK: _Spec(14, ((None, 150, 900),), (150, 500), numbers=(5, 25)),
    Product.PRI: _Spec(6, ((None, 350, 650),), (300, 900), "HCGS", numbers=(8, 24)),
    Product.POTS: _Spec(
        10, ((None, 35, 75),), (50, 150), numbers=(1, 4), per_number=True
    ),
    Product.ETHERNET_PRIVATE_LINE: _Spec(
        8,
        ((10, 400, 800), (100, 600, 1200), (1000, 1200, 2600), (10000, 3500, 8000)),
        (750, 3000), "KFFN", z_end=True,
    ),
    Product.WAVELENGTH: _Spec(
        3, ((10000, 3000, 7000), (100000, 8000, 18000)), (2500, 10000), "OWGN",
        z_end=True,
    ),
    Product.UCAAS: _Spec(
        8, ((None, 18, 32),), (250, 1500), numbers=(5, 40), per_number=True
    ),
}  # fmt: skip
_PRODUCTS = tuple((product, spec.weight) for product, spec in _SPECS.items())
_LATER_STATUSES = (
    (ServiceStatus.ACTIVE, 75),
    (ServiceStatus.PENDING, 8),
    (ServiceStatus.SUSPENDED, 5),
    (ServiceStatus.DISCONNECTED, 12),
)
_TERMS = ((12, 2), (24, 3), (36, 4), (60, 1))
_QUOTES_PER_ACCOUNT = ((0, 35), (1, 35), (2, 20), (3, 10))
_QUOTE_STATUSES = (
    (QuoteStatus.PENDING, 10), (QuoteStatus.IN_PROGRESS, 12), (QuoteStatus.APPROVED, 20),
    (QuoteStatus.ACCEPTED, 18), (QuoteStatus.REJECTED, 8), (QuoteStatus.CANCELLED, 7),
    (QuoteStatus.EXPIRED, 25),
)  # fmt: skip
_QUOTE_VALIDITY = ((30, 50), (60, 30), (90, 20))  # days a quote stays valid
_QUOTE_MONTHS = 6  # quotes were requested in the last six months
# Percent of the 12-month MRC per term (ranges do not overlap: longer terms are cheaper).
_TERM_DISCOUNT = {12: (100, 100), 24: (88, 95), 36: (80, 87), 60: (70, 78)}
_TERM_NRC = {12: 100, 24: 50, 36: 25, 60: 0}  # percent of the install fee still charged
_INTERVAL_DAYS = {
    Product.DIA: (30, 90), Product.BROADBAND: (10, 30), Product.MPLS: (30, 90),
    Product.SD_WAN: (14, 45), Product.SIP_TRUNK: (10, 30), Product.PRI: (30, 60),
    Product.POTS: (7, 21), Product.ETHERNET_PRIVATE_LINE: (45, 120),
    Product.WAVELENGTH: (60, 120), Product.UCAAS: (7, 30),
}  # fmt: skip


def _line(
    kind: InvoiceLineKind, service: str | None, text: str, qty: Decimal, value: Money
) -> InvoiceLine:
    return InvoiceLine(kind, service, text, qty, value)


class CarrierBuilder:
    """Accumulates one carrier's records, account by account, from its own random stream.

    Args:
        carrier: The carrier.
        code: Short upper-case code unique in the data set (prefixes service ids).
        seed: The data set seed; with the carrier id it seeds this carrier's stream.
        anchor: The data set's "today" (first day of a month).
        used_numbers: Telephone numbers already handed out (shared by all carriers).
    """

    def __init__(
        self, carrier: Carrier, code: str, seed: int, anchor: date, used_numbers: set[str]
    ) -> None:
        rng = derive_rng(seed, carrier.id)
        self.rng = rng
        self.carrier = carrier
        self.code = code
        self.anchor = anchor
        self.now = midnight(anchor)
        self.currency = pick(rng, _CURRENCIES)
        self.countries = _COUNTRIES[self.currency]
        rate = rng.randint(900, 1600) if self.currency == "USD" else rng.choice((1300, 1900, 2000))
        self.tax_rate = Decimal(rate).scaleb(-4)
        self._styles = [rng.randrange(3) for _ in range(6)]
        self._counters = [rng.randrange(1000, 60000) for _ in range(6)]
        self._numbers = used_numbers
        self._account_numbers: set[str] = set()
        self.contacts = self._account_team()
        self.accounts: list[CarrierAccount] = []
        self.services: list[Service] = []
        self.invoices: list[Invoice] = []
        self.invoice_lines: dict[str, tuple[InvoiceLine, ...]] = {}
        self.orders: list[Order] = []
        self.tickets: list[TroubleTicket] = []
        capabilities = carrier.capabilities
        self._usage: UsageBuilder | None = None
        if Resource.USAGE in capabilities:
            self._usage = UsageBuilder(carrier.id, code, seed, anchor, self.currency)
        self._quote_rng = derive_rng(seed, f"quotes:{carrier.id}")
        self._quote_style = self._quote_rng.randrange(3)
        self._quote_counter = self._quote_rng.randrange(1000, 60000)
        self._quotes_wanted = Resource.QUOTES in capabilities
        self.quotes: list[Quote] = []

    @property
    def usage(self) -> tuple[UsageRecord, ...]:
        """The carrier's call records so far (none without the USAGE capability)."""
        return tuple(self._usage.records) if self._usage else ()

    # ids -------------------------------------------------------------------------------

    def _next(self, which: int) -> int:
        self._counters[which] += self.rng.randint(1, 9)
        return self._counters[which]

    def _account_number(self) -> str:
        rng, code = self.rng, self.code
        while True:
            match self._styles[0]:
                case 0:
                    number = str(rng.randrange(10**8, 10**9))
                case 1:
                    number = f"{code}-{rng.randrange(10**6, 10**7)}"
                case _:
                    head, body = rng.randrange(100, 1000), rng.randrange(10**6, 10**7)
                    number = f"{head}-{body}-{rng.randrange(100, 1000)}"
            if number not in self._account_numbers:
                self._account_numbers.add(number)
                return number

    def _circuit_id(self, facility: str) -> str:
        serial = self._next(1)
        match self._styles[1]:
            case 0:
                return f"{self.rng.randrange(10, 100)}.{facility}.{serial:06d}..{self.code[:2]}"
            case 1:
                return f"{self.code}/{facility}/{serial:07d}"
            case _:
                return f"CID-{facility}-{serial:08d}"

    def _invoice_number(self, period: date) -> str:
        seq = self._next(2)
        match self._styles[2]:
            case 0:
                return f"{self.code}{period:%y%m}{seq:06d}"
            case 1:
                return f"INV-{seq:08d}"
            case _:
                return f"B{period:%Y%m}-{seq:07d}"

    def _order_id(self) -> str:
        seq = self._next(3)
        match self._styles[3]:
            case 0:
                return f"{self.code}-ORD-{seq:07d}"
            case 1:
                return f"SO{seq:08d}"
            case _:
                return f"{self.code}{seq:09d}"

    def _ticket_id(self) -> str:
        seq = self._next(4)
        match self._styles[4]:
            case 0:
                return f"INC{seq:07d}"
            case 1:
                return f"TT-{self.code}-{seq:06d}"
            case _:
                return f"{self.code}-T{seq:08d}"

    def _quote_id(self) -> str:
        self._quote_counter += self._quote_rng.randint(1, 9)
        seq = self._quote_counter
        match self._quote_style:
            case 0:
                return f"Q-{seq:08d}"
            case 1:
                return f"{self.code}-QT-{seq:06d}"
            case _:
                return f"QUO{self.code}{seq:07d}"

    # records ---------------------------------------------------------------------------

    def _account_team(self) -> tuple[Contact, ...]:
        rng, domain = self.rng, f"{_names.slug(self.carrier.id)}.example"
        place = _names.city(rng, self.countries[0])
        taken: set[str] = set()
        team: list[Contact] = []

        def hire(role: ContactRole, title: str, boss: Contact | None = None) -> Contact:
            name = _names.person(rng)
            while name in taken:
                name = _names.person(rng)
            taken.add(name)
            email = f"{_names.slug(name).replace('-', '.')}@{domain}"
            phone = _names.office_phone(rng, place)
            contact = Contact(name, title, self.carrier.name, email, phone, role, boss)
            team.append(contact)
            return contact

        director = hire(ContactRole.ACCOUNT_MANAGER, "Regional Channel Director")
        for _ in range(2):
            hire(ContactRole.ACCOUNT_MANAGER, "Channel Account Manager", director)
        delivery = hire(ContactRole.PROVISIONING, "Service Delivery Manager", director)
        for _ in range(2):
            hire(ContactRole.PROVISIONING, "Provisioning Coordinator", delivery)
        noc = hire(ContactRole.SUPPORT, "NOC Manager")
        engineer = hire(ContactRole.SUPPORT, "Senior Network Engineer", noc)
        hire(ContactRole.SUPPORT, "NOC Technician", engineer)
        billing = hire(ContactRole.BILLING, "Billing Supervisor")
        hire(ContactRole.BILLING, "Billing Analyst", billing)
        return tuple(team)

    def add_account(self, owner: Owner) -> CarrierAccount:
        """Create one account for ``owner`` with its services, bills, orders and tickets.

        Args:
            owner: The customer the account belongs to.

        Returns:
            The new account (its other records are appended to this builder's lists).
        """
        rng = self.rng
        created = at(rng, self.anchor - days(rng.randint(430, 2500)))
        status = AccountStatus.SUSPENDED if rng.random() < 0.06 else AccountStatus.ACTIVE
        account = CarrierAccount(
            self.carrier.id, self._account_number(), owner.party.name, status, owner.hq, created,
            self.currency,
        )  # fmt: skip
        sites = self._sites(owner)
        billing = [self._service(account, sites, first=i == 0) for i in range(rng.randint(1, 6))]
        services = tuple(service for service, _ in billing)
        self.accounts.append(account)
        self.services.extend(services)
        self._bill(account, billing)
        scope = _work.Scope(
            carrier_id=self.carrier.id,
            carrier_name=self.carrier.name,
            account_number=account.account_number,
            services=services,
            customer_name=owner.party.name,
            agent_name=owner.agent.name,
            staff=tuple(c.name for c in self.contacts if c.role is not ContactRole.BILLING),
            now=self.now,
        )
        for _ in range(pick(rng, ((0, 40), (1, 35), (2, 17), (3, 8)))):
            po = f"PO-{rng.randrange(10000, 100000)}" if rng.random() < 0.7 else None
            self.orders.append(_work.make_order(rng, scope, self._order_id(), po))
        for _ in range(pick(rng, ((0, 45), (1, 30), (2, 17), (3, 8)))):
            self.tickets.append(_work.make_ticket(rng, scope, self._ticket_id()))
        if self._usage is not None:
            self._usage.add_account(billing)
        if self._quotes_wanted:
            self._add_quotes(account, sites)
        return account

    def _add_quotes(
        self, account: CarrierAccount, sites: list[tuple[_names.City, Address]]
    ) -> None:
        """Zero to three quotes on ``account``, oldest first, from the carrier's quote stream."""
        rng = self._quote_rng
        drafts = [self._quote(rng, account, sites) for _ in range(pick(rng, _QUOTES_PER_ACCOUNT))]
        drafts.sort(key=lambda quote: quote.requested_at)
        self.quotes.extend(replace(quote, quote_id=self._quote_id()) for quote in drafts)

    def _quote(
        self, rng: random.Random, account: CarrierAccount, sites: list[tuple[_names.City, Address]]
    ) -> Quote:
        """One quote (id left blank); non-expired ones are still valid at the anchor."""
        status = pick(rng, _QUOTE_STATUSES)
        valid_days = pick(rng, _QUOTE_VALIDITY)
        oldest = (self.anchor - add_months(self.anchor, -_QUOTE_MONTHS)).days
        if status is QuoteStatus.EXPIRED:
            back = rng.randint(valid_days + 1, oldest)  # valid until before the anchor
        elif status in {QuoteStatus.PENDING, QuoteStatus.IN_PROGRESS}:
            back = rng.randint(1, 14)  # still being worked: recent
        else:
            back = rng.randint(1, valid_days - 1)  # still valid at the anchor
        requested = at(rng, self.anchor - days(back))

        product = pick(rng, _PRODUCTS)
        spec = _SPECS[product]
        mbps, low, high = rng.choice(spec.tiers)
        lines = rng.randint(*spec.numbers) if spec.per_number else 1
        if rng.random() < 0.6:
            _, site = rng.choice(sites)
        else:  # a new location
            site = _names.address(rng, _names.city(rng, rng.choice(self.countries)))
        base, install = amount(rng, low, high) * lines, amount(rng, *spec.nrc)
        waived = rng.random() < 0.3
        interval = rng.randint(*_INTERVAL_DAYS[product])
        terms = sorted(rng.sample(sorted(_TERM_DISCOUNT), rng.randint(1, 3)))
        options = []
        for term in terms:
            share = Decimal(rng.randint(*_TERM_DISCOUNT[term])).scaleb(-2)
            nrc = ZERO if waived else install * Decimal(_TERM_NRC[term]).scaleb(-2)
            options.append(
                QuoteOption(
                    term_months=term,
                    mrc=money(base * share, self.currency),
                    nrc=money(nrc, self.currency),
                    interval_days=interval,
                )
            )
        return Quote(
            carrier=self.carrier.id,
            account_number=account.account_number,
            quote_id="",
            status=status,
            product=product,
            bandwidth_mbps=mbps,
            service_address=site,
            requested_at=requested,
            valid_until=requested + days(valid_days),
            options=tuple(options),
        )

    def _sites(self, owner: Owner) -> list[tuple[_names.City, Address]]:
        rng, sites, wanted = self.rng, [], self.rng.randint(1, 3)
        if owner.hq.country in self.countries:
            home = next(c for c in _names.CITIES[owner.hq.country] if c.name == owner.hq.city)
            sites.append((home, owner.hq))
        while len(sites) < wanted:
            place = _names.city(rng, rng.choice(self.countries))
            sites.append((place, _names.address(rng, place)))
        return sites

    def _service(
        self, account: CarrierAccount, sites: list[tuple[_names.City, Address]], *, first: bool
    ) -> tuple[Service, date | None]:
        rng = self.rng
        product = pick(rng, _PRODUCTS)
        spec = _SPECS[product]
        status = ServiceStatus.ACTIVE if first else pick(rng, _LATER_STATUSES)
        mbps, low, high = rng.choice(spec.tiers)
        place, site = rng.choice(sites)
        numbers: tuple[str, ...] = ()
        if spec.numbers[1]:
            count = rng.randint(*spec.numbers)
            numbers = _names.number_block(rng, place, count, self._numbers)
        mrc = amount(rng, low, high) * (len(numbers) if spec.per_number else 1)
        nrc = ZERO if rng.random() < 0.4 else amount(rng, *spec.nrc)
        z_end = None
        if spec.z_end:
            z_place = _names.city(rng, place.country)
            z_end = _names.address(rng, z_place)
        circuit = self._circuit_id(spec.facility) if spec.facility else None
        opened = account.created_at.date() + days(7)
        if first:
            latest = add_months(self.anchor, -12) - days(1)
        elif status is ServiceStatus.DISCONNECTED:
            latest = self.anchor - days(90)
        else:
            latest = self.anchor - days(20)
        activated = None
        stop = None
        if status is not ServiceStatus.PENDING:
            activated = at(rng, opened + days(rng.randint(0, (latest - opened).days)))
        if status is ServiceStatus.DISCONNECTED and activated is not None:
            lived = (self.anchor - activated.date()).days - 31
            stop = activated.date() + days(30 + rng.randint(0, lived))
        term = pick(rng, _TERMS)
        service = Service(
            carrier=self.carrier.id,
            account_number=account.account_number,
            service_id=f"{self.code}-SV-{self._next(5):06d}",
            circuit_id=circuit,
            telephone_numbers=numbers,
            product=product,
            bandwidth_mbps=mbps,
            service_address=site,
            z_address=z_end,
            status=status,
            activated_at=activated,
            mrc=money(mrc, self.currency),
            nrc=money(nrc, self.currency),
            term_months=term,
            contract_end=add_months(activated.date(), term) if activated else None,
        )
        return service, stop

    def _statuses(self, account: CarrierAccount) -> list[InvoiceStatus]:
        """Invoice statuses, newest first."""
        rng = self.rng
        paid_early = rng.random() < 0.3
        statuses = [InvoiceStatus.ISSUED]
        statuses.append(InvoiceStatus.PAID if paid_early else InvoiceStatus.PAYMENT_DUE)
        for _ in range(10):
            roll = rng.random()
            if roll < 0.04:
                statuses.append(InvoiceStatus.OVERDUE)
            elif roll < 0.07:
                statuses.append(InvoiceStatus.DISPUTED)
            elif roll < 0.10:
                statuses.append(InvoiceStatus.CREDITED)
            else:
                statuses.append(InvoiceStatus.PAID)
        if account.status is AccountStatus.SUSPENDED:  # suspended for non-payment
            statuses[1:4] = [
                InvoiceStatus.PAYMENT_DUE,
                InvoiceStatus.OVERDUE,
                InvoiceStatus.OVERDUE,
            ]
        return statuses

    def _bill(self, account: CarrierAccount, billing: list[tuple[Service, date | None]]) -> None:
        rng, currency = self.rng, self.currency
        statuses = self._statuses(account)
        for back in range(12, 0, -1):
            first = add_months(self.anchor, -back)
            last = month_end(first)
            lines = self._charges(first, last, billing)
            subtotal = sum((line.amount.amount for line in lines), ZERO)
            tax = money(max(subtotal, ZERO) * self.tax_rate, currency)
            lines.append(_line(InvoiceLineKind.TAX, None, "Taxes, fees and surcharges", _ONE, tax))
            total = money(sum((line.amount.amount for line in lines), ZERO), currency)
            issued = at(rng, last + days(rng.randint(2, 5)), 6, 12)
            number = self._invoice_number(first)
            self.invoices.append(
                Invoice(
                    carrier=self.carrier.id,
                    account_number=account.account_number,
                    invoice_number=number,
                    period_start=first,
                    period_end=last,
                    issued_at=issued,
                    due_at=issued + days(30),
                    status=statuses[back - 1],
                    total=total,
                    taxes=tax,
                )
            )
            self.invoice_lines[number] = tuple(lines)

    def _charges(
        self, first: date, last: date, billing: list[tuple[Service, date | None]]
    ) -> list[InvoiceLine]:
        rng, currency = self.rng, self.currency
        lines: list[InvoiceLine] = []
        billed: list[Service] = []
        for service, stop in billing:
            if service.activated_at is None:
                continue
            start = service.activated_at.date()
            if start > last or (stop is not None and stop < first):
                continue
            billed.append(service)
            sid, label = service.service_id, _names.PRODUCT_LABELS[service.product]
            speed = f" {service.bandwidth_mbps} Mbps" if service.bandwidth_mbps else ""
            text = f"{label}{speed} monthly recurring {first:%b %Y}"
            lines.append(_line(InvoiceLineKind.RECURRING, sid, text, _ONE, service.mrc))
            if service.nrc.amount and first <= start <= last:
                text = f"{label} installation"
                lines.append(_line(InvoiceLineKind.ONE_TIME, sid, text, _ONE, service.nrc))
            if service.product in VOICE and rng.random() < 0.5:
                minutes = rng.randint(200, 20000)
                charge = money(Decimal(minutes) * Decimal(rng.randint(8, 35)).scaleb(-3), currency)
                text = f"Long distance usage ({minutes:,} min)"
                lines.append(_line(InvoiceLineKind.USAGE, sid, text, Decimal(minutes), charge))
        if billed and rng.random() < 0.05:
            service = rng.choice(billed)
            credit = money(-service.mrc.amount * Decimal(rng.randint(5, 50)).scaleb(-2), currency)
            text = f"SLA credit: outage on {first + days(rng.randrange(28)):%Y-%m-%d}"
            lines.append(_line(InvoiceLineKind.CREDIT, service.service_id, text, _ONE, credit))
        if rng.random() < 0.04:
            late_fee = rng.random() < 0.5
            value = amount(rng, 25, 75) if late_fee else -amount(rng, 5, 40)
            text = "Late payment fee" if late_fee else "Billing adjustment"
            lines.append(
                _line(InvoiceLineKind.ADJUSTMENT, None, text, _ONE, money(value, currency))
            )
        return lines
