"""``python -m desktop`` / ``ClinicDesk``: start the GUI.

``--selftest`` runs the installation self-test instead; a known CLI command
(``ClinicDesk vault check``) runs headless, so the frozen app is also IT's CLI.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import desktop  # noqa: F401  (offline mode first)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--selftest":
        from desktop.cli import main as cli_main

        return cli_main(["selftest", *args[1:]])
    if args and not args[0].startswith("-"):
        from desktop.cli import main as cli_main

        return cli_main(args)
    from desktop.core.config import load_settings
    from desktop.core.errors import ClinicDeskError
    from desktop.core.logging_setup import configure_logging
    from desktop.ui.app import run_gui

    try:
        configure_logging(load_settings())
    except (ClinicDeskError, OSError):
        pass  # the GUI reports a bad policy file itself; logging is best-effort

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
