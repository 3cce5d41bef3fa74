"""The three results tabs (Summary / Diagnoses / Image findings) and the jobs behind them.

Runs go through the jobs module; decisions go to ``vault.record_decision`` in a job. The
workspace tells this panel which patient, note and image are current and reloads the
stored analyses when this panel says they changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QTabWidget, QWidget

from desktop.ui.decision_dialog import DecisionEditDialog
from desktop.ui.jobs import Job
from desktop.ui.results_pane import ResultsPane
from desktop.ui.session import Session, core_feature

# Structured first: it is instant and needs no model; the written ones run the local LLM.
SUMMARY_MODES = (
    ("structured", "Structured summary"),
    ("abstractive", "Written summary (AI, checked)"),
    ("patient", "Patient-friendly summary (AI, checked)"),
)
DIAGNOSES_NOTICE = (
    "Suggestions only. These are possible diagnoses for a clinician to consider, "
    "not a diagnosis. Confirm each one clinically."
)


class ResultsPanel(QTabWidget):
    analyses_changed = Signal(int, int)  # patient id, analysis id to show
    evidence_requested = Signal(object, object)  # item dict, analysis

    def __init__(
        self,
        session: Session,
        targets: Callable[[], tuple[int | None, int | None, int | None]],
        parent: QWidget | None = None,
    ) -> None:
        """``targets()`` -> (patient id, note id, image id) the next run should use."""
        super().__init__(parent)
        self.setObjectName("resultsPanel")
        self._session = session
        self._targets = targets
        self.summary = ResultsPane(
            ("summary.abstractive", "summary.structured", "summary.patient"),
            "Summary",
            "Summarise",
        )
        self.mode = QComboBox()
        self.mode.setObjectName("summaryMode")
        for mode, label in SUMMARY_MODES:
            self.mode.addItem(label, mode)
        self.summary.controls.insertWidget(0, self.mode)
        self.diagnoses = ResultsPane(
            ("diagnoses",), "Diagnoses", "Suggest diagnoses", suggestion_text=DIAGNOSES_NOTICE
        )
        self.findings = ResultsPane(("image_findings",), "Image findings", "Find image findings")
        for pane, title in (
            (self.summary, "Summary"),
            (self.diagnoses, "Diagnoses"),
            (self.findings, "Image findings"),
        ):
            self.addTab(pane, title)
            pane.evidence_requested.connect(self.evidence_requested.emit)
            pane.decision_requested.connect(self.decide)
            pane.cancel_requested.connect(lambda p=pane: self._cancel(p))
        self.summary.run_requested.connect(self.run_summary)
        self.diagnoses.run_requested.connect(self.run_diagnoses)
        self.findings.run_requested.connect(self.run_image_findings)
        self.running: dict[str, Job] = {}

    @property
    def panes(self) -> tuple[ResultsPane, ResultsPane, ResultsPane]:
        return (self.summary, self.diagnoses, self.findings)

    def show_analyses(self, pairs: list[tuple[Any, Any]], select_id: int | None = None) -> None:
        for pane in self.panes:
            pane.show_analyses(pairs, select_id)

    def clear(self) -> None:
        for job in self.running.values():
            job.cancel()
        for pane in self.panes:
            pane.clear()

    def current_pane(self) -> ResultsPane:
        return self.currentWidget()  # type: ignore[return-value]

    # --- runs -----------------------------------------------------------------------
    def run_all(self) -> list[str]:
        """Run every analysis that has something to work on; returns which ones started."""
        patient_id, note_id, image_id = self._targets()
        started = []
        if patient_id is not None and note_id is not None:
            started += [name for name in ("summary", "diagnoses") if self._start(name)]
        if patient_id is not None and image_id is not None and self._start("findings"):
            started.append("findings")
        return started

    def run_summary(self) -> None:
        self._start("summary")

    def run_diagnoses(self) -> None:
        self._start("diagnoses")

    def run_image_findings(self) -> None:
        self._start("findings")

    def _start(self, name: str) -> bool:
        if name in self.running:
            return False
        patient_id, note_id, image_id = self._targets()
        pane = {"summary": self.summary, "diagnoses": self.diagnoses, "findings": self.findings}[
            name
        ]
        if patient_id is None:
            pane.set_state("Choose a patient first.")
            return False
        if name in ("summary", "diagnoses") and note_id is None:
            pane.set_state("This patient has no notes yet. Import or paste a note first.")
            return False
        if name == "findings" and image_id is None:
            pane.set_state("This patient has no images yet. Import an image first.")
            return False
        session = self._session
        vault = session.vault
        mode = self.mode.currentData()

        def work(ctx: Any) -> int:
            if name == "summary":
                run = core_feature("desktop.core.analysis.summary", "run_summary", "Summaries")
                runtime = None if mode == "structured" else session.runtime()
                return run(vault, patient_id, runtime, mode=mode, on_token=ctx.stream,
                           progress=ctx.progress, cancel=ctx.cancel)
            if name == "diagnoses":
                run = core_feature(
                    "desktop.core.analysis.diagnoses", "run_diagnoses", "Diagnosis suggestions"
                )
                return run(vault, note_id, session.runtime(), progress=ctx.progress,
                           cancel=ctx.cancel)
            run = core_feature("desktop.core.analysis.imaging", "run_image_findings",
                               "Image findings")
            return run(vault, image_id, session.runtime(), progress=ctx.progress,
                       cancel=ctx.cancel)

        pane.set_running(True, "Starting…")
        streamed: list[bool] = []

        def on_stream(text: str) -> None:
            if not streamed:
                streamed.append(True)
                pane.set_state("Writing…")
            pane.append_live(text)

        def on_progress(_fraction: float, message: str) -> None:
            if "check" in message.lower():
                pane.set_state("Checking… every sentence against the notes")
            elif message:
                pane.set_state(message)

        def on_error(message: str) -> None:
            pane.set_state(message, "error")

        def on_finished() -> None:
            self.running.pop(name, None)
            job_outcome = job.outcome
            if job_outcome != "error":
                pane.set_running(False)
            else:
                pane.set_running(False, pane.state.text())
                pane.set_state(pane.state.text(), "error")
            if job_outcome == "cancelled":
                pane.set_state("Cancelled; nothing was saved.")

        job = session.jobs.run(
            work,
            label={"summary": "Summarising", "diagnoses": "Suggesting diagnoses",
                   "findings": "Reading the image"}[name],
            on_success=lambda analysis_id: self.analyses_changed.emit(patient_id, analysis_id),
            on_error=on_error,
            on_progress=on_progress,
            on_stream=on_stream,
            on_finished=on_finished,
            owner=self,
        )
        self.running[name] = job
        return True

    def _cancel(self, pane: ResultsPane) -> None:
        for name, job in self.running.items():
            if {"summary": self.summary, "diagnoses": self.diagnoses,
                    "findings": self.findings}[name] is pane:
                job.cancel()
                pane.set_state("Cancelling…")

    # --- decisions ------------------------------------------------------------------
    def decide_current(self, word: str) -> None:
        pane = self.current_pane()
        if pane.current is not None:
            self.decide(int(pane.current.id), word)

    def decide(self, analysis_id: int, word: str) -> None:
        pane = next((p for p in self.panes if p.current and p.current.id == analysis_id), None)
        if pane is None:
            return
        analysis = pane.current
        edited: dict[str, Any] | None = None
        comment = ""
        if word == "edit":
            dialog = DecisionEditDialog(dict(analysis.result or {}), self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            edited, comment, word = dialog.edited(), dialog.comment.text(), "edited"
        vault = self._session.vault

        def work(ctx: Any) -> int:
            return vault.record_decision(analysis_id, word, edited_result=edited, comment=comment)

        pane.decision.setText("Saving your decision…")
        self._session.jobs.run(
            work,
            label="Saving decision",
            on_success=lambda _id: self.analyses_changed.emit(analysis.patient_id, analysis_id),
            owner=self,
        )
