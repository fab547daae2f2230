"""Records built by connectors.builders are the records their classes make."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connectors.builders import builder
from connectors.models import (
    Address,
    FieldProblem,
    Invoice,
    InvoiceStatus,
    MilestoneKind,
    Money,
    OrderMilestone,
    Service,
)

_EXAMPLES = [
    Money(Decimal("1.00"), "USD"),
    Address("1 Main St", "Springfield", None, "12345", "US"),
    OrderMilestone(MilestoneKind.FOC, planned_at=None, actual_at=None, name="Foc"),
    Invoice(
        carrier="c",
        account_number="a",
        invoice_number="n",
        period_start=date(2025, 6, 1),
        period_end=None,
        issued_at=datetime(2025, 7, 1, tzinfo=UTC),
        due_at=None,
        status=InvoiceStatus.PAID,
        total=Money(Decimal("5.00"), "USD"),
        taxes=None,
        status_code="settled",
        problems=(FieldProblem("due_at", "paymentDueDate", "missing"),),
    ),
]


@pytest.mark.parametrize("record", _EXAMPLES, ids=lambda r: type(r).__name__)
def test_a_built_record_is_the_record_the_class_makes(record):
    values = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    built = builder(type(record))(**values)
    assert type(built) is type(record)
    assert built == record
    assert hash(built) == hash(record)
    assert repr(built) == repr(record)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.__setattr__(dataclasses.fields(record)[0].name, None)


def test_a_builder_applies_the_class_defaults():
    build = builder(Service)
    values = {f.name: None for f in dataclasses.fields(Service) if f.default is dataclasses.MISSING}
    built = build(**values)
    assert built == Service(**values)
    assert built.problems == ()
    assert built.status_code is None
    with pytest.raises(TypeError):
        build()


def test_only_frozen_slotted_dataclasses_get_a_builder():
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(slots=True)
    class NotFrozen:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Factory:
        a: list[int] = dataclasses.field(default_factory=list)

    for cls in (NoSlots, NotFrozen, Factory, int):
        with pytest.raises(TypeError):
            builder(cls)
