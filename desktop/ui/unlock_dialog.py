"""The unlock screen shown at start and after every lock.

The passphrase check (with its growing delay after failures) runs in a job, so a wrong
passphrase never freezes the window; the message comes from the vault as written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.jobs import JobRunner
from desktop.ui.session import core_feature


def centred_card(inner: QWidget, parent: QWidget | None = None) -> QWidget:
    """Put a fixed-width card in the middle of a full-window page."""
    page = QWidget(parent)
    outer = QVBoxLayout(page)
    outer.addStretch(1)
    row = QHBoxLayout()
    row.addStretch(1)
    inner.setObjectName("card")
    inner.setMaximumWidth(520)
    inner.setMinimumWidth(420)
    row.addWidget(inner)
    row.addStretch(1)
    outer.addLayout(row)
    outer.addStretch(2)
    return page


class UnlockScreen(QWidget):
    """User name + passphrase (or recovery key) -> ``unlocked(vault)``."""

    unlocked = Signal(object)

    def __init__(self, vault_path: Path, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vault_path = vault_path
        self._jobs = jobs
        self._recovery_mode = False

        card = QFrame()
        title = QLabel("ClinicDesk is locked")
        title.setObjectName("title")
        self.subtitle = QLabel("Sign in to open the patient vault on this computer.")
        self.subtitle.setWordWrap(True)
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.username.setPlaceholderText("e.g. dr.grey")
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.recovery_key = QLineEdit()
        self.recovery_key.setObjectName("recoveryKey")
        self.recovery_key.setPlaceholderText("The recovery key shown when the vault was created")
        self.form = QFormLayout()
        self.form.addRow("User name", self.username)
        self.form.addRow("Passphrase", self.passphrase)
        self.form.addRow("Recovery key", self.recovery_key)
        self.form.setRowVisible(self.recovery_key, False)
        self.message = QLabel()
        self.message.setObjectName("formMessage")
        self.message.setWordWrap(True)
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setObjectName("primary")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.submit)
        self.toggle_recovery = QPushButton("Forgot the passphrase? Use the recovery key")
        self.toggle_recovery.setObjectName("link")
        self.toggle_recovery.setFlat(True)
        self.toggle_recovery.clicked.connect(self._toggle_recovery)
        self.username.returnPressed.connect(self.passphrase.setFocus)
        self.passphrase.returnPressed.connect(self.submit)
        self.recovery_key.returnPressed.connect(self.submit)

        layout = QVBoxLayout(card)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(self.subtitle)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.unlock_button)
        layout.addWidget(self.toggle_recovery, 0, Qt.AlignmentFlag.AlignLeft)
        page_layout = QVBoxLayout(self)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(centred_card(card))

    def reset(self, reason: str = "") -> None:
        """Clear every secret and show why the vault was locked."""
        self.passphrase.clear()
        self.recovery_key.clear()
        self.message.setText(reason)
        self.message.setProperty("level", "info" if reason else "")
        self._set_busy(False)
        (self.passphrase if self.username.text() else self.username).setFocus()

    def _toggle_recovery(self) -> None:
        self._recovery_mode = not self._recovery_mode
        self.form.setRowVisible(self.recovery_key, self._recovery_mode)
        self.form.setRowVisible(self.username, not self._recovery_mode)
        self.form.setRowVisible(self.passphrase, not self._recovery_mode)
        self.toggle_recovery.setText(
            "Back to user name and passphrase"
            if self._recovery_mode
            else "Forgot the passphrase? Use the recovery key"
        )
        self.message.clear()

    def _set_busy(self, busy: bool) -> None:
        self.unlock_button.setEnabled(not busy)
        self.unlock_button.setText("Checking…" if busy else "Unlock")
        for field in (self.username, self.passphrase, self.recovery_key):
            field.setEnabled(not busy)

    def _show_error(self, text: str) -> None:
        self._set_busy(False)
        self.message.setProperty("level", "error")
        self.message.setText(text)
        self.passphrase.clear()
        self.passphrase.setFocus()

    def submit(self) -> None:
        path = self._vault_path
        if self._recovery_mode:
            key = self.recovery_key.text().strip()
            if not key:
                self._show_error("Enter the recovery key.")
                return

            def work(ctx: Any) -> Any:
                vault_cls = core_feature("desktop.core.vault", "Vault", "The patient vault")
                return vault_cls.unlock_with_recovery(path, key)

        else:
            user, secret = self.username.text().strip(), self.passphrase.text()
            if not user or not secret:
                self._show_error("Enter your user name and passphrase.")
                return

            def work(ctx: Any) -> Any:
                vault_cls = core_feature("desktop.core.vault", "Vault", "The patient vault")
                return vault_cls.unlock(path, user, secret)

        self._set_busy(True)
        self.message.setText("")
        self._jobs.run(
            work,
            label="Unlocking the vault",
            on_success=self._unlocked,
            on_error=self._show_error,
            owner=self,
        )

    def _unlocked(self, vault: Any) -> None:
        self.passphrase.clear()
        self.recovery_key.clear()
        self._set_busy(False)
        self.message.clear()
        self.unlocked.emit(vault)
