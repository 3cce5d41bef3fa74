"""Settings: one place, read once at start.

IT sets policy in a TOML file (see ``docs/policy.md``). Lookup order for the file:
``$CLINICDESK_POLICY``, then ``<site config dir>/policy.toml``, then
``<user config dir>/policy.toml``. ``$CLINICDESK_DATA_DIR`` overrides ``data_dir`` (tests
and portable installs use it).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from desktop.core.errors import ClinicDeskError

APP_NAME = "ClinicDesk"
APP_AUTHOR = "ClinicDesk"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    auto_lock_minutes: int = 10
    # None means every installed pack is enabled.
    enabled_packs: tuple[str, ...] | None = None
    max_import_mb: int = 512
    model_memory_budget_mb: int = 6144
    policy_file: Path | None = None
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def vault_path(self) -> Path:
        return self.data_dir / "clinicdesk.vault"

    @property
    def packs_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def max_import_bytes(self) -> int:
        return self.max_import_mb * 1024 * 1024

    def pack_enabled(self, pack_id: str) -> bool:
        return self.enabled_packs is None or pack_id in self.enabled_packs


KNOWN_KEYS = {
    "data_dir",
    "auto_lock_minutes",
    "enabled_packs",
    "max_import_mb",
    "model_memory_budget_mb",
}


def _policy_candidates(env: Mapping[str, str]) -> list[Path]:
    if env.get("CLINICDESK_POLICY"):
        return [Path(env["CLINICDESK_POLICY"])]
    return [
        Path(platformdirs.site_config_dir(APP_NAME, APP_AUTHOR)) / "policy.toml",
        Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)) / "policy.toml",
    ]


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the policy file (if any) and the environment into one ``Settings``."""
    env = os.environ if env is None else env
    policy: dict[str, object] = {}
    policy_file: Path | None = None
    for candidate in _policy_candidates(env):
        if candidate.is_file():
            try:
                policy = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ClinicDeskError(
                    f"The IT policy file {candidate} could not be read: {exc}. "
                    "Fix or remove it, then start ClinicDesk again."
                ) from exc
            policy_file = candidate
            break
    unknown = set(policy) - KNOWN_KEYS
    if unknown:
        raise ClinicDeskError(
            f"The IT policy file {policy_file} has unknown settings: {', '.join(sorted(unknown))}."
        )
    data_dir = env.get("CLINICDESK_DATA_DIR") or policy.get("data_dir")
    if not data_dir:
        data_dir = platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)
    packs = policy.get("enabled_packs")
    try:
        return Settings(
            data_dir=Path(str(data_dir)).expanduser(),
            auto_lock_minutes=int(policy.get("auto_lock_minutes", 10)),  # type: ignore[arg-type]
            enabled_packs=tuple(str(p) for p in packs) if isinstance(packs, list) else None,
            max_import_mb=int(policy.get("max_import_mb", 512)),  # type: ignore[arg-type]
            model_memory_budget_mb=int(policy.get("model_memory_budget_mb", 6144)),  # type: ignore[arg-type]
            policy_file=policy_file,
        )
    except (TypeError, ValueError) as exc:
        raise ClinicDeskError(f"The IT policy file {policy_file} has a bad value: {exc}") from exc
