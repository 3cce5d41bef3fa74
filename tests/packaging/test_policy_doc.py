"""docs/policy.md is what IT reads: every key the app accepts is documented, and the
example there is a policy file the app really accepts."""

from __future__ import annotations

import re
from pathlib import Path

from desktop.core.config import KNOWN_KEYS, load_settings

POLICY_DOC = Path(__file__).resolve().parents[2] / "docs" / "policy.md"


def test_every_policy_key_is_documented() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", POLICY_DOC.read_text(), re.MULTILINE))
    assert documented == KNOWN_KEYS


def test_documented_example_is_accepted(tmp_path: Path) -> None:
    example = re.search(r"```toml\n(.*?)```", POLICY_DOC.read_text(), re.DOTALL).group(1)
    policy = tmp_path / "policy.toml"
    policy.write_text(example)
    settings = load_settings({"CLINICDESK_POLICY": str(policy)})
    assert settings.data_dir == Path("/srv/clinicdesk")
    assert settings.auto_lock_minutes == 5
    assert settings.pack_enabled("minilm-l6-v2") and not settings.pack_enabled("other-pack")
    assert settings.max_import_bytes == 200 * 1024 * 1024
