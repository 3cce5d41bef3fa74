"""What an unlocked window works with: settings, the open vault, the jobs runner, models.

Widgets hold a ``Session`` and hand its objects to core functions inside jobs; they never
call the vault or the model runtime on the GUI thread.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from desktop.core.config import Settings
from desktop.core.errors import NotAvailableError
from desktop.ui.jobs import JobRunner

log = logging.getLogger(__name__)


def core_feature(module: str, name: str, feature: str) -> Any:
    """Import ``module.name``; a component missing from this build becomes a plain message."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        log.warning("feature %s unavailable: %s.%s (%s)", feature, module, name, type(exc).__name__)
        raise NotAvailableError(
            f"{feature} is not available in this installation of ClinicDesk. "
            "Ask IT to install the complete version."
        ) from exc


class RuntimeProvider:
    """Creates the model runtime on first use and keeps it across lock/unlock (models are
    not patient data; reloading them would cost the clinician time)."""

    def __init__(self, settings: Settings, factory: Callable[[], Any] | None = None) -> None:
        self._settings = settings
        self._factory = factory
        self._runtime: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        """Call from a job: the first call imports the model libraries."""
        with self._lock:
            if self._runtime is None:
                if self._factory is not None:
                    self._runtime = self._factory()
                else:
                    runtime_cls = core_feature(
                        "desktop.core.inference", "ModelRuntime", "The AI model runtime"
                    )
                    self._runtime = runtime_cls(self._settings)
            return self._runtime

    def close(self) -> None:
        """Stop the runtime's worker (only for runtimes this provider created)."""
        with self._lock:
            runtime, self._runtime = self._runtime, None
        if runtime is not None and self._factory is None and hasattr(runtime, "close"):
            runtime.close()


class Session:
    """One unlocked vault and everything the window needs to work on it."""

    def __init__(
        self,
        settings: Settings,
        vault: Any,
        jobs: JobRunner,
        runtimes: RuntimeProvider,
        *,
        demo: bool = False,
    ) -> None:
        self.settings = settings
        self.vault = vault
        self.jobs = jobs
        self.demo = demo
        self._runtimes = runtimes

    @property
    def username(self) -> str:
        user = getattr(self.vault, "user", None)
        return str(getattr(user, "display_name", "") or getattr(user, "username", ""))

    def runtime(self) -> Any:
        """The model runtime, created on first use. Call from a job (it loads libraries)."""
        return self._runtimes.get()
