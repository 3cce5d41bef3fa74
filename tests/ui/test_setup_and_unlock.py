"""First run set-up, the recovery key shown once, unlocking and bad passphrases."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer

from desktop.core.vault import Vault
from tests.fixtures.vault import VAULT_PASSPHRASE, VAULT_USER
from tests.ui.conftest import wait_idle


def test_first_run_creates_vault_and_shows_recovery_key_once(qtbot, make_window, settings,
                                                              fast_kdf):
    window = make_window()
    assert window.stack.currentWidget() is window.setup
    wizard = window.setup
    wizard.create_button.click()
    wizard.username.setText("dr.house")
    wizard.display_name.setText("Dr Gregory House")
    wizard.passphrase.setText("short")
    wizard.confirm.setText("short")
    wizard.submit_button.click()
    assert "at least" in wizard.account_message.text()
    wizard.passphrase.setText("vicodin and lupus never")
    wizard.confirm.setText("vicodin and lupus never")
    wizard.submit_button.click()
    qtbot.waitUntil(lambda: wizard.pages.currentIndex() == 2, timeout=20_000)
    key = wizard.recovery_label.text()
    assert len(key) > 20
    assert not wizard.finish_button.isEnabled()  # must confirm the key is stored first
    wizard.stored_check.setChecked(True)
    wizard.finish_button.click()
    assert wizard.recovery_label.text() == ""  # shown once, then wiped
    assert window.workspace is not None
    assert Vault.exists(settings.vault_path)
    assert window.user_label.text() == "Signed in as Dr Gregory House"
    # The key really opens the vault.
    window.lock()
    wait_idle(qtbot, window)
    Vault.unlock_with_recovery(settings.vault_path, key).lock()


def test_unlock_with_passphrase(qtbot, make_window, vault_factory):
    vault, _key = vault_factory()
    vault.lock()
    window = make_window()
    screen = window.unlock_screen
    assert window.stack.currentWidget() is screen
    screen.username.setText(VAULT_USER)
    screen.passphrase.setText(VAULT_PASSPHRASE)
    screen.unlock_button.click()
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=10_000)
    assert screen.passphrase.text() == ""


def test_bad_passphrase_is_explained_and_delay_does_not_freeze(qtbot, make_window,
                                                               vault_factory):
    vault, _key = vault_factory()
    vault.lock()
    window = make_window()
    screen = window.unlock_screen
    screen.username.setText(VAULT_USER)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(25)
    # After three misses the vault waits before checking again; that wait is off-thread.
    for attempt in range(4):
        screen.passphrase.setText(f"wrong guess {attempt}")
        started = time.monotonic()
        before = len(ticks)
        screen.unlock_button.click()
        assert not screen.unlock_button.isEnabled()
        qtbot.waitUntil(lambda: screen.unlock_button.isEnabled(), timeout=15_000)
        elapsed = time.monotonic() - started
        assert "not correct" in screen.message.text()
        assert window.workspace is None
    timer.stop()
    assert elapsed >= 0.9, "the fourth attempt waited"
    assert len(ticks) - before >= 15, "the GUI thread kept running during the wait"


def test_empty_fields_get_a_message(qtbot, make_window, vault_factory):
    vault, _key = vault_factory()
    vault.lock()
    window = make_window()
    window.unlock_screen.unlock_button.click()
    assert "user name and passphrase" in window.unlock_screen.message.text()
