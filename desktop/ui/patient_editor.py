"""Dialog to create or edit a patient's demographics; returns plain fields, stores nothing."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

SEXES = ("", "female", "male", "other", "unknown")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PatientEditor(QDialog):
    """``fields()`` gives name, birth_date, sex, mrn (None for empty) once accepted."""

    def __init__(self, patient: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit patient" if patient else "New patient")
        self.name = QLineEdit(getattr(patient, "name", "") or "")
        self.name.setObjectName("patientName")
        self.birth_date = QLineEdit(getattr(patient, "birth_date", "") or "")
        self.birth_date.setObjectName("birthDate")
        self.birth_date.setPlaceholderText("YYYY-MM-DD")
        self.sex = QComboBox()
        self.sex.setObjectName("sex")
        current = getattr(patient, "sex", "") or ""
        # A value recorded elsewhere (e.g. "F") is kept as it is, never silently dropped.
        self._sexes = SEXES if current in SEXES else (*SEXES, current)
        self.sex.addItems(["—" if not s else s for s in self._sexes])
        self.sex.setCurrentIndex(self._sexes.index(current))
        self.mrn = QLineEdit(getattr(patient, "mrn", "") or "")
        self.mrn.setObjectName("mrn")
        self.mrn.setPlaceholderText("Medical record number (optional)")
        self.message = QLabel()
        self.message.setObjectName("formMessage")
        self.message.setProperty("level", "error")
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Birth date", self.birth_date)
        form.addRow("Sex", self.sex)
        form.addRow("MRN", self.mrn)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._check_and_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

    def problem(self) -> str:
        if not self.name.text().strip():
            return "Enter the patient's name."
        date = self.birth_date.text().strip()
        if date and not _DATE.match(date):
            return "Write the birth date as YYYY-MM-DD, e.g. 1961-04-23."
        return ""

    def _check_and_accept(self) -> None:
        problem = self.problem()
        if problem:
            self.message.setText(problem)
            return
        self.accept()

    def fields(self) -> dict[str, Any]:
        return {
            "name": self.name.text().strip(),
            "birth_date": self.birth_date.text().strip() or None,
            "sex": self._sexes[self.sex.currentIndex()] or None,
            "mrn": self.mrn.text().strip() or None,
        }


class EncounterEditor(QDialog):
    """Date and reason of a new encounter (visit)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New encounter")
        self.date = QDateEdit(QDate.currentDate())
        self.date.setObjectName("encounterDate")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.reason = QLineEdit()
        self.reason.setObjectName("encounterReason")
        self.reason.setPlaceholderText("Reason for the visit")
        form = QFormLayout()
        form.addRow("Date", self.date)
        form.addRow("Reason", self.reason)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def fields(self) -> dict[str, Any]:
        return {"date": self.date.date().toString("yyyy-MM-dd"), "reason": self.reason.text()}
