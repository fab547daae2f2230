"""Pricing views: the price chain, rule selection, rounding, visibility and re-rating.

Every expectation below is computed in the test itself with plain ``Decimal``
arithmetic written out step by step, never by calling the module under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest

from auth.directory import DirectorySnapshot
from auth.pricing import (
    NO_PRICES,
    SPECIFICITY,
    MarkupKind,
    MarkupRule,
    PriceChain,
    PricingView,
    RuleBook,
    Scope,
    Target,
    price_chain,
    round_money,
)
from auth.principal import Principal
from connectors.models import (
    Address,
    ChannelParty,
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceStatus,
    Money,
    PartyKind,
    Product,
    Service,
    ServiceStatus,
)

CENT = Decimal("0.01")
DAY = date(2026, 6, 15)
P, F = MarkupKind.PERCENT, MarkupKind.FIXED


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def usd(amount: str | Decimal) -> Money:
    return Money(Decimal(amount), "USD")


#   op (operator)     carrier-x (carrier)    carrier-y (carrier)
#   ma (master agent)
#   ├─ ag (agent)
#   │  └─ sub (sub-agent)
#   │     └─ cust (customer)      <- the 4-tier chain: ma -> ag -> sub -> cust
#   └─ ag2 (agent)
#      └─ cust2 (customer)
PARTIES = (
    ChannelParty("op", PartyKind.OPERATOR, "Ops"),
    ChannelParty("carrier-x", PartyKind.CARRIER, "Carrier X"),
    ChannelParty("carrier-y", PartyKind.CARRIER, "Carrier Y"),
    ChannelParty("ma", PartyKind.MASTER_AGENT, "Master"),
    ChannelParty("ag", PartyKind.AGENT, "Agent", "ma"),
    ChannelParty("sub", PartyKind.AGENT, "Sub-agent", "ag"),
    ChannelParty("cust", PartyKind.CUSTOMER, "Customer", "sub"),
    ChannelParty("ag2", PartyKind.AGENT, "Agent Two", "ma"),
    ChannelParty("cust2", PartyKind.CUSTOMER, "Customer Two", "ag2"),
)
SNAPSHOT = DirectorySnapshot.build(PARTIES, ())
HERE = Address("1 Main St", "Springfield", "IL", "62701", "US")


def service(
    mrc: str = "1234.57",
    nrc: str = "199.99",
    *,
    service_id: str = "SVC-1",
    circuit_id: str | None = "CKT-1",
    tns: tuple[str, ...] = ("+1 (555) 010-0100", "+15550100101"),
    product: Product = Product.DIA,
    carrier: str = "carrier-x",
    currency: str = "USD",
) -> Service:
    return Service(
        carrier=carrier,
        account_number="ACC-1",
        service_id=service_id,
        circuit_id=circuit_id,
        telephone_numbers=tns,
        product=product,
        bandwidth_mbps=100,
        service_address=HERE,
        z_address=None,
        status=ServiceStatus.ACTIVE,
        activated_at=datetime(2025, 1, 1, tzinfo=UTC),
        mrc=Money(Decimal(mrc), currency),
        nrc=Money(Decimal(nrc), currency),
        term_months=36,
        contract_end=None,
    )


def rule(
    rule_id: str,
    seller: str,
    scope: Scope,
    value: str | None,
    kind: MarkupKind,
    amount: str,
    currency: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> MarkupRule:
    if kind is F and currency is None:
        currency = "USD"
    return MarkupRule(rule_id, seller, scope, value, kind, Decimal(amount), currency, start, end)


# Overlapping rules at every tier and scope; comments say which one wins and why.
RULES = (
    # master agent: product DIA (8 %) is the most specific effective rule
    rule("m-all", "ma", Scope.ALL, None, P, "12"),
    rule("m-carrier", "ma", Scope.CARRIER, "carrier-x", F, "25.00"),
    rule("m-product", "ma", Scope.PRODUCT, "DIA", P, "8"),
    rule("m-cust-expired", "ma", Scope.CUSTOMER, "cust", P, "20", end=date(2026, 5, 31)),
    rule("m-svc-future", "ma", Scope.SERVICE, "SVC-1", P, "30", start=date(2026, 7, 1)),
    # agent: customer scope; the EUR rule is newer but in another currency, so skipped
    rule("a-all", "ag", Scope.ALL, None, P, "15"),
    rule("a-product", "ag", Scope.PRODUCT, "DIA", P, "9"),
    rule(
        "a-cust",
        "ag",
        Scope.CUSTOMER,
        "cust",
        F,
        "40.00",
        None,
        date(2026, 1, 1),
        date(2026, 12, 31),
    ),
    rule("a-cust-eur", "ag", Scope.CUSTOMER, "cust", F, "10.00", "EUR", date(2026, 3, 1)),
    # sub-agent: service scope; by service id (newer) over by circuit id, over the TN
    rule("s-all", "sub", Scope.ALL, None, P, "10"),
    rule("s-tn", "sub", Scope.TELEPHONE_NUMBER, "1-555-010-0101", P, "6"),
    rule("s-circuit", "sub", Scope.SERVICE, "CKT-1", P, "5", start=date(2026, 1, 1)),
    rule("s-svc", "sub", Scope.SERVICE, "SVC-1", P, "7", start=date(2026, 2, 1)),
    # another branch's seller: never on cust's chain
    rule("a2-all", "ag2", Scope.ALL, None, P, "50"),
)
BOOK = RuleBook(RULES)

# --- independent expectations for service() on DAY ---------------------------------------
WHOLESALE = Decimal("1234.57")
NRC_WHOLESALE = Decimal("199.99")
MA_SELL = cents(WHOLESALE * Decimal("1.08"))  # 1333.3356 -> 1333.34
AG_SELL = cents(MA_SELL + Decimal("40.00"))  # fixed: 1373.34
SUB_SELL = cents(AG_SELL * Decimal("1.07"))  # 1469.4738 -> 1469.47
MA_NRC = cents(NRC_WHOLESALE * Decimal("1.08"))  # 215.9892 -> 215.99
AG_NRC = MA_NRC  # a fixed rule is monthly: the NRC passes at cost
SUB_NRC = cents(AG_NRC * Decimal("1.07"))  # 231.1093 -> 231.11


def principal(party_id: str, role: str = "admin") -> Principal:
    party = SNAPSHOT.parties[party_id]
    return Principal(party_id, party.kind, role, SNAPSHOT.chain(party_id), party.name)


def view(party_id: str, role: str = "admin", private: dict[str, bool] | None = None) -> PricingView:
    return PricingView(principal(party_id, role), SNAPSHOT, BOOK, private)


def rule_ids(chain: PriceChain) -> list[str | None]:
    return [None if t.rule is None else t.rule.id for t in chain.tiers]


# --- the acceptance test: a 4-tier chain ----------------------------------------------------


def test_the_expectations_are_what_the_arithmetic_says():
    assert (
        Decimal("1333.34"),
        Decimal("1373.34"),
        Decimal("1469.47"),
    ) == (MA_SELL, AG_SELL, SUB_SELL)
    assert (Decimal("215.99"), Decimal("215.99"), Decimal("231.11")) == (MA_NRC, AG_NRC, SUB_NRC)


def test_four_tier_chain_each_tier_buy_and_sell_to_the_cent():
    chain = price_chain(BOOK, ("ma", "ag", "sub"), service(), "cust", DAY)
    assert [t.seller_id for t in chain.tiers] == ["ma", "ag", "sub"]
    assert rule_ids(chain) == ["m-product", "a-cust", "s-svc"]
    assert [(t.buy.amount, t.sell.amount) for t in chain.tiers] == [
        (WHOLESALE, MA_SELL),
        (MA_SELL, AG_SELL),
        (AG_SELL, SUB_SELL),
    ]
    assert [(t.nrc_buy.amount, t.nrc_sell.amount) for t in chain.tiers] == [
        (NRC_WHOLESALE, MA_NRC),
        (MA_NRC, AG_NRC),
        (AG_NRC, SUB_NRC),
    ]
    assert chain.price == usd(SUB_SELL)
    assert chain.nrc_price == usd(SUB_NRC)


@pytest.mark.parametrize(
    ("party", "wholesale", "buy", "sell"),
    [
        ("ma", WHOLESALE, WHOLESALE, MA_SELL),
        ("ag", None, MA_SELL, AG_SELL),
        ("sub", None, AG_SELL, SUB_SELL),
    ],
)
def test_each_seller_sees_its_own_buy_and_sell_and_the_customer_price(party, wholesale, buy, sell):
    prices = view(party).service_prices(service(), "cust", DAY)
    assert prices.wholesale == (None if wholesale is None else usd(wholesale))
    assert prices.buy == usd(buy)
    assert prices.sell == usd(sell)
    assert prices.price == usd(SUB_SELL)
    assert prices.tiers == ()


def test_sellers_see_their_own_nrc_slice_too():
    nrc = view("ag").service_prices(service(), "cust", DAY).nrc
    assert (nrc.wholesale, nrc.buy, nrc.sell, nrc.price) == (
        None,
        usd(MA_NRC),
        usd(AG_NRC),
        usd(SUB_NRC),
    )
    master = view("ma").service_prices(service(), "cust", DAY).nrc
    assert master.wholesale == master.buy == usd(NRC_WHOLESALE)


def test_an_agent_never_sees_the_margins_above_it():
    prices = view("sub").service_prices(service(), "cust", DAY)
    shown = {
        m.amount
        for charge in (prices.mrc, prices.nrc)
        for m in (charge.wholesale, charge.buy, charge.sell, charge.price)
        if m is not None
    }
    assert WHOLESALE not in shown  # the carrier's price
    assert MA_SELL not in shown  # what the master charges its agent
    assert NRC_WHOLESALE not in shown
    assert shown == {AG_SELL, SUB_SELL, AG_NRC, SUB_NRC}


def test_a_customer_sees_only_its_price():
    prices = view("cust", "viewer").service_prices(service(), "cust", DAY)
    assert (prices.wholesale, prices.buy, prices.sell) == (None, None, None)
    assert prices.price == usd(SUB_SELL)
    assert prices.nrc.price == usd(SUB_NRC)
    assert (prices.nrc.wholesale, prices.nrc.buy, prices.nrc.sell) == (None, None, None)
    assert prices.tiers == ()


def test_a_carrier_sees_only_the_wholesale_of_its_own_services():
    prices = view("carrier-x").service_prices(service(), "cust", DAY)
    assert prices.wholesale == usd(WHOLESALE)
    assert prices.nrc.wholesale == usd(NRC_WHOLESALE)
    assert (prices.buy, prices.sell, prices.price, prices.nrc.price) == (None,) * 4
    assert view("carrier-y").service_prices(service(), "cust", DAY) is NO_PRICES


def test_operators_with_money_roles_see_the_whole_chain_support_sees_none():
    for role in ("admin", "finance"):
        prices = view("op", role).service_prices(service(), "cust", DAY)
        assert prices.wholesale == prices.buy == usd(WHOLESALE)
        assert prices.sell == prices.price == usd(SUB_SELL)
        assert [t.sell.amount for t in prices.tiers] == [MA_SELL, AG_SELL, SUB_SELL]
    assert view("op", "support").service_prices(service(), "cust", DAY) is NO_PRICES


def test_parties_off_the_chain_see_nothing():
    assert view("ag2").service_prices(service(), "cust", DAY) is NO_PRICES
    assert view("cust2").service_prices(service(), "cust", DAY) is NO_PRICES


def test_the_other_branch_prices_with_its_own_sellers():
    # cust2: ma (DIA 8 %) -> ag2 (50 %)
    expected = cents(cents(WHOLESALE * Decimal("1.08")) * Decimal("1.50"))
    assert view("cust2").service_prices(service(), "cust2", DAY).price == usd(expected)


# --- rule selection ---------------------------------------------------------------------


def _one_of_each_scope(exclude: set[Scope]) -> RuleBook:
    values = {
        Scope.SERVICE: "CKT-1",
        Scope.TELEPHONE_NUMBER: "15550100100",
        Scope.CUSTOMER: "cust",
        Scope.PRODUCT: "DIA",
        Scope.CARRIER: "carrier-x",
        Scope.ALL: None,
    }
    return RuleBook(
        rule(f"r-{scope.value}", "sub", scope, values[scope], P, str(index + 1))
        for index, scope in enumerate(SPECIFICITY)
        if scope not in exclude
    )


def chosen_id(book: RuleBook, target: Target) -> str | None:
    chosen = book.select("sub", target, DAY, "USD")
    return None if chosen is None else chosen.id


def test_specificity_service_then_tn_then_customer_then_product_then_carrier_then_all():
    order = [
        Scope.SERVICE,
        Scope.TELEPHONE_NUMBER,
        Scope.CUSTOMER,
        Scope.PRODUCT,
        Scope.CARRIER,
        Scope.ALL,
    ]
    assert list(SPECIFICITY) == order
    target = Target.for_service(service(), "cust")
    for n, expected in enumerate(order):
        book = _one_of_each_scope(set(order[:n]))
        chosen = book.select("sub", target, DAY, "USD")
        assert chosen is not None
        assert chosen.id == f"r-{expected.value}"
    assert _one_of_each_scope(set(order)).select("sub", target, DAY, "USD") is None


def test_rules_for_other_values_never_match():
    book = RuleBook(
        [
            rule("x-svc", "sub", Scope.SERVICE, "SVC-2", P, "1"),
            rule("x-tn", "sub", Scope.TELEPHONE_NUMBER, "15550199999", P, "1"),
            rule("x-cust", "sub", Scope.CUSTOMER, "cust2", P, "1"),
            rule("x-product", "sub", Scope.PRODUCT, "MPLS", P, "1"),
            rule("x-carrier", "sub", Scope.CARRIER, "carrier-y", P, "1"),
        ]
    )
    assert book.select("sub", Target.for_service(service(), "cust"), DAY, "USD") is None


def test_telephone_numbers_match_by_digits():
    book = RuleBook([rule("tn", "sub", Scope.TELEPHONE_NUMBER, "+1 555.010.0100", P, "3")])
    chosen = book.select("sub", Target.for_service(service(tns=("15550100100",)), "c"), DAY, "USD")
    assert chosen is not None
    assert chosen.id == "tn"


def test_ties_latest_effective_from_then_highest_id():
    target = Target.for_service(service(), "cust")
    same_day = RuleBook(
        [
            rule("b", "sub", Scope.ALL, None, P, "1", start=date(2026, 1, 1)),
            rule("c", "sub", Scope.ALL, None, P, "2", start=date(2026, 1, 1)),
            rule("a", "sub", Scope.ALL, None, P, "3", start=date(2026, 1, 1)),
        ]
    )
    assert chosen_id(same_day, target) == "c"
    newer = RuleBook(
        [
            rule("z", "sub", Scope.ALL, None, P, "1", start=date(2026, 1, 1)),
            rule("a", "sub", Scope.ALL, None, P, "2", start=date(2026, 2, 1)),
            rule("zz", "sub", Scope.ALL, None, P, "3"),  # an open start is the oldest
        ]
    )
    assert chosen_id(newer, target) == "a"
    # service id and circuit id are one level: the tie rules decide between them
    both = RuleBook(
        [
            rule("by-circuit", "sub", Scope.SERVICE, "CKT-1", P, "1", start=date(2026, 3, 1)),
            rule("by-service", "sub", Scope.SERVICE, "SVC-1", P, "2", start=date(2026, 2, 1)),
        ]
    )
    assert chosen_id(both, target) == "by-circuit"


@pytest.mark.parametrize(
    ("start", "end", "applies"),
    [
        (DAY, None, True),  # first day inclusive
        (None, DAY, True),  # last day inclusive
        (date(2026, 6, 16), None, False),  # not yet effective
        (None, date(2026, 6, 14), False),  # expired
        (date(2026, 1, 1), date(2026, 12, 31), True),
        (None, None, True),
    ],
)
def test_effective_dates(start, end, applies):
    book = RuleBook([rule("r", "sub", Scope.ALL, None, P, "10", start=start, end=end)])
    chosen = book.select("sub", Target.for_service(service(), "cust"), DAY, "USD")
    assert (chosen is not None) is applies


def test_an_expired_specific_rule_falls_back_to_a_less_specific_one():
    book = RuleBook(
        [
            rule("svc", "ma", Scope.SERVICE, "SVC-1", P, "50", end=date(2026, 6, 14)),
            rule("all", "ma", Scope.ALL, None, P, "10"),
        ]
    )
    chain = price_chain(book, ("ma",), service(mrc="100.00"), "cust", DAY)
    assert chain.price == usd("110.00")


def test_a_fixed_rule_in_another_currency_is_skipped_not_converted():
    book = RuleBook(
        [
            rule("svc-eur", "ma", Scope.SERVICE, "SVC-1", F, "99.00", "EUR"),
            rule("cust-usd", "ma", Scope.CUSTOMER, "cust", F, "20.00", "USD"),
        ]
    )
    chain = price_chain(book, ("ma",), service(mrc="100.00"), "cust", DAY)
    assert rule_ids(chain) == ["cust-usd"]
    assert chain.price == usd("120.00")
    eur = price_chain(book, ("ma",), service(mrc="100.00", currency="EUR"), "cust", DAY)
    assert rule_ids(eur) == ["svc-eur"]
    assert eur.price == Money(Decimal("199.00"), "EUR")


def test_no_rule_resells_at_cost():
    chain = price_chain(RuleBook(), ("ma", "ag"), service(mrc="100.00"), "cust", DAY)
    assert [t.sell.amount for t in chain.tiers] == [Decimal("100.00")] * 2
    assert chain.price == usd("100.00")


def test_duplicate_rule_ids_are_rejected():
    with pytest.raises(ValueError, match="duplicate"):
        RuleBook(
            [rule("r", "ma", Scope.ALL, None, P, "1"), rule("r", "ag", Scope.ALL, None, P, "1")]
        )


def test_rules_must_be_coherent():
    with pytest.raises(ValueError, match="scope_value"):
        MarkupRule("r", "ma", Scope.CARRIER, None, P, Decimal(1))
    with pytest.raises(ValueError, match="currency"):
        MarkupRule("r", "ma", Scope.ALL, None, F, Decimal(1))


# --- rounding -------------------------------------------------------------------------------


def test_rounding_is_half_up_at_every_tier():
    # 10.10 * 1.05 = 10.605: HALF_UP gives 10.61 where HALF_EVEN would give 10.60
    assert Decimal("10.605").quantize(CENT, rounding=ROUND_HALF_EVEN) == Decimal("10.60")
    book = RuleBook(
        [
            rule("m", "ma", Scope.ALL, None, P, "5"),
            rule("a", "ag", Scope.ALL, None, P, "5"),
        ]
    )
    chain = price_chain(book, ("ma", "ag"), service(mrc="10.10", nrc="0.10"), "cust", DAY)
    first = Decimal("10.61")  # 10.605 rounded half up
    second = cents(first * Decimal("1.05"))  # 11.1405 -> 11.14 (from the rounded 10.61)
    assert [t.sell.amount for t in chain.tiers] == [first, second]
    assert second == Decimal("11.14")
    # 0.10 * 1.05 = 0.105 -> 0.11; 0.11 * 1.05 = 0.1155 -> 0.12
    assert [t.nrc_sell.amount for t in chain.tiers] == [Decimal("0.11"), Decimal("0.12")]


def test_fixed_amounts_and_sub_cent_wholesale_prices_are_rounded_too():
    book = RuleBook([rule("m", "ma", Scope.ALL, None, F, "0.0050")])
    chain = price_chain(book, ("ma",), service(mrc="99.994", nrc="0.005"), "cust", DAY)
    assert chain.wholesale == usd("99.99")  # rounded where it enters the chain
    assert chain.price == usd("100.00")  # 99.99 + 0.005 = 99.995 -> 100.00
    assert chain.nrc_wholesale == usd("0.01")  # 0.005 -> 0.01


def test_round_money_uses_the_currency_minor_unit_half_away_from_zero():
    assert round_money(Decimal("-0.005"), "USD") == Decimal("-0.01")
    assert round_money(Decimal("1234.5"), "JPY") == Decimal(1235)
    assert round_money(Decimal("1.0005"), "KWD") == Decimal("1.001")


# --- re-rated invoices ------------------------------------------------------------------


def invoice(total: Decimal, taxes: Decimal) -> Invoice:
    at = datetime(2026, 6, 1, tzinfo=UTC)
    return Invoice(
        carrier="carrier-x",
        account_number="ACC-1",
        invoice_number="INV-1",
        period_start=date(2026, 6, 1),
        period_end=date(2026, 6, 30),
        issued_at=at,
        due_at=at,
        status=InvoiceStatus.ISSUED,
        total=usd(total),
        taxes=usd(taxes),
    )


def line(kind: InvoiceLineKind, service_id: str | None, amount: str) -> InvoiceLine:
    return InvoiceLine(kind, service_id, kind.value.lower(), Decimal(1), usd(amount))


K = InvoiceLineKind
PRE_TAX = [
    line(K.RECURRING, "SVC-1", "1234.57"),
    line(K.RECURRING, "SVC-1", "617.29"),  # half a month
    line(K.ONE_TIME, "SVC-1", "199.99"),
    line(K.USAGE, "SVC-1", "37.45"),
    line(K.USAGE, None, "10.00"),
    line(K.CREDIT, "SVC-1", "-123.46"),
    line(K.ADJUSTMENT, None, "-5.00"),
]
OLD_SUBTOTAL = sum((ln.amount.amount for ln in PRE_TAX), Decimal(0))
OLD_TAX = cents(OLD_SUBTOTAL * Decimal("0.085"))
LINES = [*PRE_TAX, line(K.TAX, None, str(OLD_TAX))]
INVOICE = invoice(OLD_SUBTOTAL + OLD_TAX, OLD_TAX)
SERVICES = {"SVC-1": service()}


def test_a_private_label_customer_gets_its_invoice_re_rated_line_by_line():
    assert Decimal("1970.84") == OLD_SUBTOTAL
    assert Decimal("167.52") == OLD_TAX
    # Expected lines, worked out by hand from the chain above.
    ratio_num, ratio_den = SUB_SELL, WHOLESALE  # customer's MRC price / wholesale
    recurring = cents(Decimal("1234.57") * ratio_num / ratio_den)
    prorated = cents(Decimal("617.29") * ratio_num / ratio_den)
    one_time = cents(Decimal("199.99") * SUB_NRC / NRC_WHOLESALE)
    # usage on SVC-1: ma DIA 8 %, ag's winning rule is fixed (monthly only: at cost), sub 7 %
    usage_svc = cents(cents(cents(Decimal("37.45")) * Decimal("1.08")) * Decimal("1.07"))
    # usage on no service: ma's carrier rule is fixed (at cost), ag's customer rule is fixed
    # (at cost), sub has only its 10 % "all" rule left for an account-level charge
    usage_acct = cents(Decimal("10.00") * Decimal("1.10"))
    credit = cents(Decimal("-123.46") * ratio_num / ratio_den)
    adjustment = Decimal("-5.00")  # references no service: unchanged
    assert recurring == SUB_SELL
    assert (usage_svc, usage_acct) == (Decimal("43.28"), Decimal("11.00"))
    new_subtotal = recurring + prorated + one_time + usage_svc + usage_acct + credit + adjustment
    new_tax = cents(OLD_TAX * new_subtotal / OLD_SUBTOTAL)  # the same effective rate

    private = {"sub": True}
    new_invoice, new_lines = view("cust", "billing", private).invoice_for_viewer(
        INVOICE, LINES, "cust", SERVICES, DAY
    )

    assert [ln.amount.amount for ln in new_lines] == [
        recurring,
        prorated,
        one_time,
        usage_svc,
        usage_acct,
        credit,
        adjustment,
        new_tax,
    ]
    assert [ln.kind for ln in new_lines] == [ln.kind for ln in LINES]
    assert new_invoice.taxes == usd(new_tax)
    assert new_invoice.total == usd(new_subtotal + new_tax)
    # consistent to the cent: total is the sum of the lines, taxes the sum of tax lines
    assert new_invoice.total.amount == sum(ln.amount.amount for ln in new_lines)
    assert new_invoice.taxes.amount == sum(ln.amount.amount for ln in new_lines if ln.kind is K.TAX)
    assert all(ln.amount.amount == cents(ln.amount.amount) for ln in new_lines)
    assert new_invoice.invoice_number == INVOICE.invoice_number


def test_a_customer_whose_seller_does_not_bill_private_label_sees_the_carrier_invoice():
    same = view("cust", "billing", {"sub": False}).invoice_for_viewer(
        INVOICE, LINES, "cust", SERVICES, DAY
    )
    assert same == (INVOICE, tuple(LINES))
    unbranded = view("cust", "billing").invoice_for_viewer(INVOICE, LINES, "cust", SERVICES, DAY)
    assert unbranded == (INVOICE, tuple(LINES))


def test_the_nearest_branded_ancestor_decides_private_label_billing():
    # ag bills private-label, sub has a brand that does not: sub is nearer, so no re-rating
    assert not view("cust", private={"ag": True, "sub": False}).bills_private_label("cust")
    assert view("cust", private={"ag": True}).bills_private_label("cust")


def test_sellers_are_shown_the_carrier_invoice_and_rerate_is_principal_independent():
    private = {"sub": True}
    assert view("sub", private=private).invoice_for_viewer(
        INVOICE, LINES, "cust", SERVICES, DAY
    ) == (INVOICE, tuple(LINES))
    as_customer = view("cust", private=private).rerate_invoice(
        INVOICE, LINES, "cust", SERVICES, DAY
    )
    as_operator = view("op", private=private).rerate_invoice(INVOICE, LINES, "cust", SERVICES, DAY)
    assert as_customer == as_operator


def test_an_invoice_without_lines_re_rates_its_pre_tax_total_at_account_level():
    bare = invoice(Decimal("108.00"), Decimal("8.00"))
    new_invoice, new_lines = view("cust", private={"sub": True}).rerate_invoice(
        bare, [], "cust", {}, DAY
    )
    pre_tax = cents(Decimal("100.00") * Decimal("1.10"))  # only sub's 10 % "all" is a percent
    tax = cents(Decimal("8.00") * pre_tax / Decimal("100.00"))
    assert new_lines == ()
    assert new_invoice.taxes == usd(tax)
    assert new_invoice.total == usd(pre_tax + tax)
