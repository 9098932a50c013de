"""The main window: navigation rail, toolbar (New, Search, Sync now), pages, status bar."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol, cast

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.context import AppContext
from desktop_app.ui.logs import logger
from desktop_app.ui.resources import icon
from desktop_app.ui.sync_status import SyncStatusBar, sync_now


class Screen(Protocol):
    def start(self) -> None: ...


@dataclass(frozen=True)
class ScreenSpec:
    key: str
    title: str
    icon: str
    target: str  # "module:Class"
    new_label: str = ""


SCREENS: tuple[ScreenSpec, ...] = (
    ScreenSpec(
        "customers", "Customers", "customers", "desktop_app.ui.views.customers:CustomersView", "New customer"
    ),
    ScreenSpec("bids", "Bids", "bids", "desktop_app.ui.views.bids:BidsView", "New bid"),
    ScreenSpec("jobs", "Jobs", "jobs", "desktop_app.ui.views.jobs:JobsView", "New job"),
    ScreenSpec(
        "invoices", "Invoices", "invoices", "desktop_app.ui.views.invoices:InvoicesView", "New invoice"
    ),
    ScreenSpec(
        "payments", "Payments", "payments", "desktop_app.ui.views.payments:PaymentsView", "Receive payment"
    ),
    ScreenSpec(
        "price_book", "Price Book", "pricebook", "desktop_app.ui.views.price_book:PriceBookView", "New item"
    ),
    ScreenSpec("sync", "QuickBooks Sync", "sync", "desktop_app.ui.views.sync_center:SyncCenterView"),
    ScreenSpec("settings", "Settings", "settings", "desktop_app.ui.views.settings:SettingsView"),
    ScreenSpec("users", "Users", "users", "desktop_app.ui.views.users:UsersView"),
    ScreenSpec("audit_log", "Audit log", "clock", "desktop_app.ui.views.audit_log:AuditLogView"),
)
#: Screens only an admin sees in the navigation (the services refuse others' changes anyway).
ADMIN_SCREENS = frozenset({"users"})


class UnavailablePanel(QWidget):
    """Shown in place of a screen whose part of the application is not installed yet."""

    def __init__(self, title: str, reason: str) -> None:
        super().__init__()
        box = QVBoxLayout(self)
        box.setContentsMargins(28, 22, 28, 18)
        heading = QLabel(title)
        heading.setObjectName("pageTitle")
        box.addWidget(heading)
        note = QLabel(reason)
        note.setObjectName("warningBanner")
        note.setWordWrap(True)
        box.addWidget(note)
        box.addStretch(1)


def load_screen(spec: ScreenSpec, ctx: AppContext) -> QWidget:
    module_name, class_name = spec.target.split(":")
    try:
        module = importlib.import_module(module_name)
        factory = getattr(module, class_name)
    except (ImportError, AttributeError) as exc:
        logger("ui").info("screen %s not available: %s", spec.key, exc)
        return UnavailablePanel(
            spec.title,
            f"{spec.title} is not available yet in this version of JobDesk. "
            "It will appear here once that part of the application is installed.",
        )
    return cast(QWidget, factory(ctx))


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle("JobDesk")
        self.resize(1360, 860)
        self.setMinimumSize(1024, 640)
        self._screens: dict[str, QWidget] = {}
        self.last_dialog: QDialog | None = None

        root = QWidget()
        layout = QHBoxLayout(root)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._build_rail())
        self.stack = QStackedWidget()
        self.stack.setObjectName("pageArea")
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(root)
        for _spec in SCREENS:
            self.stack.addWidget(QWidget())

        self._build_toolbar()
        self.sync_bar = SyncStatusBar(ctx, self)
        self.setStatusBar(self.sync_bar)
        self.nav.currentRowChanged.connect(self._show_row)
        self.nav.setCurrentRow(0)
        self._restore_geometry()

    # -- building --------------------------------------------------------------------------
    def _build_rail(self) -> QWidget:
        rail = QFrame()
        rail.setObjectName("navRail")
        box = QVBoxLayout(rail)
        box.setContentsMargins(0, 18, 0, 14)
        box.setSpacing(6)
        brand_row = QHBoxLayout()
        brand_row.setContentsMargins(20, 0, 16, 10)
        logo = QLabel()
        logo.setPixmap(icon("logo", "#3b82f6", 30).pixmap(30, 30))
        brand_row.addWidget(logo)
        names = QVBoxLayout()
        names.setSpacing(0)
        brand = QLabel("JobDesk")
        brand.setObjectName("brand")
        company = QLabel(self._company_name())
        company.setObjectName("brandSub")
        self.company_label = company
        names.addWidget(brand)
        names.addWidget(company)
        brand_row.addLayout(names, 1)
        box.addLayout(brand_row)
        self.nav = QListWidget()
        self.nav.setObjectName("navList")
        self.nav.setIconSize(QSize(18, 18))
        self.nav.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for spec in SCREENS:
            item = QListWidgetItem(icon(spec.icon, "#cbd5e1", 18), spec.title)
            item.setSizeHint(QSize(180, 40))
            self.nav.addItem(item)
            item.setHidden(spec.key in ADMIN_SCREENS and not self.ctx.actor.is_admin)
        box.addWidget(self.nav, 1)
        box.addLayout(self._build_user_area())
        return rail

    def _build_user_area(self) -> QHBoxLayout:
        """“Signed in as …” with a user menu (Change my password…)."""
        row = QHBoxLayout()
        row.setContentsMargins(20, 0, 10, 0)
        row.setSpacing(4)
        role = "Admin" if self.ctx.actor.is_admin else "Office"
        self.user_label = QLabel(f"Signed in as {self.ctx.actor.name} ({role})")
        self.user_label.setObjectName("brandSub")
        self.user_label.setWordWrap(True)
        row.addWidget(self.user_label, 1)
        self.change_password_action = QAction("Change my password…", self)
        self.change_password_action.triggered.connect(self.change_password)
        # Only a real user has a password (not demo mode's made-up admin).
        self.change_password_action.setEnabled(self.ctx.actor.user_id is not None)
        self.user_menu = QMenu(self)
        self.user_menu.addAction(self.change_password_action)
        self.user_button = QToolButton()
        self.user_button.setObjectName("userMenuButton")
        self.user_button.setIcon(icon("users", "#94a3b8", 16))
        self.user_button.setToolTip("Your user")
        self.user_button.setAutoRaise(True)
        self.user_button.setMenu(self.user_menu)
        self.user_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        row.addWidget(self.user_button, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def _company_name(self) -> str:
        try:
            from desktop_app.services.settings import get_setting

            return str(self.ctx.read(get_setting, "company.name"))
        except Exception:
            return ""

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main")
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setIconSize(QSize(18, 18))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.new_action = QAction(icon("plus", "#334155"), "New", self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.triggered.connect(self.new_record)
        bar.addAction(self.new_action)
        self.search_action = QAction(icon("search", "#334155"), "Search", self)
        self.search_action.setShortcut(QKeySequence.StandardKey.Find)
        self.search_action.triggered.connect(self.focus_search)
        bar.addAction(self.search_action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.sync_action = QAction(icon("sync", "#ffffff"), "Sync now", self)
        self.sync_action.setShortcut(QKeySequence("F5"))
        self.sync_action.triggered.connect(self.sync_now)
        bar.addAction(self.sync_action)
        button = bar.widgetForAction(self.sync_action)
        if isinstance(button, QToolButton):
            button.setObjectName("syncNowButton")
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

    # -- navigation ----------------------------------------------------------------------------
    def screen(self, key: str) -> QWidget:
        """The screen for ``key``, created on first use."""
        if key not in self._screens:
            number = [spec.key for spec in SCREENS].index(key)
            widget = load_screen(SCREENS[number], self.ctx)
            placeholder = self.stack.widget(number)
            self.stack.insertWidget(number, widget)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            self._screens[key] = widget
            start = getattr(widget, "start", None)
            if callable(start):
                start()
        return self._screens[key]

    def show_screen(self, key: str) -> QWidget:
        number = [spec.key for spec in SCREENS].index(key)
        self.nav.setCurrentRow(number)
        return self.screen(key)

    def _show_row(self, row: int) -> None:
        if not 0 <= row < len(SCREENS):
            return
        spec = SCREENS[row]
        widget = self.screen(spec.key)
        self.stack.setCurrentWidget(widget)
        self.new_action.setText(spec.new_label or "New")
        self.new_action.setEnabled(bool(spec.new_label) and callable(getattr(widget, "new_record", None)))
        self.search_action.setEnabled(callable(getattr(widget, "focus_search", None)))

    def current_screen(self) -> QWidget:
        return self.stack.currentWidget()

    def new_record(self) -> None:
        handler = getattr(self.current_screen(), "new_record", None)
        if callable(handler):
            handler()

    def focus_search(self) -> None:
        handler = getattr(self.current_screen(), "focus_search", None)
        if callable(handler):
            handler()

    def sync_now(self) -> None:
        sync_now(self.ctx, self)

    def change_password(self) -> QDialog:
        """Open “Change my password” (window-modal, not blocking; returned for tests)."""
        from desktop_app.ui.dialogs.change_password import ChangePasswordDialog

        dialog = ChangePasswordDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_dialog = dialog
        dialog.open()
        return dialog

    # -- state ---------------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = self.ctx.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)  # type: ignore[arg-type]
        self.sync_bar._changed("start")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.ctx.settings.setValue("window/geometry", self.saveGeometry())
        self.sync_bar.stop()
        super().closeEvent(event)
