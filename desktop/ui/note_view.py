"""Shows one stored note and highlights the evidence spans a result points at."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

HIGHLIGHT = QColor("#ffe58a")
HIGHLIGHT_UNSUPPORTED = QColor("#f8c4c4")


def _utf16_offset(text: str, index: int) -> int:
    """Vault spans count Python characters; Qt's document counts UTF-16 units."""
    prefix = text[: max(0, min(index, len(text)))]
    return len(prefix.encode("utf-16-le")) // 2


class NoteView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel()
        self.header.setObjectName("docHeader")
        self.header.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("noteText")
        self.text.setReadOnly(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.text, 1)
        self.note_id: int | None = None
        self._plain = ""
        self.highlighted: list[tuple[int, int]] = []

    def show_note(self, note: Any) -> None:
        self.note_id = note.id
        self._plain = note.text
        when = note.note_date or (note.created_at or "")[:10]
        self.header.setText(f"{note.source_name or 'Note'} · {note.kind} · {when}")
        self.text.setPlainText(note.text)
        self.highlighted = []

    def clear(self) -> None:
        self.note_id = None
        self._plain = ""
        self.header.clear()
        self.text.clear()
        self.text.setExtraSelections([])
        self.highlighted = []

    def highlight(self, spans: Iterable[tuple[int, int]], *, supported: bool = True) -> None:
        """Mark ``[start, end)`` ranges of the note and scroll to the first one."""
        selections = []
        self.highlighted = []
        fmt = QTextCharFormat()
        fmt.setBackground(HIGHLIGHT if supported else HIGHLIGHT_UNSUPPORTED)
        first: QTextCursor | None = None
        for start, end in spans:
            if not (0 <= start < end <= len(self._plain)):
                continue  # a span from another version of the note is not shown
            cursor = QTextCursor(self.text.document())
            cursor.setPosition(_utf16_offset(self._plain, start))
            cursor.setPosition(_utf16_offset(self._plain, end), QTextCursor.MoveMode.KeepAnchor)
            selection = QTextEdit.ExtraSelection()
            selection.cursor = cursor
            selection.format = fmt
            selections.append(selection)
            self.highlighted.append((start, end))
            if first is None:
                first = QTextCursor(cursor)
        self.text.setExtraSelections(selections)
        if first is not None:
            first.clearSelection()
            self.text.setTextCursor(first)
            self.text.centerCursor()

    def highlighted_text(self) -> list[str]:
        return [self._plain[s:e] for s, e in self.highlighted]
