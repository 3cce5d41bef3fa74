"""A generic renderer of stored analysis results (the shape in the project contract).

Shows items with category, score and support; clicking one asks the workspace to show its
evidence. Shows provenance, notice and refusal text exactly as stored, live streamed text
while a run is going, and Accept / Edit / Reject buttons that ask for a decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

KIND_NAMES = {
    "diagnoses": "Diagnoses",
    "summary.structured": "Structured summary",
    "summary.abstractive": "Written summary",
    "summary.patient": "Patient-friendly summary",
    "image_findings": "Image findings",
}
CANNOT_MISS_MARK = " — can't miss"  # a time-critical condition of the differential
DECISION_WORDS = {"accepted": "Accepted", "edited": "Edited and accepted", "rejected": "Rejected"}


def provenance_line(provenance: dict[str, Any]) -> str:
    pack = provenance.get("pack_id") or "unknown model"
    version = provenance.get("version") or "?"
    checksum = str(provenance.get("checksum") or "")
    when = str(provenance.get("created_at") or "").replace("T", " ").replace("+00:00", " UTC")
    short = f" · sha256 {checksum[:12]}…" if checksum else ""
    return f"Made by {pack} {version}{short} · {when}"


def _set_aside_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for what the analysis deliberately did not assert, shown after the suggestions.

    Summaries keep unsupported generated sentences under "removed"; diagnoses keep problems
    they would not code (negated, family history, hypothetical) under "excluded". A
    clinician sees them marked, never as fact, with their reason and evidence.
    """
    rows: list[dict[str, Any]] = []
    for entry in result.get("removed") or []:
        reason = str(entry.get("reason") or "not supported by the note")
        rows.append({
            "label": f"Removed, not a fact: {entry.get('text', '')}",
            "detail": f"Removed because: {reason}. {entry.get('detail') or ''}".strip(),
            "category": "removed",
            "score": None,
            "supported": False,
            "evidence": list(entry.get("evidence") or []),
        })
    for entry in result.get("excluded") or []:
        evidence = entry.get("evidence")
        rows.append({
            "label": f"Not coded: {entry.get('text', '')}",
            "detail": f"Not coded because the note says it is {entry.get('assertion', '')}.",
            "category": f"not coded ({entry.get('assertion', '')})",
            "score": None,
            "supported": None,
            "evidence": [evidence] if isinstance(evidence, dict) else list(evidence or []),
        })
    return rows


def decision_line(decision: Any) -> str:
    if decision is None:
        return "Not reviewed yet"
    when = str(decision.decided_at).replace("T", " ").replace("+00:00", " UTC")
    word = DECISION_WORDS.get(decision.decision, decision.decision)
    comment = f" — “{decision.comment}”" if decision.comment else ""
    return f"{word} by {decision.username} · {when}{comment}"


class ResultsPane(QWidget):
    """One results tab. The workspace feeds it analyses and handles its requests."""

    run_requested = Signal()
    cancel_requested = Signal()
    decision_requested = Signal(int, str)  # analysis id, "accepted" | "edit" | "rejected"
    evidence_requested = Signal(object, object)  # the item dict, the analysis

    def __init__(
        self,
        kinds: Sequence[str],
        title: str,
        run_label: str,
        suggestion_text: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.kinds = tuple(kinds)
        self.setObjectName(f"pane-{title.lower().replace(' ', '-')}")
        self.analyses: list[tuple[Any, Any]] = []
        self.current: Any = None
        self.current_decision: Any = None

        self.run_button = QPushButton(run_label)
        self.run_button.setObjectName("runButton")
        self.run_button.clicked.connect(self.run_requested.emit)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.clicked.connect(self.cancel_requested.emit)
        self.cancel_button.hide()
        self.state = QLabel()
        self.state.setObjectName("runState")
        self.state.setWordWrap(True)
        self.controls = QHBoxLayout()
        self.controls.addWidget(self.run_button)
        self.controls.addWidget(self.cancel_button)
        self.controls.addStretch(1)

        self.suggestion = QLabel(suggestion_text or "")
        self.suggestion.setObjectName("suggestionNotice")
        self.suggestion.setWordWrap(True)
        self.suggestion.setVisible(bool(suggestion_text))
        self.history = QComboBox()
        self.history.setObjectName("history")
        self.history.currentIndexChanged.connect(self._history_changed)
        self.live = QPlainTextEdit()
        self.live.setObjectName("liveText")
        self.live.setReadOnly(True)
        self.live.setMaximumHeight(170)
        self.live.hide()
        self.title = QLabel()
        self.title.setObjectName("resultTitle")
        self.title.setWordWrap(True)
        self.refusal = QLabel()
        self.refusal.setObjectName("refusal")
        self.refusal.setWordWrap(True)
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.items = QTreeWidget()
        self.items.setObjectName("resultItems")
        self.items.setHeaderLabels(["Item", "Category", "Score"])
        self.items.setRootIsDecorated(False)
        self.items.setWordWrap(True)
        self.items.setUniformRowHeights(False)
        header = self.items.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.items.currentItemChanged.connect(self._item_changed)
        self.items.itemClicked.connect(lambda item, _col: self._item_changed(item, None))
        self.detail = QLabel()
        self.detail.setObjectName("itemDetail")
        self.detail.setWordWrap(True)
        self.provenance = QLabel()
        self.provenance.setObjectName("provenance")
        self.provenance.setWordWrap(True)
        self.provenance.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.decision = QLabel()
        self.decision.setObjectName("decisionState")
        self.decision.setWordWrap(True)
        self.accept_button = QPushButton("Accept")
        self.accept_button.setObjectName("acceptButton")
        self.accept_button.setToolTip("Accept this result (Ctrl+Enter)")
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setObjectName("editButton")
        self.reject_button = QPushButton("Reject")
        self.reject_button.setObjectName("rejectButton")
        self.reject_button.setToolTip("Reject this result (Ctrl+Shift+Backspace)")
        for button, word in (
            (self.accept_button, "accepted"),
            (self.edit_button, "edit"),
            (self.reject_button, "rejected"),
        ):
            button.clicked.connect(lambda _c=False, w=word: self._decide(w))
        self.decide_row = QWidget()
        decide = QHBoxLayout(self.decide_row)
        decide.setContentsMargins(0, 0, 0, 0)
        decide.addWidget(self.accept_button)
        decide.addWidget(self.edit_button)
        decide.addWidget(self.reject_button)
        decide.addStretch(1)
        self.empty = QLabel("Nothing here yet.")
        self.empty.setObjectName("muted")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(self.controls)
        layout.addWidget(self.state)
        layout.addWidget(self.suggestion)
        layout.addWidget(self.live)
        layout.addWidget(self.history)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.title)
        layout.addWidget(self.refusal)
        layout.addWidget(self.notice)
        layout.addWidget(self.items, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.provenance)
        layout.addWidget(self.decision)
        layout.addWidget(self.decide_row)
        self.show_analyses([])

    # --- content -------------------------------------------------------------------
    def show_analyses(self, analyses: Sequence[tuple[Any, Any]], select_id: int | None = None):
        """``analyses``: (Analysis, latest Decision or None), newest first."""
        self.analyses = [pair for pair in analyses if pair[0].kind in self.kinds]
        self.history.blockSignals(True)
        self.history.clear()
        for analysis, _decision in self.analyses:
            when = str(analysis.created_at or "").replace("T", " ")[:16]
            self.history.addItem(f"{KIND_NAMES.get(analysis.kind, analysis.kind)} · {when}")
        self.history.blockSignals(False)
        self.history.setVisible(len(self.analyses) > 1)
        index = 0
        if select_id is not None:
            index = next(
                (i for i, (a, _d) in enumerate(self.analyses) if a.id == select_id), 0
            )
        if self.analyses:
            self.history.setCurrentIndex(index)
            self.render(*self.analyses[index])
        else:
            self.render(None, None)

    def _history_changed(self, index: int) -> None:
        if 0 <= index < len(self.analyses):
            self.render(*self.analyses[index])

    def render(self, analysis: Any, decision: Any) -> None:
        self.current, self.current_decision = analysis, decision
        self.items.clear()
        self.detail.clear()
        has = analysis is not None
        for widget in (self.title, self.items, self.provenance, self.decision, self.decide_row):
            widget.setVisible(has)
        self.empty.setVisible(not has)
        for button in (self.accept_button, self.edit_button, self.reject_button):
            button.setEnabled(has)
        if not has:
            self.refusal.hide()
            self.notice.hide()
            return
        result = dict(decision.edited_result) if decision and decision.edited_result else dict(
            analysis.result or {})
        self.title.setText(str(result.get("title") or KIND_NAMES.get(analysis.kind, "Result")))
        refusal = result.get("refusal")
        self.refusal.setText(str(refusal or ""))
        self.refusal.setVisible(bool(refusal))
        notice = result.get("notice")
        self.notice.setText(str(notice or ""))
        self.notice.setVisible(bool(notice))
        rows = list(result.get("items") or []) + _set_aside_rows(result)
        for entry in rows:
            self._add_item(entry)
        self.items.setVisible(bool(rows))
        self.provenance.setText(provenance_line(analysis.provenance or {}))
        self.decision.setText(decision_line(decision))
        self.decision.setProperty("level", decision.decision if decision else "")
        self.decision.style().unpolish(self.decision)
        self.decision.style().polish(self.decision)

    def _add_item(self, entry: dict[str, Any]) -> None:
        score = entry.get("score")
        label = str(entry.get("label", ""))
        if entry.get("cannot_miss"):
            label += CANNOT_MISS_MARK
        row = QTreeWidgetItem(
            [
                label,
                str(entry.get("category") or ""),
                "" if score is None else f"{float(score):.2f}",
            ]
        )
        row.setData(0, Qt.ItemDataRole.UserRole, entry)
        detail = str(entry.get("detail") or "")
        tip = f"{entry.get('label', '')}\n{detail}".strip()
        if entry.get("supported") is False:
            tip = (tip + "\n" if tip else "") + "Not supported by the note: check carefully."
            for col in range(3):
                row.setForeground(col, Qt.GlobalColor.darkRed)
        if entry.get("cannot_miss"):
            # Stands out in a ranked list a clinician may read only the top of.
            font = row.font(0)
            font.setBold(True)
            row.setFont(0, font)
        row.setToolTip(0, tip)
        self.items.addTopLevelItem(row)

    def _item_changed(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        if item is None or self.current is None:
            return
        entry = item.data(0, Qt.ItemDataRole.UserRole) or {}
        detail = "\n".join(str(p) for p in (entry.get("label"), entry.get("detail")) if p)
        if entry.get("supported") is False:
            detail += "\n(Not supported by the source: check carefully.)"
        self.detail.setText(detail)
        self.evidence_requested.emit(dict(entry), self.current)

    def item_count(self) -> int:
        return self.items.topLevelItemCount()

    def select_item(self, row: int) -> None:
        item = self.items.topLevelItem(row)
        if item is not None:
            self.items.setCurrentItem(item)
            self._item_changed(item, None)

    def _decide(self, word: str) -> None:
        if self.current is not None:
            self.decision_requested.emit(int(self.current.id), word)

    # --- running ------------------------------------------------------------------------
    def set_running(self, running: bool, state: str = "") -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setVisible(running)
        self.set_state(state)
        if running:
            self.live.clear()
        else:
            self.live.hide()

    def set_state(self, text: str, level: str = "") -> None:
        self.state.setText(text)
        self.state.setVisible(bool(text))
        if self.state.property("level") != level:
            self.state.setProperty("level", level)
            self.state.style().unpolish(self.state)
            self.state.style().polish(self.state)

    def append_live(self, text: str) -> None:
        self.live.show()
        self.live.moveCursor(self.live.textCursor().MoveOperation.End)
        self.live.insertPlainText(text)
        self.live.ensureCursorVisible()

    def clear(self) -> None:
        self.set_running(False)
        self.show_analyses([])
