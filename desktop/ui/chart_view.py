"""The patient chart: header, encounters / notes / images, and the document being read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.image_viewer import ImageViewer
from desktop.ui.jobs import JobRunner
from desktop.ui.note_view import NoteView

ROLE_KIND = Qt.ItemDataRole.UserRole
ROLE_ID = Qt.ItemDataRole.UserRole + 1


def _day(value: Any) -> str:
    return str(value or "")[:10]


class ChartView(QWidget):
    note_selected = Signal(int)
    image_selected = Signal(int)
    edit_requested = Signal()
    new_encounter_requested = Signal()
    import_requested = Signal()

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.patient: Any = None
        self.notes: dict[int, Any] = {}
        self.name = QLabel()
        self.name.setObjectName("patientHeader")
        self.demographics = QLabel()
        self.demographics.setObjectName("muted")
        edit = QPushButton("Edit patient")
        edit.setObjectName("editPatient")
        edit.clicked.connect(self.edit_requested.emit)
        encounter = QPushButton("New encounter")
        encounter.setObjectName("newEncounter")
        encounter.clicked.connect(self.new_encounter_requested.emit)
        self.header_buttons = [edit, encounter]
        header = QHBoxLayout()
        names = QVBoxLayout()
        names.addWidget(self.name)
        names.addWidget(self.demographics)
        header.addLayout(names, 1)
        header.addWidget(edit)
        header.addWidget(encounter)

        self.tree = QTreeWidget()
        self.tree.setObjectName("chartTree")
        self.tree.setHeaderHidden(True)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.sections = {}
        for key, title in (("encounter", "Encounters"), ("note", "Notes"), ("image", "Images")):
            section = QTreeWidgetItem([title])
            section.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(section)
            self.sections[key] = section

        self.note_view = NoteView()
        self.image_viewer = ImageViewer(jobs)
        self.placeholder = QLabel(
            "Choose a note or image on the left.\n\nDrop note files (.txt .md .pdf .docx, "
            "photos of paper notes) or images (DICOM, PNG, JPEG, TIFF) anywhere in this "
            "window, or press Ctrl+O to import."
        )
        self.placeholder.setObjectName("muted")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.documents = QStackedWidget()
        for widget in (self.placeholder, self.note_view, self.image_viewer):
            self.documents.addWidget(widget)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tree)
        split.addWidget(self.documents)
        split.setStretchFactor(1, 1)
        split.setSizes([190, 500])
        split.setChildrenCollapsible(False)
        self.tree.setMinimumWidth(150)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(header)
        layout.addWidget(split, 1)
        self.clear()

    def clear(self) -> None:
        self.patient = None
        self.notes = {}
        self.name.setText("No patient selected")
        self.demographics.setText("Choose a patient on the left, or press Ctrl+N.")
        for button in self.header_buttons:
            button.setEnabled(False)
        for section in self.sections.values():
            section.takeChildren()
        self.note_view.clear()
        self.image_viewer.clear()
        self.documents.setCurrentWidget(self.placeholder)

    def show_chart(
        self,
        patient: Any,
        encounters: Sequence[Any],
        notes: Sequence[Any],
        images: Sequence[Any],
    ) -> None:
        same_patient = self.patient is not None and self.patient.id == patient.id
        keep = self.current_selection() if same_patient else None
        self.patient = patient
        self.notes = {note.id: note for note in notes}
        self.name.setText(patient.name)
        parts = [
            patient.birth_date and f"Born {patient.birth_date}",
            patient.sex,
            patient.mrn and f"MRN {patient.mrn}",
        ]
        self.demographics.setText(" · ".join(str(p) for p in parts if p) or "No details yet")
        for button in self.header_buttons:
            button.setEnabled(True)
        self.tree.blockSignals(True)
        for section in self.sections.values():
            section.takeChildren()
        for enc in encounters:
            text = f"{_day(enc.date)}  {enc.reason}".strip()
            self._add("encounter", enc.id, text)
        for note in notes:
            when = _day(note.note_date or note.created_at)
            self._add("note", note.id, f"{note.source_name or 'Note'} · {when}")
        for image in images:
            when = _day(image.created_at)
            self._add("image", image.id, f"{image.source_name or 'Image'} · {when}")
        for section in self.sections.values():
            section.setExpanded(True)
            title = section.text(0).split(" (")[0]
            section.setText(0, f"{title} ({section.childCount()})")
        self.tree.blockSignals(False)
        if not same_patient:
            self.note_view.clear()
            self.image_viewer.clear()
            self.documents.setCurrentWidget(self.placeholder)
        elif keep is not None:
            self.select(*keep, emit=False)

    def _add(self, kind: str, record_id: int, text: str) -> None:
        item = QTreeWidgetItem([text])
        item.setData(0, ROLE_KIND, kind)
        item.setData(0, ROLE_ID, record_id)
        item.setToolTip(0, text)
        self.sections[kind].addChild(item)

    def current_selection(self) -> tuple[str, int] | None:
        item = self.tree.currentItem()
        if item is None or item.data(0, ROLE_KIND) is None:
            return None
        return str(item.data(0, ROLE_KIND)), int(item.data(0, ROLE_ID))

    def select(self, kind: str, record_id: int, *, emit: bool = True) -> bool:
        section = self.sections[kind]
        for row in range(section.childCount()):
            item = section.child(row)
            if item.data(0, ROLE_ID) == record_id:
                was_current = self.tree.currentItem() is item
                self.tree.blockSignals(not emit)
                self.tree.setCurrentItem(item)
                self.tree.blockSignals(False)
                if emit and was_current:
                    self._current_changed(item, None)
                return True
        return False

    def ids(self, kind: str) -> list[int]:
        section = self.sections[kind]
        return [int(section.child(i).data(0, ROLE_ID)) for i in range(section.childCount())]

    def selected_encounter_id(self) -> int | None:
        selection = self.current_selection()
        return selection[1] if selection and selection[0] == "encounter" else None

    def _current_changed(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        if item is None:
            return
        kind, record_id = item.data(0, ROLE_KIND), item.data(0, ROLE_ID)
        if kind == "note" and record_id in self.notes:
            self.show_note(int(record_id))
            self.note_selected.emit(int(record_id))
        elif kind == "image":
            self.image_selected.emit(int(record_id))

    def show_note(self, note_id: int) -> None:
        if self.note_view.note_id != note_id:
            self.note_view.show_note(self.notes[note_id])
        self.documents.setCurrentWidget(self.note_view)

    def show_image(self, record: Any, decoded: Any) -> None:
        self.image_viewer.show_image(record, decoded)
        self.documents.setCurrentWidget(self.image_viewer)
