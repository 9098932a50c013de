"""Invoices on paper and in PDF: HTML laid out by QTextDocument, written by Qt's PDF writer."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from html import escape
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from desktop_app.domain.money import format_money
from desktop_app.services.invoices import InvoiceDetail


@dataclass(frozen=True)
class Company:
    name: str
    address: str
    phone: str
    email: str
    logo_path: str


def _address(lines: tuple[str, ...]) -> str:
    street, unit, city, state, zip_code = (*lines, "", "", "", "", "")[:5]
    first = " ".join(part for part in (street, unit) if part)
    second = ", ".join(part for part in (city, f"{state} {zip_code}".strip()) if part)
    return "<br>".join(escape(part) for part in (first, second) if part)


def _logo(path: str) -> str:
    if not path:
        return ""
    file = Path(path)
    if not file.is_file() or file.stat().st_size > 2_000_000:
        return ""
    kind = "png" if file.suffix.lower() == ".png" else "jpeg"
    data = base64.b64encode(file.read_bytes()).decode("ascii")
    return f'<img src="data:image/{kind};base64,{data}" height="56"><br>'


def invoice_html(invoice: InvoiceDetail, company: Company, service_address: str = "") -> str:
    rows = "".join(
        f"<tr><td class='d'>{escape(line.description)}</td>"
        f"<td class='n'>{line.quantity.normalize():f}</td>"
        f"<td class='n'>{format_money(line.rate)}</td>"
        f"<td class='n'>{format_money(line.amount)}</td></tr>"
        for line in invoice.lines
    )
    due = f"{invoice.due_date:%m/%d/%Y}" if invoice.due_date else "On receipt"
    totals = [("Subtotal", invoice.subtotal)]
    if invoice.tax:
        totals.append((f"Sales tax ({invoice.tax_rate.normalize():f}%)", invoice.tax))
    totals.append(("Total", invoice.total))
    if invoice.deposit_credit:
        totals.append(("Deposits received", -invoice.deposit_credit))
    if invoice.amount_paid:
        totals.append(("Payments applied", -invoice.amount_paid))
    totals_html = "".join(
        f"<tr><td class='tl'>{escape(name)}</td><td class='n'>{format_money(value)}</td></tr>"
        for name, value in totals
    )
    status = "VOID" if invoice.status.value == "void" else ("PAID" if invoice.status.value == "paid" else "")
    job = f"Job {escape(invoice.job_number)}" if invoice.job_number else ""
    notes = f"<p class='notes'>{escape(invoice.customer_notes)}</p>" if invoice.customer_notes else ""
    service = (
        f"<td width='34%'><div class='h'>SERVICE ADDRESS</div>{escape(service_address)}</td>"
        if service_address
        else ""
    )
    company_lines = "<br>".join(escape(x) for x in (company.address, company.phone, company.email) if x)
    return f"""
<html><head><style>
body {{ font-family: 'Segoe UI', 'DejaVu Sans', sans-serif; font-size: 10pt; color: #1e293b; }}
.brand {{ font-size: 18pt; font-weight: 700; color: #0f172a; }}
.title {{ font-size: 22pt; font-weight: 700; color: #2563eb; }}
.h {{ font-size: 8pt; font-weight: 700; color: #64748b; letter-spacing: 1px; }}
table.lines {{ border-collapse: collapse; width: 100%; margin-top: 18px; }}
table.lines th {{ background: #f1f5f9; color: #475569; font-size: 8.5pt; text-align: left; padding: 6px; }}
table.lines td {{ padding: 6px; border-bottom: 1px solid #e2e8f0; }}
td.n {{ text-align: right; white-space: nowrap; }}
td.tl {{ text-align: right; color: #475569; padding: 3px 10px; }}
.stamp {{ font-size: 16pt; font-weight: 700; color: #b91c1c; }}
.notes {{ color: #475569; margin-top: 16px; }}
.balance {{ font-size: 13pt; font-weight: 700; }}
</style></head><body>
<table width="100%"><tr>
<td width="60%">{_logo(company.logo_path)}<span class="brand">{escape(company.name)}</span><br>
{company_lines}</td>
<td width="40%" align="right"><span class="title">INVOICE</span><br>
<b>No. {escape(invoice.number)}</b><br>Date {invoice.invoice_date:%m/%d/%Y}<br>Due {due}<br>{job}
<br><span class="stamp">{status}</span></td>
</tr></table>
<br>
<table width="100%"><tr>
<td width="66%"><div class="h">BILL TO</div><b>{escape(invoice.bill_name or invoice.customer_name)}</b><br>
{_address(invoice.bill_address)}</td>{service}
</tr></table>
<table class="lines" width="100%">
<tr><th width="58%">DESCRIPTION</th><th align="right">QTY</th><th align="right">RATE</th>
<th align="right">AMOUNT</th></tr>
{rows}
</table>
<table width="100%"><tr><td width="50%"></td><td width="50%">
<table width="100%">{totals_html}
<tr><td class="tl balance">Balance due</td><td class="n balance">{format_money(invoice.balance)}</td></tr>
</table></td></tr></table>
{notes}
<p class="notes">Thank you for your business.</p>
</body></html>"""


def make_document(html: str, width_points: float = 540) -> QTextDocument:
    document = QTextDocument()
    document.setDocumentMargin(0)
    document.setHtml(html)
    document.setPageSize(QSizeF(width_points, 720))
    return document


def write_pdf(html: str, path: str | Path) -> Path:
    """Write the HTML to a Letter-size PDF (safe to call from a worker thread)."""
    target = Path(path)
    writer = QPdfWriter(str(target))
    writer.setTitle("Invoice")
    writer.setCreator("JobDesk")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.Letter),
            QPageLayout.Orientation.Portrait,
            QMarginsF(18, 18, 18, 18),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setResolution(300)
    document = QTextDocument()
    document.setHtml(html)
    document.print_(writer)
    return target
