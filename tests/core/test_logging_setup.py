"""App log: ids and events reach the file, patient content never does."""

from __future__ import annotations

import logging

from desktop.core.config import load_settings
from desktop.core.logging_setup import configure_logging, safe, stop_logging


def test_log_file_keeps_ids_and_redacts_everything_else(isolated_data_dir):
    settings = load_settings()
    path = configure_logging(settings)
    log = logging.getLogger("desktop.core.example")
    try:
        log.info("note %s imported for patient %d by %s", 17, 4, safe("dr.grey"))
        log.info("file %s", settings.data_dir / "Jane Doe referral.pdf")
        log.warning("kw %(name)s %(id)s", {"name": "Jane Doe", "id": 4})
        log.info(["not", "a", "string"])
        try:
            raise KeyError("Jane Doe")
        except KeyError:
            log.exception("lookup failed for patient %s", 4)
    finally:
        stop_logging()
    text = path.read_text()
    assert "note 17 imported for patient 4 by dr.grey" in text
    assert "file <redacted>" in text and "kw <redacted> 4" in text
    assert "KeyError: (message withheld" in text and "test_logging_setup.py" in text
    assert "Jane" not in text
    assert path.stat().st_mode & 0o077 == 0
    # Reconfiguring replaces the handler rather than stacking another one.
    configure_logging(settings)
    configure_logging(settings)
    try:
        ours = [h for h in logging.getLogger().handlers if path.name in str(
            getattr(h, "baseFilename", ""))]
        assert len(ours) == 1
    finally:
        stop_logging()


def test_analysing_a_note_does_not_flood_the_log(isolated_data_dir):
    # PyFastNER (PyRuSH's matcher) logged a line through the root logger at nearly every
    # character it could not match with a shipped rule: one page of a note filled ~750 kB of
    # the 2 MB rotating log and pushed every earlier line out.
    from desktop.core.analysis.notes import analyse_note

    path = configure_logging(load_settings())
    try:
        analyse_note("HISTORY: Chest pain on exertion. a.m. and p.m. dosing of aspirin.\n"
                     "PLAN: Follow up in 2 weeks. " * 40)
    finally:
        stop_logging()
    lines = path.read_text().splitlines() if path.exists() else []
    assert len(lines) < 10, lines[:3]
