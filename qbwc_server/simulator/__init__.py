"""An in-process QuickBooks Desktop company that answers qbXML, for tests and demos.

``QuickBooksCompany().process(request_xml) -> response_xml``; ``seed_company`` fills it.
"""

from qbwc_server.simulator.company import LOCK_CODES, QuickBooksCompany, ResponseLostError, Validator
from qbwc_server.simulator.seed import SeedSummary, install_defaults, seed_company
from qbwc_server.simulator.store import Application, CompanyState, Invoice, InvoiceLine, ListElement, Payment

__all__ = [
    "LOCK_CODES",
    "Application",
    "CompanyState",
    "Invoice",
    "InvoiceLine",
    "ListElement",
    "Payment",
    "QuickBooksCompany",
    "ResponseLostError",
    "SeedSummary",
    "Validator",
    "install_defaults",
    "seed_company",
]
