"""Company settings: typed, validated, audited; the damaging ones are admin-only."""

from __future__ import annotations

from collections.abc import Callable

from desktop_app.db.models import Setting
from desktop_app.db.uow import UnitOfWork
from desktop_app.errors import PermissionDenied
from desktop_app.services.common import audit
from desktop_app.services.numbering_settings import validate_numbering_setting
from desktop_app.services.setting_specs import SPECS as SPECS
from desktop_app.services.setting_specs import SettingSpec as SettingSpec
from desktop_app.services.setting_specs import SettingValue as SettingValue
from desktop_app.services.setting_specs import convert, spec_of, stored_values
from desktop_app.services.setting_specs import get_all as get_all
from desktop_app.services.setting_specs import get_setting as get_setting


def set_setting(
    uow: UnitOfWork,
    key: str,
    value: object,
    *,
    validate: Callable[[UnitOfWork, SettingValue], None] | None = None,
) -> SettingValue:
    """Store one setting; admin-only keys refuse Office users. Audited (secrets masked)."""
    spec = spec_of(key)
    if spec.admin_only and not uow.actor.is_admin:
        raise PermissionDenied(f"change the setting “{spec.label}”")
    new = convert(spec, value)
    old = get_setting(uow, key)
    if validate is None and key.startswith("numbering."):
        validate_numbering_setting(uow, key, new)
    if validate is not None:
        validate(uow, new)
    if new == old and uow.session.get(Setting, key) is not None:
        return new
    row = uow.session.get(Setting, key)
    stored = str(new) if not isinstance(new, bool) else ("true" if new else "false")
    if row is None:
        uow.session.add(Setting(key=key, value=stored))
    else:
        row.value = stored
    stored_values(uow)[key] = stored
    shown = ("••••", "••••") if spec.secret else (str(old), str(new))
    audit(uow, "settings", "setting", None, summary=f"{spec.label} changed", changes={key: list(shown)})
    return new
