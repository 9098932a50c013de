"""The company settings there are (type, limits, who may change them) and reading their values.

Reading is apart from changing (``settings.set_setting``): changing a numbering setting
checks it against the counters, and the numbering rules themselves read settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.db.models import Setting
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.money import parse_decimal
from desktop_app.domain.status import PaymentMethod
from desktop_app.errors import NotFound, ValidationError
from desktop_app.services.common import clean_text

SettingValue = str | int | bool | Decimal
#: The one ``session.info`` key the stored settings are cached under: every reader shares it.
_CACHE = "jobdesk_settings"


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str
    default: SettingValue
    admin_only: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 255
    #: Secret values (password hashes) are never written to the audit log.
    secret: bool = False


def _shown(method: PaymentMethod) -> str:
    return "ACH" if method is PaymentMethod.ACH else method.value


def _specs(*specs: SettingSpec) -> dict[str, SettingSpec]:
    return {spec.key: spec for spec in specs}


SPECS: dict[str, SettingSpec] = _specs(
    SettingSpec("company.name", "Company name", "My Company"),
    SettingSpec("company.address", "Company address", "", max_length=500),
    SettingSpec("company.phone", "Company phone", ""),
    SettingSpec("company.email", "Company email", ""),
    SettingSpec("company.logo_path", "Logo file", "", max_length=1000),
    SettingSpec("numbering.mode", "Numbering mode", "simple", admin_only=True, choices=("simple", "match")),
    SettingSpec("numbering.progress", "Progress invoicing", False, admin_only=True),
    SettingSpec("numbering.job_prefix", "Job number prefix", "", admin_only=True, max_length=5),
    SettingSpec("numbering.invoice_prefix", "Invoice number prefix", "", admin_only=True, max_length=5),
    SettingSpec("numbering.job_start", "First job number", 1000, admin_only=True, minimum=1, maximum=10**9),
    SettingSpec(
        "numbering.invoice_start", "First invoice number", 1000, admin_only=True, minimum=1, maximum=10**9
    ),
    SettingSpec("invoice.date_policy_invoice_date", "Date invoices by the day they are issued", True),
    SettingSpec("invoice.date_policy_service_date", "Date invoices by the service date", False),
    SettingSpec("invoice.default_terms_id", "Default terms", 0),
    SettingSpec("tax.default_rate", "Default sales tax rate (%)", Decimal("0")),
    SettingSpec("tax.item_name", "QuickBooks sales tax item", "", max_length=31),
    SettingSpec("accounts.default_income_account_id", "Default income account", 0),
    # Chosen in the connection wizard's mapping step (services.connection_mapping): QuickBooks
    # ListIDs, sent as references; empty leaves the choice to JobDesk or QuickBooks.
    SettingSpec(
        "items.generic_item_list_id",
        "QuickBooks item for lines without a price-book item",
        "",
        admin_only=True,
        max_length=40,
    ),
    *(
        SettingSpec(
            f"payments.qb_method.{method.value}",
            f"QuickBooks payment method for {_shown(method)} payments",
            "",
            admin_only=True,
            max_length=40,
        )
        for method in PaymentMethod
    ),
    *(
        SettingSpec(
            f"payments.deposit_to.{method.value}",
            f"QuickBooks account {_shown(method)} payments are deposited to",
            "",
            admin_only=True,
            max_length=40,
        )
        for method in PaymentMethod
    ),
    SettingSpec(
        "sync.interval_minutes", "Sync every (minutes)", 15, admin_only=True, minimum=1, maximum=1440
    ),
    SettingSpec("sync.responsive", "Responsive Sync now (poll every minute)", False, admin_only=True),
    SettingSpec("sync.on_job_finished", "Sync when a job is finished", True, admin_only=True),
    SettingSpec("sync.on_invoice_sent", "Sync when an invoice is sent", True, admin_only=True),
    SettingSpec("sync.on_invoice_paid", "Sync when an invoice is paid", True, admin_only=True),
    SettingSpec("sync.batch_max_requests", "Requests per batch", 50, admin_only=True, minimum=1, maximum=500),
    SettingSpec(
        "sync.batch_max_bytes",
        "Batch size (bytes)",
        500_000,
        admin_only=True,
        minimum=10_000,
        maximum=20_000_000,
    ),
    SettingSpec(
        "sync.payment_pull_minutes",
        "Bring in payments entered in QuickBooks every (minutes; Sync now always does)",
        240,
        admin_only=True,
        minimum=15,
        maximum=10_080,
    ),
    SettingSpec("sync.office_may_sync_now", "Office users may press Sync now", True, admin_only=True),
    SettingSpec("users.auto_sign_in", "Sign in automatically on a one-user PC", True, admin_only=True),
    SettingSpec("qbwc.username", "Web Connector user name", "jobdesk", admin_only=True, max_length=60),
    SettingSpec(
        "qbwc.password_hash", "Web Connector password", "", admin_only=True, secret=True, max_length=500
    ),
    SettingSpec("qbwc.port", "Server port", 8089, admin_only=True, minimum=1024, maximum=65535),
    SettingSpec("qbwc.owner_id", "Web Connector OwnerID", "", admin_only=True, max_length=40),
    SettingSpec("qbwc.file_id", "Web Connector FileID", "", admin_only=True, max_length=40),
    SettingSpec("qbwc.bound_company_name", "QuickBooks company", "", admin_only=True),
    SettingSpec("qbwc.bound_company_path", "QuickBooks company file", "", admin_only=True, max_length=1000),
    SettingSpec("qbwc.bound_file_id", "Bound FileID", "", admin_only=True, max_length=40),
    # Written by the sync engine, read by the GUI and `status`: timestamps in ISO 8601 (UTC).
    SettingSpec("sync.requested_at", "Sync now requested at", "", max_length=40),
    SettingSpec("sync.last_session_at", "Last completed sync", "", max_length=40),
    SettingSpec("sync.last_payment_pull", "Payments pulled from QuickBooks up to", "", max_length=40),
    # The newest change a pull under way has read so far: "up to" moves to it only once the
    # pull's last page is read (a pull read again from the top then misses nothing).
    SettingSpec("sync.payment_pull_reading", "Payments being brought in, read up to", "", max_length=40),
    SettingSpec("sync.payment_pull_started", "Payments being brought in since", "", max_length=40),
    SettingSpec("sync.payment_pull_done_at", "Payments last brought in from QuickBooks", "", max_length=40),
    SettingSpec("sync.import_done", "First-run import finished", False),
    # The connection wizard (services.connection): where it stands, and whether only
    # imports may reach QuickBooks until the admin presses Send.
    SettingSpec(
        "connection.step",
        "Connection wizard step",
        "",
        admin_only=True,
        choices=("", "bind", "import", "review", "numbering", "mapping", "preview", "done"),
    ),
    SettingSpec("connection.writes_held", "Nothing but imports reaches QuickBooks", False, admin_only=True),
    SettingSpec("connection.started_at", "Connection started at", "", admin_only=True, max_length=40),
    SettingSpec(
        "connection.mapping_saved", "Accounts and items chosen for", "", admin_only=True, max_length=4000
    ),
    SettingSpec(
        "connection.sent_at", "First sync after connecting sent at", "", admin_only=True, max_length=40
    ),
    SettingSpec("sync.sessions_without_progress", "Sessions in a row that finished nothing", 0, minimum=0),
)


def convert(spec: SettingSpec, value: object) -> SettingValue:
    default = spec.default
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false", "1", "0"}:
            return value.lower() in {"true", "1"}
        raise ValidationError(spec.key, f"{spec.label} must be on or off.")
    if isinstance(default, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValidationError(spec.key, f"{spec.label} must be a whole number.")
        if spec.minimum is not None and value < spec.minimum:
            raise ValidationError(spec.key, f"{spec.label} must be at least {spec.minimum}.")
        if spec.maximum is not None and value > spec.maximum:
            raise ValidationError(spec.key, f"{spec.label} must be at most {spec.maximum}.")
        return value
    if isinstance(default, Decimal):
        number = parse_decimal(value, spec.key, places=Decimal("0.0001"))
        if number < 0 or number > 100:
            raise ValidationError(spec.key, f"{spec.label} must be between 0 and 100.")
        return number
    text = clean_text(value, spec.key, max_length=spec.max_length, label=spec.label)
    if spec.choices and text not in spec.choices:
        raise ValidationError(spec.key, f"{spec.label} must be one of: {', '.join(spec.choices)}.")
    return text


def spec_of(key: str) -> SettingSpec:
    try:
        return SPECS[key]
    except KeyError:
        raise NotFound("Setting", key) from None


#: Every stored setting (records: a loaded one changed and not yet flushed reads as changed).
_STORED = select(Setting)


def stored_values(uow: UnitOfWork) -> dict[str, str]:
    """All stored settings, read once per transaction (they are few and read often)."""
    return session_values(uow.session)


def session_values(session: Session) -> dict[str, str]:
    """The stored settings as the session's one cache holds them (for code with no unit of work)."""
    cache: dict[str, str] | None = session.info.get(_CACHE)
    if cache is None:
        cache = {row.key: row.value for row in session.scalars(_STORED)}
        session.info[_CACHE] = cache
    return cache


def stored_value(session: Session, key: str) -> str | None:
    """One stored setting's text (None when never stored), from the same cache."""
    return session_values(session).get(key)


def get_setting(uow: UnitOfWork, key: str) -> Any:
    spec = spec_of(key)
    stored = stored_values(uow).get(key)
    if stored is None:
        return spec.default
    return convert(spec, stored)


def get_all(uow: UnitOfWork) -> dict[str, Any]:
    stored = stored_values(uow)
    return {
        key: (convert(spec, stored[key]) if key in stored else spec.default) for key, spec in SPECS.items()
    }
