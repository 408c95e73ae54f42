"""Decide what every path-bearing file of a venv should be for a target prefix.

One planner serves both commands: ``check`` reports the plan's problems, ``fix`` applies its
edits and plans again to verify. Nothing here writes.
"""

from __future__ import annotations

import os

from . import activate, pyvenv, record, shebang
from ._context import Context
from ._struct import field, frozen
from .bindir import Entry, link_targets, scan_dir
from .layout import Venv
from .plan_files import plan_activate, plan_base, plan_config, plan_records
from .plan_scripts import is_generated_launcher, plan_launcher, plan_script
from .problems import PROBLEM_CODES, Change, Edit, Problem

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = ["PROBLEM_CODES", "Change", "Plan", "Problem", "make_plan"]


@frozen
class Plan:
    """Everything the planner found for one venv and prefix."""

    venv: Venv
    prefix: str
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...]
    changes: tuple[Change, ...]
    edits: tuple[Edit, ...] = field(repr=False)


def _learn_prefixes(venv: Venv, entries: list[Entry], rows: Mapping[str, object]) -> set[bytes]:
    """Paths the venv has lived at, from what it says itself (never from the first script)."""
    known = {os.fsencode(venv.root)}
    command = pyvenv.command_prefix(venv.config)
    if command:
        known.add(command)
    learned: set[bytes] = set()
    for entry in entries:
        if entry.kind == "activate" and entry.complete:
            known |= activate.embedded_prefixes(entry.head)
        elif (
            entry.shebang is not None
            and entry.shebang.interpreter not in learned
            and entry.path in rows
            and is_generated_launcher(entry)
        ):
            # An installer generated this script with the venv's own interpreter.
            learned.add(entry.shebang.interpreter)
            prefix = shebang.python_prefix(entry.shebang.interpreter)
            if prefix is not None:
                known.add(prefix)
    # A path as short as "/" would match quoting debris ("/" in csh scripts), not a venv.
    return {path for path in known if len(path.rstrip(b"/\\")) > 0}


def _unreadable(ctx: Context, entries: list[Entry]) -> Iterator[Entry]:
    for entry in entries:
        if entry.kind == "unreadable":
            ctx.problem(entry.path, "unreadable", entry.detail, False)
        else:
            yield entry


def make_plan(
    venv: Venv,
    prefix: str,
    *,
    relocatable: bool = False,
    convert_relocatable: bool = False,
    python: str | None = None,
    edits: bool = True,
) -> Plan:
    """Scan ``venv`` and plan every change that makes it right for ``prefix``.

    ``relocatable`` plans a location-independent venv instead (``convert_relocatable``:
    uv's relocatable scripts too); ``python`` re-points the base interpreter. Without
    ``edits``, only problems and changes are planned (for reporting), no writes.
    """
    entries = scan_dir(venv.root, venv.bin)
    entries += link_targets(venv.root, venv.bin, entries)
    dists = record.load_dists(venv.root, venv.site_packages, venv.bin)
    rows = {path: (dist, row) for dist in dists for path, row in dist.rows.items()}
    target = os.fsencode(prefix)
    known = _learn_prefixes(venv, entries, rows)
    ctx = Context(venv, target, known, rows, relocatable, convert_relocatable, python, edits)
    for entry in _unreadable(ctx, entries):
        if entry.kind in ("script", "trampoline", "placeholder", "relocatable"):
            plan_script(ctx, entry)
        elif entry.kind == "launcher" and venv.windows:
            plan_launcher(ctx, entry)
        elif entry.kind == "activate":
            plan_activate(ctx, entry)
    if not venv.windows:
        # A Windows base interpreter cannot be looked at from here.
        plan_base(ctx, entries)
    plan_config(ctx)
    plan_records(ctx, {e.path: e for e in entries})
    return Plan(
        venv,
        prefix,
        tuple(entries),
        tuple(ctx.problems),
        tuple(ctx.changes),
        tuple(ctx.edits),
    )
