"""The whole-visit test drives the real window with the GUI fixtures from tests/ui."""

from tests.ui.conftest import make_window, settings, workspace_window  # noqa: F401
