"""Start the GUI: ``run_gui(argv) -> int`` (used by ``python -m desktop`` / ``ClinicDesk``)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.core.config import Settings, load_settings
from desktop.core.errors import ClinicDeskError

log = logging.getLogger(__name__)


def resources_dir() -> Path:
    """``resources/`` in a checkout or inside a PyInstaller bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    root = Path(frozen_root) if frozen_root else Path(__file__).resolve().parents[2]
    return root / "resources"


def style_sheet() -> str:
    path = resources_dir() / "ui" / "clinicdesk.qss"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        log.warning("style sheet missing at %s; using the platform style", path)
        return ""


def setup_logging(settings: Settings) -> None:
    """File logging (ids only) when ``run_gui`` is called without ``desktop.__main__``."""
    if logging.getLogger().handlers:
        return
    from desktop.core.logging_setup import configure_logging

    try:
        configure_logging(settings)
    except (OSError, ClinicDeskError):
        pass  # logging is best-effort; the window must still open


def create_application(argv: Sequence[str] = ()) -> QApplication:
    app = QApplication.instance() or QApplication(["ClinicDesk", *argv])
    app.setApplicationName("ClinicDesk")
    app.setOrganizationName("ClinicDesk")
    app.setStyle("Fusion")  # same look on every platform; the style sheet builds on it
    app.setStyleSheet(style_sheet())
    return app  # type: ignore[return-value]


def run_gui(argv: Sequence[str] = ()) -> int:
    """Show the window (set-up wizard on first run, else the unlock screen)."""
    from desktop.ui.main_window import MainWindow

    app = create_application(argv)
    try:
        settings = load_settings()
    except ClinicDeskError as exc:
        QMessageBox.critical(None, "ClinicDesk cannot start", str(exc))
        return 2
    setup_logging(settings)
    window = MainWindow(settings)
    window.show()
    return int(app.exec())
