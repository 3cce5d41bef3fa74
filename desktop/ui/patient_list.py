"""The patient list with search; it only shows what the workspace loads for it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

SEARCH_DEBOUNCE_MS = 250


def patient_line(patient: Any) -> str:
    details = (patient.birth_date, patient.sex, patient.mrn and f"MRN {patient.mrn}")
    extra = " · ".join(str(d) for d in details if d)
    return f"{patient.name}\n{extra}" if extra else patient.name


class PatientList(QWidget):
    search_changed = Signal(str)
    patient_selected = Signal(int)
    new_patient_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setObjectName("patientSearch")
        self.search.setPlaceholderText("Search name, MRN or birth date  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(lambda: self.search_changed.emit(self.search.text()))
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self._select_first)
        self.list = QListWidget()
        self.list.setObjectName("patientList")
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.currentItemChanged.connect(self._current_changed)
        self.empty = QLabel("No patients yet. Press Ctrl+N to add one.")
        self.empty.setObjectName("muted")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        new = QPushButton("New patient")
        new.setObjectName("newPatient")
        new.clicked.connect(self.new_patient_requested.emit)
        header = QLabel("Patients")
        header.setObjectName("paneTitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.addWidget(header)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addWidget(new)

    def set_patients(self, patients: Sequence[Any], select_id: int | None = None) -> None:
        keep = select_id if select_id is not None else self.current_id()
        self.list.blockSignals(True)
        self.list.clear()
        for patient in patients:
            item = QListWidgetItem(patient_line(patient))
            item.setData(Qt.ItemDataRole.UserRole, patient.id)
            self.list.addItem(item)
        self.list.blockSignals(False)
        searching = bool(self.search.text().strip())
        self.empty.setText("No patient matches this search." if searching else
                           "No patients yet. Press Ctrl+N to add one.")
        self.empty.setVisible(not patients)
        if keep is not None:
            self.select(keep)

    def select(self, patient_id: int) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == patient_id:
                self.list.setCurrentRow(row)
                return

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def _current_changed(self, current: QListWidgetItem | None, _previous: object) -> None:
        if current is not None:
            self.patient_selected.emit(int(current.data(Qt.ItemDataRole.UserRole)))

    def _select_first(self) -> None:
        if self.list.count():
            self.list.setCurrentRow(0)
            self.list.setFocus()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()
