"""The numbering settings read as one, and the check a numbering setting passes before it is stored.

Apart from ``numbering`` (which allocates numbers) so that storing a setting
(``settings.set_setting``) can check it without the numbering rules importing it back.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop_app.db.models import Counter
from desktop_app.db.uow import UnitOfWork
from desktop_app.domain.numbering import (
    MAX_REF,
    NumberingMode,
    check_counter_format,
    format_number,
    job_number_room,
    room_reason,
)
from desktop_app.errors import ValidationError
from desktop_app.services.numbers_in_use import highest_used
from desktop_app.services.setting_specs import SettingValue, get_setting


@dataclass(frozen=True)
class NumberingConfig:
    mode: NumberingMode
    progress: bool
    job_prefix: str
    invoice_prefix: str
    job_start: int
    invoice_start: int


def config(uow: UnitOfWork) -> NumberingConfig:
    return NumberingConfig(
        mode=NumberingMode(get_setting(uow, "numbering.mode")),
        progress=bool(get_setting(uow, "numbering.progress")),
        job_prefix=str(get_setting(uow, "numbering.job_prefix")),
        invoice_prefix=str(get_setting(uow, "numbering.invoice_prefix")),
        job_start=int(get_setting(uow, "numbering.job_start")),
        invoice_start=int(get_setting(uow, "numbering.invoice_start")),
    )


def validate_numbering_setting(uow: UnitOfWork, key: str, value: SettingValue) -> None:
    """Refuse numbering settings that would produce numbers QuickBooks cannot hold."""
    cfg = config(uow)
    proposed: dict[str, SettingValue] = {
        "numbering.mode": cfg.mode.value,
        "numbering.progress": cfg.progress,
        "numbering.job_prefix": cfg.job_prefix,
        "numbering.invoice_prefix": cfg.invoice_prefix,
        "numbering.job_start": cfg.job_start,
        "numbering.invoice_start": cfg.invoice_start,
    }
    proposed[key] = value
    mode = NumberingMode(str(proposed["numbering.mode"]))
    progress = bool(proposed["numbering.progress"])
    if mode is NumberingMode.MATCH and progress:
        field = key if key in ("numbering.mode", "numbering.progress") else "numbering.mode"
        raise ValidationError(
            field,
            "“Match invoice and job number” cannot be used with progress invoicing, because a "
            "progress-billed job has many invoices. Turn one of them off first.",
        )
    if key in ("numbering.job_start", "numbering.invoice_start") and value != _current_start(cfg, key):
        _check_start_above_used(uow, key, int(value), mode, progress, proposed)
    job_row = uow.session.get(Counter, "job")
    invoice_row = uow.session.get(Counter, "invoice")
    job_next = max(int(proposed["numbering.job_start"]), job_row.next_value if job_row else 0)
    invoice_next = max(int(proposed["numbering.invoice_start"]), invoice_row.next_value if invoice_row else 0)
    check_counter_format(
        str(proposed["numbering.job_prefix"]),
        job_next,
        room=job_number_room(mode, progress),
        what="next job",
        field=key,
        reason=room_reason(mode, progress),
    )
    check_counter_format(
        str(proposed["numbering.invoice_prefix"]),
        invoice_next,
        room=MAX_REF,
        what="next invoice",
        field=key,
    )


def _current_start(cfg: NumberingConfig, key: str) -> int:
    return cfg.job_start if key == "numbering.job_start" else cfg.invoice_start


def _check_start_above_used(
    uow: UnitOfWork,
    key: str,
    value: int,
    mode: NumberingMode,
    progress: bool,
    proposed: dict[str, SettingValue],
) -> None:
    """A first number at or below a number already used would not start anything: refuse it."""
    name = "job" if key == "numbering.job_start" else "invoice"
    prefix = str(proposed[f"numbering.{name}_prefix"])
    highest = highest_used(uow, name, prefix=prefix, mode=mode, progress=progress)
    if highest is not None and value <= highest:
        raise ValidationError(
            key,
            f"{name.capitalize()} numbers up to {format_number(prefix, highest)} are already used "
            f"(here or in QuickBooks), so the first {name} number must be more than {highest}. "
            f"Numbers already used are never handed out again.",
        )
