"""Headless entry point: ``desktop <command> ...`` for IT scripting, batch work and tests.

Each area registers its own subcommands from a small module in ``desktop/commands/``;
this file only assembles them and turns user-facing errors into clean messages.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import desktop  # noqa: F401  (forces offline mode before anything else loads)
from desktop.core.config import load_settings
from desktop.core.errors import ClinicDeskError
from desktop.core.logging_setup import configure_logging

# Modules in desktop/commands/ with a ``register(subparsers)`` function. Each sets
# ``func`` on its parsers: ``func(args) -> int`` (the exit code).
COMMAND_MODULES = ("vault", "models", "analyse", "cxr", "selftest")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="desktop", description="ClinicDesk command line")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"desktop.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"desktop.commands.{name}":
                continue  # area not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        # Logs go to the data dir and record ids only (see logging_setup).
        configure_logging(load_settings())
        return int(args.func(args) or 0)
    except ClinicDeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
