from pathlib import Path

import pytest

from desktop.core.config import load_settings
from desktop.core.errors import ClinicDeskError


def test_policy_file_sets_it_values(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        f'data_dir = "{tmp_path / "d"}"\nauto_lock_minutes = 3\nenabled_packs = ["smollm2"]\n'
    )
    settings = load_settings({"CLINICDESK_POLICY": str(policy)})
    assert settings.data_dir == tmp_path / "d"
    assert settings.auto_lock_minutes == 3
    assert settings.pack_enabled("smollm2") and not settings.pack_enabled("other")
    assert settings.vault_path.parent == tmp_path / "d"


def test_env_data_dir_overrides_policy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('data_dir = "/nowhere"\n')
    settings = load_settings(
        {"CLINICDESK_POLICY": str(policy), "CLINICDESK_DATA_DIR": str(tmp_path / "x")}
    )
    assert settings.data_dir == tmp_path / "x"


@pytest.mark.parametrize("text", ["auto_lock_minutes = 'soon'\n", "colour = 'blue'\n", "= broken"])
def test_bad_policy_is_a_clear_error(tmp_path: Path, text: str) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(text)
    with pytest.raises(ClinicDeskError, match="policy file"):
        load_settings({"CLINICDESK_POLICY": str(policy)})
