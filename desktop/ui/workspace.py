"""The unlocked workspace: patient list | chart | results, wired to the vault through jobs.

A new ``Workspace`` is built for every unlock and destroyed on lock, so no patient data
outlives the session in any widget.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QDialog, QSplitter, QVBoxLayout, QWidget

from desktop.ui.access_history import AccessHistoryDialog
from desktop.ui.banner import MessageBanner
from desktop.ui.chart_view import ChartView
from desktop.ui.import_actions import (
    IMAGE,
    PasteNoteDialog,
    choose_import_files,
    resolve_kinds,
)
from desktop.ui.patient_editor import EncounterEditor, PatientEditor
from desktop.ui.patient_list import PatientList
from desktop.ui.results_panel import ResultsPanel
from desktop.ui.session import Session, core_feature

ACCESS_HISTORY_LIMIT = 2000  # a busy chart's years of reads; the CLI has no limit


def _newest_first(analyses: list[Any]) -> list[Any]:
    return sorted(analyses, key=lambda a: (str(a.created_at or ""), a.id), reverse=True)


class Workspace(QWidget):
    def __init__(self, session: Session, banner: MessageBanner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("workspace")
        self.session = session
        self.banner = banner
        self.patient_id: int | None = None
        self.patients = PatientList()
        self.chart = ChartView(session.jobs)
        self.results = ResultsPanel(session, self.analysis_targets)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.patients)
        split.addWidget(self.chart)
        split.addWidget(self.results)
        split.setStretchFactor(1, 1)
        split.setSizes([230, 640, 470])
        split.setChildrenCollapsible(False)
        self.patients.setMinimumWidth(190)
        self.results.setMinimumWidth(360)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.setAcceptDrops(True)
        self.chart.image_viewer.canvas.setAcceptDrops(False)

        self.patients.search_changed.connect(lambda _q: self.refresh_patients())
        self.patients.patient_selected.connect(self.open_patient)
        self.patients.new_patient_requested.connect(self.new_patient)
        self.chart.edit_requested.connect(self.edit_patient)
        self.chart.new_encounter_requested.connect(self.new_encounter)
        self.chart.image_selected.connect(self.open_image)
        self.results.analyses_changed.connect(
            lambda pid, aid: self.load_chart(pid, select_analysis=aid)
        )
        self.results.evidence_requested.connect(self.show_evidence)
        self._image_overlay: tuple[int, list[dict[str, Any]], str | None] | None = None
        self.refresh_patients()

    def _run(self, work: Any, label: str, on_success: Any = None, **kw: Any) -> Any:
        return self.session.jobs.run(work, label=label, on_success=on_success, owner=self, **kw)

    # --- patients ---------------------------------------------------------------------
    def refresh_patients(self, select_id: int | None = None) -> None:
        vault, query = self.session.vault, self.patients.search.text().strip()
        self._run(
            lambda ctx: vault.search_patients(query),
            "Searching patients",
            lambda found: self.patients.set_patients(found, select_id),
        )

    def open_patient(self, patient_id: int) -> None:
        if patient_id != self.patient_id:
            self.results.clear()
        self.patient_id = patient_id
        self.load_chart(patient_id)

    def load_chart(
        self,
        patient_id: int,
        *,
        select: tuple[str, int] | None = None,
        select_analysis: int | None = None,
    ) -> None:
        vault = self.session.vault

        def work(ctx: Any) -> dict[str, Any]:
            analyses = _newest_first(vault.list_analyses(patient_id))
            return {
                "patient": vault.get_patient(patient_id),
                "encounters": vault.list_encounters(patient_id),
                "notes": vault.list_notes(patient_id),
                "images": vault.list_images(patient_id),
                "analyses": [(a, vault.latest_decision(a.id)) for a in analyses],
            }

        def loaded(chart: dict[str, Any]) -> None:
            if patient_id != self.patient_id:
                return  # the user moved on to another patient meanwhile
            self.chart.show_chart(
                chart["patient"], chart["encounters"], chart["notes"], chart["images"]
            )
            self.results.show_analyses(chart["analyses"], select_analysis)
            if select is not None:
                self.chart.select(*select)

        self._run(work, "Opening the chart", loaded)

    def new_patient(self) -> None:
        dialog = PatientEditor(parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        fields, vault = dialog.fields(), self.session.vault
        name = fields.pop("name")
        self.patients.search.clear()
        self._run(
            lambda ctx: vault.add_patient(name, **fields),
            "Adding the patient",
            lambda pid: self.refresh_patients(select_id=pid),
        )

    def edit_patient(self) -> None:
        patient = self.chart.patient
        if patient is None:
            return
        dialog = PatientEditor(patient, parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        fields, vault, pid = dialog.fields(), self.session.vault, patient.id

        def saved(_result: Any) -> None:
            self.refresh_patients(select_id=pid)
            self.load_chart(pid)

        self._run(lambda ctx: vault.update_patient(pid, **fields), "Saving the patient", saved)

    def show_access_history(self) -> None:
        """The patient's audit trail (administrators); read off the GUI thread."""
        patient = self.chart.patient
        if patient is None:
            self.banner.show_warning("Choose a patient first to see who opened their record.")
            return
        vault, pid, name = self.session.vault, patient.id, patient.name

        def shown(entries: list[Any]) -> None:
            dialog = AccessHistoryDialog(name, entries, patient_id=pid,
                                         limit=ACCESS_HISTORY_LIMIT, parent=self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open()

        self._run(lambda ctx: vault.access_report(patient_id=pid, limit=ACCESS_HISTORY_LIMIT),
                  "Reading the access history", shown)

    def new_encounter(self) -> None:
        if self.patient_id is None:
            return
        dialog = EncounterEditor(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        fields, vault, pid = dialog.fields(), self.session.vault, self.patient_id
        self._run(
            lambda ctx: vault.add_encounter(pid, fields["date"], fields["reason"]),
            "Adding the encounter",
            lambda eid: self.load_chart(pid, select=("encounter", eid)),
        )

    def focus_search(self) -> None:
        self.patients.focus_search()

    # --- imports --------------------------------------------------------------------
    def _need_patient(self) -> bool:
        if self.patient_id is None:
            self.banner.show_warning("Choose or create a patient first, then import.")
            return False
        return True

    def import_dialog(self) -> None:
        if self._need_patient():
            self.import_files(choose_import_files(self))

    def import_files(self, files: list[tuple[Path, str | None]]) -> None:
        """Import each file as a note or image of the current patient, one job per file."""
        if not self._need_patient():
            return
        for path, kind in resolve_kinds(self, files):
            self._import_one(path, kind)

    def _import_one(self, path: Path, kind: str) -> None:
        settings, vault, pid = self.session.settings, self.session.vault, self.patient_id
        encounter_id = self.chart.selected_encounter_id()

        def work(ctx: Any) -> tuple[str, int]:
            if kind == IMAGE:
                load = core_feature("desktop.core.ingest.images", "import_image_file",
                                    "Image import")
                image = load(path, settings)
                ctx.cancel.raise_if_cancelled()
                return "image", vault.add_image(
                    pid, image.data, encounter_id=encounter_id, source_name=image.source_name,
                    media_type=image.media_type, metadata=image.metadata)
            load = core_feature("desktop.core.ingest.notes", "import_note_file", "Note import")
            note = load(path, settings, progress=ctx.progress, cancel=ctx.cancel)
            ctx.cancel.raise_if_cancelled()
            return "note", vault.add_note(
                pid, note.text, encounter_id=encounter_id, kind=note.kind,
                source_name=note.source_name, source_bytes=note.source_bytes)

        self._run(work, f"Importing {path.name}", lambda added: self._imported(pid, added))

    def _imported(self, patient_id: int, added: tuple[str, int]) -> None:
        if patient_id == self.patient_id:
            self.load_chart(patient_id, select=added)

    def paste_note(self) -> None:
        if not self._need_patient():
            return
        dialog = PasteNoteDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.add_pasted_note(dialog.text())

    def add_pasted_note(self, text: str) -> None:
        vault, pid = self.session.vault, self.patient_id
        encounter_id = self.chart.selected_encounter_id()

        def work(ctx: Any) -> tuple[str, int]:
            pasted = core_feature("desktop.core.ingest.notes", "import_pasted_text", "Note import")
            note = pasted(text)
            return "note", vault.add_note(pid, note.text, encounter_id=encounter_id,
                                          kind=note.kind, source_name=note.source_name)

        self._run(work, "Adding the note", lambda added: self._imported(pid, added))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt API)
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_files([(p, None) for p in paths])

    # --- documents and evidence ----------------------------------------------------------
    def open_image(self, image_id: int) -> None:
        vault = self.session.vault

        def work(ctx: Any) -> tuple[Any, Any]:
            decode = core_feature("desktop.core.ingest.images", "decode_image", "Image display")
            record = vault.get_image(image_id)
            return record, decode(record.data, record.media_type, source_name=record.source_name)

        def shown(loaded: tuple[Any, Any]) -> None:
            if self.chart.patient is None or loaded[0].patient_id != self.chart.patient.id:
                return
            self.chart.show_image(*loaded)
            self._apply_overlay()

        self._run(work, "Opening the image", shown)

    def _apply_overlay(self) -> None:
        viewer = self.chart.image_viewer
        if self._image_overlay and self._image_overlay[0] == viewer.image_id:
            _id, regions, heatmap = self._image_overlay
            viewer.set_regions(regions)
            viewer.set_heatmap(heatmap)

    def show_evidence(self, item: dict[str, Any], analysis: Any) -> None:
        """Highlight an item's spans in its note, or its regions and heatmap on its image."""
        evidence = list(item.get("evidence") or [])
        spans = [e for e in evidence if "start" in e]
        regions = [e for e in evidence if "x" in e]
        inputs = dict(analysis.inputs or {})
        if analysis.kind != "image_findings":
            note_ids = [s["note_id"] for s in spans if s.get("note_id") is not None]
            note_id = (note_ids[0] if note_ids else None) or inputs.get("note_id") or (
                (inputs.get("note_ids") or [None])[0]) or self.chart.note_view.note_id
            if note_id is None or note_id not in self.chart.notes:
                return
            self.chart.select("note", int(note_id), emit=False)
            self.chart.show_note(int(note_id))
            self.chart.note_view.highlight(
                [(int(s["start"]), int(s["end"])) for s in spans
                 if s.get("note_id") in (None, note_id)],
                supported=item.get("supported") is not False,
            )
            return
        image_ids = [r["image_id"] for r in regions if r.get("image_id") is not None]
        image_id = (image_ids[0] if image_ids else None) or inputs.get("image_id")
        if image_id is None:
            return
        heatmap = dict((analysis.result or {}).get("heatmaps") or {}).get(item.get("label"))
        self._image_overlay = (int(image_id), regions, heatmap)
        self.chart.select("image", int(image_id), emit=False)
        if self.chart.image_viewer.image_id == image_id:
            self.chart.documents.setCurrentWidget(self.chart.image_viewer)
            self._apply_overlay()
        else:
            self.open_image(int(image_id))

    # --- analyses -------------------------------------------------------------------
    def analysis_targets(self) -> tuple[int | None, int | None, int | None]:
        """Patient, plus the selected note / image (else the newest) for the next run."""
        selection = self.chart.current_selection()
        notes, images = self.chart.ids("note"), self.chart.ids("image")
        note_id = selection[1] if selection and selection[0] == "note" else None
        image_id = selection[1] if selection and selection[0] == "image" else None
        note_id = note_id or (notes[-1] if notes else None)
        image_id = image_id or (images[-1] if images else None)
        return self.patient_id, note_id, image_id

    def run_analyses(self) -> None:
        if self.patient_id is None:
            self.banner.show_warning("Choose a patient first.")
            return
        if not self.results.run_all():
            self.banner.show_warning(
                "There is nothing to analyse yet: import a note or an image for this patient."
            )
