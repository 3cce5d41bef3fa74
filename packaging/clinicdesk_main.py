"""Entry script of the frozen app (PyInstaller needs a file, not ``-m desktop``)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # no-op unless a library spawns worker processes
    from desktop.__main__ import main

    sys.exit(main())
