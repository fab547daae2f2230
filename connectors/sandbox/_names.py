"""Fictional name, address and telephone-number pools for the sandbox data set.

Business and people names are composed from neutral words so they read like real
channel data without naming any real company. Cities carry their region, a postcode
stem and a dialling area code, so addresses and E.164 numbers look plausible per country.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors.models import Address, Product

if TYPE_CHECKING:
    import random


@dataclass(frozen=True, slots=True)
class City:
    """A city with what it takes to make local addresses and phone numbers."""

    name: str
    region: str
    country: str
    postcode: str
    area: str


def _cities(country: str, rows: str) -> tuple[City, ...]:
    return tuple(
        City(name, region, country, postcode, area)
        for name, region, postcode, area in (row.split("|") for row in rows.strip().splitlines())
    )


CITIES: dict[str, tuple[City, ...]] = {
    "US": _cities(
        "US",
        """
Denver|CO|802|303
Austin|TX|787|512
Columbus|OH|432|614
Raleigh|NC|276|919
Sacramento|CA|958|916
Boise|ID|837|208
Tampa|FL|336|813
Madison|WI|537|608
Omaha|NE|681|402
Richmond|VA|232|804
Salt Lake City|UT|841|801
Portland|OR|972|503
Kansas City|MO|641|816
Pittsburgh|PA|152|412
Nashville|TN|372|615
Albuquerque|NM|871|505
Spokane|WA|992|509
Des Moines|IA|503|515
""",
    ),
    "CA": _cities(
        "CA",
        """
Toronto|ON|M5V|416
Vancouver|BC|V6B|604
Calgary|AB|T2P|403
Ottawa|ON|K1P|613
Halifax|NS|B3J|902
Winnipeg|MB|R3C|204
Montreal|QC|H3B|514
""",
    ),
    "GB": _cities(
        "GB",
        """
London|England|EC1A|20
Manchester|England|M1|161
Leeds|England|LS1|113
Bristol|England|BS1|117
Edinburgh|Scotland|EH1|131
Cardiff|Wales|CF10|29
""",
    ),
    "DE": _cities(
        "DE",
        """
Berlin|BE|101|30
Hamburg|HH|200|40
Munich|BY|803|89
Frankfurt am Main|HE|603|69
Cologne|NW|506|221
""",
    ),
    "FR": _cities(
        "FR",
        """
Paris|IDF|750|1
Lyon|ARA|690|4
Lille|HDF|590|3
Toulouse|OCC|310|5
""",
    ),
    "NL": _cities(
        "NL",
        """
Amsterdam|NH|101|20
Rotterdam|ZH|301|10
Utrecht|UT|351|30
""",
    ),
    "IE": _cities(
        "IE",
        """
Dublin|Leinster|D02|1
Cork|Munster|T12|21
""",
    ),
}

_DIAL = {"US": "1", "CA": "1", "GB": "44", "DE": "49", "FR": "33", "NL": "31", "IE": "353"}
_NSN_LENGTH = {"US": 10, "CA": 10, "GB": 10, "DE": 10, "FR": 9, "NL": 9, "IE": 9}

_STREETS = {
    "US": (
        "Main St", "Commerce St", "Industrial Pkwy", "Market St", "Lakeview Dr", "Technology Blvd",
        "Oak Ave", "Elm St", "Harbor Way", "Pioneer Rd", "Front St", "Park Ave", "Mill Rd",
    ),
    "CA": ("King St W", "Bay St", "Granville St", "Centre St", "Portage Ave", "Barrington St"),
    "GB": ("High Street", "Station Road", "Church Lane", "Victoria Road", "King Street"),
    "DE": ("Hauptstraße", "Bahnhofstraße", "Industriestraße", "Lindenallee", "Schillerstraße"),
    "FR": ("rue de la République", "avenue Jean Jaurès", "boulevard Voltaire", "rue du Commerce"),
    "NL": ("Keizersgracht", "Stationsplein", "Kerkstraat", "Havenweg"),
    "IE": ("Main Street", "Harbour Road", "Dame Street", "Patrick Street"),
}  # fmt: skip
_NUMBER_AFTER_STREET = frozenset({"DE", "NL"})

_BUSINESS_WORDS = (
    "Bluewater", "Granite Peak", "Cedar Hollow", "Ironwood", "Silver Birch", "Harborview",
    "Red Mesa", "Copper Creek", "Lakeshore", "Summit Ridge", "Prairie Wind", "Oak Lantern",
    "Juniper", "Blue Heron", "Foxglove", "Stonebridge", "Maple Row", "Tidewater", "Kestrel",
    "Larkspur", "Windmill Hill", "Quarry Lane", "Sandpiper", "Northfield", "Amber Valley",
    "Hollow Pine", "Birchwood", "Riverbend", "Falcon Crest", "Cobalt Bay", "Thistle",
    "Saltmarsh", "Briar Gate", "Goldleaf", "Wildrose", "Eastgate", "Morning Dove", "Driftwood",
)  # fmt: skip
_BUSINESS_TRADES = (
    "Logistics", "Dental Group", "Family Clinics", "Credit Union", "Manufacturing",
    "Hospitality Group", "Law Partners", "Architects", "Veterinary Hospitals", "Freight",
    "Property Management", "Outfitters", "Bakeries", "Auto Group", "Engineering", "Pharmacy",
    "Charter Schools", "Title & Escrow", "Insurance Agency", "Cold Storage", "Builders",
    "Orthopedics", "Brewing Co.", "Senior Living", "Marine Supply", "Print Works",
)  # fmt: skip
_BUSINESS_SUFFIXES = ("LLC", "Inc.", "Ltd.", "LLP", "Co.", "")
_AGENT_WORDS = (
    "Northstar", "Bright Signal", "Keystone", "Clearpath", "Bluefin", "Tall Pine",
    "Lighthouse", "Crossroads", "High Desert", "Open Range", "Fieldstone", "Greenlight",
)  # fmt: skip
_AGENT_TRADES = (
    "Telecom Advisors", "Network Partners", "Connectivity Group", "Technology Brokers",
    "Communications", "Voice & Data", "IT Solutions",
)  # fmt: skip
MASTER_AGENT_NAMES = (
    "Lodestar Channel Distribution",
    "Wayfinder Telecom Distribution",
    "Compass Rose Master Agency",
)
_FIRST_NAMES = (
    "Avery", "Jordan", "Priya", "Mateo", "Hannah", "Kwame", "Mei", "Lukas", "Sofia", "Omar",
    "Grace", "Diego", "Aisha", "Connor", "Yuki", "Elena", "Marcus", "Ingrid", "Ravi", "Chloe",
    "Tomas", "Nadia", "Samuel", "Leila", "Owen", "Fatima", "Ethan", "Zara", "Noah", "Camille",
)  # fmt: skip
_LAST_NAMES = (
    "Okafor", "Lindqvist", "Ramirez", "Chen", "Novak", "Patel", "O'Brien", "Haddad", "Kowalski",
    "Nguyen", "Fischer", "Moreau", "Tanaka", "Mensah", "Alvarez", "Brennan", "Sato", "Ivanova",
    "Whitfield", "Dubois", "Castillo", "Abernathy", "Quist", "Delgado", "Harrow", "Pham",
)  # fmt: skip


PRODUCT_LABELS = {
    Product.DIA: "Dedicated Internet Access",
    Product.BROADBAND: "Business Broadband",
    Product.MPLS: "MPLS IP-VPN Port",
    Product.SD_WAN: "SD-WAN Edge",
    Product.SIP_TRUNK: "SIP Trunk",
    Product.PRI: "ISDN PRI",
    Product.POTS: "Business Lines",
    Product.ETHERNET_PRIVATE_LINE: "Ethernet Private Line",
    Product.WAVELENGTH: "Wavelength",
    Product.UCAAS: "UCaaS Seats",
}


def slug(text: str) -> str:
    """Return a lowercase, dash-separated identifier made of ``text``'s letters and digits."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _unique(candidate: str, used: set[str]) -> str:
    name, copy = candidate, 2
    while name in used:
        name, copy = f"{candidate} {copy}", copy + 1
    used.add(name)
    return name


def business_name(rng: random.Random, used: set[str]) -> str:
    """Return a fictional end-customer business name not yet in ``used`` (and record it)."""
    name = ""
    for _ in range(20):
        words = f"{rng.choice(_BUSINESS_WORDS)} {rng.choice(_BUSINESS_TRADES)}"
        suffix = rng.choice(_BUSINESS_SUFFIXES)
        name = f"{words} {suffix}" if suffix and not words.endswith(".") else words
        if name not in used:
            used.add(name)
            return name
    return _unique(name, used)


def agent_name(rng: random.Random, used: set[str]) -> tuple[str, str]:
    """Return a fictional agent/reseller name and its short handle (recorded in ``used``).

    Args:
        rng: The stream to draw from.
        used: Handles already taken; the new one is added.

    Returns:
        ``(name, handle)``, for example ``("Northstar Telecom Advisors", "Northstar")``.
    """
    handle = rng.choice(_AGENT_WORDS)
    if handle in used:
        handle = next((word for word in _AGENT_WORDS if word not in used), handle)
    handle = _unique(handle, used)
    return f"{handle} {rng.choice(_AGENT_TRADES)}", handle


def person(rng: random.Random) -> str:
    """Return a fictional person's full name."""
    return f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"


def city(rng: random.Random, country: str) -> City:
    """Return a random city of ``country`` (ISO 3166 alpha-2 code)."""
    return rng.choice(CITIES[country])


def _postcode(rng: random.Random, place: City) -> str:
    digit, letters = rng.randrange(10), "ABDEFGHJLNPRSTUWXYZ"
    match place.country:
        case "US":
            return f"{place.postcode}{rng.randrange(1, 40):02d}"
        case "CA":
            return f"{place.postcode} {digit}{rng.choice(letters)}{rng.randrange(10)}"
        case "GB":
            return f"{place.postcode} {digit}{rng.choice(letters)}{rng.choice(letters)}"
        case "NL":
            return f"{place.postcode}{digit} {rng.choice(letters)}{rng.choice(letters)}"
        case "IE":
            return f"{place.postcode} {rng.choice(letters)}{rng.randrange(100, 1000)}"
        case _:
            return f"{place.postcode}{rng.randrange(10)}{rng.randrange(10)}"


def address(rng: random.Random, place: City) -> Address:
    """Return a plausible street address in ``place``."""
    street, number = rng.choice(_STREETS[place.country]), rng.randrange(1, 2400)
    line = f"{street} {number}" if place.country in _NUMBER_AFTER_STREET else f"{number} {street}"
    if place.country in {"US", "CA"} and rng.random() < 0.4:
        line = f"{line}, Suite {rng.randrange(1, 20) * 100}"
    return Address(line, place.name, place.region, _postcode(rng, place), place.country)


def number_block(rng: random.Random, place: City, size: int, used: set[str]) -> tuple[str, ...]:
    """Return ``size`` consecutive E.164 numbers in ``place`` that are not in ``used``.

    Args:
        rng: The stream to draw from.
        place: Where the numbers are homed (gives the country and area code).
        size: How many numbers (at most 100, one block of a hundred).
        used: Numbers already handed out; the new ones are added to it.

    Returns:
        The numbers, ascending, as ``+<country code><national number>`` strings.
    """
    prefix = f"+{_DIAL[place.country]}{place.area}"
    width = _NSN_LENGTH[place.country] - len(place.area)
    while True:
        hundreds = rng.randrange(2 * 10 ** (width - 3), 10 ** (width - 2))
        block = tuple(f"{prefix}{hundreds * 100 + offset:0{width}d}" for offset in range(size))
        if not any(number in used for number in block):
            used.update(block)
            return block


def office_phone(rng: random.Random, place: City) -> str:
    """Return an E.164 office number; North American ones use the fictional 555-01xx range."""
    if place.country in {"US", "CA"}:
        return f"+1{place.area}55501{rng.randrange(100):02d}"
    width = _NSN_LENGTH[place.country] - len(place.area)
    return f"+{_DIAL[place.country]}{place.area}{rng.randrange(2 * 10 ** (width - 1), 10**width)}"


# Numbers on the far end of a call (never reserved: anyone may call or be called twice).

_MOBILE = {
    "US": (), "CA": (), "GB": ("74", "75", "77", "78", "79"), "DE": ("151", "160", "170", "176"),
    "FR": ("6", "7"), "NL": ("6",), "IE": ("83", "85", "86", "87", "89"),
}  # fmt: skip
_TOLL_FREE = {
    "US": ("800", "833", "844", "855", "866", "877", "888"), "CA": ("800", "844", "866", "888"),
    "GB": ("800",), "DE": ("800",), "FR": ("80",), "NL": ("800",), "IE": ("1800",),
}  # fmt: skip
_TOLL_FREE_LENGTH = {"US": 10, "CA": 10, "GB": 10, "DE": 10, "FR": 9, "NL": 7, "IE": 10}
_ABROAD = (("52", 10), ("91", 10), ("61", 9), ("81", 10), ("55", 11), ("34", 9), ("39", 10))


def city_named(country: str, name: str) -> City:
    """Return the city called ``name`` in ``country``.

    Raises:
        StopIteration: No such city in the pool.
    """
    return next(c for c in CITIES[country] if c.name == name)


def _digits(rng: random.Random, width: int) -> str:
    """``width`` digits not starting with 0 or 1 (a valid subscriber number start).

    One ``random()`` draw (exact for the widths used here), as CDRs need thousands.
    """
    low = 2 * 10 ** (width - 1)
    return str(low + min(int(rng.random() * 4 * low), 4 * low - 1))


def phone_number(rng: random.Random, place: City) -> str:
    """Return a random geographic E.164 number in ``place`` (not reserved)."""
    width = _NSN_LENGTH[place.country] - len(place.area)
    return f"+{_DIAL[place.country]}{place.area}{_digits(rng, width)}"


def mobile_number(rng: random.Random, country: str) -> str:
    """Return a random E.164 mobile number of ``country`` (NANP: any area code)."""
    prefixes = _MOBILE[country]
    if not prefixes:
        return phone_number(rng, city(rng, country))
    prefix = rng.choice(prefixes)
    width = (11 if country == "DE" else _NSN_LENGTH[country]) - len(prefix)
    return f"+{_DIAL[country]}{prefix}{_digits(rng, width)}"


def toll_free_number(rng: random.Random, country: str) -> str:
    """Return a random E.164 toll-free (freephone) number of ``country``."""
    prefix = rng.choice(_TOLL_FREE[country])
    width = _TOLL_FREE_LENGTH[country] - len(prefix)
    return f"+{_DIAL[country]}{prefix}{_digits(rng, width)}"


def foreign_number(rng: random.Random, country: str) -> str:
    """Return a random E.164 number in a country with another dialling code than ``country``."""
    home = _DIAL[country]
    codes = [(_DIAL[c], _NSN_LENGTH[c]) for c in CITIES if _DIAL[c] != home]
    code, width = rng.choice([*codes, *_ABROAD])
    return f"+{code}{_digits(rng, width)}"
