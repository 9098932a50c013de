"""``QuickBooksCompany``: an in-process QuickBooks Desktop company that answers qbXML.

It behaves like QuickBooks seen through the SDK: ListID/TxnID and EditSequence
generation, name uniqueness, 3070/3100/3120/3140/3200/3210 errors, iterators, onError,
duplicate invoice numbers accepted, totals and balances computed here. Its request
processor is as strict as Intuit documents US QuickBooks Desktop (``strict``): a message
with anything QuickBooks Desktop does not parse is refused whole. Tests can inject
record locks (3170/3175/3176/3180) and lose a response after the work was done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal, Protocol

from lxml import etree

from desktop_app.errors import QbxmlError
from qbwc_server.qbxml.safe import parse_tree
from qbwc_server.simulator import credits, lists, txn_rets, txns
from qbwc_server.simulator.balances import BalanceTable
from qbwc_server.simulator.core import Core, Refusal, child_text, format_time, only_elements
from qbwc_server.simulator.reference_rules import QbdRules
from qbwc_server.simulator.seed import install_bare
from qbwc_server.simulator.store import (
    ITEM_KINDS,
    CompanyState,
    Invoice,
    ListElement,
    Payment,
    load_state,
    save_state,
)
from qbwc_server.simulator.strict import RequestProcessorError, check_message, default_rules, too_long

SUPPORTED_VERSIONS = (
    "1.0",
    "1.1",
    "2.0",
    "2.1",
    "3.0",
    "4.0",
    "4.1",
    "5.0",
    "6.0",
    "7.0",
    "8.0",
    "9.0",
    "10.0",
    "11.0",
    "12.0",
    "13.0",
)
LOCK_CODES = {
    3170: "There was an error when modifying {what}: another user is editing it.",
    3175: "There was an error when modifying {what}. QuickBooks error message: This record is in use "
    "by another user.",
    3176: "There was an error when modifying {what}. QuickBooks error message: The record could not be "
    "locked because another user has it open.",
    3180: "There was an error when saving {what}. QuickBooks error message: The list is being changed "
    "by another user.",
}


class ResponseLostError(ConnectionError):
    """The company did the work but its answer never reached the caller (injected)."""


class Validator(Protocol):
    """Anything whose ``validate(message)`` raises on an invalid document (tests pass the XSD)."""

    def validate(self, message: str) -> object: ...


@dataclass
class _Lock:
    code: int
    ref: str | None
    remaining: int


Handler = Callable[["QuickBooksCompany", etree._Element, etree._Element], None]


class QuickBooksCompany:
    """One company file. ``process(request_xml)`` returns the response message."""

    def __init__(
        self,
        state: CompanyState | None = None,
        *,
        validator: Validator | None = None,
        defaults: bool = True,
        rules: QbdRules | Literal["default"] | None = "default",
        credit_links_only: bool = False,
    ) -> None:
        """A new company is what QuickBooks makes (accounts, Tax/Non, terms, payment methods,
        no sales-tax item) unless ``defaults`` is False; a loaded ``state`` is taken as it is.

        ``rules``: what US QuickBooks Desktop accepts (``strict.default_rules()`` unless
        given); ``None`` turns the request processor's checks off, for tests about
        something else. With rules, ``validator`` checks responses only: the rules own
        the request (lengths there are 3070 on one request, not a schema failure).

        ``credit_links_only``: a ReceivePaymentAdd that only sets credits makes no transaction,
        only links between the credit memos and the invoices, and its answer carries no record
        (Intuit's SDK guide says a credit-only message "may" be answered so: "thin").
        """
        self.credit_links_only = credit_links_only
        self.core = Core(state or CompanyState())
        self.validator = validator
        self.rules: QbdRules | None = default_rules() if rules == "default" else rules
        self._locks: list[_Lock] = []
        self._lose_next = 0
        #: Every (request, response) pair processed, for tests that inspect the traffic.
        self.log: list[tuple[str, str]] = []
        if state is None and defaults:
            install_bare(self)

    # -- public API ----------------------------------------------------------------------

    @property
    def state(self) -> CompanyState:
        return self.core.state

    @property
    def company_name(self) -> str:
        return self.state.company_name

    @property
    def file_path(self) -> str:
        """The company file QuickBooks has open (what the Web Connector reports)."""
        return self.state.file_path

    def _list(self, *kinds: str) -> list[ListElement]:
        return sorted(self.core.elements(kinds), key=lambda e: self.core.full_name(e).casefold())

    @property
    def customers(self) -> list[ListElement]:
        return self._list("Customer")

    @property
    def vendors(self) -> list[ListElement]:
        return self._list("Vendor")

    @property
    def items(self) -> list[ListElement]:
        """Items of every type, by full name."""
        return self._list(*ITEM_KINDS)

    @property
    def accounts(self) -> list[ListElement]:
        return self._list("Account")

    @property
    def terms(self) -> list[ListElement]:
        return self._list("StandardTerms", "DateDrivenTerms")

    @property
    def invoices(self) -> list[Invoice]:
        return sorted(self.state.invoices.values(), key=lambda i: i.txn_number)

    @property
    def payments(self) -> list[Payment]:
        return sorted(txns.payments_made(self.core).values(), key=lambda p: p.txn_number)

    def full_name(self, element: ListElement) -> str:
        return self.core.full_name(element)

    def find_list(self, kind: str, full_name: str) -> ListElement | None:
        return self.core.find({kind}, full_name=full_name)

    def invoice_balance(self, invoice: Invoice) -> Decimal:
        return txns.balance(self.core, invoice)

    def advance_clock(self, delta: timedelta) -> None:
        self.core.advance(delta)

    def inject_lock(self, code: int = 3175, *, ref: str | None = None, requests: int = 1) -> None:
        """Refuse the next ``requests`` requests (or only those naming ``ref``: a ListID, TxnID or name)."""
        if code not in LOCK_CODES:
            raise ValueError(f"not a lock status code: {code}")
        self._locks.append(_Lock(code, ref, requests))

    def lose_next_response(self, count: int = 1) -> None:
        """The next ``count`` calls to ``process`` do their work, then raise ``ResponseLostError``."""
        self._lose_next += count

    def save(self, path: str | Path) -> None:
        save_state(self.state, Path(path))

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        validator: Validator | None = None,
        rules: QbdRules | Literal["default"] | None = "default",
    ) -> QuickBooksCompany:
        return cls(load_state(Path(path)), validator=validator, rules=rules)

    def add_list_element(
        self,
        kind: str,
        name: str,
        data: dict[str, str] | None = None,
        *,
        parent: ListElement | None = None,
        is_active: bool = True,
    ) -> ListElement:
        """Direct creation for seeding (vendors, accounts, tax codes… that have no builder)."""
        parent_id = None if parent is None else parent.list_id
        try:
            self.core.check_name_free(kind, name, parent_id)
        except Refusal as refusal:
            raise QbxmlError(refusal.message) from None
        return lists.new_element(
            self.core, kind, name, dict(data or {}), parent_id=parent_id, is_active=is_active
        )

    # -- processing ------------------------------------------------------------------------

    def process(self, request_xml: str) -> str:
        """Execute a request message; the response message, as QuickBooks would return it.

        Raises ``RequestProcessorError`` (nothing run, nothing logged) when QuickBooks'
        request processor would refuse the whole message.
        """
        if self.rules is None:
            if self.validator is not None:
                self.validator.validate(request_xml)
            root = parse_tree(request_xml)
        else:
            try:
                root = parse_tree(request_xml)
            except QbxmlError as exc:
                raise RequestProcessorError(str(exc)) from None
            check_message(self.rules, root, request_xml)
        msgs = root.find("QBXMLMsgsRq")
        if msgs is None:
            raise QbxmlError("The request has no QBXMLMsgsRq.")
        stop_on_error = msgs.get("onError", "stopOnError") == "stopOnError"
        out = etree.Element("QBXML")
        out_msgs = etree.SubElement(out, "QBXMLMsgsRs")
        for request in msgs:
            if not isinstance(request.tag, str):
                continue  # a comment between requests
            response = self._one(request)
            out_msgs.append(response)
            if stop_on_error and response.get("statusSeverity") == "Error":
                break  # QuickBooks neither runs nor answers the rest
        body = '<?xml version="1.0" ?>\n' + etree.tostring(out, encoding="unicode")
        if self.validator is not None:
            self.validator.validate(body)
        self.log.append((request_xml, body))
        if self._lose_next:
            self._lose_next -= 1
            raise ResponseLostError("The QuickBooks response was lost on the way back.")
        return body

    def _lock_for(self, request: etree._Element) -> _Lock | None:
        mentioned = {(e.text or "").casefold() for e in request.iter() if e.text}
        for lock in self._locks:
            if lock.remaining > 0 and (lock.ref is None or lock.ref.casefold() in mentioned):
                lock.remaining -= 1
                return lock
        return None

    def _one(self, request: etree._Element) -> etree._Element:
        tag = str(request.tag)
        response = etree.Element(tag.removesuffix("Rq") + "Rs")
        if request.get("requestID") is not None:
            response.set("requestID", request.get("requestID", ""))
        code, severity, message = 0, "Info", "Status OK"
        try:
            handler = HANDLERS.get(tag)
            if handler is None:
                raise Refusal(3250, f"{tag} is not supported by this QuickBooks company simulator.")
            if self.rules is not None and (refusal := too_long(self.rules, request)) is not None:
                raise refusal
            lock = None if tag in _READ_ONLY else self._lock_for(request)
            if lock is not None:
                what = next(
                    (e.text for e in request.iter() if e.tag in ("ListID", "TxnID", "Name", "FullName")), tag
                )
                raise Refusal(lock.code, LOCK_CODES[lock.code].format(what=f'"{what}"'))
            handler(self, request, response)
            only_elements(request, response)
        except Refusal as refusal:
            if refusal.severity != "Warn":  # a warning keeps what was found; an error returns nothing
                for child in list(response):
                    response.remove(child)
            code, severity, message = refusal.code, refusal.severity, refusal.message
        response.set("statusCode", str(code))
        response.set("statusSeverity", severity)
        response.set("statusMessage", message)
        return response

    def balance_of(self, element: ListElement, total: bool) -> Decimal:
        """Open balance of a customer (``total``: with its jobs); other lists carry zero."""
        return BalanceTable(self.core).balance_of(element, total)


# -- handlers ---------------------------------------------------------------------------------


def _host(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
    ret = etree.SubElement(rs, "HostRet")
    for tag, value in (
        ("ProductName", "QuickBooks Pro 2024"),
        ("MajorVersion", "34"),
        ("MinorVersion", "0"),
        ("Country", "US"),
    ):
        etree.SubElement(ret, tag).text = value
    for version in SUPPORTED_VERSIONS:
        etree.SubElement(ret, "SupportedQBXMLVersion").text = version
    etree.SubElement(ret, "IsAutomaticLogin").text = "false"
    etree.SubElement(ret, "QBFileMode").text = "SingleUser"


def _company(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
    ret = etree.SubElement(rs, "CompanyRet")
    etree.SubElement(ret, "IsSampleCompany").text = "false"
    etree.SubElement(ret, "CompanyName").text = company.company_name
    etree.SubElement(ret, "LegalCompanyName").text = company.company_name


def _list_add(kind: str) -> Handler:
    def handle(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
        element = lists.add_list(company.core, kind, rq[0])
        lists.list_ret(company.core, element, rs, company.balance_of)

    return handle


def _list_mod(kind: str) -> Handler:
    def handle(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
        element = lists.mod_list(company.core, kind, rq[0])
        lists.list_ret(company.core, element, rs, company.balance_of)

    return handle


def _list_query(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
    core = company.core
    keys = _selected(rq, lambda: lists.select(core, rq))
    # Balances for the whole answer in one pass over the transactions, not one pass per customer.
    balances = BalanceTable(core)
    if rq.findall("ListID") or rq.findall("FullName"):
        asked = len(rq.findall("ListID")) + len(rq.findall("FullName"))
        if keys and len(keys) < asked:
            # QuickBooks answers what it found and warns about the rest.
            for key in keys:
                lists.list_ret(core, core.state.lists[key], rs, balances.balance_of)
            raise _PartialWarning()
    core.respond_query(
        rq, rs, keys, lambda node, key: lists.list_ret(core, core.state.lists[key], node, balances.balance_of)
    )


def _selected(rq: etree._Element, select: Callable[[], list[str]]) -> list[str]:
    """What a query matches; nothing to select when an iterator continues (it holds the rest)."""
    return [] if rq.get("iterator") in ("Continue", "Stop") else select()


class _PartialWarning(Refusal):
    def __init__(self) -> None:
        super().__init__(
            500,
            "The query request has not been fully completed. There was a required element "
            "that could not be found in QuickBooks.",
            "Warn",
        )


def _invoice_add(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
    invoice = txns.invoice_add(company.core, rq[0])
    txn_rets.invoice_ret(company.core, invoice, rs, lines=True, linked=False)


def _invoice_mod(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
    invoice = txns.invoice_mod(company.core, rq[0])
    txn_rets.invoice_ret(company.core, invoice, rs, lines=True, linked=False)


def _invoice_query(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
    core = company.core
    lines = child_text(rq, "IncludeLineItems") == "true"
    linked = child_text(rq, "IncludeLinkedTxns") == "true"
    company.core.respond_query(
        rq,
        rs,
        _selected(rq, lambda: txns.select(core, rq, "Invoice")),
        lambda node, key: txn_rets.invoice_ret(
            core, core.state.invoices[key], node, lines=lines, linked=linked
        ),
    )


def _payment_add(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
    payment = credits.payment_add(company.core, rq[0])
    if company.credit_links_only and payment.credits and not payment.total:
        payment.links_only = True  # only links were made: the answer is "thin" (no record)
        return
    credits.payment_ret(company.core, payment, rs)


def _payment_mod(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
    credits.payment_ret(company.core, credits.payment_mod(company.core, rq[0]), rs)


def _payment_query(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
    core = company.core
    company.core.respond_query(
        rq,
        rs,
        _selected(rq, lambda: txns.select(core, rq, "ReceivePayment")),
        lambda node, key: credits.payment_ret(core, core.state.payments[key], node),
    )


def _void(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
    txn_type, txn_id = child_text(rq, "TxnVoidType") or "", child_text(rq, "TxnID") or ""
    if txn_type == "CreditMemo":
        invoice = credits.credit_memo_void(company.core, txn_id)
    else:
        invoice = txns.txn_void(company.core, txn_type, txn_id)
    for tag, value in (
        ("TxnVoidType", txn_type),
        ("TxnID", txn_id),
        ("TimeCreated", format_time(invoice.time_created)),
        ("TimeModified", format_time(invoice.time_modified)),
        ("RefNumber", invoice.ref_number),
    ):
        if value is not None:
            etree.SubElement(rs, tag).text = value


def _credit_memo_add(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
    credit = credits.credit_memo_add(company.core, rq[0])
    credits.credit_memo_ret(company.core, credit, rs, lines=True, linked=False)


def _credit_memo_mod(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
    credit = credits.credit_memo_mod(company.core, rq[0])
    credits.credit_memo_ret(company.core, credit, rs, lines=True, linked=False)


def _credit_memo_query(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
    core = company.core
    lines = child_text(rq, "IncludeLineItems") == "true"
    linked = child_text(rq, "IncludeLinkedTxns") == "true"
    core.respond_query(
        rq,
        rs,
        _selected(rq, lambda: credits.select(core, rq)),
        lambda node, key: credits.credit_memo_ret(
            core, core.state.credit_memos[key], node, lines=lines, linked=linked
        ),
    )


def _delete(company: QuickBooksCompany, rq: etree._Element, rs: etree._Element) -> None:
    txn_type, txn_id = child_text(rq, "TxnDelType") or "", child_text(rq, "TxnID") or ""
    ref_number = txns.txn_del(company.core, txn_type, txn_id)
    for tag, value in (
        ("TxnDelType", txn_type),
        ("TxnID", txn_id),
        ("TimeDeleted", format_time(company.state.clock)),
        ("RefNumber", ref_number),
    ):
        if value is not None:
            etree.SubElement(rs, tag).text = value


HANDLERS: dict[str, Handler] = {
    "HostQueryRq": _host,
    "CompanyQueryRq": _company,
    "CustomerAddRq": _list_add("Customer"),
    "CustomerModRq": _list_mod("Customer"),
    "ItemServiceAddRq": _list_add("ItemService"),
    "ItemServiceModRq": _list_mod("ItemService"),
    "ItemNonInventoryAddRq": _list_add("ItemNonInventory"),
    "ItemNonInventoryModRq": _list_mod("ItemNonInventory"),
    "StandardTermsAddRq": _list_add("StandardTerms"),
    "ItemSalesTaxAddRq": _list_add("ItemSalesTax"),
    "InvoiceAddRq": _invoice_add,
    "InvoiceModRq": _invoice_mod,
    "InvoiceQueryRq": _invoice_query,
    "ReceivePaymentAddRq": _payment_add,
    "ReceivePaymentModRq": _payment_mod,
    "ReceivePaymentQueryRq": _payment_query,
    "CreditMemoAddRq": _credit_memo_add,
    "CreditMemoModRq": _credit_memo_mod,
    "CreditMemoQueryRq": _credit_memo_query,
    "TxnVoidRq": _void,
    "TxnDelRq": _delete,
    **{tag: _list_query for tag in lists.QUERY_KINDS},
}
# Locks stop writers; QuickBooks lets anyone read a record another user is editing.
_READ_ONLY = frozenset(
    {
        "HostQueryRq",
        "CompanyQueryRq",
        "InvoiceQueryRq",
        "ReceivePaymentQueryRq",
        "CreditMemoQueryRq",
        *lists.QUERY_KINDS,
    }
)
