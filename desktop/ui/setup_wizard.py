"""First run: create the vault and the first clinician account, or open the demo vault.

The recovery key is shown exactly once; the user must tick that it is stored safely
before continuing, and it is wiped from the widgets as soon as they do.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.core.config import Settings
from desktop.ui.jobs import JobRunner
from desktop.ui.session import core_feature
from desktop.ui.unlock_dialog import centred_card

MIN_PASSPHRASE = 10


class SetupWizard(QWidget):
    """Emits ``created(vault)`` for a new vault, ``demo_opened(vault, credentials)`` for demo."""

    created = Signal(object)
    demo_opened = Signal(object, object)

    def __init__(self, settings: Settings, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._jobs = jobs
        self._vault: Any = None
        self.pages = QStackedWidget()
        self.pages.addWidget(centred_card(self._welcome_card()))
        self.pages.addWidget(centred_card(self._account_card()))
        self.pages.addWidget(centred_card(self._recovery_card()))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

    # --- page 1: welcome --------------------------------------------------------------
    def _welcome_card(self) -> QWidget:
        card = QFrame()
        title = QLabel("Welcome to ClinicDesk")
        title.setObjectName("title")
        text = QLabel(
            "ClinicDesk keeps patients' notes and images in an encrypted vault on this "
            "computer. AI suggestions are made here, offline, and are only ever suggestions "
            "for a clinician to accept, edit or reject."
        )
        text.setWordWrap(True)
        self.create_button = QPushButton("Create a new vault")
        self.create_button.setObjectName("primary")
        self.create_button.clicked.connect(lambda: self.pages.setCurrentIndex(1))
        self.demo_button = QPushButton("Try the demo vault (sample patients, no real data)")
        self.demo_button.setObjectName("demoButton")
        self.demo_button.clicked.connect(self.open_demo)
        self.welcome_message = QLabel()
        self.welcome_message.setObjectName("formMessage")
        self.welcome_message.setWordWrap(True)
        layout = QVBoxLayout(card)
        layout.setSpacing(12)
        for widget in (title, text, self.create_button, self.demo_button, self.welcome_message):
            layout.addWidget(widget)
        return card

    # --- page 2: first account ---------------------------------------------------------
    def _account_card(self) -> QWidget:
        card = QFrame()
        title = QLabel("Create the vault")
        title.setObjectName("title")
        text = QLabel(
            f"This first account can add other clinicians later. Choose a passphrase of at "
            f"least {MIN_PASSPHRASE} characters; a few unrelated words are easy to remember."
        )
        text.setWordWrap(True)
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.display_name = QLineEdit()
        self.display_name.setObjectName("displayName")
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit()
        self.confirm.setObjectName("confirm")
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.returnPressed.connect(self.create_vault)
        form = QFormLayout()
        form.addRow("User name", self.username)
        form.addRow("Your name", self.display_name)
        form.addRow("Passphrase", self.passphrase)
        form.addRow("Repeat passphrase", self.confirm)
        self.account_message = QLabel()
        self.account_message.setObjectName("formMessage")
        self.account_message.setWordWrap(True)
        back = QPushButton("Back")
        back.clicked.connect(lambda: self.pages.setCurrentIndex(0))
        self.submit_button = QPushButton("Create vault")
        self.submit_button.setObjectName("primary")
        self.submit_button.clicked.connect(self.create_vault)
        buttons = QHBoxLayout()
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(self.submit_button)
        layout = QVBoxLayout(card)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(self.account_message)
        layout.addLayout(buttons)
        return card

    def _account_problem(self) -> str:
        user = self.username.text().strip()
        if not user or not self.display_name.text().strip():
            return "Enter a user name and your name."
        if any(ch.isspace() for ch in user):
            return "The user name cannot contain spaces."
        if len(self.passphrase.text()) < MIN_PASSPHRASE:
            return f"The passphrase must be at least {MIN_PASSPHRASE} characters long."
        if self.passphrase.text() != self.confirm.text():
            return "The two passphrases are not the same."
        return ""

    def create_vault(self) -> None:
        problem = self._account_problem()
        if problem:
            self._account_error(problem)
            return
        path = self._settings.vault_path
        user = self.username.text().strip()
        name = self.display_name.text().strip()
        secret = self.passphrase.text()

        def work(ctx: Any) -> Any:
            vault_cls = core_feature("desktop.core.vault", "Vault", "The patient vault")
            path.parent.mkdir(parents=True, exist_ok=True)
            return vault_cls.create(path, user, name, secret)

        self.submit_button.setEnabled(False)
        self.submit_button.setText("Creating…")
        self._jobs.run(
            work,
            label="Creating the vault",
            on_success=self._vault_created,
            on_error=self._account_error,
            owner=self,
        )

    def _account_error(self, text: str) -> None:
        self.submit_button.setEnabled(True)
        self.submit_button.setText("Create vault")
        self.account_message.setProperty("level", "error")
        self.account_message.setText(text)

    def _vault_created(self, created: tuple[Any, str]) -> None:
        self._vault, key = created
        self.passphrase.clear()
        self.confirm.clear()
        self.recovery_label.setText(key)
        self.pages.setCurrentIndex(2)

    # --- page 3: recovery key, shown once ---------------------------------------------
    def _recovery_card(self) -> QWidget:
        card = QFrame()
        title = QLabel("Your recovery key")
        title.setObjectName("title")
        text = QLabel(
            "If every passphrase is forgotten, this key is the only way to open the vault. "
            "Write it down or print it and keep it locked away from this computer. "
            "It will not be shown again."
        )
        text.setWordWrap(True)
        self.recovery_label = QLabel()
        self.recovery_label.setObjectName("recoveryKey")
        self.recovery_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.recovery_label.setWordWrap(True)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSize(13)
        self.recovery_label.setFont(mono)
        copy = QPushButton("Copy")
        copy.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.recovery_label.text())
        )
        self.stored_check = QCheckBox("I have stored the recovery key somewhere safe")
        self.stored_check.setObjectName("storedCheck")
        self.finish_button = QPushButton("Open ClinicDesk")
        self.finish_button.setObjectName("primary")
        self.finish_button.setEnabled(False)
        self.stored_check.toggled.connect(self.finish_button.setEnabled)
        self.finish_button.clicked.connect(self._finish)
        key_row = QHBoxLayout()
        key_row.addWidget(self.recovery_label, 1)
        key_row.addWidget(copy)
        layout = QVBoxLayout(card)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addLayout(key_row)
        layout.addWidget(self.stored_check)
        layout.addWidget(self.finish_button)
        return card

    def _finish(self) -> None:
        if not self.stored_check.isChecked() or self._vault is None:
            return
        self.recovery_label.clear()
        QGuiApplication.clipboard().clear()
        vault, self._vault = self._vault, None
        self.created.emit(vault)

    # --- demo ------------------------------------------------------------------------
    def open_demo(self) -> None:
        settings = self._settings

        def work(ctx: Any) -> Any:
            build = core_feature("desktop.core.demo", "build_demo_vault", "The demo vault")
            where = core_feature("desktop.core.demo", "demo_vault_path", "The demo vault")
            vault, *credentials = build(where(settings), settings, progress=ctx.progress)
            return vault, tuple(credentials)

        self.demo_button.setEnabled(False)
        self.demo_button.setText("Preparing the demo vault…")
        self._jobs.run(
            work,
            label="Preparing the demo vault",
            on_success=lambda result: self.demo_opened.emit(result[0], result[1]),
            on_error=self._demo_error,
            on_finished=self._demo_done,
            owner=self,
        )

    def _demo_done(self) -> None:
        self.demo_button.setEnabled(True)
        self.demo_button.setText("Try the demo vault (sample patients, no real data)")

    def _demo_error(self, text: str) -> None:
        self.welcome_message.setProperty("level", "error")
        self.welcome_message.setText(text)
