"""Glue shared by the list screens: adapting a service's list function to the table model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from desktop_app.ui.context import AppContext
from desktop_app.ui.models.paged import BackgroundFetch, Fetch, PageLike

FilterMap = Callable[[Mapping[str, str]], dict[str, Any]]


def service_fetch(
    ctx: AppContext, fn: Callable[..., Any], *, filters: FilterMap | None = None, **fixed: Any
) -> Fetch:
    """``fn(uow, *, search, offset, limit, sort, descending, **filters) -> Page`` as a model fetch.

    It runs in the background (see ``BackgroundFetch``) unless the database cannot be read
    from another thread.
    """

    def fetch(
        offset: int, limit: int, search: str, sort: str | None, descending: bool, chosen: Mapping[str, str]
    ) -> PageLike:
        kwargs: dict[str, Any] = dict(fixed)
        kwargs.update(offset=offset, limit=limit, search=search, descending=descending)
        if sort:
            kwargs["sort"] = sort
        if filters is not None:
            kwargs.update(filters(chosen))
        else:
            kwargs.update({key: value for key, value in chosen.items() if value})
        page: PageLike = ctx.read(fn, **kwargs)
        return page

    # Each call opens its own reader, so the list model may run it on a worker thread.
    return BackgroundFetch(fetch) if ctx.background_reads else fetch


def active_filter(chosen: Mapping[str, str]) -> dict[str, Any]:
    value = chosen.get("active", "active")
    return {"active": {"active": True, "inactive": False}.get(value)}


ACTIVE_CHOICES = (("Active", "active"), ("Inactive", "inactive"), ("All", "all"))


def open_dialog(owner: Any, dialog: Any) -> Any:
    """Show a non-modal editor, keep a reference while it is open, return it (tests use it)."""
    dialogs: list[Any] = owner.__dict__.setdefault("_open_dialogs", [])
    dialogs.append(dialog)
    owner.last_dialog = dialog
    dialog.finished.connect(lambda *_: dialogs.remove(dialog) if dialog in dialogs else None)
    dialog.show()
    return dialog


def refresh_on(ctx: AppContext, page: Any, *kinds: str) -> None:
    """Reload ``page`` when an action changed one of ``kinds``."""
    page.refresh_kinds = set(kinds)
    ctx.changed.connect(page.refresh_if_changed)
