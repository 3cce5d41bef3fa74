"""Edit a result before accepting it: one line per item, plus an optional comment."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)


def edited_result(original: dict[str, Any], lines: list[str]) -> dict[str, Any]:
    """The result with items replaced by ``lines``; unchanged labels keep their evidence."""
    by_label = {str(item.get("label", "")): item for item in original.get("items") or []}
    items = []
    for line in (ln.strip() for ln in lines):
        if not line:
            continue
        kept = by_label.get(line)
        if kept is not None:
            items.append(copy.deepcopy(kept))
        else:
            items.append(
                {
                    "label": line,
                    "detail": "Added by the clinician",
                    "category": "clinician",
                    "score": None,
                    "supported": None,
                    "evidence": [],
                }
            )
    result = copy.deepcopy(original)
    result["items"] = items
    return result


class DecisionEditDialog(QDialog):
    def __init__(self, result: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit before accepting")
        self._original = result
        hint = QLabel(
            "One item per line. Remove lines that are wrong, correct or add lines. "
            "Unchanged lines keep their evidence."
        )
        hint.setWordWrap(True)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("editItems")
        self.editor.setPlainText(
            "\n".join(str(item.get("label", "")) for item in result.get("items") or [])
        )
        self.comment = QLineEdit()
        self.comment.setObjectName("editComment")
        self.comment.setPlaceholderText("Comment (optional)")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("Accept edited")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.comment)
        layout.addWidget(buttons)
        self.resize(560, 420)

    def edited(self) -> dict[str, Any]:
        return edited_result(self._original, self.editor.toPlainText().splitlines())
