"""The Alerts tab resolving a real number conflict: Link, Renumber and Send anyway."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.services import sync_center
from desktop_app.services.sync_center import AlertRow
from desktop_app.ui.context import AppContext
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.views.sync_alerts_tab import CONFIRM
from desktop_app.ui.views.sync_center import SyncCenterView
from tests.gui.sync_helpers import run_sync, sync_with_number_conflict


def center(qtbot: QtBot, ctx: AppContext) -> SyncCenterView:
    view = SyncCenterView(ctx)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    view.start()
    return view


def the_conflict(ctx: AppContext) -> AlertRow:
    (alert,) = ctx.read(sync_center.list_alerts)
    assert alert.kind == "number_conflict" and alert.entity_type == "invoice"
    return alert


def invoice_refs(company: object) -> list[str]:
    return sorted(i.ref_number or "" for i in company.invoices)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("resolution", "same_invoice", "queued", "refs"),
    [
        ("link", True, [], ["1000"]),  # QuickBooks' 1000 is ours: linked, nothing sent
        ("renumber", False, ["Invoice 1001"], ["1000", "1001"]),
        ("send_anyway", False, ["Invoice 1000"], ["1000", "1000"]),
    ],
)
def test_a_number_conflict_is_resolved_from_its_card(
    qtbot: QtBot,
    ctx: AppContext,
    prompts: ScriptedPrompts,
    resolution: str,
    same_invoice: bool,
    queued: list[str],
    refs: list[str],
) -> None:
    company = sync_with_number_conflict(ctx, same_invoice=same_invoice)
    alert = the_conflict(ctx)
    assert resolution in alert.resolutions
    assert ("link" in alert.resolutions) is same_invoice
    view = center(qtbot, ctx)
    tab = view.show_tab("alerts")
    assert tab is view.alerts_tab
    assert view.tabs.tabText(2) == "Alerts (1)"
    card = tab.card_for(alert.id)
    assert card is not None and set(card.buttons) == set(alert.resolutions)

    # Cancelled at the confirmation: nothing changes.
    prompts.queue(False)
    card.buttons[resolution].click()
    title, text = CONFIRM[resolution]
    assert (prompts.asked[-1].kind, prompts.asked[-1].title, prompts.asked[-1].text) == (
        "confirm",
        title,
        text,
    )
    assert [a.state for a in ctx.read(sync_center.list_alerts)] == ["open"]
    assert tab.card_for(alert.id) is not None

    # Confirmed: resolved, and the tab, the counts and the queue follow at once.
    prompts.queue(True)
    tab.card_for(alert.id).buttons[resolution].click()  # type: ignore[union-attr]
    assert prompts.asked[-1].kind == "confirm" and not prompts.texts("error")
    assert not ctx.read(sync_center.list_alerts)
    assert tab.card_for(alert.id) is None and not tab.empty.isHidden()
    assert tab.summary.text() == "No open alerts."
    assert view.tabs.tabText(2) == "Alerts"
    closed = ctx.read(sync_center.list_alerts, include_closed=True)
    assert [(a.id, a.resolution) for a in closed] == [(alert.id, resolution)]

    assert view.summary.text().startswith(f"{len(queued)} waiting to send")
    assert view.summary.text().endswith("0 alerts")
    queue = view.show_tab("queue")
    assert queue is view.queue_tab

    def queue_rows() -> list[tuple[str, str]]:
        rows = [queue.model.row_at(i) for i in range(queue.model.total)]
        return [(getattr(row, "label", ""), getattr(row, "state", "")) for row in rows]

    # The queue list reloads in the background: its rows follow as soon as they are read.
    qtbot.waitUntil(lambda: queue_rows() == [(label, "queued") for label in queued], timeout=5000)
    run_sync(ctx, company)
    assert invoice_refs(company) == refs
    assert not ctx.read(sync_center.list_alerts)
