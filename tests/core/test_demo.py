"""Demo mode: a newcomer opens a vault with real public notes and images, all marked DEMO."""

from __future__ import annotations

from pathlib import Path

from desktop.core.config import load_settings
from desktop.core.demo import DEMO_PATIENTS, build_demo_vault, demo_vault_path
from desktop.core.ingest.images import decode_image
from desktop.core.vault import Vault


def test_demo_vault_has_demo_patients_with_notes_and_images(tmp_path: Path) -> None:
    path = demo_vault_path(load_settings())
    vault, username, passphrase = build_demo_vault(path)
    with vault:
        patients = vault.search_patients("")
        assert len(patients) == len(DEMO_PATIENTS)
        assert all(p.name.startswith("DEMO ") for p in patients)
        notes = [n for p in patients for n in vault.list_notes(p.id)]
        assert len(notes) == len(DEMO_PATIENTS)
        texts = " ".join(vault.get_note(n.id).text for n in notes)
        assert "syncopal episode" in texts and "pneumothorax" in texts
        assert all(vault.get_note_source(n.id) for n in notes)
        images = [i for p in patients for i in vault.list_images(p.id)]
        assert len(images) == 2
        for record in images:
            image = vault.get_image(record.id)
            decoded = decode_image(image.data, image.media_type)
            assert decoded.pixels.ndim == 2 and decoded.pixels.std() > 0
            assert "not this patient" in image.source_name
    # The vault is a real one: it opens again with the demo credentials, without duplicates.
    with Vault.unlock(path, username, passphrase) as again:
        assert len(again.search_patients("")) == len(DEMO_PATIENTS)
    reopened, _, _ = build_demo_vault(path)
    with reopened:
        assert len(reopened.search_patients("DEMO")) == len(DEMO_PATIENTS)


def test_demo_vault_lives_apart_from_the_clinic_vault() -> None:
    settings = load_settings()
    assert demo_vault_path(settings) != settings.vault_path
    assert demo_vault_path(settings).parent != settings.vault_path.parent
