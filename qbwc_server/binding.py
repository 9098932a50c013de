"""Which QuickBooks company file this JobDesk database belongs to (set by an admin, audited).

A session whose open company is not the bound one is refused before anything is sent,
so invoices never go into the wrong books.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from desktop_app.db.qbwc_models import WC_FAILED, WcSession
from desktop_app.db.uow import UnitOfWork
from desktop_app.services.common import audit, require_admin
from desktop_app.services.settings import get_setting, set_setting


@dataclass(frozen=True)
class CompanyBinding:
    company_name: str
    company_path: str
    file_id: str

    @property
    def is_bound(self) -> bool:
        return bool(self.company_name or self.company_path)


def get_binding(uow: UnitOfWork) -> CompanyBinding:
    return CompanyBinding(
        company_name=str(get_setting(uow, "qbwc.bound_company_name")),
        company_path=str(get_setting(uow, "qbwc.bound_company_path")),
        file_id=str(get_setting(uow, "qbwc.bound_file_id")),
    )


def bind_company(uow: UnitOfWork, company_name: str, company_path: str, file_id: str = "") -> CompanyBinding:
    """Tie this database to one QuickBooks company file (admin only; audited)."""
    require_admin(uow, "connect JobDesk to a QuickBooks company file")
    file_id = file_id or str(get_setting(uow, "qbwc.file_id"))
    set_setting(uow, "qbwc.bound_company_name", company_name)
    set_setting(uow, "qbwc.bound_company_path", company_path)
    set_setting(uow, "qbwc.bound_file_id", file_id)
    audit(
        uow,
        "qbwc.bind",
        "qbwc",
        None,
        summary=f"Connected to QuickBooks company “{company_name}”",
        changes={"company_name": company_name, "company_path": company_path, "file_id": file_id},
    )
    return get_binding(uow)


def clear_binding(uow: UnitOfWork) -> CompanyBinding:
    """Forget the QuickBooks company: the next successful sync binds to the open file (admin)."""
    require_admin(uow, "disconnect JobDesk from its QuickBooks company file")
    old = get_binding(uow)
    for key in ("qbwc.bound_company_name", "qbwc.bound_company_path", "qbwc.bound_file_id"):
        set_setting(uow, key, "")
    audit(
        uow,
        "qbwc.unbind",
        "qbwc",
        None,
        summary=f"Disconnected from QuickBooks company “{old.company_name}”",
        changes={"company_name": old.company_name, "company_path": old.company_path},
    )
    return get_binding(uow)


def rebind_to_refused(uow: UnitOfWork) -> CompanyBinding:
    """Bind to the company file of the latest session that was refused for being different."""
    require_admin(uow, "connect JobDesk to a different QuickBooks company file")
    refused = uow.session.scalars(
        select(WcSession)
        .where(WcSession.company_name != "", WcSession.state == WC_FAILED)
        .order_by(WcSession.id.desc())
        .limit(1)
    ).first()
    if refused is None:
        from desktop_app.errors import NotFound

        raise NotFound("Refused QuickBooks session", "(latest)")
    return bind_company(uow, refused.company_name, refused.company_file)


def binding_mismatch(binding: CompanyBinding, company_name: str, company_path: str, file_id: str) -> str:
    """ "" when the open company is the bound one, else a plain-words refusal."""
    if not binding.is_bound:
        return ""
    name_ok = not binding.company_name or binding.company_name.casefold() == company_name.strip().casefold()
    path_ok = not binding.company_path or _same_path(binding.company_path, company_path)
    file_ok = not (binding.file_id and file_id) or binding.file_id.lower() == file_id.lower()
    if name_ok and path_ok and file_ok:
        return ""
    return (
        f"QuickBooks has the company “{company_name or '?'}” open ({company_path or 'unknown file'}), "
        f"but this JobDesk database belongs to “{binding.company_name}” ({binding.company_path}). "
        "JobDesk sent nothing, so no invoices went into the wrong books. Open the right company "
        "file in QuickBooks, or, if the company file really moved, ask a JobDesk admin to "
        "connect JobDesk to this company file (Settings, QuickBooks)."
    )


def _same_path(a: str, b: str) -> bool:
    """Windows paths: case-insensitive, either slash."""
    return a.strip().replace("/", "\\").casefold() == b.strip().replace("/", "\\").casefold()
