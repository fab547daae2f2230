"""The GraphQL documents of the end-to-end suite, in one place.

``DASHBOARD`` is the fragment a customer portal's landing page asks for: the customer's
accounts at every carrier with their status, and its services, invoices, open orders
and open tickets rolled up across carriers.
"""

from __future__ import annotations

DASHBOARD = """
fragment Dashboard on Customer {
  name
  accounts { carrier { code name } accountNumber status }
  services(first: 500) {
    totalCount
    nodes {
      serviceId carrier { code } product status circuitId bandwidthMbps
      wholesaleCost { amount currency }
    }
  }
  invoices(first: 500) {
    totalCount
    nodes {
      invoiceNumber carrier { code } status
      total { amount currency } taxes { amount } billingPeriod { start end }
    }
  }
  orders(filter: {open: true}, first: 500) {
    totalCount
    nodes { orderId carrier { code } status milestones { kind plannedAt actualAt } }
  }
  tickets(filter: {open: true}, first: 500) {
    totalCount
    nodes { ticketId carrier { code } status severity priority }
  }
}
"""

CUSTOMER_DASHBOARD = (
    DASHBOARD
    + """
query CustomerDashboard($id: ID!) {
  customer(id: $id) { ...Dashboard }
}
"""
)

CUSTOMERS_DASHBOARD = (
    DASHBOARD
    + """
query CustomersDashboard($first: Int!) {
  customers(first: $first) { nodes { ...Dashboard } }
}
"""
)

CUSTOMER_IDS = """
query CustomerIds {
  customers(first: 500) { totalCount nodes { id name } }
}
"""

CUSTOMER_NAMES = """
query CustomerNames {
  customers(first: 500) { totalCount nodes { name } }
}
"""

# One node of every type, reachable from one customer, with the field that names it.
SAMPLE_NODES = """
query SampleNodes($id: ID!) {
  customer(id: $id) {
    id name
    agent { id name }
    accounts { id accountNumber carrier { id code } }
    services(first: 1) { nodes { id serviceId } }
    invoices(first: 1) { nodes { id invoiceNumber } }
    orders(first: 1) { nodes { id orderId } }
    tickets(first: 1) { nodes { id ticketId } }
  }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Customer { name }
    ... on Party { name }
    ... on Carrier { code }
    ... on CarrierAccount { accountNumber }
    ... on Service { serviceId }
    ... on Invoice { invoiceNumber }
    ... on Order { orderId }
    ... on TroubleTicket { ticketId }
  }
}
"""

CUSTOMER_NAME = """
query CustomerName($id: ID!) {
  customer(id: $id) { name }
}
"""

SERVICE_IDS = """
query ServiceIds($id: ID!) {
  customer(id: $id) { services(first: 500) { nodes { id serviceId carrier { code } } } }
}
"""

ACCOUNT_SERVICES = """
query AccountServices($id: ID!) {
  customer(id: $id) {
    name
    accounts { carrier { code } accountNumber services(first: 500) { nodes { serviceId } } }
  }
}
"""

SDL = "{ _service { sdl } }"

ENTITIES = """
query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Customer { id name }
    ... on Service { id serviceId }
    ... on Invoice { id invoiceNumber }
    ... on Order { id orderId }
    ... on TroubleTicket { id ticketId }
  }
}
"""

VIEWER = "{ viewer { role kind } }"

SERVICES_PAGE = """
query ServicesPage($first: Int!, $after: String) {
  services(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { serviceId carrier { code } }
  }
}
"""

CARRIERS = "{ carriers { code } }"

INVOICES_PAGE = """
query InvoicesPage($id: ID!, $first: Int!, $after: String) {
  customer(id: $id) {
    invoices(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { cursor node { invoiceNumber carrier { code } issuedAt } }
    }
  }
}
"""

CARRIER_PROTOCOLS = "{ carriers { code protocol } }"

# The dashboard of a customer whose accounts span every protocol family: every list of
# the customer (invoices with their lines), each record with the fields the data set
# holds, and the accounts' carriers with their protocol.
FAMILY_DASHBOARD = """
query FamilyDashboard($id: ID!) {
  customer(id: $id) {
    name
    accounts { carrier { code name protocol } accountNumber status }
    services(first: 500) {
      totalCount
      nodes {
        serviceId carrier { code } product status circuitId bandwidthMbps activatedAt
        wholesaleCost { amount currency } wholesaleInstall { amount currency }
        termMonths contractEnd
      }
    }
    invoices(first: 500) {
      totalCount
      nodes {
        invoiceNumber carrier { code } status issuedAt dueAt
        total { amount currency } taxes { amount } billingPeriod { start end }
        lines { kind serviceId description quantity amount { amount currency } }
      }
    }
    orders(filter: {open: true}, first: 500) {
      totalCount
      nodes {
        orderId carrier { code } kind status orderedAt
        milestones { kind plannedAt actualAt }
      }
    }
    tickets(filter: {open: true}, first: 500) {
      totalCount
      nodes { ticketId carrier { code } status severity priority openedAt }
    }
    usage(first: 500) {
      totalCount
      nodes {
        usageId carrier { code } accountNumber serviceId startedAt durationSeconds
        direction callType charge { amount currency }
      }
    }
    quotes(first: 500) {
      totalCount
      nodes {
        quoteId carrier { code } status product
        options { termMonths mrc { amount currency } nrc { amount } intervalDays }
      }
    }
  }
}
"""

# Every per-account field of every account of a customer: the account API's details
# and each account list (only counted).
ACCOUNT_FIELDS = """
query AccountFields($id: ID!) {
  customer(id: $id) {
    accounts {
      carrier { code } accountNumber
      name status billingAddress { country } createdAt currency
      services(first: 500) { totalCount }
      invoices(first: 500) { totalCount }
      orders(first: 500) { totalCount }
      tickets(first: 500) { totalCount }
      usage(first: 500) { totalCount }
      quotes(first: 500) { totalCount }
    }
  }
}
"""

CUSTOMER_ACCOUNTS = """
query CustomerAccounts($id: ID!) {
  customer(id: $id) { accounts { accountNumber carrier { code } } }
}
"""
