"""What the planner reports: problems with stable codes, and the changes that repair them."""

from __future__ import annotations

from ._struct import frozen

__all__ = ["PROBLEM_CODES", "Change", "Problem", "ProblemCode"]

TYPE_CHECKING = False  # typing is not imported at run time: it would double start-up
if TYPE_CHECKING:
    from typing import Literal

    ProblemCode = Literal[
        "missing-interpreter",
        "outside-prefix",
        "too-long",
        "crlf",
        "space-in-path",
        "placeholder",
        "not-executable",
        "not-relocatable",
        "not-absolute",
        "stale-activate",
        "stale-pyvenv-cfg",
        "stale-record",
        "dangling-python-link",
        "missing-base-interpreter",
        "version-mismatch",
        "other-base-interpreter",
        "launcher-too-small",
        "unreadable",
        "write-failed",
    ]

#: Every problem code, in the order the README documents them.
PROBLEM_CODES: tuple[ProblemCode, ...] = (
    "missing-interpreter",
    "outside-prefix",
    "too-long",
    "crlf",
    "space-in-path",
    "placeholder",
    "not-executable",
    "not-relocatable",
    "not-absolute",
    "stale-activate",
    "stale-pyvenv-cfg",
    "stale-record",
    "dangling-python-link",
    "missing-base-interpreter",
    "version-mismatch",
    "other-base-interpreter",
    "launcher-too-small",
    "unreadable",
    "write-failed",
)


def __getattr__(name: str) -> object:
    # ``ProblemCode`` for code that inspects it at run time, built on first use.
    if name == "ProblemCode":
        from typing import Literal

        return Literal[PROBLEM_CODES]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@frozen
class Problem:
    """Something wrong with one file."""

    path: str
    """Path relative to the venv root."""
    code: ProblemCode
    """Stable identifier of the kind of problem."""
    detail: str
    """What is wrong, naming the paths involved."""
    fixable: bool
    """Whether ``fix`` repairs it."""


@frozen
class Change:
    """A file that ``fix`` rewrites (or, under check and ``--dry-run``, would rewrite)."""

    path: str
    """Path relative to the venv root."""
    codes: tuple[ProblemCode, ...]
    """The problems the rewrite repairs."""
    before: str
    """The old path-bearing text, in short."""
    after: str
    """The new path-bearing text, in short."""
