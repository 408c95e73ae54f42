"""Check and repair interpreter paths in relocated Python virtual environments.

>>> import shebangfix
>>> result = shebangfix.fix("/build/.venv", prefix="/opt/venv")  # doctest: +SKIP
>>> result.ok  # doctest: +SKIP
True
"""

from __future__ import annotations

# Not typing.TYPE_CHECKING: importing typing alone would double the start-up time of --help.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .api import CheckResult, FixResult, ScanResult, check, fix, scan
    from .bindir import Entry, EntryKind
    from .errors import ShebangfixError
    from .problems import PROBLEM_CODES, Change, Problem, ProblemCode
    from .shebang import Shebang

# Where each public name lives. They are imported on first use, so that the command line
# starts without loading what the command at hand does not need.
_HOMES = {
    "CheckResult": "api",
    "FixResult": "api",
    "ScanResult": "api",
    "check": "api",
    "fix": "api",
    "scan": "api",
    "ShebangfixError": "errors",
    "PROBLEM_CODES": "problems",
    "Change": "problems",
    "Problem": "problems",
    "ProblemCode": "problems",
    "Entry": "bindir",
    "EntryKind": "bindir",
    "Shebang": "shebang",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "PROBLEM_CODES",
    "Change",
    "CheckResult",
    "Entry",
    "EntryKind",
    "FixResult",
    "Problem",
    "ProblemCode",
    "ScanResult",
    "Shebang",
    "ShebangfixError",
    "__version__",
    "check",
    "fix",
    "scan",
]

__version__ = "0.1.0"
