"""Transactions: invoices (totals and sales tax computed here), received payments, voids, deletes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from lxml import etree

from desktop_app.domain.money import ZERO, line_amount, percent_of, round_cents
from qbwc_server.simulator.core import (
    Core,
    Refusal,
    child_text,
    decimal_of,
    parse_time,
)
from qbwc_server.simulator.item_sales import item_description, item_price
from qbwc_server.simulator.store import ITEM_KINDS, Application, Invoice, InvoiceLine, ListElement, Payment

_HEADER_SKIP = {
    "TxnID",
    "EditSequence",
    "CustomerRef",
    "TxnDate",
    "RefNumber",
    "ItemSalesTaxRef",
    "InvoiceLineAdd",
    "InvoiceLineMod",
    "TotalAmount",
    "AppliedToTxnAdd",
    "AppliedToTxnMod",
    "IsAutoApply",
}


# -- invoices -----------------------------------------------------------------------------------


def applied_to(core: Core, invoice: Invoice) -> Decimal:
    """Payments and credit memos applied to the invoice (QuickBooks' AppliedAmount, positive)."""
    payments = core.state.payments.values()
    paid = sum((a.amount for p in payments for a in p.applications if a.invoice_id == invoice.txn_id), ZERO)
    return paid + sum((c.amount for p in payments for c in p.credits if c.invoice_id == invoice.txn_id), ZERO)


def balance(core: Core, invoice: Invoice) -> Decimal:
    return invoice.total - applied_to(core, invoice)


def _is_taxable(core: Core, code_id: str | None) -> bool:
    return code_id is not None and core.state.lists[code_id].data.get("IsTaxable") == "true"


def _compute(core: Core, invoice: Invoice, customer: ListElement) -> None:
    """Subtotal, tax and total the way QuickBooks does: tax on taxable lines, rounded once."""
    invoice.subtotal = sum((line.amount for line in invoice.lines), ZERO)
    taxable = sum((line.amount for line in invoice.lines if _is_taxable(core, line.tax_code_id)), ZERO)
    exempt_code = invoice.data.get("CustomerSalesTaxCodeRef") or customer.data.get("SalesTaxCodeRef")
    rate = (
        Decimal(core.state.lists[invoice.sales_tax_item_id].data.get("TaxRate", "0"))
        if invoice.sales_tax_item_id
        else Decimal(0)
    )
    exempt = exempt_code is not None and not _is_taxable(core, exempt_code)
    invoice.tax_percent = rate
    invoice.tax_total = ZERO if exempt or invoice.is_void else percent_of(taxable, rate)


def _line(core: Core, node: etree._Element, record: str, old: InvoiceLine | None) -> InvoiceLine:
    item_ref = node.find("ItemRef")
    item = core.resolve(item_ref, ITEM_KINDS, record) if item_ref is not None else None
    if item is None and old is not None and old.item_id:
        item = core.state.lists[old.item_id]
    quantity = decimal_of(node, "Quantity")
    rate = decimal_of(node, "Rate")
    amount = decimal_of(node, "Amount")
    if old is not None:
        quantity = quantity if quantity is not None else old.quantity
        rate = rate if rate is not None else old.rate
    if rate is None and item is not None and amount is None and (price := item_price(item)) is not None:
        rate = price
    if amount is None:
        if rate is not None:
            amount = line_amount(quantity if quantity is not None else Decimal(1), rate)
        else:
            amount = old.amount if old is not None else ZERO
    tax_ref = node.find("SalesTaxCodeRef")
    if tax_ref is not None:
        tax_code: str | None = core.resolve(tax_ref, {"SalesTaxCode"}, record).list_id
    elif old is not None:
        tax_code = old.tax_code_id
    else:
        tax_code = item.data.get("SalesTaxCodeRef") if item is not None else None
    desc = child_text(node, "Desc")
    if desc is None:
        desc = old.description if old is not None else (item_description(item) if item else None)
    core.state.next_id += 1
    return InvoiceLine(
        txn_line_id=old.txn_line_id if old is not None else f"{core.state.next_id:X}-{core.stamp()}",
        item_id=item.list_id if item is not None else None,
        description=desc,
        quantity=quantity,
        rate=rate,
        amount=round_cents(amount),
        tax_code_id=tax_code,
        service_date=child_text(node, "ServiceDate") or (old.service_date if old else None),
    )


def compute_totals(core: Core, invoice: Invoice) -> None:
    """Subtotal, tax and total as QuickBooks computes them (for invoices seeded into the store)."""
    _compute(core, invoice, core.state.lists[invoice.customer_id])


def _sales_tax_item(core: Core, node: etree._Element, customer: ListElement, record: str) -> str | None:
    ref = node.find("ItemSalesTaxRef")
    if ref is not None:
        return core.resolve(ref, {"ItemSalesTax"}, record).list_id
    if "ItemSalesTaxRef" in customer.data:
        return customer.data["ItemSalesTaxRef"]
    default = [e for e in core.elements({"ItemSalesTax"}) if e.is_active]
    return default[0].list_id if default else None


def _next_ref_number(core: Core) -> str:
    numbers = [
        int(i.ref_number) for i in core.state.invoices.values() if i.ref_number and i.ref_number.isdigit()
    ]
    return str(max(numbers, default=0) + 1)


def invoice_add(core: Core, node: etree._Element) -> Invoice:
    ref_number = child_text(node, "RefNumber")
    record = f"Invoice {ref_number or ''}".strip()
    customer = core.resolve(node.find("CustomerRef"), {"Customer"}, record)  # type: ignore[arg-type]
    data = core.absorb(node, record, skip=_HEADER_SKIP)
    tax_item = _sales_tax_item(core, node, customer, record)
    lines = [_line(core, line, record, None) for line in node.findall("InvoiceLineAdd")]
    now = core.tick()
    txn_id, number = core.new_txn_id()
    invoice = Invoice(
        txn_id=txn_id,
        txn_number=number,
        edit_sequence=core.stamp(),
        time_created=now,
        time_modified=now,
        customer_id=customer.list_id,
        txn_date=_date(node, core),
        ref_number=ref_number or _next_ref_number(core),
        data=data,
        lines=lines,
        sales_tax_item_id=tax_item,
    )
    _compute(core, invoice, customer)
    core.state.invoices[txn_id] = invoice
    return invoice


def _date(node: etree._Element, core: Core) -> date:
    text = child_text(node, "TxnDate")
    return date.fromisoformat(text) if text else core.today()


def payments_made(core: Core) -> dict[str, Payment]:
    """The payments QuickBooks holds as transactions (not credits set with links only)."""
    return {txn_id: p for txn_id, p in core.state.payments.items() if not p.links_only}


def find_txn(core: Core, store: dict[str, Invoice] | dict[str, Payment], node: etree._Element) -> str:
    txn_id = child_text(node, "TxnID") or ""
    if txn_id not in store or getattr(store[txn_id], "links_only", False):
        raise Refusal(3120, f'Object "{txn_id}" specified in the request cannot be found.')
    sequence = child_text(node, "EditSequence")
    if sequence != store[txn_id].edit_sequence:
        raise Refusal(3200, f'The provided edit sequence "{sequence}" is out-of-date.')
    return txn_id


def modified(core: Core, node: etree._Element, txn: Invoice | Payment) -> None:
    """What every transaction Mod does last: the date and number if sent, then a new
    TimeModified and EditSequence."""
    if (txn_date := child_text(node, "TxnDate")) is not None:
        txn.txn_date = date.fromisoformat(txn_date)
    if (ref_number := child_text(node, "RefNumber")) is not None:
        txn.ref_number = ref_number
    txn.time_modified = core.tick()
    txn.edit_sequence = core.stamp()


def invoice_mod(core: Core, node: etree._Element) -> Invoice:
    invoice = core.state.invoices[find_txn(core, core.state.invoices, node)]
    record = f"Invoice {invoice.ref_number or invoice.txn_id}"
    customer_ref = node.find("CustomerRef")
    customer = (
        core.resolve(customer_ref, {"Customer"}, record)
        if customer_ref is not None
        else core.state.lists[invoice.customer_id]
    )
    changes = core.absorb(node, record, skip=_HEADER_SKIP)
    tax_item = (
        _sales_tax_item(core, node, customer, record)
        if node.find("ItemSalesTaxRef") is not None
        else invoice.sales_tax_item_id
    )
    line_nodes = node.findall("InvoiceLineMod")
    lines = invoice.lines
    if line_nodes:
        # QuickBooks deletes every line the Mod does not list.
        existing = {line.txn_line_id: line for line in invoice.lines}
        lines = []
        for line_node in line_nodes:
            line_id = child_text(line_node, "TxnLineID") or ""
            if line_id != "-1" and line_id not in existing:
                raise Refusal(3120, f'Object "{line_id}" specified in the request cannot be found.')
            lines.append(_line(core, line_node, record, existing.get(line_id)))
    trial = Invoice(
        **{**invoice.__dict__, "lines": lines, "sales_tax_item_id": tax_item, "data": {**invoice.data}}
    )
    core.merge(trial.data, changes)
    _compute(core, trial, customer)
    if trial.total < applied_to(core, invoice):
        raise Refusal(3210, f"{record}: the new total is less than the payments already applied to it.")
    trial.customer_id = customer.list_id
    modified(core, node, trial)
    core.state.invoices[invoice.txn_id] = trial
    return trial


def _unlink(core: Core, invoice_id: str) -> None:
    """Payments applied to a voided/deleted invoice become unused credit, as in QuickBooks."""
    for payment in core.state.payments.values():
        payment.applications = [a for a in payment.applications if a.invoice_id != invoice_id]
        payment.credits = [c for c in payment.credits if c.invoice_id != invoice_id]


def txn_void(core: Core, txn_type: str, txn_id: str) -> Invoice:
    if txn_type != "Invoice":
        raise Refusal(3250, f"A {txn_type} cannot be voided through the SDK; delete it instead.")
    invoice = core.state.invoices.get(txn_id)
    if invoice is None:
        raise Refusal(3120, f'Object "{txn_id}" specified in the request cannot be found.')
    _unlink(core, txn_id)
    invoice.is_void = True
    for line in invoice.lines:
        line.amount, line.quantity = ZERO, Decimal(0) if line.quantity is not None else None
    invoice.data["Memo"] = "VOID: " + invoice.data.get("Memo", "")
    _compute(core, invoice, core.state.lists[invoice.customer_id])
    invoice.time_modified = core.tick()
    invoice.edit_sequence = core.stamp()
    return invoice


def txn_del(core: Core, txn_type: str, txn_id: str) -> str | None:
    """Deletes; returns the RefNumber of what was deleted."""
    if txn_type == "ReceivePayment" and txn_id in payments_made(core):
        core.tick()
        return core.state.payments.pop(txn_id).ref_number
    if txn_type == "Invoice" and txn_id in core.state.invoices:
        _unlink(core, txn_id)
        core.tick()
        return core.state.invoices.pop(txn_id).ref_number
    if txn_type == "CreditMemo" and txn_id in core.state.credit_memos:
        # What payments set against invoices from it is owed again, as when it is voided.
        for payment in core.state.payments.values():
            payment.credits = [c for c in payment.credits if c.credit_id != txn_id]
        core.tick()
        return core.state.credit_memos.pop(txn_id).ref_number
    raise Refusal(3120, f'Object "{txn_id}" specified in the request cannot be found.')


def _applications(
    core: Core,
    nodes: Iterable[etree._Element],
    customer: ListElement,
    total: Decimal,
    ignore_payment: str | None,
    record: str,
) -> list[Application]:
    """Checked applications: each invoice open for this customer, never paid beyond its balance."""
    result: list[Application] = []
    for node in nodes:
        txn_id = child_text(node, "TxnID") or ""
        invoice = core.state.invoices.get(txn_id)
        if invoice is None:
            raise Refusal(3120, f'Object "{txn_id}" specified in the request cannot be found.')
        if invoice.customer_id != customer.list_id:
            raise Refusal(3210, f"{record}: invoice {invoice.ref_number} is not open for this customer.")
        amount = decimal_of(node, "PaymentAmount") or ZERO
        already = sum(
            (
                a.amount
                for p in core.state.payments.values()
                if p.txn_id != ignore_payment
                for a in p.applications
                if a.invoice_id == txn_id
            ),
            ZERO,
        )
        already += sum((a.amount for a in result if a.invoice_id == txn_id), ZERO)
        already += sum(
            (c.amount for p in core.state.payments.values() for c in p.credits if c.invoice_id == txn_id),
            ZERO,
        )
        if amount > invoice.total - already:
            raise Refusal(
                3210,
                f"{record}: the payment amount {amount} is more than the "
                f"{invoice.total - already:.2f} due on invoice {invoice.ref_number}.",
            )
        result.append(Application(invoice_id=txn_id, amount=amount))
    _check_total(result, total, record)
    return result


def _check_total(applications: list[Application], total: Decimal, record: str) -> None:
    if sum((a.amount for a in applications), ZERO) > total:
        raise Refusal(3210, f"{record}: the amounts applied are more than the payment's total {total:.2f}.")


def _auto_apply(core: Core, customer: ListElement, total: Decimal) -> list[Application]:
    open_invoices = sorted(
        (
            i
            for i in core.state.invoices.values()
            if i.customer_id == customer.list_id and balance(core, i) > 0
        ),
        key=lambda i: (i.txn_date, i.txn_number),
    )
    result, left = [], total
    for invoice in open_invoices:
        if left <= 0:
            break
        take = min(left, balance(core, invoice))
        result.append(Application(invoice.txn_id, take))
        left -= take
    return result


def payment_add(core: Core, node: etree._Element) -> Payment:
    ref_number = child_text(node, "RefNumber")
    record = f"Payment {ref_number or ''}".strip()
    customer = core.resolve(node.find("CustomerRef"), {"Customer"}, record)  # type: ignore[arg-type]
    data = core.absorb(node, record, skip=_HEADER_SKIP)
    app_nodes = node.findall("AppliedToTxnAdd")
    total = decimal_of(node, "TotalAmount")
    if total is None:
        total = sum((decimal_of(n, "PaymentAmount") or ZERO for n in app_nodes), ZERO)
    if child_text(node, "IsAutoApply") == "true":
        applications = _auto_apply(core, customer, total)
    else:
        applications = _applications(core, app_nodes, customer, total, None, record)
    now = core.tick()
    txn_id, number = core.new_txn_id()
    payment = Payment(
        txn_id=txn_id,
        txn_number=number,
        edit_sequence=core.stamp(),
        time_created=now,
        time_modified=now,
        customer_id=customer.list_id,
        txn_date=_date(node, core),
        ref_number=ref_number,
        total=total,
        data=data,
        applications=applications,
    )
    core.state.payments[txn_id] = payment
    return payment


def payment_mod(core: Core, node: etree._Element) -> Payment:
    payment = core.state.payments[find_txn(core, core.state.payments, node)]
    record = f"Payment {payment.ref_number or payment.txn_id}"
    customer_ref = node.find("CustomerRef")
    customer = (
        core.resolve(customer_ref, {"Customer"}, record)
        if customer_ref is not None
        else core.state.lists[payment.customer_id]
    )
    changes = core.absorb(node, record, skip=_HEADER_SKIP)
    total = decimal_of(node, "TotalAmount")
    total = payment.total if total is None else total
    app_nodes = node.findall("AppliedToTxnMod")
    if app_nodes:
        applications = _applications(core, app_nodes, customer, total, payment.txn_id, record)
    else:
        applications = payment.applications
        _check_total(applications, total, record)
    core.merge(payment.data, changes)
    payment.customer_id, payment.total, payment.applications = customer.list_id, total, applications
    modified(core, node, payment)
    return payment


def select(core: Core, rq: etree._Element, kind: str) -> list[str]:
    """TxnIDs an InvoiceQuery/ReceivePaymentQuery matches, oldest first."""
    store: dict[str, Invoice] | dict[str, Payment] = (
        core.state.invoices if kind == "Invoice" else payments_made(core)
    )
    ids = [e.text or "" for e in rq.findall("TxnID")]
    if ids:
        return [i for i in ids if i in store]
    refs = [e.text or "" for e in rq.findall("RefNumber")]
    exact = [e.text or "" for e in rq.findall("RefNumberCaseSensitive")]
    if refs or exact:
        wanted = {r.casefold() for r in refs}
        # Only the few that match are put in order (a lookup by number comes before most adds).
        matching = [
            t
            for t in store.values()
            if t.ref_number is not None and (t.ref_number.casefold() in wanted or t.ref_number in exact)
        ]
        return [t.txn_id for t in sorted(matching, key=lambda t: t.txn_number)]
    txns: list[Invoice | Payment] = sorted(store.values(), key=lambda t: t.txn_number)
    chosen = []
    modified = rq.find("ModifiedDateRangeFilter")
    dated = rq.find("TxnDateRangeFilter")
    entity = rq.find("EntityFilter")
    customers: set[str] | None = None
    if entity is not None:
        customers = set()
        for child in entity:
            with_children = str(child.tag).endswith("WithChildren")
            found = core.find(
                {"Customer"},
                list_id=child.text if "ListID" in str(child.tag) else None,
                full_name=child.text if "FullName" in str(child.tag) else None,
            )
            if found is not None:
                customers.add(found.list_id)
                if with_children:
                    prefix = core.full_name(found).casefold() + ":"
                    customers |= {
                        e.list_id
                        for e in core.elements({"Customer"})
                        if core.full_name(e).casefold().startswith(prefix)
                    }
    paid = child_text(rq, "PaidStatus") or "All"
    for txn in txns:
        if modified is not None:
            low, high = child_text(modified, "FromModifiedDate"), child_text(modified, "ToModifiedDate")
            if low and txn.time_modified < parse_time(low):
                continue
            if high and txn.time_modified > parse_time(high, end_of_day=True):
                continue
        if dated is not None:
            low, high = child_text(dated, "FromTxnDate"), child_text(dated, "ToTxnDate")
            if low and txn.txn_date < date.fromisoformat(low):
                continue
            if high and txn.txn_date > date.fromisoformat(high):
                continue
        if customers is not None and txn.customer_id not in customers:
            continue
        if isinstance(txn, Invoice) and paid != "All" and (balance(core, txn) <= 0) != (paid == "PaidOnly"):
            continue
        chosen.append(txn.txn_id)
    return chosen
