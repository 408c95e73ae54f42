"""Run the command line as ``python -m shebangfix``."""

import gc

# Before the imports too: see main.
gc.disable()

from .cli import main  # noqa: E402

raise SystemExit(main(prog="python -m shebangfix"))
