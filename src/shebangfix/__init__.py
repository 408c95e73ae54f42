"""Check and repair interpreter paths in relocated Python virtual environments.

>>> import shebangfix
>>> result = shebangfix.fix("/build/.venv", prefix="/opt/venv")  # doctest: +SKIP
>>> result.ok  # doctest: +SKIP
True
"""

from __future__ import annotations

from .api import CheckResult, FixResult, ScanResult, check, fix, scan
from .errors import ShebangfixError
from .plan import PROBLEM_CODES, Change, Problem, ProblemCode
from .scan import Entry, EntryKind
from .shebang import Shebang

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
