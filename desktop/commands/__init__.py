"""CLI subcommands, one module per area (see desktop/cli.py)."""
