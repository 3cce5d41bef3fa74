"""Starting the app, the demo offer, recovery-key unlock, picture sorting, screen size."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from desktop.ui import import_actions
from desktop.ui.import_actions import ASK, IMAGE, NOTE, classify, resolve_kinds
from tests.ui.conftest import wait_idle


def test_clinicdesk_starts_and_stays_up(isolated_data_dir):
    """``python -m desktop`` (what ``make run`` starts) opens its window and keeps running."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    process = subprocess.Popen([sys.executable, "-m", "desktop"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(6)
        assert process.poll() is None, process.communicate()[1].decode()
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=30)
    assert b"Traceback" not in err


def test_demo_vault_is_offered_on_first_run(qtbot, make_window):
    window = make_window()
    window.setup.demo_button.click()
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=120_000)
    ws = window.workspace
    qtbot.waitUntil(lambda: ws.patients.list.count() > 0, timeout=10_000)
    names = [ws.patients.list.item(i).text() for i in range(ws.patients.list.count())]
    assert all(name.startswith("DEMO") for name in names)
    assert "demo vault" in window.banner.label.text()
    assert "DEMO VAULT" in window.user_label.text()


def test_unlock_with_recovery_key(qtbot, make_window, vault_factory):
    vault, key = vault_factory()
    vault.lock()
    window = make_window()
    screen = window.unlock_screen
    screen.toggle_recovery.click()
    assert screen.recovery_key.isVisibleTo(screen)
    screen.recovery_key.setText("AAAA-BBBB-CCCC-DDDD")
    screen.unlock_button.click()
    qtbot.waitUntil(lambda: screen.unlock_button.isEnabled(), timeout=15_000)
    assert screen.message.text()
    assert window.workspace is None
    screen.recovery_key.setText(key)
    screen.unlock_button.click()
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=15_000)
    wait_idle(qtbot, window)


def test_pictures_are_asked_about_other_files_are_sorted(qtbot, monkeypatch):
    assert classify(Path("scan.JPG")) == ASK
    assert classify(Path("ct.dcm")) == IMAGE
    assert classify(Path("IM000123")) == IMAGE  # DICOM files often have no extension
    assert classify(Path("letter.docx")) == NOTE
    asked: list[str] = []
    monkeypatch.setattr(import_actions, "ask_picture_kind",
                        lambda parent, name: asked.append(name) or NOTE)
    files = [(Path("photo.png"), None), (Path("x.pdf"), None), (Path("y.png"), IMAGE)]
    assert resolve_kinds(None, files) == [
        (Path("photo.png"), NOTE), (Path("x.pdf"), NOTE), (Path("y.png"), IMAGE)]
    assert asked == ["photo.png"]


def test_workspace_fits_a_1366x768_screen(qtbot, workspace_window):
    hint = workspace_window.minimumSizeHint().expandedTo(workspace_window.minimumSize())
    assert hint.width() <= 1366 and hint.height() <= 740
    workspace_window.resize(1366, 740)
    qtbot.wait(50)
    assert workspace_window.workspace.results.width() >= 360
    assert workspace_window.workspace.chart.width() >= 400


def test_widgets_never_import_the_database_or_model_libraries():
    """desktop/ui only presents and delegates: no sqlcipher3, torch or transformers."""
    import ast

    import desktop.ui

    forbidden = {"sqlcipher3", "torch", "transformers", "sqlite3"}
    for path in Path(desktop.ui.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not {n.split(".")[0] for n in names} & forbidden, path.name
