"""An office's company as the connection wizard meets it, and hand-built queries to read it.

The queries are written here, not with the product's builders: what is tested is how the
simulated QuickBooks answers, so the messages are plain qbXML a test can read.
"""

from __future__ import annotations

from lxml import etree

from qbwc_server.simulator import OurNames, QuickBooksCompany

# JobDesk's demo names (the formula of its demo company), as plain data.
_FIRST: tuple[str, ...] = (
    "Ann",
    "Ben",
    "Carla",
    "Dev",
    "Elena",
    "Frank",
    "Grace",
    "Hiro",
    "Ines",
    "Jamal",
    "Kate",
    "Luis",
)
_FIRST += ("Maya", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will")
_FIRST += ("Yara", "Zoe")
_LAST: tuple[str, ...] = (
    "Smith",
    "Garcia",
    "Nguyen",
    "Johnson",
    "Müller",
    "O'Brien",
    "Patel",
    "Kowalski",
    "Rossi",
    "Kim",
)
_LAST += ("Brown", "Lopez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Lee", "Clark")
_JOBS: tuple[str, ...] = (
    "Kitchen remodel",
    "Bath renovation",
    "Deck build",
    "Basement finish",
    "Roof repair",
    "Water heater",
)
_JOBS += ("Panel upgrade", "Fence install", "Interior paint", "Garage door", "Window replacement", "Patio")


def demo_names(customers: int = 40, jobs: int = 60) -> OurNames:
    names: list[str] = []
    for n in range(customers):
        first, last = _FIRST[n % len(_FIRST)], _LAST[(n * 7 + n // len(_FIRST)) % len(_LAST)]
        name = f"{last} Properties LLC" if n % 6 == 0 else f"{last}, {first}"
        names.append(name if name not in names else f"{name} ({n})")
    job_pairs = tuple((names[n % len(names)], f"{1001 + n} {_JOBS[n % len(_JOBS)]}") for n in range(jobs))
    items = (
        ("Labor - Carpentry", "service"),
        ("Labor - Electrical", "service"),
        ("Demolition", "service"),
        ("Site Cleanup", "service"),
        ("Tile Setting", "service"),
        ("Lumber 2x4x8", "material"),
        ("Drywall Sheet 4x8", "material"),
        ("Paint Gallon", "material"),
        ("Cement Bag", "material"),
        ("Outlet GFCI", "material"),
    )
    return OurNames(customers=tuple(names), jobs=job_pairs, items=items)


def query(
    tag: str,
    request_id: str = "1",
    *children: tuple[str, str],
    iterator: str | None = None,
    iterator_id: str | None = None,
) -> str:
    node = etree.Element(tag, requestID=request_id)
    if iterator is not None:
        node.set("iterator", iterator)
    if iterator_id is not None:
        node.set("iteratorID", iterator_id)
    for child, text in children:
        etree.SubElement(node, child).text = text
    return etree.tostring(node, encoding="unicode")


def message(*requests: str, on_error: str = "stopOnError") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n'
        f'<QBXML><QBXMLMsgsRq onError="{on_error}">{"".join(requests)}</QBXMLMsgsRq></QBXML>'
    )


def answer(company: QuickBooksCompany, request: str) -> etree._Element:
    """The one response element to one request."""
    root = etree.fromstring(company.process(message(request)).encode("utf-8"))
    (response,) = root.find("QBXMLMsgsRs")  # type: ignore[misc]
    return response


def rets(response: etree._Element) -> list[etree._Element]:
    return [child for child in response if isinstance(child.tag, str)]


def every_page(
    company: QuickBooksCompany, tag: str, page: int, *children: tuple[str, str]
) -> list[etree._Element]:
    """Everything a query answers, read with an iterator ``page`` records at a time; checks the
    remaining counts QuickBooks reports on the way."""
    first = answer(company, query(tag, "s", ("MaxReturned", str(page)), *children, iterator="Start"))
    found = rets(first)
    remaining = int(first.get("iteratorRemainingCount", "-1"))
    iterator_id = first.get("iteratorID", "")
    calls = 0
    while remaining > 0:
        calls += 1
        response = answer(
            company,
            query(
                tag,
                f"c{calls}",
                ("MaxReturned", str(page)),
                *children,
                iterator="Continue",
                iterator_id=iterator_id,
            ),
        )
        page_rets = rets(response)
        assert response.get("statusCode") == "0", response.attrib
        assert len(page_rets) == min(page, remaining)
        assert int(response.get("iteratorRemainingCount", "-1")) == remaining - len(page_rets)
        assert response.get("iteratorID") == iterator_id
        remaining -= len(page_rets)
        found += page_rets
    return found
