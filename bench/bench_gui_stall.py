"""Main-thread stall while SmolLM2 generates, in a small Qt harness (goal: max < 50 ms).

A QTimer ticks every 2 ms on the GUI thread and records the largest gap between ticks.
Measured three ways in the same run:
  idle       - nothing running (the harness's own floor)
  runtime    - generation through desktop.ui.jobs.JobRunner -> ModelRuntime worker, with
               tokens streamed back to the GUI thread (what the app does)
  process    - peer 1: the same generation in a separate process (no shared GIL): the
               floor that CPU sharing alone imposes on this machine
  blocking   - peer 2: the same generation called directly on the GUI thread
Prints each max/p99 gap and the ratios runtime/process and runtime/blocking. On a shared,
loaded machine the idle and process figures show how much of a stall is not ours.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui_stall.py [--tokens 96]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QPlainTextEdit  # noqa: E402

import desktop  # noqa: E402,F401
from desktop.core.config import Settings  # noqa: E402
from desktop.core.inference import ModelRuntime, PackRegistry  # noqa: E402
from desktop.ui.jobs import JobRunner  # noqa: E402

MESSAGES = [{"role": "user", "content": "List the common causes of chest pain, with detail."}]


class GapMeter:
    """Largest interval between 2 ms timer ticks on the GUI thread."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(2)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self._last = 0

    def start(self) -> None:
        self.gaps.clear()
        self.clock.start()
        self._last = self.clock.nsecsElapsed()
        self.timer.start()

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed()
        self.gaps.append((now - self._last) / 1e6)
        self._last = now

    def stop(self) -> tuple[float, float]:
        self.timer.stop()
        self._tick()  # a stall that ends the run counts too
        gaps = sorted(self.gaps)
        return gaps[-1], gaps[int(0.99 * (len(gaps) - 1))]


_CHILD = """
import sys
sys.path.insert(0, {repo!r})
import desktop
from desktop.core.config import Settings
from desktop.core.inference import ModelRuntime
rt = ModelRuntime(Settings(data_dir=__import__("pathlib").Path({data!r})))
gen = rt.generator()
gen.generate({messages!r}, max_new_tokens=4)
print("READY", flush=True)
sys.stdin.readline()
gen.generate({messages!r}, max_new_tokens={tokens})
rt.close()
"""


def measure_in_process(app: QApplication, meter: GapMeter, data_dir: Path, tokens: int):
    script = _CHILD.format(repo=str(REPO), data=str(data_dir), messages=MESSAGES, tokens=tokens)
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    while child.stdout.readline().strip() != "READY":
        if child.poll() is not None:
            raise SystemExit("the generation process failed")
    meter.start()
    child.stdin.write("go\n")
    child.stdin.flush()
    while child.poll() is None:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
    return meter.stop()


def wait(app: QApplication, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=96)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    app = QApplication.instance() or QApplication([])
    view = QPlainTextEdit()
    view.show()
    settings = Settings(data_dir=REPO / ".cache" / "test-packs")  # shared with the tests
    PackRegistry(settings).install_defaults()
    runtime = ModelRuntime(settings)
    generator = runtime.generator()
    generator.generate(MESSAGES, max_new_tokens=4)  # load + warm up outside the measurement
    meter = GapMeter()

    meter.start()
    wait(app, 2.0)
    idle = meter.stop()

    runner = JobRunner()
    streamed: list[str] = []
    done: list[bool] = []

    def on_stream(text: str) -> None:
        streamed.append(text)
        view.insertPlainText(text)

    meter.start()
    runner.run(
        lambda ctx: generator.generate(
            MESSAGES, max_new_tokens=args.tokens, on_token=ctx.stream, cancel=ctx.cancel
        ),
        label="bench generation", on_stream=on_stream, on_finished=lambda: done.append(True),
    )
    while not done:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
    through_runtime = meter.stop()

    in_process = measure_in_process(app, meter, settings.data_dir, args.tokens)

    meter.start()
    QTimer.singleShot(10, lambda: generator.generate(MESSAGES, max_new_tokens=args.tokens))
    wait(app, 0.5)
    blocking = meter.stop()
    runtime.close()

    print(f"idle                       max gap {idle[0]:7.1f} ms   p99 {idle[1]:6.1f} ms")
    print(f"runtime (worker + jobs)    max gap {through_runtime[0]:7.1f} ms   "
          f"p99 {through_runtime[1]:6.1f} ms   ({len(streamed)} streamed pieces)")
    print(f"separate process (peer 1)  max gap {in_process[0]:7.1f} ms   "
          f"p99 {in_process[1]:6.1f} ms")
    print(f"blocking call (peer 2)     max gap {blocking[0]:7.1f} ms   p99 {blocking[1]:6.1f} ms")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"RATIO max stall runtime/separate-process: {through_runtime[0] / in_process[0]:.2f}x")
    print(f"RATIO max stall runtime/blocking: {through_runtime[0] / blocking[0]:.3f}x "
          f"(goal: runtime max < 50 ms -> {'MET' if through_runtime[0] < 50 else 'NOT MET'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
