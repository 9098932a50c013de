"""qbXML messages: builders, limits, a hardened parser. Pure: lxml only, no database, no Qt.

Public surface (import from here):

* inputs: ``Ref``, ``Address``, ``CustomerFields``, ``JobStatus``, ``ItemFields``, ``ItemKind``,
  ``StandardTermsFields``, ``InvoiceFields``, ``InvoiceLineFields``, ``PaymentFields``, ``AppliedPayment``,
  ``CreditMemoFields``, ``CreditApplicationFields`` (``CreditToInvoice``, ``AppliedCredit``)
* builders return one request element; ``build_message`` wraps a batch
* ``parse_response`` / ``iter_response`` read responses (``Answers``: statuses now, records
  when asked for); ``Status``, ``Record``, ``Result``
"""

from qbwc_server.qbxml.build import (
    ITERATOR_QUERIES,
    QBXML_VERSION,
    Request,
    build_message,
    company_query,
    customer_add,
    customer_mod,
    host_query,
    item_add,
    item_mod,
    list_query,
    sales_tax_item_add,
    standard_terms_add,
)
from qbwc_server.qbxml.build_credits import (
    credit_application_add,
    credit_application_mod,
    credit_memo_add,
    credit_memo_mod,
    credit_memo_query,
    credit_memo_void,
)
from qbwc_server.qbxml.build_txns import (
    invoice_add,
    invoice_mod,
    receive_payment_add,
    receive_payment_mod,
    txn_del,
    txn_query,
    txn_void,
)
from qbwc_server.qbxml.parse import Answers, Record, Result, Status, iter_response, parse_response, to_record
from qbwc_server.qbxml.read_credits import CreditMemoLineRet, CreditMemoRet, read_credit_memo
from qbwc_server.qbxml.records import (
    Address,
    AppliedCredit,
    AppliedPayment,
    CreditApplicationFields,
    CreditMemoFields,
    CreditToInvoice,
    CustomerFields,
    InvoiceFields,
    InvoiceLineFields,
    ItemFields,
    ItemKind,
    JobStatus,
    PaymentFields,
    Ref,
    SalesTaxItemFields,
    StandardTermsFields,
)
from qbwc_server.qbxml.safe import MAX_MESSAGE_BYTES, parse_tree

__all__ = [
    "ITERATOR_QUERIES",
    "MAX_MESSAGE_BYTES",
    "QBXML_VERSION",
    "Address",
    "Answers",
    "AppliedCredit",
    "AppliedPayment",
    "CreditApplicationFields",
    "CreditMemoFields",
    "CreditMemoLineRet",
    "CreditMemoRet",
    "CreditToInvoice",
    "CustomerFields",
    "InvoiceFields",
    "InvoiceLineFields",
    "ItemFields",
    "ItemKind",
    "JobStatus",
    "PaymentFields",
    "Record",
    "Ref",
    "Request",
    "Result",
    "SalesTaxItemFields",
    "StandardTermsFields",
    "Status",
    "build_message",
    "company_query",
    "credit_application_add",
    "credit_application_mod",
    "credit_memo_add",
    "credit_memo_mod",
    "credit_memo_query",
    "credit_memo_void",
    "customer_add",
    "customer_mod",
    "host_query",
    "invoice_add",
    "invoice_mod",
    "item_add",
    "item_mod",
    "iter_response",
    "list_query",
    "parse_response",
    "parse_tree",
    "read_credit_memo",
    "receive_payment_add",
    "receive_payment_mod",
    "sales_tax_item_add",
    "standard_terms_add",
    "to_record",
    "txn_del",
    "txn_query",
    "txn_void",
]
