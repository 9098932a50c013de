"""An in-process QuickBooks Desktop company that answers qbXML, for tests and demos.

``QuickBooksCompany().process(request_xml) -> response_xml``; ``seed_company`` fills it.
"""

from qbwc_server.simulator.company import LOCK_CODES, QuickBooksCompany, ResponseLostError, Validator
from qbwc_server.simulator.office import seed_office
from qbwc_server.simulator.office_manifest import Collision, OfficeManifest, OfficeSize, OurNames, Reason
from qbwc_server.simulator.reference_rules import QbdRules, load_reference_rules
from qbwc_server.simulator.seed import (
    SeedSummary,
    add_sales_tax_item,
    install_bare,
    install_defaults,
    seed_company,
)
from qbwc_server.simulator.store import Application, CompanyState, Invoice, InvoiceLine, ListElement, Payment
from qbwc_server.simulator.strict import RequestProcessorError, default_rules, product_rules, rules_from_table

__all__ = [
    "LOCK_CODES",
    "Application",
    "Collision",
    "CompanyState",
    "Invoice",
    "InvoiceLine",
    "ListElement",
    "OfficeManifest",
    "OfficeSize",
    "OurNames",
    "Payment",
    "QbdRules",
    "QuickBooksCompany",
    "Reason",
    "RequestProcessorError",
    "ResponseLostError",
    "SeedSummary",
    "Validator",
    "add_sales_tax_item",
    "default_rules",
    "install_bare",
    "install_defaults",
    "load_reference_rules",
    "product_rules",
    "rules_from_table",
    "seed_company",
    "seed_office",
]
