"""Real MTSamples notes (CC0) used across the summary tests, looked up by note_id."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.notes import read_mtsamples


@pytest.fixture(scope="session")
def mtsamples_text(shared_data: Path) -> Callable[[str], str]:
    """``mtsamples_text("1329")`` -> that note's transcription."""
    by_id = {row["note_id"]: row["transcription"] for row in read_mtsamples(shared_data)}
    return by_id.__getitem__
