"""Choosing what to import: file dialog, drag-and-drop sorting and the paste-text dialog.

This module only decides *what* a file is meant to be (a note or a medical image); the
workspace runs the actual import in a job and core checks the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

NOTE, IMAGE, ASK = "note", "image", "ask"
NOTE_SUFFIXES = {".txt", ".md", ".markdown", ".pdf", ".docx", ".doc"}
IMAGE_SUFFIXES = {".dcm", ".dicom"}
PICTURE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}  # a scan, or a medical image

FILTER_ALL = (
    "Notes and images (*.txt *.md *.pdf *.docx *.dcm *.dicom *.png *.jpg *.jpeg *.tif *.tiff)"
)
FILTER_NOTES = "Notes (*.txt *.md *.pdf *.docx)"
FILTER_SCANS = "Photos or scans of paper notes, read by OCR (*.png *.jpg *.jpeg *.tif *.tiff)"
FILTER_IMAGES = "Medical images (*.dcm *.dicom *.png *.jpg *.jpeg *.tif *.tiff)"
FILTERS = ";;".join((FILTER_ALL, FILTER_NOTES, FILTER_SCANS, FILTER_IMAGES, "All files (*)"))


def classify(path: Path) -> str:
    """``note``, ``image`` or ``ask`` (a picture could be either) by the file's name."""
    suffix = path.suffix.lower()
    if suffix in PICTURE_SUFFIXES:
        return ASK
    if suffix in IMAGE_SUFFIXES or not suffix:  # DICOM files often have no extension
        return IMAGE
    return NOTE  # unknown types go to the note importer, which explains what it accepts


def kind_for_filter(selected_filter: str) -> str | None:
    if selected_filter in (FILTER_NOTES, FILTER_SCANS):
        return NOTE
    if selected_filter == FILTER_IMAGES:
        return IMAGE
    return None


def ask_picture_kind(parent: QWidget, name: str) -> str | None:
    """Ask whether a picture is a medical image or a photo of a paper note."""
    box = QMessageBox(parent)
    box.setWindowTitle("Import picture")
    box.setText(f"How should “{name}” be imported?")
    box.setInformativeText(
        "A medical image (an X-ray or a scan to view and analyse), or a photo of a "
        "paper note whose text should be read by OCR?"
    )
    image = box.addButton("Medical image", QMessageBox.ButtonRole.AcceptRole)
    note = box.addButton("Paper note (OCR)", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    return IMAGE if clicked is image else NOTE if clicked is note else None


def choose_import_files(parent: QWidget, start_dir: str = "") -> list[tuple[Path, str | None]]:
    """The Import… file dialog; returns each chosen file with its kind if the filter says it."""
    names, selected = QFileDialog.getOpenFileNames(
        parent, "Import notes or images", start_dir, FILTERS
    )
    kind = kind_for_filter(selected)
    return [(Path(name), kind) for name in names]


def resolve_kinds(
    parent: QWidget, files: Iterable[tuple[Path, str | None]]
) -> list[tuple[Path, str]]:
    """Settle each file's kind, asking only about pictures that could be either."""
    resolved: list[tuple[Path, str]] = []
    for path, kind in files:
        kind = kind or classify(path)
        if kind == ASK:
            kind = ask_picture_kind(parent, path.name)
            if kind is None:
                continue
        resolved.append((path, kind))
    return resolved


class PasteNoteDialog(QDialog):
    """Type or paste a note; nothing is stored until the workspace imports it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Paste a note")
        hint = QLabel("Paste or type the note text. It is added to the selected patient.")
        hint.setWordWrap(True)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("pasteText")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add note")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.editor, 1)
        layout.addWidget(buttons)
        self.resize(640, 480)

    def text(self) -> str:
        return self.editor.toPlainText()
