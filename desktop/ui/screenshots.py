"""Capture a PNG of each screen for the README: ``python -m desktop.ui.screenshots OUT_DIR``.

Run by ``docs/take_screenshots.sh`` under Xvfb. It drives the real window on a scratch data
dir (``$CLINICDESK_DATA_DIR``, set by the script) through first run, the demo vault, a chart
with a note and an image, the results panes and the lock screen. Only public sample data
is shown.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication

import desktop  # noqa: F401  (offline mode first)
from desktop.core.config import load_settings
from desktop.ui.app import create_application
from desktop.ui.main_window import MainWindow

SIZE = (1366, 768)


def wait_until(condition: Callable[[], object], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if condition():
            return True
        time.sleep(0.02)
    return False


def settle(seconds: float = 0.3) -> None:
    wait_until(lambda: False, seconds)


class Shooter:
    def __init__(self, window: MainWindow, out_dir: Path) -> None:
        self.window = window
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)

    def shot(self, name: str) -> None:
        settle()
        path = self.out_dir / f"{name}.png"
        self.window.grab().save(str(path))
        print(f"saved {path}")


def capture(out_dir: Path, chest_dicom: Path | None = None) -> int:
    app = create_application()
    window = MainWindow(load_settings())
    window.resize(*SIZE)
    window.show()
    shoot = Shooter(window, out_dir)
    wizard = window.setup

    shoot.shot("01-welcome")
    wizard.create_button.click()
    wizard.username.setText("dr.okafor")
    wizard.display_name.setText("Dr Ngozi Okafor")
    wizard.passphrase.setText("river lantern copper meadow")
    wizard.confirm.setText("river lantern copper meadow")
    shoot.shot("02-create-vault")
    wizard.submit_button.click()
    if not wait_until(lambda: wizard.pages.currentIndex() == 2, 120):
        print("vault creation did not finish", file=sys.stderr)
        return 1
    shoot.shot("03-recovery-key")
    wizard.stored_check.setChecked(True)
    wizard.finish_button.click()
    wait_until(lambda: window.workspace is not None)
    window.lock()
    wait_until(lambda: not window.jobs.active_jobs)
    window.unlock_screen.username.setText("dr.okafor")
    shoot.shot("04-unlock")

    # The demo vault: public sample notes and images.
    wizard.pages.setCurrentIndex(0)
    window.stack.setCurrentWidget(wizard)
    wizard.open_demo()
    if not wait_until(lambda: window.workspace is not None, 180):
        print("the demo vault could not be opened", file=sys.stderr)
        return 1
    ws = window.workspace
    wait_until(lambda: ws.patients.list.count() > 0)
    ws.patients.list.setCurrentRow(0)
    wait_until(lambda: ws.chart.patient is not None)
    notes = ws.chart.ids("note")
    if notes:
        ws.chart.select("note", notes[0])
    shoot.shot("05-chart-note")

    results = ws.results
    results.setCurrentWidget(results.summary)
    results.run_summary()
    wait_until(lambda: results.summary.current is not None or not results.running, 120)
    wait_until(lambda: results.summary.current is not None, 10)
    pane = results.summary
    for row in range(pane.item_count()):
        if pane.items.topLevelItem(row).data(0, 256).get("evidence"):
            pane.select_item(row)
            break
    shoot.shot("06-summary-evidence")

    results.setCurrentWidget(results.diagnoses)
    results.run_diagnoses()
    wait_until(lambda: "diagnoses" not in results.running, 900)
    wait_until(lambda: results.diagnoses.current is not None, 10)
    if results.diagnoses.item_count():
        results.diagnoses.select_item(0)
    shoot.shot("07-diagnoses")

    if chest_dicom is not None and chest_dicom.is_file():
        ws.import_files([(chest_dicom, "image")])
        wait_until(lambda: ws.chart.image_viewer.image_id is not None, 60)
        wait_until(lambda: not ws.chart.image_viewer.canvas.pixmap_item.pixmap().isNull(), 30)
    else:
        images = ws.chart.ids("image")
        if images:
            ws.chart.select("image", images[0])
            wait_until(lambda: not ws.chart.image_viewer.canvas.pixmap_item.pixmap().isNull())
    results.setCurrentWidget(results.findings)
    results.run_image_findings()
    wait_until(lambda: "findings" not in results.running, 300)
    wait_until(lambda: results.findings.current is not None, 5)
    shoot.shot("08-image-findings")

    window.lock()
    wait_until(lambda: not window.jobs.active_jobs, 60)
    shoot.shot("09-locked")
    window.close()
    app.processEvents()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else Path("docs/screenshots")
    chest = Path(args[1]) if len(args) > 1 else None
    return capture(out_dir, chest)


if __name__ == "__main__":
    sys.exit(main())
