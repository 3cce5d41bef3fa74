"""Who opened, changed or exported a patient's records: the audit trail, for administrators.

The entries are read by a background job (``Vault.access_report``, which records the
look itself); this dialog only lays them out, newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

COLUMNS = ("When (UTC)", "Account", "Action", "Record", "Detail")


class AccessHistoryDialog(QDialog):
    def __init__(self, patient_name: str, entries: Sequence[Any], *, patient_id: int,
                 limit: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Access history — {patient_name}")
        self.setObjectName("accessHistory")
        self.resize(860, 480)
        shown = (f"The newest {limit} audit entries for this patient's records (there may be "
                 f"more: `desktop vault audit --patient {patient_id}` lists all)"
                 if len(entries) >= limit else
                 f"{len(entries)} audit entries for this patient's records, newest first")
        summary = QLabel(f"{shown}. Opening this list is recorded too.")
        summary.setWordWrap(True)
        self.table = QTableWidget(len(entries), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        for row, entry in enumerate(entries):
            for column, text in enumerate(entry.report_row()):
                self.table.setItem(row, column, QTableWidgetItem(text))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
