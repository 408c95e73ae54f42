"""What the planner finds: problems with stable codes, the changes that repair them, and the
edits that write those changes."""

from __future__ import annotations

from ._struct import frozen

__all__ = ["PROBLEM_CODES", "Change", "Edit", "Problem", "ProblemCode"]

TYPE_CHECKING = False  # typing is not imported at run time: it would double start-up
if TYPE_CHECKING:
    import os
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


@frozen
class Edit:
    """Replace the first ``keep_from`` bytes of a file with ``new_head``."""

    path: str
    """Absolute path of the file."""
    new_head: bytes
    """Bytes that replace the head."""
    keep_from: int
    """Offset of the first byte kept from the original."""
    expect: os.stat_result
    """``lstat`` of the file when it was planned; a file that differs is left alone."""
    link: str | None = None
    """Replace the entry with a symlink to this target instead (the head is unused)."""
    source: str | None = None
    """Copy the tail from this file instead of from the original."""
