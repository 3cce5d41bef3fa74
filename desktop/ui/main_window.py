"""The application window: set-up / unlock screens, the workspace, actions and locking.

Locking (Ctrl+L, or idle for ``settings.auto_lock_minutes``) cancels running jobs,
destroys the workspace with every patient widget in it, locks the vault in a job and
shows the unlock screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.core.config import Settings
from desktop.core.errors import ClinicDeskError
from desktop.ui.banner import MessageBanner
from desktop.ui.idle_lock import IdleWatcher
from desktop.ui.jobs import Job, JobRunner
from desktop.ui.session import RuntimeProvider, Session, core_feature
from desktop.ui.setup_wizard import SetupWizard
from desktop.ui.unlock_dialog import UnlockScreen
from desktop.ui.workspace import Workspace

log = logging.getLogger(__name__)

SHORTCUTS = (
    ("new_patient", "&New patient…", "Ctrl+N"),
    ("import", "&Import notes or images…", "Ctrl+O"),
    ("paste", "&Paste a note…", "Ctrl+Shift+V"),
    ("search", "&Find patient", "Ctrl+F"),
    ("edit_patient", "&Edit patient…", "Ctrl+E"),
    ("new_encounter", "New en&counter…", "Ctrl+Shift+E"),
    ("access_history", "Access &history…", "Ctrl+Shift+H"),
    ("run", "&Run analyses", "Ctrl+R"),
    ("accept", "&Accept result", "Ctrl+Return"),
    ("edit_result", "E&dit result…", "Ctrl+Shift+Return"),
    ("reject", "Re&ject result", "Ctrl+Shift+Backspace"),
    ("tab_summary", "Show &Summary", "Ctrl+1"),
    ("tab_diagnoses", "Show &Diagnoses", "Ctrl+2"),
    ("tab_findings", "Show Image &findings", "Ctrl+3"),
    ("lock", "&Lock", "Ctrl+L"),
)


class JobStatus(QWidget):
    """Status-bar strip: what is running, its progress, and Cancel."""

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(180)
        self.bar.setRange(0, 0)
        self.cancel = QPushButton("Cancel")
        self.cancel.setObjectName("jobCancel")
        self.cancel.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel)
        self._current: Job | None = None
        jobs.job_started.connect(self._started)
        jobs.job_finished.connect(lambda _job: self._refresh())
        self._refresh()

    def _started(self, job: Job) -> None:
        job.progressed.connect(lambda f, m, j=job: self._progress(j, f, m))
        self._refresh()

    def _progress(self, job: Job, fraction: float, message: str) -> None:
        if job is self._current:
            self.bar.setRange(0, 100)
            self.bar.setValue(int(fraction * 100))
            if message:
                self.label.setText(f"{job.label}: {message}")

    def _refresh(self) -> None:
        # Quick background renders are not worth showing.
        active = [j for j in self._jobs.active_jobs if j.label != "Rendering image"]
        self._current = active[-1] if active else None
        self.setVisible(self._current is not None)
        if self._current is not None:
            more = f" (+{len(active) - 1} more)" if len(active) > 1 else ""
            self.label.setText(f"{self._current.label}…{more}")
            self.bar.setRange(0, 0)

    def _cancel(self) -> None:
        if self._current is not None:
            self._current.cancel()


class MainWindow(QMainWindow):
    locked = Signal()
    unlocked = Signal()

    def __init__(
        self,
        settings: Settings,
        *,
        runtime_factory: Callable[[], Any] | None = None,
        idle_ms: int | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.setWindowTitle("ClinicDesk")
        self.setMinimumSize(1024, 640)
        self.resize(1366, 768)
        self.runtimes = RuntimeProvider(settings, runtime_factory)
        self.jobs = JobRunner(self)
        self.session: Session | None = None
        self.workspace: Workspace | None = None
        self.banner = MessageBanner()
        self.jobs.error_reported.connect(self.banner.show_error)
        self.stack = QStackedWidget()
        self.unlock_screen = UnlockScreen(settings.vault_path, self.jobs)
        self.unlock_screen.unlocked.connect(lambda vault: self.open_session(vault))
        self.setup = SetupWizard(settings, self.jobs)
        self.setup.created.connect(lambda vault: self.open_session(vault))
        self.setup.demo_opened.connect(
            lambda vault, _creds: self.open_session(vault, demo=True)
        )
        self.stack.addWidget(self.unlock_screen)
        self.stack.addWidget(self.setup)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.job_status = JobStatus(self.jobs)
        self.statusBar().addPermanentWidget(self.job_status)
        self.user_label = QLabel()
        self.statusBar().addWidget(self.user_label)
        self.actions: dict[str, QAction] = {}
        self._build_actions()
        minutes = max(int(settings.auto_lock_minutes), 1)
        self.idle = IdleWatcher(idle_ms if idle_ms is not None else minutes * 60_000, self)
        self.idle.idle.connect(lambda: self.lock(reason="idle"))
        self.show_start_screen()

    # --- actions ------------------------------------------------------------------------
    def _build_actions(self) -> None:
        handlers: dict[str, Callable[[], None]] = {
            "new_patient": lambda: self._ws(lambda w: w.new_patient()),
            "import": lambda: self._ws(lambda w: w.import_dialog()),
            "paste": lambda: self._ws(lambda w: w.paste_note()),
            "search": lambda: self._ws(lambda w: w.focus_search()),
            "edit_patient": lambda: self._ws(lambda w: w.edit_patient()),
            "new_encounter": lambda: self._ws(lambda w: w.new_encounter()),
            "access_history": lambda: self._ws(lambda w: w.show_access_history()),
            "run": lambda: self._ws(lambda w: w.run_analyses()),
            "accept": lambda: self._ws(lambda w: w.results.decide_current("accepted")),
            "edit_result": lambda: self._ws(lambda w: w.results.decide_current("edit")),
            "reject": lambda: self._ws(lambda w: w.results.decide_current("rejected")),
            "tab_summary": lambda: self._ws(lambda w: w.results.setCurrentIndex(0)),
            "tab_diagnoses": lambda: self._ws(lambda w: w.results.setCurrentIndex(1)),
            "tab_findings": lambda: self._ws(lambda w: w.results.setCurrentIndex(2)),
            "lock": lambda: self.lock(),
        }
        for key, text, shortcut in SHORTCUTS:
            action = QAction(text, self)
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(handlers[key])
            action.setEnabled(False)
            self.addAction(action)
            self.actions[key] = action
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        for key in ("new_patient", "import", "paste", "lock"):
            file_menu.addAction(self.actions[key])
        file_menu.addSeparator()
        file_menu.addAction("&Quit", QKeySequence("Ctrl+Q"), self.close)
        patient_menu = menus.addMenu("&Patient")
        for key in ("search", "edit_patient", "new_encounter", "access_history"):
            patient_menu.addAction(self.actions[key])
        analysis_menu = menus.addMenu("&Analysis")
        for key in ("run", "accept", "edit_result", "reject", "tab_summary", "tab_diagnoses",
                    "tab_findings"):
            analysis_menu.addAction(self.actions[key])
        help_menu = menus.addMenu("&Help")
        help_menu.addAction("&Keyboard shortcuts", self._show_shortcuts)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for key in ("new_patient", "import", "paste", "run", "lock"):
            toolbar.addAction(self.actions[key])
        self.toolbar = toolbar

    def _ws(self, fn: Callable[[Workspace], None]) -> None:
        if self.workspace is not None:
            fn(self.workspace)

    def _show_shortcuts(self) -> None:
        lines = "\n".join(f"{QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText)}"
                          f"\t{t.replace('&', '').rstrip('…')}" for _k, t, s in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", lines)

    def _set_unlocked_ui(self, unlocked: bool) -> None:
        for action in self.actions.values():
            action.setEnabled(unlocked)
        self.toolbar.setVisible(unlocked)

    # --- screens --------------------------------------------------------------------
    def show_start_screen(self, reason: str = "") -> None:
        self._set_unlocked_ui(False)
        self.user_label.clear()
        try:
            vault_cls = core_feature("desktop.core.vault", "Vault", "The patient vault")
            exists = bool(vault_cls.exists(self.settings.vault_path))
        except ClinicDeskError as exc:  # the vault component is missing from this build
            self.banner.show_error(str(exc))
            exists = False
        if exists:
            self.unlock_screen.reset(reason)
            self.stack.setCurrentWidget(self.unlock_screen)
        else:
            self.stack.setCurrentWidget(self.setup)

    def open_session(self, vault: Any, *, demo: bool = False) -> None:
        self.close_workspace()
        self.banner.clear()
        self.session = Session(self.settings, vault, self.jobs, self.runtimes, demo=demo)
        self.workspace = Workspace(self.session, self.banner)
        self.stack.addWidget(self.workspace)
        self.stack.setCurrentWidget(self.workspace)
        self._set_unlocked_ui(True)
        # The audit trail is for administrators (the vault refuses others anyway).
        self.actions["access_history"].setEnabled(bool(getattr(vault.user, "is_admin", False)))
        who = self.session.username
        self.user_label.setText(f"Signed in as {who}" + (" · DEMO VAULT (sample data)" if demo
                                                          else ""))
        if demo:
            self.banner.show_info(
                "This is the demo vault: sample public notes only. Nothing here is a real patient."
            )
        self.idle.arm()
        self.unlocked.emit()

    def close_workspace(self) -> None:
        workspace, self.workspace = self.workspace, None
        if workspace is not None and shiboken6.isValid(workspace):
            self.stack.removeWidget(workspace)
            workspace.hide()
            # deleteLater runs on a later event-loop turn; until then nothing of the
            # patient may remain readable in the widget tree.
            _wipe_text(workspace)
            workspace.setParent(None)
            workspace.deleteLater()

    def lock(self, *, reason: str = "") -> None:
        """Clear every patient widget, lock the vault, show the unlock screen."""
        if self.session is None:
            return
        self.idle.disarm()
        self.jobs.cancel_all()
        # Open dialogs (patient editor, paste note, edit result...) may show patient data.
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                widget.reject()
        session, self.session = self.session, None
        self.close_workspace()
        self.banner.clear()
        vault = session.vault
        self.jobs.run(lambda ctx: vault.lock(), label="Locking the vault")
        message = (
            f"Locked after {self.settings.auto_lock_minutes} minutes without activity."
            if reason == "idle" else "Locked."
        )
        self.setup.pages.setCurrentIndex(0)
        self.show_start_screen(message)
        self.locked.emit()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        self.lock()
        self.jobs.cancel_all()
        self.jobs.wait_for_done(15_000)
        self.runtimes.close()
        super().closeEvent(event)


def _wipe_text(root: QWidget) -> None:
    """Empty every text-holding widget under ``root`` (used before it is deleted)."""
    for widget in root.findChildren(QWidget):
        if isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit, QComboBox)):
            widget.clear()
        elif isinstance(widget, QLabel):
            widget.clear()
            widget.setToolTip("")
        elif isinstance(widget, QAbstractItemView):
            model = widget.model()
            if model is not None and hasattr(model, "clear"):
                model.clear()
            elif hasattr(widget, "clear"):
                widget.clear()
        if widget.toolTip():
            widget.setToolTip("")
