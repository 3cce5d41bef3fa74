"""Demo mode: a vault filled with real public notes and sample images for newcomers.

The notes are four public MTSamples transcriptions shipped in ``resources/demo/notes``
(source and licence in ``resources/demo/README.md``). The images are DICOM test files
bundled inside the installed pydicom package, read at run time and never downloaded
(``download=False``). pydicom bundles no chest radiograph, so the demo has none; IT or a
trainer can import one. Every demo patient's name starts with "DEMO".
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from desktop.core.config import Settings, load_settings
from desktop.core.errors import NotAvailableError
from desktop.core.ingest.images import import_image_file
from desktop.core.ingest.notes import import_note_file
from desktop.core.tasks import ProgressFn, no_progress
from desktop.core.vault import Vault

DEMO_USERNAME = "demo"
DEMO_DISPLAY_NAME = "Demo Clinician"
# Public on purpose: the demo vault holds only public sample data.
DEMO_PASSPHRASE = "demo clinicdesk sample vault"
DEMO_NAME_PREFIX = "DEMO"


@dataclass(frozen=True)
class DemoPatient:
    name: str
    birth_date: str
    sex: str
    mrn: str
    visit_date: str
    reason: str
    note_file: str  # in resources/demo/notes
    dicom_files: tuple[str, ...] = ()  # pydicom-bundled test files


DEMO_PATIENTS = (
    DemoPatient(
        "DEMO Ada Cardiology",
        "1968-03-14",
        "F",
        "DEMO-0001",
        "2026-01-12",
        "Left arm discomfort on exertion",
        "4906-cardiology-consult.txt",
        ("MR_small.dcm",),
    ),
    DemoPatient(
        "DEMO Beth Emergency",
        "1950-07-02",
        "F",
        "DEMO-0002",
        "2026-01-20",
        "Syncope",
        "3810-er-visit-syncope.txt",
        ("CT_small.dcm",),
    ),
    DemoPatient(
        "DEMO Cora Discharge",
        "1947-11-23",
        "F",
        "DEMO-0003",
        "2026-02-03",
        "Pyelonephritis, discharge",
        "3229-discharge-summary-pyelonephritis.txt",
    ),
    DemoPatient(
        "DEMO Dan Chest",
        "1961-05-30",
        "M",
        "DEMO-0004",
        "2026-02-10",
        "Shortness of breath",
        "4874-chest-xray-report.txt",
    ),
)


def demo_resources_dir() -> Path:
    """``resources/demo`` in a checkout, or inside a PyInstaller bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    root = Path(frozen_root) if frozen_root else Path(__file__).resolve().parents[2]
    return root / "resources" / "demo"


def demo_vault_path(settings: Settings) -> Path:
    """Where the demo vault lives: beside, never inside, the clinic's real vault."""
    return settings.data_dir / "demo" / "demo.vault"


def pydicom_sample(name: str) -> Path:
    """A DICOM test file shipped inside the installed pydicom package (no network)."""
    from pydicom.data import get_testdata_file

    found = get_testdata_file(name, download=False)
    if not found:
        raise NotAvailableError(
            f"The demo image {name} is missing from this installation's pydicom package."
        )
    return Path(str(found))


def build_demo_vault(
    path: Path | str,
    settings: Settings | None = None,
    *,
    progress: ProgressFn | None = None,
) -> tuple[Vault, str, str]:
    """Create (or reopen) the demo vault at ``path``: returns (vault, username, passphrase).

    The vault is unlocked as the demo clinician. Reopening an existing demo vault does not
    add the patients twice.
    """
    path = Path(path)
    settings = settings or load_settings()
    progress = progress or no_progress
    if Vault.exists(path):
        return Vault.unlock(path, DEMO_USERNAME, DEMO_PASSPHRASE), DEMO_USERNAME, DEMO_PASSPHRASE
    path.parent.mkdir(parents=True, exist_ok=True)
    progress(0.0, "Creating the demo vault")
    vault, _recovery_key = Vault.create(path, DEMO_USERNAME, DEMO_DISPLAY_NAME, DEMO_PASSPHRASE)
    try:
        notes_dir = demo_resources_dir() / "notes"
        for number, demo in enumerate(DEMO_PATIENTS, start=1):
            progress(number / (len(DEMO_PATIENTS) + 1), f"Adding demo patient {number}")
            _add_demo_patient(vault, demo, notes_dir, settings)
    except BaseException:
        vault.lock()
        raise
    progress(1.0, "Demo vault ready")
    return vault, DEMO_USERNAME, DEMO_PASSPHRASE


def _add_demo_patient(vault: Vault, demo: DemoPatient, notes_dir: Path, settings: Settings):
    patient_id = vault.add_patient(
        demo.name, birth_date=demo.birth_date, sex=demo.sex, mrn=demo.mrn
    )
    encounter_id = vault.add_encounter(patient_id, demo.visit_date, reason=demo.reason)
    # Through the same import path as a clinician's file, so the demo exercises it.
    note = import_note_file(notes_dir / demo.note_file, settings)
    vault.add_note(
        patient_id,
        note.text,
        encounter_id=encounter_id,
        kind=note.kind,
        source_name=note.source_name,
        source_bytes=note.source_bytes,
        note_date=demo.visit_date,
    )
    for name in demo.dicom_files:
        image = import_image_file(pydicom_sample(name), settings)
        vault.add_image(
            patient_id,
            image.data,
            encounter_id=encounter_id,
            source_name=f"{image.source_name} (pydicom sample image, not this patient's)",
            media_type=image.media_type,
            metadata=image.metadata,
        )
