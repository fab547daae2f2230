"""Normalized records -> one SOAP carrier's XML, and that carrier's WSDL.

The writing half of the SOAP sandbox back office: the inverse of
:mod:`connectors.protocols.soap_records`. Records become small element trees named
with the family's element names (so a garbage mode can still break one of them), and
are rendered with the carrier's own element names, status codes, time zone and date,
time and money formats.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from connectors.protocols.soap import REQUEST_KEYS, SOAP_ENV
from connectors.protocols.soap_records import ITEM_ACTIONS, LINE_KINDS, SoapMaps
from connectors.specs.soap import ELEMENT_NAMES, SoapCursorPaging, SoapPagePaging

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import date, datetime

    from connectors.models import (
        Address,
        CarrierAccount,
        Invoice,
        InvoiceLine,
        Money,
        Note,
        Order,
        Resource,
        Service,
        TroubleTicket,
    )
    from connectors.specs.soap import SoapSpec

__all__ = ["El", "SoapWriter", "envelope", "fault", "wsdl"]

_LINE_CODES = {kind: code for code, kind in LINE_KINDS.items()}
_ACTION_CODES = {kind: code for code, kind in ITEM_ACTIONS.items()}


@dataclass(frozen=True, slots=True)
class El:
    """One element: a family element name, and text or children (attributes optional)."""

    name: str
    text: str | None = None
    children: tuple[El, ...] = ()
    attrs: tuple[tuple[str, str], ...] = ()

    def without(self, name: str) -> El:
        """A copy without the child called ``name``."""
        return replace(self, children=tuple(c for c in self.children if c.name != name))

    def with_text(self, name: str, text: str) -> El:
        """A copy whose child ``name`` holds ``text``."""
        return replace(
            self, children=tuple(replace(c, text=text) if c.name == name else c
                                 for c in self.children)
        )  # fmt: skip


def _opt(name: str, text: str | None) -> tuple[El, ...]:
    return () if text is None else (El(name, text),)


def envelope(body: str) -> str:
    """A SOAP 1.1 envelope around a rendered body element."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>{body}</soap:Body></soap:Envelope>'
    )


def fault(code: str, text: str) -> str:
    """A SOAP 1.1 Fault envelope (sent with HTTP 500)."""
    return envelope(
        f"<soap:Fault><faultcode>soap:{code}</faultcode>"
        f"<faultstring>{escape(text)}</faultstring></soap:Fault>"
    )


class SoapWriter:
    """Normalized records -> element trees and XML text in one carrier's vocabulary."""

    def __init__(self, spec: SoapSpec) -> None:
        self.spec = spec
        self.maps = SoapMaps.for_spec(spec)
        self.time = spec.time_format()
        self.day = spec.day_format()
        self.amount = spec.amount_format()
        self.currency_element = spec.money.currency == "element"
        self.names = {name: spec.element(name) for name in ELEMENT_NAMES}

    # -- rendering ------------------------------------------------------------------

    def render(self, el: El) -> str:
        name = "tns:" + self.names.get(el.name, el.name)
        attrs = "".join(f" {k}={quoteattr(v)}" for k, v in el.attrs)
        inner = (
            "".join(self.render(c) for c in el.children) if el.children else escape(el.text or "")
        )
        return f"<{name}{attrs}>{inner}</{name}>"

    def ts(self, name: str, value: datetime | None) -> tuple[El, ...]:
        return () if value is None else (El(name, self.time.write(value)),)

    def days(self, name: str, value: date | None) -> tuple[El, ...]:
        return () if value is None else (El(name, self.day.write(value)),)

    def money(self, name: str, value: Money) -> El:
        attrs = () if self.currency_element else (("currency", value.currency),)
        return El(name, self.amount.write(value.amount), attrs=attrs)

    def currency(self, value: str) -> tuple[El, ...]:
        return (El("Currency", value),) if self.currency_element else ()

    def address(self, name: str, a: Address) -> El:
        return El(name, children=(
            El("Street", a.street), El("City", a.city), El("State", a.state),
            El("PostalCode", a.postcode), El("Country", a.country),
        ))  # fmt: skip

    def notes(self, notes: Sequence[Note]) -> tuple[El, ...]:
        if not notes:
            return ()
        return (El("Notes", children=tuple(
            El("Note", children=(
                El("Author", n.author), El("Organization", n.organization),
                *self.ts("CreatedDate", n.created_at), El("Text", n.text),
                El("Visibility", n.visibility.value),
            ))
            for n in notes
        )),)  # fmt: skip

    # -- records --------------------------------------------------------------------

    def account(self, a: CarrierAccount) -> El:
        return El("Account", children=(
            El("AccountNumber", a.account_number), El("AccountName", a.name),
            El("Status", self.maps.account.code_for(a.status)), El("Currency", a.currency),
            *self.ts("OpenedDate", a.created_at), self.address("BillingAddress", a.billing_address),
        ))  # fmt: skip

    def service(self, s: Service) -> El:
        numbers = tuple(El("TelephoneNumber", n) for n in s.telephone_numbers)
        return El("Service", children=(
            El("ServiceId", s.service_id), El("AccountNumber", s.account_number),
            *_opt("CircuitId", s.circuit_id), El("Product", s.product.value),
            *_opt("BandwidthMbps", None if s.bandwidth_mbps is None else str(s.bandwidth_mbps)),
            *((El("TelephoneNumbers", children=numbers),) if numbers else ()),
            self.address("ServiceAddress", s.service_address),
            *(() if s.z_address is None else (self.address("ZEndAddress", s.z_address),)),
            El("Status", self.maps.service.code_for(s.status)),
            *self.ts("ActivationDate", s.activated_at), *self.currency(s.mrc.currency),
            self.money("MonthlyCharge", s.mrc), self.money("InstallCharge", s.nrc),
            El("TermMonths", str(s.term_months)), *self.days("ContractEndDate", s.contract_end),
        ))  # fmt: skip

    def invoice(self, i: Invoice) -> El:
        return El("Invoice", children=(
            El("InvoiceNumber", i.invoice_number), El("AccountNumber", i.account_number),
            *self.days("PeriodStart", i.period_start), *self.days("PeriodEnd", i.period_end),
            *self.ts("InvoiceDate", i.issued_at), *self.ts("DueDate", i.due_at),
            El("Status", self.maps.invoice.code_for(i.status)), *self.currency(i.total.currency),
            self.money("TotalAmount", i.total), self.money("TaxAmount", i.taxes),
        ))  # fmt: skip

    def invoice_line(self, invoice_number: str, line: InvoiceLine) -> El:
        return El("InvoiceLine", children=(
            El("InvoiceNumber", invoice_number), El("LineType", _LINE_CODES[line.kind]),
            *_opt("ServiceId", line.service_id), El("Description", line.description),
            El("Quantity", str(line.quantity)), *self.currency(line.amount.currency),
            self.money("Amount", line.amount),
        ))  # fmt: skip

    def order(self, o: Order) -> El:
        items = tuple(
            El("Item", children=(
                El("ItemId", it.item_id), El("Action", _ACTION_CODES[it.action]),
                El("Product", it.product.value), El("Status", self.maps.order.code_for(it.status)),
                *_opt("ServiceId", it.service_id),
            ))
            for it in o.items
        )  # fmt: skip
        milestones = tuple(
            El("Milestone", children=(
                El("Name", self.maps.milestone.code_for(m.kind)),
                *self.ts("PlannedDate", m.planned_at), *self.ts("ActualDate", m.actual_at),
                *_opt("Remark", m.note),
            ))
            for m in o.milestones
        )  # fmt: skip
        return El("Order", children=(
            El("OrderId", o.order_id), El("AccountNumber", o.account_number),
            *_opt("PurchaseOrderNumber", o.purchase_order_number),
            El("OrderType", o.kind.value), El("Status", self.maps.order.code_for(o.status)),
            *self.ts("OrderDate", o.ordered_at), *self.days("RequestedDate", o.requested_date),
            *self.days("CommittedDate", o.committed_date), El("Items", children=items),
            El("Milestones", children=milestones), *self.notes(o.notes),
        ))  # fmt: skip

    def ticket(self, t: TroubleTicket) -> El:
        m = self.maps
        history = tuple(
            El("StatusChange", children=(
                El("Status", m.ticket.code_for(c.status)), *self.ts("ChangeDate", c.changed_at),
            ))
            for c in t.status_changes
        )  # fmt: skip
        return El("Ticket", children=(
            El("TicketId", t.ticket_id), El("AccountNumber", t.account_number),
            *_opt("ServiceId", t.service_id), El("TicketType", t.type.value),
            El("Severity", m.ticket_severity.code_for(t.severity)),
            El("Priority", m.ticket_priority.code_for(t.priority)),
            El("Impact", t.observed_impact.value), El("Status", m.ticket.code_for(t.status)),
            El("Description", t.description), *self.ts("ReportedDate", t.opened_at),
            *self.ts("ExpectedResolutionDate", t.expected_resolution_at),
            *self.ts("ResolvedDate", t.resolved_at), *self.ts("SlaTargetDate", t.sla_target),
            El("History", children=history), *self.notes(t.notes),
        ))  # fmt: skip


def wsdl(spec: SoapSpec, resources: Iterable[Resource], address: str) -> str:
    """The WSDL 1.1 (document/literal wrapped) of a carrier's service, served at ``?wsdl``."""
    ns = spec.namespace
    xsd = "http://www.w3.org/2001/XMLSchema"
    elements: list[str] = []
    messages: list[str] = []
    port_ops: list[str] = []
    binding_ops: list[str] = []
    paging = spec.paging
    if isinstance(paging, SoapPagePaging):
        request_paging = [paging.page_param, paging.size_param]
        response_paging = [paging.total_pages_field] if paging.total_pages_field else []
    elif isinstance(paging, SoapCursorPaging):
        request_paging = [paging.cursor_param, paging.limit_param]
        response_paging = [paging.next_cursor_field]
    else:
        request_paging, response_paging = [], []
    for resource in resources:
        op = spec.operation(resource)
        choices = "".join(
            f'<xsd:element name="{lst}"><xsd:complexType><xsd:sequence><xsd:element '
            f'name="{item}" type="xsd:string" maxOccurs="unbounded"/></xsd:sequence>'
            "</xsd:complexType></xsd:element>"
            for lst, item in REQUEST_KEYS[resource].values()
        )
        optional = "".join(
            f'<xsd:element name="{p}" type="xsd:string" minOccurs="0"/>' for p in request_paging
        )
        scalars = "".join(
            f'<xsd:element name="{p}" type="xsd:string" minOccurs="0"/>' for p in response_paging
        )
        elements.append(
            f'<xsd:element name="{op}"><xsd:complexType><xsd:sequence><xsd:choice>{choices}'
            f"</xsd:choice>{optional}</xsd:sequence></xsd:complexType></xsd:element>"
            f'<xsd:element name="{op}Response"><xsd:complexType><xsd:sequence>'
            '<xsd:any processContents="lax" maxOccurs="unbounded"/>'
            f"{scalars}</xsd:sequence></xsd:complexType></xsd:element>"
        )
        for suffix in ("Request", "Response"):
            element = op if suffix == "Request" else f"{op}Response"
            messages.append(
                f'<wsdl:message name="{op}{suffix}"><wsdl:part name="parameters" '
                f'element="tns:{element}"/></wsdl:message>'
            )
        port_ops.append(
            f'<wsdl:operation name="{op}"><wsdl:input message="tns:{op}Request"/>'
            f'<wsdl:output message="tns:{op}Response"/></wsdl:operation>'
        )
        binding_ops.append(
            f'<wsdl:operation name="{op}"><soap:operation soapAction={quoteattr(spec.action(op))}'
            ' style="document"/><wsdl:input><soap:body use="literal"/></wsdl:input>'
            '<wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" '
        f'xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xsd="{xsd}" '
        f'xmlns:tns="{ns}" targetNamespace="{ns}" name="BillingService">'
        f'<wsdl:types><xsd:schema targetNamespace="{ns}" elementFormDefault="qualified">'
        f"{''.join(elements)}</xsd:schema></wsdl:types>{''.join(messages)}"
        f'<wsdl:portType name="BillingPort">{"".join(port_ops)}</wsdl:portType>'
        '<wsdl:binding name="BillingBinding" type="tns:BillingPort">'
        '<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>'
        f'{"".join(binding_ops)}</wsdl:binding><wsdl:service name="BillingService">'
        '<wsdl:port name="BillingPort" binding="tns:BillingBinding">'
        f"<soap:address location={quoteattr(address)}/></wsdl:port></wsdl:service>"
        "</wsdl:definitions>"
    )
