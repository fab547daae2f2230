"""Commercial terms: markup rules and private-label brands, stored in the directory.

The directory database holds, beside the channel tree, what each seller charges
(``markup_rules``) and how resellers present themselves (``brands``). This module
loads both into an immutable :class:`Commercial` snapshot for the request path (the
:class:`~auth.pricing.RuleBook` and a brand per party), resolves the brand a principal
sees, and imports the YAML file behind ``switchboard directory import``.

Brand resolution: a party sees its own brand, else its nearest ancestor's (a customer
of a branded agent sees the agent's brand; so does a sub-agent of it). A customer's
*label* is its nearest branded ancestor: it decides whether the customer's invoices
are re-rated (``private_label_billing``) and whether its users see the reseller's
brand in place of the carrier (``hide_carriers``; customers only: every seller sees
carriers).

The import file (every section optional; keys are the table columns)::

    parties:
      - {id: ma-1, kind: master_agent, name: Master One}
      - {id: agent-1, kind: agent, name: Agent One, parent_id: ma-1}
      - {id: cust-1, kind: customer, name: Customer One, parent_id: agent-1}
    links:
      - {customer_id: cust-1, carrier: lumen, account_number: L-1}
    rules:
      - {id: ma-1-all, seller_id: ma-1, scope: all, kind: percent, value: 12}
      - {id: ma-1-fix, seller_id: ma-1, scope: carrier, scope_value: lumen,
         kind: fixed, value: 25.00, currency: USD, effective_from: 2026-01-01}
    brands:
      - {party_id: agent-1, display_name: Agent One Connect, hide_carriers: true,
         private_label_billing: true, primary_color: "#0B5FFF"}

The whole file is validated before anything is written (shape, then references
against the file and the directory together); every problem names its item and
field, e.g. ``rules[2].seller_id: unknown party 'x'``. Writing is an upsert by key
(party id, carrier account, rule id, brand party): running a file twice changes
nothing, and rows the file does not mention are left alone. The tree goes through
:meth:`Directory.seed`; rules and brands are then written in one transaction.

This module is past the ~300-line guide because the file's models, its reference
checks and the writer change together; the demo terms sit at its end.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, Final

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from sqlalchemy import insert, select, update

from auth.pricing import MarkupKind, MarkupRule, PricingView, RuleBook, Scope
from auth.tables import BrandRow, MarkupRuleRow
from connectors.models import AccountLink, ChannelParty, PartyKind, Product

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence
    from pathlib import Path

    from sqlalchemy.ext.asyncio import AsyncConnection

    from auth.directory import Directory, DirectorySnapshot
    from auth.principal import Principal
    from connectors.models import Service

__all__ = [
    "Brand",
    "BrandSpec",
    "Commercial",
    "Counts",
    "DirectoryFile",
    "DirectoryFileError",
    "ImportReport",
    "LinkSpec",
    "PartySpec",
    "RuleSpec",
    "demo_commercial",
    "import_document",
    "import_file",
    "load_commercial",
    "parse_file",
    "seed_demo_commercial",
    "store_commercial",
]

logger = logging.getLogger(__name__)

SELLER_KINDS: Final = frozenset({PartyKind.MASTER_AGENT, PartyKind.AGENT})
"""Party kinds that sell (and so may have markup rules and brands)."""


# --- the snapshot ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Brand:
    """A reseller's private label.

    Attributes:
        party_id: The reseller.
        display_name: The name shown instead of Switchboard's (and of the carrier's,
            when ``hide_carriers``).
        logo_url: An ``http(s)`` URL of the logo.
        primary_color: ``#RRGGBB`` (or ``#RGB``).
        secondary_color: ``#RRGGBB`` (or ``#RGB``).
        support_email: Where its customers ask for help.
        support_phone: Its support line.
        hide_carriers: Its customers see this brand in place of carriers.
        private_label_billing: It bills its customers itself: their invoices are
            re-rated with the price chain.
    """

    party_id: str
    display_name: str
    logo_url: str | None = None
    primary_color: str | None = None
    secondary_color: str | None = None
    support_email: str | None = None
    support_phone: str | None = None
    hide_carriers: bool = False
    private_label_billing: bool = False


@dataclass(frozen=True, slots=True)
class Commercial:
    """Markup rules and brands, immutable; build once, share across requests.

    Attributes:
        book: The markup rules, indexed for pricing.
        brands: Each branded party's brand.
        private_label: For each branded party, whether it bills private-label.

    Example:
        >>> commercial = await load_commercial(directory)
        >>> view = commercial.pricing_view(principal, snapshot)
        >>> brand = commercial.brand_for(principal, snapshot)
    """

    book: RuleBook = field(default_factory=RuleBook)
    brands: Mapping[str, Brand] = field(default_factory=lambda: MappingProxyType({}))
    private_label: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def build(cls, rules: Iterable[MarkupRule] = (), brands: Iterable[Brand] = ()) -> Commercial:
        """Index rules and brands.

        Args:
            rules: Markup rules (ids unique).
            brands: Brands (one per party; the last one wins).

        Returns:
            The snapshot.
        """
        by_party = {brand.party_id: brand for brand in brands}
        return cls(
            book=RuleBook(rules),
            brands=MappingProxyType(by_party),
            private_label=MappingProxyType(
                {party: brand.private_label_billing for party, brand in by_party.items()}
            ),
        )

    @property
    def rules(self) -> tuple[MarkupRule, ...]:
        """Every rule, by id."""
        return self.book.rules

    def brand_for(self, principal: Principal, snapshot: DirectorySnapshot) -> Brand | None:
        """The brand a principal sees: its party's own, else its nearest ancestor's.

        Args:
            principal: Who is asking.
            snapshot: The channel tree (its chain wins over the principal's).

        Returns:
            The brand, or ``None`` when neither the party nor an ancestor has one.
        """
        own = self.brands.get(principal.party_id)
        if own is not None or not self.brands:
            return own
        chain = (
            snapshot.chain(principal.party_id)
            if principal.party_id in snapshot.parties
            else principal.chain
        )
        return self._nearest(chain)

    def label_of(self, customer_id: str, snapshot: DirectorySnapshot) -> Brand | None:
        """A customer's label: its nearest branded ancestor's brand, if any."""
        if not self.brands:
            return None
        return self._nearest(snapshot.chain(customer_id))

    def carrier_mask(self, principal: Principal, snapshot: DirectorySnapshot) -> Brand | None:
        """The brand to show instead of every carrier, for this principal (else ``None``).

        Only a customer's users are masked, and only when its label hides carriers;
        operators, carriers and sellers always see the carriers.
        """
        if principal.kind is not PartyKind.CUSTOMER:
            return None
        label = self.label_of(principal.party_id, snapshot)
        return label if label is not None and label.hide_carriers else None

    def pricing_view(self, principal: Principal, snapshot: DirectorySnapshot) -> PricingView:
        """The request's pricing view for a principal (cheap: build one per request)."""
        return PricingView(principal, snapshot, self.book, self.private_label)

    def _nearest(self, chain: Iterable[str]) -> Brand | None:
        for ancestor in chain:
            brand = self.brands.get(ancestor)
            if brand is not None:
                return brand
        return None


def _rule(row: Any) -> MarkupRule:  # noqa: ANN401 (a SQLAlchemy Row)
    try:
        return MarkupRule(
            id=row.id,
            seller_id=row.seller_id,
            scope=Scope(row.scope),
            scope_value=row.scope_value,
            kind=MarkupKind(row.kind),
            value=Decimal(row.value),
            currency=row.currency,
            effective_from=row.effective_from,
            effective_to=row.effective_to,
        )
    except ValueError as exc:
        # A rule that cannot be read must not silently price at cost.
        raise ValueError(f"markup rule {row.id!r} in the directory is invalid: {exc}") from exc


def _brand(row: Any) -> Brand:  # noqa: ANN401 (a SQLAlchemy Row)
    return Brand(
        party_id=row.party_id,
        display_name=row.display_name,
        logo_url=row.logo_url,
        primary_color=row.primary_color,
        secondary_color=row.secondary_color,
        support_email=row.support_email,
        support_phone=row.support_phone,
        hide_carriers=bool(row.hide_carriers),
        private_label_billing=bool(row.private_label_billing),
    )


_RULE_COLUMNS = (
    MarkupRuleRow.id,
    MarkupRuleRow.seller_id,
    MarkupRuleRow.scope,
    MarkupRuleRow.scope_value,
    MarkupRuleRow.kind,
    MarkupRuleRow.value,
    MarkupRuleRow.currency,
    MarkupRuleRow.effective_from,
    MarkupRuleRow.effective_to,
)
_BRAND_COLUMNS = (
    BrandRow.party_id,
    BrandRow.display_name,
    BrandRow.logo_url,
    BrandRow.primary_color,
    BrandRow.secondary_color,
    BrandRow.support_email,
    BrandRow.support_phone,
    BrandRow.hide_carriers,
    BrandRow.private_label_billing,
)


async def load_commercial(directory: Directory) -> Commercial:
    """Load every markup rule and brand into an immutable snapshot.

    Args:
        directory: The open directory.

    Returns:
        The snapshot; the caller decides when to reload (as with the tree's).

    Raises:
        ValueError: If a stored rule is invalid (unknown scope or kind, ...).
    """
    async with directory.engine.connect() as conn:
        rules = [_rule(r) for r in await conn.execute(select(*_RULE_COLUMNS))]
        brands = [_brand(r) for r in await conn.execute(select(*_BRAND_COLUMNS))]
    return Commercial.build(rules, brands)


# --- writing -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Counts:
    """What an upsert did to one kind of row."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did, per section."""

    parties: Counts = Counts()
    links: Counts = Counts()
    rules: Counts = Counts()
    brands: Counts = Counts()

    def sections(self) -> tuple[tuple[str, Counts], ...]:
        """``(name, counts)`` per section, in file order."""
        return (
            ("parties", self.parties),
            ("links", self.links),
            ("rules", self.rules),
            ("brands", self.brands),
        )

    @property
    def changed(self) -> bool:
        """Whether anything was created or updated."""
        return any(c.created or c.updated for _, c in self.sections())


def _rule_values(rule: MarkupRule) -> tuple[object, ...]:
    return (
        rule.seller_id,
        rule.scope.value,
        rule.scope_value,
        rule.kind.value,
        rule.value,
        rule.currency,
        rule.effective_from,
        rule.effective_to,
    )


def _brand_values(brand: Brand) -> tuple[object, ...]:
    return (
        brand.display_name,
        brand.logo_url,
        brand.primary_color,
        brand.secondary_color,
        brand.support_email,
        brand.support_phone,
        brand.hide_carriers,
        brand.private_label_billing,
    )


_RULE_FIELDS = tuple(c.key for c in _RULE_COLUMNS[1:])
_BRAND_FIELDS = tuple(c.key for c in _BRAND_COLUMNS[1:])


async def store_commercial(
    directory: Directory, rules: Iterable[MarkupRule], brands: Iterable[Brand]
) -> tuple[Counts, Counts]:
    """Upsert rules (by id) and brands (by party) in one transaction.

    Rows not given are left alone; rows equal to what is stored are not written.
    The sellers and branded parties must exist (foreign keys).

    Args:
        directory: The open directory.
        rules: Rules to store.
        brands: Brands to store.

    Returns:
        The rule counts and the brand counts.
    """
    rule_by_id = {rule.id: rule for rule in rules}
    brand_by_party = {brand.party_id: brand for brand in brands}
    now = datetime.now(UTC)
    async with directory.engine.begin() as conn:
        stored_rules = {
            row.id: (
                row.seller_id,
                row.scope,
                row.scope_value,
                row.kind,
                Decimal(row.value),
                row.currency,
                row.effective_from,
                row.effective_to,
            )
            for row in await conn.execute(select(*_RULE_COLUMNS))
        }
        stored_brands = {
            row.party_id: (
                row.display_name,
                row.logo_url,
                row.primary_color,
                row.secondary_color,
                row.support_email,
                row.support_phone,
                bool(row.hide_carriers),
                bool(row.private_label_billing),
            )
            for row in await conn.execute(select(*_BRAND_COLUMNS))
        }
        wanted_rules = {k: _rule_values(v) for k, v in rule_by_id.items()}
        wanted_brands = {k: _brand_values(v) for k, v in brand_by_party.items()}
        rule_counts = await _upsert(
            conn, MarkupRuleRow, _RULE_FIELDS, stored_rules, wanted_rules, now
        )
        brand_counts = await _upsert(conn, BrandRow, _BRAND_FIELDS, stored_brands, wanted_brands)
    return rule_counts, brand_counts


async def _upsert(
    conn: AsyncConnection,
    table: type[MarkupRuleRow | BrandRow],
    fields: Sequence[str],
    stored: Mapping[str, tuple[object, ...]],
    wanted: Mapping[str, tuple[object, ...]],
    created_at: datetime | None = None,
) -> Counts:
    """Insert the missing rows, update the different ones, count the equal ones."""
    created: list[dict[str, object]] = []
    updated = unchanged = 0
    key_column = table.__mapper__.primary_key[0]
    key = str(key_column.key)
    for ident, values in wanted.items():
        row = dict(zip(fields, values, strict=True))
        current = stored.get(ident)
        if current is None:
            if created_at is not None:
                row["created_at"] = created_at
            created.append({key: ident, **row})
        elif current != values:
            await conn.execute(update(table).where(key_column == ident).values(**row))
            updated += 1
        else:
            unchanged += 1
    if created:
        await conn.execute(insert(table), created)
    return Counts(len(created), updated, unchanged)


# --- the import file -----------------------------------------------------------------------

_NO_SPACE = r"^\S+$"
PartyId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=_NO_SPACE)]
_Name = Annotated[str, StringConstraints(min_length=1, max_length=256)]
_Color = Annotated[str, StringConstraints(pattern=r"^#(?:[0-9A-Fa-f]{3}){1,2}$")]
_Url = Annotated[str, StringConstraints(max_length=1024, pattern=r"^https?://\S+$")]
_Email = Annotated[str, StringConstraints(max_length=256, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
_Phone = Annotated[str, StringConstraints(max_length=64, pattern=r"^\+?[0-9][0-9 ().-]*[0-9]$")]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PartySpec(_Spec):
    """One party of the channel tree."""

    id: PartyId
    kind: PartyKind
    name: _Name
    parent_id: PartyId | None = None

    def party(self) -> ChannelParty:
        """The party as the directory takes it."""
        return ChannelParty(self.id, self.kind, self.name, self.parent_id)


class LinkSpec(_Spec):
    """One carrier account owned by a customer."""

    customer_id: PartyId
    carrier: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_NO_SPACE)]
    account_number: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class RuleSpec(_Spec):
    """One markup rule (see :class:`~auth.pricing.MarkupRule`)."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_NO_SPACE)]
    seller_id: PartyId
    scope: Scope
    scope_value: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = Field(
        default=None, validate_default=True
    )
    kind: MarkupKind
    # Numeric(14, 4): more decimals would be rounded by the database, and a re-run
    # would then see a change that is not one.
    value: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = Field(
        default=None, validate_default=True
    )
    effective_from: date | None = None
    effective_to: date | None = None

    @field_validator("scope_value")
    @classmethod
    def _scope_value(cls, value: str | None, info: ValidationInfo) -> str | None:
        scope = info.data.get("scope")
        if scope is Scope.ALL and value is not None:
            raise ValueError("must be omitted when scope is 'all'")
        if scope is not None and scope is not Scope.ALL and value is None:
            raise ValueError(f"is required when scope is {scope.value!r}")
        if scope is Scope.PRODUCT and value is not None and value not in Product.__members__:
            raise ValueError(f"unknown product {value!r}; one of {', '.join(Product)}")
        if scope is Scope.TELEPHONE_NUMBER and value is not None and not re.search(r"\d", value):
            raise ValueError(f"{value!r} has no digits")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if kind is MarkupKind.FIXED and value is None:
            raise ValueError("is required for a fixed rule")
        if kind is MarkupKind.PERCENT and value is not None:
            raise ValueError("must be omitted for a percent rule")
        return value

    @field_validator("effective_to")
    @classmethod
    def _effective_to(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("effective_from")
        if value is not None and start is not None and value < start:
            raise ValueError(f"{value} is before effective_from {start}")
        return value

    def rule(self) -> MarkupRule:
        """The rule as pricing takes it."""
        return MarkupRule(
            id=self.id,
            seller_id=self.seller_id,
            scope=self.scope,
            scope_value=self.scope_value,
            kind=self.kind,
            value=self.value,
            currency=self.currency,
            effective_from=self.effective_from,
            effective_to=self.effective_to,
        )


class BrandSpec(_Spec):
    """One reseller's private label (see :class:`Brand`)."""

    party_id: PartyId
    display_name: _Name
    logo_url: _Url | None = None
    primary_color: _Color | None = None
    secondary_color: _Color | None = None
    support_email: _Email | None = None
    support_phone: _Phone | None = None
    hide_carriers: StrictBool = False
    private_label_billing: StrictBool = False

    def brand(self) -> Brand:
        """The brand as the snapshot holds it."""
        return Brand(**self.model_dump())


class DirectoryFile(_Spec):
    """The import file: every section is optional."""

    parties: tuple[PartySpec, ...] = ()
    links: tuple[LinkSpec, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    brands: tuple[BrandSpec, ...] = ()


class DirectoryFileError(ValueError):
    """An import file that cannot be applied; ``problems`` name item and field each."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        """Collect the problems of one file.

        Args:
            source: The file (or ``<document>``).
            problems: One ``section[index].field: message`` per problem.
        """
        self.source = source
        self.problems = tuple(problems)
        super().__init__(f"{source}: " + "; ".join(self.problems))


def _where(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def _validate(raw: object, source: str) -> DirectoryFile:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise DirectoryFileError(source, ["(file): expected a mapping of sections"])
    try:
        return DirectoryFile.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{_where(error['loc'])}: {error['msg']}"
            + ("" if error["type"] != "extra_forbidden" else " (unknown field)")
            for error in exc.errors(include_url=False)
        ]
        raise DirectoryFileError(source, problems) from exc


def parse_file(path: Path) -> DirectoryFile:
    """Read and shape-check an import file (references are checked on import).

    Args:
        path: The YAML file.

    Returns:
        The parsed file.

    Raises:
        DirectoryFileError: If it cannot be read, is not YAML, or has a bad shape.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DirectoryFileError(str(path), [f"(file): {exc}"]) from exc
    return _validate(raw, str(path))


_ROOT_KINDS: Final = frozenset({PartyKind.OPERATOR, PartyKind.CARRIER, PartyKind.MASTER_AGENT})


def _parent_problem(kind: PartyKind, parent: ChannelParty | None) -> str | None:
    """Why a party of this kind cannot sit under this parent (``None``: it can)."""
    if kind in _ROOT_KINDS:
        return None if parent is None else f"a {kind.value} has no parent"
    if parent is None:
        return "a customer needs a parent agent" if kind is PartyKind.CUSTOMER else None
    if parent.kind not in SELLER_KINDS:
        return f"a {kind.value} cannot sit under {parent.id!r} ({parent.kind.value})"
    return None


def _duplicates(section: str, keys: Sequence[object], field_name: str) -> list[str]:
    first: dict[object, int] = {}
    problems = []
    for index, key in enumerate(keys):
        if key in first:
            problems.append(
                f"{section}[{index}].{field_name}: duplicate of {section}[{first[key]}] ({key!r})"
            )
        else:
            first[key] = index
    return problems


def _check_parties(
    document: DirectoryFile, merged: Mapping[str, ChannelParty], existing: Collection[str]
) -> list[str]:
    problems: list[str] = []
    children: dict[str, list[str]] = {}
    for party in merged.values():
        if party.parent_id is not None:
            children.setdefault(party.parent_id, []).append(party.id)
    for index, spec in enumerate(document.parties):
        where = f"parties[{index}]"
        if spec.parent_id is not None and spec.parent_id not in merged:
            problems.append(f"{where}.parent_id: unknown party {spec.parent_id!r}")
            continue
        parent = None if spec.parent_id is None else merged[spec.parent_id]
        if (problem := _parent_problem(spec.kind, parent)) is not None:
            problems.append(f"{where}.parent_id: {problem}")
        seen = [spec.id]
        node = spec.parent_id
        while node is not None and node in merged:
            if node in seen:
                problems.append(f"{where}.parent_id: cycle through {node!r}")
                break
            seen.append(node)
            node = merged[node].parent_id
        if spec.id in existing:  # a changed kind must still suit the children it has
            for child in sorted(children.get(spec.id, ())):
                problem = _parent_problem(merged[child].kind, merged[spec.id])
                if problem is not None:
                    problems.append(f"{where}.kind: its child {child!r}: {problem}")
    return problems


def _party_problem(
    merged: Mapping[str, ChannelParty], party_id: str, kinds: Collection[PartyKind], what: str
) -> str | None:
    party = merged.get(party_id)
    if party is None:
        return f"unknown party {party_id!r}"
    if party.kind not in kinds:
        return f"{party_id!r} is a {party.kind.value}, not {what}"
    return None


def _ancestors(merged: Mapping[str, ChannelParty], party_id: str) -> list[str]:
    chain: list[str] = []
    node = merged.get(party_id)
    while node is not None and node.parent_id is not None and node.parent_id not in chain:
        chain.append(node.parent_id)
        node = merged.get(node.parent_id)
    return chain


def _check(document: DirectoryFile, existing: Mapping[str, ChannelParty]) -> list[str]:
    """Every reference problem of a shape-valid file, against the directory's parties."""
    problems = [
        *_duplicates("parties", [p.id for p in document.parties], "id"),
        *_duplicates(
            "links", [(ln.carrier, ln.account_number) for ln in document.links], "account_number"
        ),
        *_duplicates("rules", [r.id for r in document.rules], "id"),
        *_duplicates("brands", [b.party_id for b in document.brands], "party_id"),
    ]
    merged = {**existing, **{spec.id: spec.party() for spec in document.parties}}
    problems += _check_parties(document, merged, existing.keys())
    customer = (PartyKind.CUSTOMER,)
    for index, link in enumerate(document.links):
        if (
            problem := _party_problem(merged, link.customer_id, customer, "a customer")
        ) is not None:
            problems.append(f"links[{index}].customer_id: {problem}")
    for index, spec in enumerate(document.rules):
        seller = _party_problem(merged, spec.seller_id, SELLER_KINDS, "a seller (agent)")
        if seller is not None:
            problems.append(f"rules[{index}].seller_id: {seller}")
        if spec.scope is Scope.CUSTOMER and spec.scope_value is not None:
            problem = _party_problem(merged, spec.scope_value, customer, "a customer")
            if problem is None and spec.seller_id not in _ancestors(merged, spec.scope_value):
                problem = f"customer {spec.scope_value!r} is not sold by {spec.seller_id!r}"
            if problem is not None:
                problems.append(f"rules[{index}].scope_value: {problem}")
    for index, brand in enumerate(document.brands):
        problem = _party_problem(merged, brand.party_id, SELLER_KINDS, "a reseller (agent)")
        if problem is not None:
            problems.append(f"brands[{index}].party_id: {problem}")
    return problems


async def import_file(directory: Directory, path: Path) -> ImportReport:
    """Validate a YAML file of parties, links, rules and brands, then upsert it.

    Args:
        directory: The open directory.
        path: The file.

    Returns:
        What was created, updated and left unchanged, per section.

    Raises:
        DirectoryFileError: If the file is unreadable or invalid; nothing is written.
    """
    return await import_document(directory, parse_file(path), source=str(path))


async def import_document(
    directory: Directory, document: DirectoryFile | Mapping[str, Any], *, source: str = "<document>"
) -> ImportReport:
    """Validate a parsed import document against the directory, then upsert it.

    Args:
        directory: The open directory.
        document: The parsed file, or its raw mapping (shape-checked here).
        source: What to name in errors.

    Returns:
        What was created, updated and left unchanged, per section.

    Raises:
        DirectoryFileError: If the document is invalid; nothing is written.
    """
    if not isinstance(document, DirectoryFile):
        document = _validate(dict(document), source)
    existing = {party.id: party for party in await directory.parties()}
    problems = _check(document, existing)
    if problems:
        raise DirectoryFileError(source, problems)

    owners = {(ln.carrier, ln.account_number): ln.customer_id for ln in await directory.links()}
    new_parties = [spec.party() for spec in document.parties]
    changed_parties = [p for p in new_parties if existing.get(p.id) != p]
    created_parties = sum(p.id not in existing for p in changed_parties)
    links: list[AccountLink] = []
    changed_links = []
    for spec in document.links:
        link = _link(spec)
        links.append(link)
        if owners.get((link.carrier, link.account_number)) != link.customer_id:
            changed_links.append(link)
    created_links = sum((ln.carrier, ln.account_number) not in owners for ln in changed_links)
    if changed_parties or changed_links:
        await directory.seed(changed_parties, changed_links)
    rules, brands = await store_commercial(
        directory,
        [spec.rule() for spec in document.rules],
        [spec.brand() for spec in document.brands],
    )
    report = ImportReport(
        parties=_counts(len(new_parties), len(changed_parties), created_parties),
        links=_counts(len(links), len(changed_links), created_links),
        rules=rules,
        brands=brands,
    )
    logger.info("directory import %s: %s", source, report)
    return report


def _link(spec: LinkSpec) -> AccountLink:
    return AccountLink(spec.customer_id, spec.carrier, spec.account_number)


def _counts(total: int, changed: int, created: int) -> Counts:
    return Counts(created=created, updated=changed - created, unchanged=total - changed)


# --- the demo ------------------------------------------------------------------------------


def _first(ids: Iterable[str]) -> str | None:
    return min(ids, default=None)


def demo_commercial(
    snapshot: DirectorySnapshot, services: Iterable[Service] = ()
) -> tuple[tuple[MarkupRule, ...], tuple[Brand, ...]]:
    """Deterministic demo terms for whatever tree the demo seed produced.

    Parties are chosen by position (ids sorted), so any seed works:

    * the first master agent: 12 % on all, 8 % on DIA, a fixed 25.00 a month on the
      first carrier (in that carrier's currency, as its services show; USD otherwise);
    * the sub-agent's parent agent (else the master's first agent): 15 % on all and
      5 % on the first customer sold through the sub-agent (else its own first);
    * the first sub-agent (an agent under an agent, preferring one with customers):
      10 % on all and a fixed 9.95 a month on its customers' first service;
    * another direct agent with customers is a private-label reseller (brand with
      ``hide_carriers`` and ``private_label_billing``) marking up 18 % on all.

    Args:
        snapshot: The seeded tree (carrier parties included).
        services: The data set's services, to pick the service rule and currencies;
            without them the service rule is left out and fixed rules are in USD.

    Returns:
        The rules (ids ``demo-*``) and the brands.
    """
    parties, customers_of = snapshot.parties, snapshot.subtree_customers
    master = _first(p.id for p in parties.values() if p.kind is PartyKind.MASTER_AGENT)
    if master is None:
        return (), ()
    services = sorted(services, key=lambda s: (s.carrier, s.service_id))
    rules = [
        _percent("demo-master-all", master, Scope.ALL, None, 12),
        _percent("demo-master-dia", master, Scope.PRODUCT, Product.DIA.value, 8),
    ]
    carrier = _first(p.id for p in parties.values() if p.kind is PartyKind.CARRIER)
    if carrier is None and services:
        carrier = services[0].carrier
    if carrier is not None:
        currency = next((s.mrc.currency for s in services if s.carrier == carrier and s.mrc), "USD")
        rules.append(
            _fixed("demo-master-carrier", master, Scope.CARRIER, carrier, "25.00", currency)
        )

    def agents_under(party_id: str) -> list[str]:
        children = snapshot.children.get(party_id, ())
        return [c for c in children if parties[c].kind is PartyKind.AGENT]

    direct = agents_under(master)
    subs = sorted(s for agent in direct for s in agents_under(agent))
    sub = _first(s for s in subs if customers_of.get(s)) or _first(subs)
    agent = parties[sub].parent_id if sub is not None else _first(direct)
    if agent is not None:
        rules.append(_percent("demo-agent-all", agent, Scope.ALL, None, 15))
        pool = customers_of.get(sub or agent) or customers_of.get(agent, ())
        if pool:
            rules.append(_percent("demo-agent-customer", agent, Scope.CUSTOMER, pool[0], 5))
    if sub is not None:
        rules.append(_percent("demo-sub-all", sub, Scope.ALL, None, 10))
        mine = set(customers_of.get(sub, ()))
        for service in services:
            link = snapshot.link_by_account.get((service.carrier, service.account_number))
            if link is not None and link.customer_id in mine:
                cur = service.mrc.currency if service.mrc else "USD"
                rule_id, sid = "demo-sub-service", service.service_id
                rules.append(_fixed(rule_id, sub, Scope.SERVICE, sid, "9.95", cur))
                break
    brands: list[Brand] = []
    label = _first(a for a in direct if a != agent and customers_of.get(a)) or agent
    if label is not None:
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        brands.append(
            Brand(
                party_id=label,
                display_name=f"{parties[label].name} Connect",
                logo_url=f"https://brands.example.com/{slug}/logo.svg",
                primary_color="#0B5FFF",
                secondary_color="#FFB800",
                support_email=f"support@{slug}.example.com",
                support_phone="+1 555 0100",
                hide_carriers=True,
                private_label_billing=True,
            )
        )
        if label != agent:
            rules.append(_percent("demo-label-all", label, Scope.ALL, None, 18))
    return tuple(rules), tuple(brands)


def _percent(rule_id: str, seller: str, scope: Scope, value: str | None, pct: int) -> MarkupRule:
    return MarkupRule(rule_id, seller, scope, value, MarkupKind.PERCENT, Decimal(pct))


def _fixed(
    rule_id: str, seller: str, scope: Scope, value: str, amount: str, currency: str
) -> MarkupRule:
    return MarkupRule(rule_id, seller, scope, value, MarkupKind.FIXED, Decimal(amount), currency)


async def seed_demo_commercial(
    directory: Directory, services: Iterable[Service] = ()
) -> Commercial:
    """Store the demo terms (:func:`demo_commercial`) for the seeded tree; idempotent.

    Args:
        directory: The demo directory, its tree already seeded.
        services: The data set's services (see :func:`demo_commercial`).

    Returns:
        Every rule and brand now in the directory.
    """
    rules, brands = demo_commercial(await directory.snapshot(), services)
    await store_commercial(directory, rules, brands)
    return await load_commercial(directory)
