"""The library entry points: ``scan``, ``check`` and ``fix``, and their typed results."""

from __future__ import annotations

import os

from ._struct import frozen
from .bindir import Entry, scan_dir
from .errors import ShebangfixError
from .layout import (
    Venv,
    check_prefix,
    check_python,
    check_windows_prefix,
    open_venv,
)
from .plan import Change, Plan, Problem, make_plan

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .layout import PathLike

__all__ = ["CheckResult", "FixResult", "ScanResult", "check", "fix", "scan"]


@frozen
class ScanResult:
    """What ``scan`` found in a venv's bin directory."""

    venv: str
    """Absolute path of the venv."""
    entries: tuple[Entry, ...]
    """One entry per item of ``bin/``, sorted by name."""


@frozen
class CheckResult:
    """What ``check`` found wrong for a prefix."""

    venv: str
    """Absolute path of the venv."""
    prefix: str
    """The prefix the venv is checked for."""
    problems: tuple[Problem, ...]
    """Every problem, fixable or not."""
    changes: tuple[Change, ...]
    """What ``fix`` would rewrite."""
    relocatable: bool = False
    """The venv was checked for working wherever it is put, not at ``prefix`` alone."""

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


@frozen
class FixResult:
    """What ``fix`` did, and what is still wrong afterwards."""

    venv: str
    """Absolute path of the venv."""
    prefix: str
    """The prefix the venv was fixed for."""
    changes: tuple[Change, ...]
    """Files rewritten (with ``dry_run``: files that would be)."""
    problems: tuple[Problem, ...]
    """Problems that remain (with ``dry_run``: those fixing would not solve)."""
    dry_run: bool
    """Nothing was written."""
    relocatable: bool = False
    """The venv was made to work wherever it is put, not at ``prefix`` alone."""

    @property
    def ok(self) -> bool:
        """True when nothing is left wrong."""
        return not self.problems


def scan(venv: PathLike | None = None) -> ScanResult:
    """Classify every entry of the venv's ``bin/``. Reads heads only; never writes.

    Raises :class:`~shebangfix.ShebangfixError` if ``venv`` is not a usable venv.
    """
    found = open_venv(venv)
    return ScanResult(found.root, tuple(scan_dir(found.root, found.bin)))


@frozen
class _Mode:
    """How one command plans; the same for its verifying second pass."""

    relocatable: bool
    convert_relocatable: bool
    python: str | None

    def plan(self, venv: Venv, target: str, *, edits: bool = True) -> Plan:
        return make_plan(
            venv,
            target,
            relocatable=self.relocatable,
            convert_relocatable=self.convert_relocatable,
            python=self.python,
            edits=edits,
        )


def _plan(
    venv: PathLike | None,
    prefix: PathLike | None,
    relocatable: bool,
    python: PathLike | None,
    edits: bool,
) -> tuple[Venv, str, Plan, _Mode]:
    found = open_venv(venv)
    if found.windows:
        if relocatable or python is not None:
            raise ShebangfixError(f"{found.root}: --relocatable and --python are for POSIX venvs")
        target = check_windows_prefix(prefix, found)
        mode = _Mode(False, False, None)
        return found, target, mode.plan(found, target, edits=edits), mode
    target = check_prefix(prefix if prefix is not None else found.root)
    exe = check_python(python, found, target) if python is not None else None
    # A venv that says it is relocatable stays so, unless a prefix pins it down.
    flagged = found.settings.get("relocatable", "").strip().lower() == "true"
    mode = _Mode(relocatable or (flagged and prefix is None), relocatable, exe)
    return found, target, mode.plan(found, target, edits=edits), mode


def check(
    venv: PathLike | None = None,
    prefix: PathLike | None = None,
    *,
    relocatable: bool = False,
    python: PathLike | None = None,
) -> CheckResult:
    """Report everything that keeps ``venv`` from working at ``prefix``.

    ``prefix`` is the absolute path the venv will run from (default: where it is now).
    ``relocatable`` checks that the venv works wherever it is put instead; a venv whose
    ``pyvenv.cfg`` says ``relocatable = true`` is checked so unless ``prefix`` is given.
    ``python`` checks that it uses that base interpreter.
    Raises :class:`~shebangfix.ShebangfixError` for an unusable venv, prefix or python.
    """
    found, target, plan, mode = _plan(venv, prefix, relocatable, python, edits=False)
    return CheckResult(found.root, target, plan.problems, plan.changes, mode.relocatable)


def fix(
    venv: PathLike | None = None,
    prefix: PathLike | None = None,
    *,
    dry_run: bool = False,
    relocatable: bool = False,
    python: PathLike | None = None,
    sync: bool = True,
) -> FixResult:
    """Rewrite what ``check`` reports, then check again.

    ``relocatable`` makes the venv work wherever it is moved (scripts and activate scripts
    find it from their own location; ``pyvenv.cfg`` says ``relocatable = true``); a prefix
    without it makes a relocatable venv absolute again. ``python`` re-points the
    ``bin/python*`` links (or copies) and ``pyvenv.cfg``'s base interpreter keys.

    Every file is replaced atomically, keeping its mode, owner and every byte that does not
    carry the path. A file that cannot be written is reported and the others proceed. The
    new files are flushed to disk with one ``sync`` before the renames; ``sync=False`` skips
    that (a power cut may then leave a replaced file empty).
    Raises :class:`~shebangfix.ShebangfixError` for an unusable venv, prefix or python,
    before anything is written.
    """
    found, target, plan, mode = _plan(venv, prefix, relocatable, python, edits=not dry_run)
    if dry_run:
        remaining = tuple(p for p in plan.problems if not p.fixable)
        return FixResult(found.root, target, plan.changes, remaining, True, mode.relocatable)
    from . import _write  # only fix writes: check need not load it

    for directory in {os.path.dirname(edit.path) for edit in plan.edits}:
        _write.remove_stale_temps(directory)
    _write.remove_stale_temps(os.path.join(found.root, found.bin))
    releaser = _write.Releaser(len(plan.edits))
    try:
        failures = _write.apply(plan.edits, sync=sync, releaser=releaser)
        failed = {failure.edit.path for failure in failures}
        root = found.root
        applied = tuple(
            change for change, edit in zip(plan.changes, plan.edits) if edit.path not in failed
        )
        # While the replaced files are being freed (see _write), check the venv again.
        after = mode.plan(open_venv(root), target, edits=False)
    finally:
        releaser.finish()
    problems = list(after.problems)
    still_wrong = {problem.path for problem in problems}
    for failure in failures:
        rel = os.path.relpath(failure.edit.path, root).replace(os.sep, "/")
        # A file another process (or a concurrent fix) put right meanwhile is no failure.
        if rel in still_wrong:
            problems.append(Problem(rel, "write-failed", failure.reason, False))
    return FixResult(root, target, applied, tuple(problems), False, mode.relocatable)
