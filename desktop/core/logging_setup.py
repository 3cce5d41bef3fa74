"""App logging to ``settings.log_dir`` that never records patient content.

Log with %-style arguments: ``log.info("note %s imported for patient %s", note_id, pid)``.
Numbers, booleans and None are written as they are; any other argument (a string, a path,
an object) is replaced by ``<redacted>`` unless wrapped in ``safe(...)`` by code that
knows it is not patient content (a pack id, an action name, a user name). Exception
messages are withheld too (they may quote a file name or a line of a note); the type and
the traceback's code locations are kept so IT can still report bugs.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import traceback
from pathlib import Path
from types import TracebackType

from desktop.core.config import Settings

LOG_FILE = "clinicdesk.log"
REDACTED = "<redacted>"
_HANDLER_MARK = "_clinicdesk_handler"


class safe(str):  # noqa: N801  (reads as a marker at call sites: safe(pack_id))
    """A string the caller vouches contains no patient content."""


def _scrub(value: object) -> object:
    if value is None or isinstance(value, (bool, int, float, safe)):
        return value
    return REDACTED


class RedactingFilter(logging.Filter):
    """Replaces every argument that is not an id, a number or ``safe`` text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str):
            record.msg = REDACTED
        if isinstance(record.args, dict):
            record.args = {k: _scrub(v) for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(_scrub(v) for v in record.args)
        return True


class IdsOnlyFormatter(logging.Formatter):
    """Tracebacks keep file/line/function but drop every exception message."""

    def format(self, record: logging.LogRecord) -> str:
        # Another handler may have cached the full traceback (message included) on the record.
        cached = record.exc_text
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei: tuple[type[BaseException], BaseException,  # noqa: N802
                                         TracebackType | None] | tuple[None, None, None]
                        ) -> str:
        exc_type, exc, tb = ei
        lines = ["Traceback (most recent call last):\n"]
        frames = traceback.extract_tb(tb) if tb is not None else []
        lines.extend(f'  File "{f.filename}", line {f.lineno}, in {f.name}\n' for f in frames)
        name = exc_type.__name__ if exc_type is not None else "Exception"
        lines.append(f"{name}: (message withheld: may contain patient data)")
        if exc is not None and exc.__cause__ is not None:
            lines.append(f"\nCaused by {type(exc.__cause__).__name__}")
        return "".join(lines)

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        # Stack lines hold source code only, never runtime values.
        return stack_info


def configure_logging(settings: Settings, level: int = logging.INFO) -> Path:
    """Send all logging to a rotating file in ``settings.log_dir``; returns its path.

    Calling it again (e.g. in tests with another data dir) replaces the earlier handler.
    """
    log_dir = settings.log_dir
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = log_dir / LOG_FILE
    stop_logging()
    root = logging.getLogger()
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(IdsOnlyFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    if os.name == "posix":
        path.chmod(0o600)
    return path


def stop_logging() -> None:
    """Detach and close the file handler ``configure_logging`` added (tests, shutdown)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            handler.close()
