"""A non-modal message strip at the top of the window: errors never block the user."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class MessageBanner(QWidget):
    """Shows the latest error, warning or notice until dismissed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("Dismiss")
        close.setObjectName("bannerClose")
        close.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.level = ""
        self.hide()

    def _show(self, text: str, level: str) -> None:
        self.level = level
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.label.setText(text)
        self.show()

    def show_error(self, text: str) -> None:
        self._show(text, "error")

    def show_warning(self, text: str) -> None:
        self._show(text, "warning")

    def show_info(self, text: str) -> None:
        self._show(text, "info")

    def text(self) -> str:
        return self.label.text() if self.isVisible() or self.level else ""

    def clear(self) -> None:
        self.level = ""
        self.label.clear()
        self.hide()
