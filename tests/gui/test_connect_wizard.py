"""Sync centre → Connect to QuickBooks: every step driven as a person does, cancel and resume,
Send refused while a match is undecided, and an Office user refused."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QWidget
from pytestqt.qtbot import QtBot

from desktop_app.services import connection, connection_mapping, connection_numbering, qb_matching, settings
from desktop_app.ui.context import AppContext
from desktop_app.ui.dialogs.sync_now import SyncNowDialog
from desktop_app.ui.prompts import ScriptedPrompts
from desktop_app.ui.views.connect_wizard import ADMIN_ONLY, ConnectWizard
from desktop_app.ui.views.sync_center import SyncCenterView
from qbwc_server.simulator import QuickBooksCompany
from tests.conftest import OFFICE
from tests.gui.connect_helpers import bind, office_company, our_customers, quickbooks_names
from tests.gui.driving import activate, click_row
from tests.gui.sync_helpers import run_sync


def center(qtbot: QtBot, ctx: AppContext) -> SyncCenterView:
    view = SyncCenterView(ctx)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    view.start()
    return view


def click(qtbot: QtBot, button: QWidget) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()  # type: ignore[attr-defined]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def open_wizard(qtbot: QtBot, view: SyncCenterView) -> ConnectWizard:
    click(qtbot, view.connect_button)
    wizard = view.last_dialog
    assert isinstance(wizard, ConnectWizard)
    activate(qtbot, wizard)
    return wizard


def shown(qtbot: QtBot, wizard: ConnectWizard, step: str) -> None:
    """The wizard shows ``step`` (the list and the page agree) and the service stored it."""
    qtbot.waitUntil(lambda: wizard.current_step == step)
    assert wizard.step_list.currentRow() == connection.STEPS.index(step)
    assert wizard.ctx.read(connection.connection_state).step == step


def continue_to(qtbot: QtBot, wizard: ConnectWizard, step: str) -> None:
    page = wizard.pages[step]
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        click(qtbot, wizard.next_button)
    shown(qtbot, wizard, step)


def last_error(prompts: ScriptedPrompts) -> str:
    errors = prompts.texts("error")
    assert errors, "no message was shown"
    return errors[-1]


def choose(qtbot: QtBot, combo: QComboBox, text: str) -> None:
    """Pick an entry of a drop-down by keyboard: focus it, Home, then Down until it is shown."""
    window = combo.window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentText().startswith(text):
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    raise AssertionError(f"{text!r} is not offered in {combo.objectName()}")


def run_import(qtbot: QtBot, ctx: AppContext, wizard: ConnectWizard, company: QuickBooksCompany) -> None:
    """Start import pressed, then the Web Connector calls: the page follows it until done."""
    page = wizard.import_page
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        click(qtbot, page.start_button)
    assert page.progress_data is not None and page.progress_data.done == 0
    run_sync(ctx, company)  # the Web Connector's session
    qtbot.waitUntil(lambda: page.progress_data is not None and page.progress_data.finished, timeout=10_000)


def test_every_step_driven_by_a_person(qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts) -> None:
    company = office_company()
    our_customers(ctx)
    view = center(qtbot, ctx)
    wizard = open_wizard(qtbot, view)

    # 1. Company file: not bound yet, and Continue says what to do.
    shown(qtbot, wizard, "bind")
    page = wizard.company_page
    qtbot.waitUntil(lambda: page.state is not None)
    assert "not bound" in page.status.text() and page.how_to.isVisible()
    click(qtbot, wizard.next_button)
    assert "not bound to a company file" in last_error(prompts)
    assert wizard.current_step == "bind"
    bind(ctx)  # the Web Connector ran once with the company open
    with qtbot.waitSignal(page.loaded):
        click(qtbot, page.check_button)
    assert "Rock Castle Construction" in page.status.text() and not page.how_to.isVisible()
    continue_to(qtbot, wizard, "import")

    # 2. Import: nothing read yet; Continue is refused until the import has finished.
    imports = wizard.import_page
    assert imports.start_button.text() == "&Start import"
    click(qtbot, wizard.next_button)
    assert "finished 0 of" in last_error(prompts)
    click(qtbot, imports.sync_button)  # asks the Web Connector to call now
    assert ctx.read(settings.get_setting, "sync.requested_at")
    sync_dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, SyncNowDialog))
    qtbot.addWidget(sync_dialog)
    sync_dialog.close()
    run_import(qtbot, ctx, wizard, company)
    assert imports.bar.value() == imports.bar.maximum() == imports.progress_data.total
    assert "3 customers" in imports.counts.text() and "12 invoice numbers" in imports.counts.text()
    assert imports.start_button.text() == "Re-&run import"
    assert not imports.problem.isVisible()
    # Nothing of ours went to QuickBooks while importing.
    assert quickbooks_names(company) == ["Hiro Kim", "OBrien, Pavel", "Smith, Ann"]

    # 3. Review matches: the two near names, undecided; O'Brien is linked from the table.
    continue_to(qtbot, wizard, "review")
    review = wizard.review_page
    assert review.table.rowCount() == 2 and "2 possible matches need a decision" in review.count_label.text()
    names = [review.table.item(n, 0).text() for n in range(2)]
    obrien = names.index("O'Brien, Pavel")
    click_row(qtbot, review.table, obrien)
    assert review.table.item(obrien, 1).text() == "OBrien, Pavel"
    assert "spacing, punctuation or apostrophes" in review.detail.text()
    with qtbot.waitSignal(review.loaded):
        click(qtbot, review.link_button)
    assert review.table.rowCount() == 1 and "1 possible match needs a decision" in review.count_label.text()
    with qtbot.waitSignal(review.loaded):
        click(qtbot, review.undecided_only)  # show the decided ones too
    decisions = {review.table.item(n, 0).text(): review.table.item(n, 4).text() for n in range(2)}
    assert decisions == {"O'Brien, Pavel": "Linked", "Kim, Hiro": "Not decided"}

    # 4. Invoice numbers: JobDesk's 1000 is among QuickBooks' 1000-1011; one click moves it.
    continue_to(qtbot, wizard, "numbering")
    numbering = wizard.numbering_page
    assert "1000–1011" in numbering.details.text() and "1012" in numbering.summary.text()
    with qtbot.waitSignal(numbering.loaded):
        click(qtbot, numbering.apply_button)
    assert "1000 → 1012" in numbering.result.text()
    assert numbering.summary.text().startswith("✔ Nothing overlaps")
    assert not numbering.apply_button.isEnabled()
    assert not ctx.read(connection_numbering.numbering_check).overlaps

    # 5. Accounts and items: defaults preselected; one choice refused at its field, then saved.
    continue_to(qtbot, wizard, "mapping")
    mapping = wizard.mapping_page
    needs = ctx.read(connection_mapping.mapping_choices)
    for need in needs.needs:
        expected = need.current or need.default
        assert mapping.combos[need.key].currentData() == expected, need.key
    net30 = next(n for n in needs.needs if n.label == "Terms “Net 30”")
    other30 = next(
        n for n in needs.needs if n.key.startswith("terms:") and n is not net30 and n.choices == net30.choices
    )
    # Two of JobDesk's terms pointed at one QuickBooks terms: refused, said at the field.
    taken = mapping.combos[net30.key].currentText()
    choose(qtbot, mapping.combos[other30.key], taken)
    click(qtbot, mapping.save_button)
    refused = mapping.errors.message(other30.key)
    assert refused.startswith(other30.label) and "already" in refused, refused
    deposit = mapping.combos["deposit_to:check"]
    other = next(
        deposit.itemText(n)
        for n in range(deposit.count())
        if deposit.itemData(n) and n != deposit.currentIndex()
    )
    choose(qtbot, deposit, other)
    choose(qtbot, mapping.combos[other30.key], "None")
    with qtbot.waitSignal(mapping.loaded):
        click(qtbot, mapping.save_button)
    assert mapping.errors.message(other30.key) == ""
    saved = ctx.read(connection_mapping.mapping_choices).need("deposit_to:check")
    assert next(c.full_name for c in saved.choices if c.list_id == saved.current) in other

    # 6. Preview and send: Kim is still undecided, so the preview says conflict and Send is refused.
    continue_to(qtbot, wizard, "preview")
    send = wizard.send_page
    preview = send.preview
    qtbot.waitUntil(lambda: preview.preview is not None)
    assert send.banner.isVisible() and "1 possible match" in send.banner.text()
    assert preview.summary_count("Customers", "conflict") == "1"
    # O'Brien (linked by decision) and Smith (linked by its exact name) are sent as changes.
    assert preview.summary_count("Customers", "update") == "2"
    assert preview.summary_count("Customers", "create") == "1"  # Brand New Homes
    click(qtbot, send.send_button)
    assert "1 possible match with QuickBooks records still need a decision" in last_error(prompts)
    assert ctx.read(connection.connection_state).writes_held

    # Back to the review through the step list; Kim is created as new; Send is accepted.
    rect = wizard.step_list.visualItemRect(wizard.step_list.item(connection.STEPS.index("review")))
    with qtbot.waitSignal(review.loaded):
        qtbot.mouseClick(wizard.step_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    shown(qtbot, wizard, "review")
    kim = [review.table.item(n, 0).text() for n in range(review.table.rowCount())].index("Kim, Hiro")
    click_row(qtbot, review.table, kim)
    with qtbot.waitSignal(review.loaded):
        click(qtbot, review.create_button)
    assert ctx.read(qb_matching.undecided_count) == 0
    rect = wizard.step_list.visualItemRect(wizard.step_list.item(connection.STEPS.index("preview")))
    with qtbot.waitSignal(send.loaded, timeout=10_000):
        qtbot.mouseClick(wizard.step_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert not send.banner.isVisible()
    assert preview.summary_count("Customers", "conflict") == "–"
    click(qtbot, send.send_button)
    qtbot.waitUntil(lambda: not wizard.isVisible())
    assert wizard.outcome == "sent"
    state = ctx.read(connection.connection_state)
    assert state.step == "done" and not state.writes_held

    # The first sync then does what was decided: no second O'Brien, Kim added as ours.
    run_sync(ctx, company)
    names_now = quickbooks_names(company)
    # Linked: one record in QuickBooks (the link sends ours, so it may carry our spelling).
    assert names_now.count("OBrien, Pavel") + names_now.count("O'Brien, Pavel") == 1
    assert {"Kim, Hiro", "Hiro Kim", "Brand New Homes"} <= set(names_now)
    assert names_now.count("Smith, Ann") == 1
    assert [row.decision for row in ctx.read(qb_matching.list_proposals)] in (
        ["link", "create"],
        ["create", "link"],
    )


def test_an_office_user_is_refused(qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts) -> None:
    ctx.actor = OFFICE
    view = center(qtbot, ctx)
    assert not view.connect_button.isEnabled()
    assert view.connect_button.toolTip() == ADMIN_ONLY
    # The service refuses too, whatever opens the wizard.
    wizard = ConnectWizard(ctx, view)
    qtbot.addWidget(wizard)
    assert wizard.start() is False
    assert "Not allowed" in [a.title for a in prompts.asked if a.kind == "error"]
    assert not ctx.read(connection.connection_state).in_progress


class RefusingTerms:
    """QuickBooks refusing the terms query (a preference turned off), the rest answered."""

    def __init__(self, company: QuickBooksCompany) -> None:
        self.company = company

    def process(self, request_xml: str) -> str:
        from lxml import etree

        root = etree.fromstring(self.company.process(request_xml).encode("utf-8"))
        for answer in root.iter("StandardTermsQueryRs"):
            for child in list(answer):
                answer.remove(child)
            answer.set("statusCode", "3250")
            answer.set("statusSeverity", "Error")
            answer.set("statusMessage", "This feature is not enabled or not available.")
        return etree.tostring(root, encoding="unicode")


def started(qtbot: QtBot, ctx: AppContext) -> tuple[QuickBooksCompany, SyncCenterView, ConnectWizard]:
    """Bound to the company, the wizard open at the import."""
    company = office_company()
    our_customers(ctx)
    bind(ctx)
    view = center(qtbot, ctx)
    wizard = open_wizard(qtbot, view)
    shown(qtbot, wizard, "import")
    return company, view, wizard


def test_a_failed_import_says_why_and_is_run_again(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    company, _view, wizard = started(qtbot, ctx)
    page = wizard.import_page
    with qtbot.waitSignal(page.loaded):
        click(qtbot, page.start_button)
    run_sync(ctx, RefusingTerms(company))  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: page.problem.isVisible(), timeout=10_000)
    text = page.problem.text()
    assert "Import terms" in text and "turned off in the QuickBooks company's preferences" in text
    assert "Re-run import" in text
    states = {
        page.table.item(n, 0).text(): page.table.item(n, 1).text() for n in range(page.table.rowCount())
    }
    assert states["Import terms"] == "Failed"
    click(qtbot, wizard.next_button)
    assert "let the Web Connector finish it" in last_error(prompts)
    run_import(qtbot, ctx, wizard, company)  # Re-run import, and the Web Connector calls again
    assert not page.problem.isVisible()
    continue_to(qtbot, wizard, "review")


def test_closed_half_way_it_resumes_at_the_same_step(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    company, view, wizard = started(qtbot, ctx)
    run_import(qtbot, ctx, wizard, company)
    continue_to(qtbot, wizard, "review")
    continue_to(qtbot, wizard, "numbering")
    click(qtbot, wizard.close_button)
    qtbot.waitUntil(lambda: not wizard.isVisible())
    assert ctx.read(connection.connection_state).writes_held  # still connecting: nothing of ours sent

    again = open_wizard(qtbot, view)
    assert again is not wizard
    shown(qtbot, again, "numbering")
    qtbot.waitUntil(lambda: again.numbering_page.check is not None)
    assert "1012" in again.numbering_page.summary.text()
    # Moving forward past the numbering without the safe start is asked about first.
    prompts.queue(False)
    click(qtbot, again.next_button)
    assert prompts.asked[-1].kind == "confirm" and "still overlap" in prompts.asked[-1].text
    assert again.current_step == "numbering"
    continue_to(qtbot, again, "mapping")  # the next confirm is answered "Continue anyway"

    # A choice made but not saved is asked about on Close, and saved when the person says so.
    mapping = again.mapping_page
    deposit = mapping.combos["deposit_to:cash"]
    wanted = next(
        deposit.itemText(n)
        for n in range(deposit.count())
        if deposit.itemData(n) and n != deposit.currentIndex()
    )
    choose(qtbot, deposit, wanted)
    assert mapping.has_unsaved()
    prompts.queue(None)  # Cancel: the wizard stays open
    click(qtbot, again.close_button)
    assert again.isVisible() and prompts.asked[-1].kind == "choose"
    prompts.queue("Save")
    click(qtbot, again.close_button)
    qtbot.waitUntil(lambda: not again.isVisible())
    need = ctx.read(connection_mapping.mapping_choices).need("deposit_to:cash")
    assert deposit.itemData(deposit.findText(wanted)) == need.current

    third = open_wizard(qtbot, view)
    shown(qtbot, third, "mapping")
    qtbot.waitUntil(lambda: bool(third.mapping_page.combos))
    assert third.mapping_page.combos["deposit_to:cash"].currentText() == wanted
    assert not third.mapping_page.has_unsaved()


def test_stop_connecting_asks_first(qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts) -> None:
    _company, view, wizard = started(qtbot, ctx)
    click(qtbot, view.connect_button)  # again while it is open: the same wizard comes forward
    open_wizards = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, ConnectWizard) and w.isVisible()
    ]
    assert open_wizards == [wizard]
    prompts.queue(False)
    click(qtbot, wizard.stop_button)
    assert wizard.isVisible() and ctx.read(connection.connection_state).in_progress
    click(qtbot, wizard.stop_button)  # confirmed
    qtbot.waitUntil(lambda: not wizard.isVisible())
    state = ctx.read(connection.connection_state)
    assert not state.in_progress and not state.writes_held and wizard.outcome == "stopped"


def test_matches_are_decided_and_changed_from_the_keyboard(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    company, _view, wizard = started(qtbot, ctx)
    run_import(qtbot, ctx, wizard, company)
    continue_to(qtbot, wizard, "review")
    review = wizard.review_page
    with qtbot.waitSignal(review.loaded):
        qtbot.keyClick(review.undecided_only, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)  # show all
    assert not review.undecided_only.isChecked()
    rows = [review.table.item(n, 0).text() for n in range(review.table.rowCount())]
    kim = rows.index("Kim, Hiro")
    review.table.setFocus()
    qtbot.waitUntil(review.table.hasFocus)
    qtbot.keyClick(review.table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    for _ in range(kim):
        qtbot.keyClick(review.table, Qt.Key.Key_Down)
    assert review.selected() is not None and review.selected().our_name == "Kim, Hiro"
    with qtbot.waitSignal(review.loaded):
        qtbot.keyClick(review.table, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)  # Link
    assert review.table.item(kim, 4).text() == "Linked"
    # Changed before the first sync: renamed instead, through the name dialog.
    prompts.queue("Kim, Hiroshi")
    with qtbot.waitSignal(review.loaded):
        qtbot.keyClick(review.table, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)  # Rename ours…
    assert prompts.asked[-1].kind == "ask_text" and "Hiro Kim" in prompts.asked[-1].text
    row = next(r for r in ctx.read(qb_matching.list_proposals) if r.our_name_then == "Kim, Hiro")
    assert (row.decision, row.our_name) == ("rename", "Kim, Hiroshi")
    assert review.table.item(kim, 4).text() == "Renamed ours to “Kim, Hiroshi”"
    assert "1 possible match needs a decision" in review.count_label.text()  # O'Brien's is still open


def test_our_invoices_on_quickbooks_numbers_are_listed_and_renumbered_in_one_step(
    qtbot: QtBot, ctx: AppContext, prompts: ScriptedPrompts
) -> None:
    from desktop_app.services import invoices
    from tests.gui.helpers import make_customer, make_job

    walker = make_customer(ctx, "Walker, Jo")
    invoice = ctx.write(invoices.create_invoice, make_job(ctx, walker.id, "1000").id)
    assert invoice.number == "1000"  # numbered before QuickBooks' 1000-1011 were known
    company = office_company()
    bind(ctx)
    ctx.write(connection.start_connection, changes=("sync",))
    ctx.write(connection.start_import, changes=("sync",))
    run_sync(ctx, company)
    ctx.write(connection.go_to_step, "numbering", changes=("sync",))
    view = center(qtbot, ctx)
    wizard = open_wizard(qtbot, view)
    shown(qtbot, wizard, "numbering")  # resumed where it stood
    numbering = wizard.numbering_page
    qtbot.waitUntil(lambda: numbering.check is not None)
    assert (
        "1 invoice of ours" in numbering.clashes_label.text()
        and "1000: Walker, Jo" in numbering.clashes_label.text()
    )
    with qtbot.waitSignal(numbering.loaded):
        click(qtbot, numbering.apply_button)
    prompts.queue(True)  # "Renumber"
    with qtbot.waitSignal(numbering.loaded):
        click(qtbot, numbering.renumber_button)
    assert "Renumbered 1 invoice" in numbering.result.text()
    assert numbering.clashes_label.text().startswith("✔ No invoice of ours")
    assert not numbering.renumber_button.isVisible()
    renumbered = ctx.read(invoices.get_invoice, invoice.id).number
    assert int(renumbered) >= 1012
