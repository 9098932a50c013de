"""List requests: customers and jobs, vendors, employees, other names, items of every type,
accounts, terms, payment methods and sales-tax codes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from lxml import etree

from qbwc_server.simulator.core import Computed, Core, Refusal, child_text, format_time, leaf, parse_time
from qbwc_server.simulator.ret_order import RET_ORDER
from qbwc_server.simulator.store import ITEM_KINDS, ITEM_TYPE_ORDER, ListElement

#: Query request tag → the list kinds it returns.
QUERY_KINDS: Mapping[str, frozenset[str]] = {
    "CustomerQueryRq": frozenset({"Customer"}),
    "VendorQueryRq": frozenset({"Vendor"}),
    "EmployeeQueryRq": frozenset({"Employee"}),
    "OtherNameQueryRq": frozenset({"OtherName"}),
    "ItemQueryRq": ITEM_KINDS,
    **{f"{kind}QueryRq": frozenset({kind}) for kind in ITEM_TYPE_ORDER},
    "PaymentMethodQueryRq": frozenset({"PaymentMethod"}),
    "SalesTaxCodeQueryRq": frozenset({"SalesTaxCode"}),
    "AccountQueryRq": frozenset({"Account"}),
    "StandardTermsQueryRq": frozenset({"StandardTerms"}),
    "DateDrivenTermsQueryRq": frozenset({"DateDrivenTerms"}),
}

BalanceOf = Callable[[ListElement, bool], Decimal]


def list_ret(core: Core, element: ListElement, parent: etree._Element, balance: BalanceOf) -> None:
    ret = etree.SubElement(parent, f"{element.kind}Ret")
    computed: dict[str, Computed] = {
        "ListID": element.list_id,
        "TimeCreated": format_time(element.time_created),
        "TimeModified": format_time(element.time_modified),
        "EditSequence": element.edit_sequence,
        "Name": element.name,
        "FullName": core.full_name(element),
        "IsActive": "true" if element.is_active else "false",
        "ParentRef": lambda node: core.ref(node, "ParentRef", element.parent_id),
        "Sublevel": str(core.sublevel(element)),
    }
    if element.kind in ("Customer", "Vendor", "Account"):
        computed["Balance"] = f"{balance(element, False):.2f}"
        computed["TotalBalance"] = f"{balance(element, True):.2f}"
    if element.kind == "Customer":
        computed["JobStatus"] = element.data.get("JobStatus", "None")
    if element.kind == "ItemGroup":
        computed["ItemGroupLine"] = _repeated(core, element.data, "ItemGroupLine")
    if element.kind == "ItemSalesTaxGroup":
        computed["ItemSalesTaxRef"] = _repeated(core, element.data, "ItemSalesTaxRef")
    core.emit(ret, element.data, RET_ORDER[element.kind], computed)


def _repeated(core: Core, data: Mapping[str, str], tag: str) -> Callable[[etree._Element], None]:
    """Writes a repeated child stored as numbered paths: ``ItemGroupLine.0/ItemRef`` (an
    aggregate) or ``ItemSalesTaxRef.0`` (a bare reference), in number order."""
    prefix = tag + "."
    numbers = sorted({int(path[len(prefix) :].split("/", 1)[0]) for path in data if path.startswith(prefix)})

    def write(node: etree._Element) -> None:
        for number in numbers:
            own = f"{prefix}{number}"
            if own in data:
                core.ref(node, tag, data[own])
                continue
            child = etree.SubElement(node, tag)
            for path, value in data.items():
                if path.startswith(own + "/"):
                    name = path[len(own) + 1 :]
                    if name.endswith("Ref"):
                        core.ref(child, name, value)
                    else:
                        leaf(child, name, value)

    return write


def _own_kinds(kind: str) -> frozenset[str]:
    return ITEM_KINDS if kind in ITEM_KINDS else frozenset({kind})


def add_list(core: Core, kind: str, node: etree._Element) -> ListElement:
    """Customer/ItemService/ItemNonInventory/StandardTerms Add, after QuickBooks' checks."""
    name = child_text(node, "Name") or ""
    record = f'{kind} "{name}"'
    parent_ref = node.find("ParentRef")
    parent = core.resolve(parent_ref, _own_kinds(kind), record) if parent_ref is not None else None
    data = core.absorb(node, record, skip={"Name", "IsActive", "ParentRef"})
    core.check_name_free(kind, name, None if parent is None else parent.list_id)
    return new_element(
        core,
        kind,
        name,
        data,
        parent_id=None if parent is None else parent.list_id,
        is_active=child_text(node, "IsActive") != "false",
    )


def new_element(
    core: Core,
    kind: str,
    name: str,
    data: dict[str, str],
    *,
    parent_id: str | None = None,
    is_active: bool = True,
) -> ListElement:
    now = core.tick()
    element = ListElement(
        kind=kind,
        list_id=core.new_list_id(),
        edit_sequence=core.stamp(),
        time_created=now,
        time_modified=now,
        name=name,
        is_active=is_active,
        parent_id=parent_id,
        data=data,
    )
    core.add_element(element)
    return element


def find_for_mod(core: Core, kinds: frozenset[str], node: etree._Element) -> ListElement:
    list_id = child_text(node, "ListID") or ""
    element = core.find(kinds, list_id=list_id)
    if element is None:
        raise Refusal(3120, f'Object "{list_id}" specified in the request cannot be found.')
    sequence = child_text(node, "EditSequence")
    if sequence != element.edit_sequence:
        raise Refusal(3200, f'The provided edit sequence "{sequence}" is out-of-date.')
    return element


def mod_list(core: Core, kind: str, node: etree._Element) -> ListElement:
    element = find_for_mod(core, frozenset({kind}), node)
    record = f'{kind} "{core.full_name(element)}"'
    name = child_text(node, "Name") or element.name
    parent_ref = node.find("ParentRef")
    parent_id = element.parent_id
    if parent_ref is not None:
        parent = core.resolve(parent_ref, _own_kinds(kind), record)
        if parent.list_id == element.list_id or element.list_id in _ancestors(core, parent):
            raise Refusal(3140, f"{record} cannot be made a sub-item of itself.")
        parent_id = parent.list_id
    changes = core.absorb(node, record, skip={"ListID", "EditSequence", "Name", "IsActive", "ParentRef"})
    if name.casefold() != element.name.casefold() or parent_id != element.parent_id:
        core.check_name_free(kind, name, parent_id, except_id=element.list_id)
    core.rename(element, name, parent_id)
    if (active := child_text(node, "IsActive")) is not None:
        element.is_active = active != "false"
    core.merge(element.data, changes)
    element.time_modified = core.tick()
    element.edit_sequence = core.stamp()
    return element


def _ancestors(core: Core, element: ListElement) -> set[str]:
    found: set[str] = set()
    parent_id = element.parent_id
    while parent_id is not None:
        found.add(parent_id)
        parent_id = core.state.lists[parent_id].parent_id
    return found


def _name_matches(node: etree._Element, full_name: str) -> bool:
    name_filter = node.find("NameFilter")
    if name_filter is not None:
        criterion = child_text(name_filter, "MatchCriterion")
        wanted = (child_text(name_filter, "Name") or "").casefold()
        have = full_name.casefold()
        return {
            "StartsWith": have.startswith(wanted),
            "Contains": wanted in have,
            "EndsWith": have.endswith(wanted),
        }.get(criterion or "", False)
    name_range = node.find("NameRangeFilter")
    if name_range is not None:
        low = (child_text(name_range, "FromName") or "").casefold()
        high = child_text(name_range, "ToName")
        return full_name.casefold() >= low and (high is None or full_name.casefold() <= high.casefold())
    return True


def select(core: Core, rq: etree._Element) -> list[str]:
    """The ListIDs a list query matches, in QuickBooks' order: by full name (an ItemQuery by
    item type first, in the XSD's order of ItemQueryRs)."""
    kinds = QUERY_KINDS[str(rq.tag)]
    elements = core.elements(kinds)
    ids = [e.text or "" for e in rq.findall("ListID")]
    names = [(e.text or "").casefold() for e in rq.findall("FullName")]
    if ids:
        chosen = [
            core.state.lists[i] for i in ids if i in core.state.lists and core.state.lists[i].kind in kinds
        ]
    elif names:
        chosen = [e for e in elements if core.full_name(e).casefold() in names]
    else:
        # QuickBooks' default is active elements only when no ListID/FullName is given.
        status = child_text(rq, "ActiveStatus") or "ActiveOnly"
        method_types = {e.text or "" for e in rq.findall("PaymentMethodType")}
        since, until = child_text(rq, "FromModifiedDate"), child_text(rq, "ToModifiedDate")
        low = parse_time(since) if since else None
        high = parse_time(until, end_of_day=True) if until else None
        chosen = [
            e
            for e in elements
            if (status == "All" or e.is_active == (status == "ActiveOnly"))
            and (low is None or e.time_modified >= low)
            and (high is None or e.time_modified <= high)
            and _name_matches(rq, core.full_name(e))
            and (not method_types or e.data.get("PaymentMethodType") in method_types)
        ]
        chosen.sort(key=lambda e: (_type_rank(e.kind), core.full_name(e).casefold()))
    return [e.list_id for e in chosen]


def _type_rank(kind: str) -> int:
    return ITEM_TYPE_ORDER.index(kind) if kind in ITEM_TYPE_ORDER else 0
