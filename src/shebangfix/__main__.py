"""Run the command line as ``python -m shebangfix``."""

from .cli import main

raise SystemExit(main(prog="python -m shebangfix"))
