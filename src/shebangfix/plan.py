"""Decide what every path-bearing file of a venv should be for a target prefix.

One planner serves both commands: ``check`` reports the plan's problems, ``fix`` applies its
edits and plans again to verify. Nothing here writes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from . import activate, pyvenv, record, shebang
from ._write import Edit
from .layout import Venv
from .scan import Entry, link_targets, scan_dir
from .shebang import Shebang, Style

__all__ = ["PROBLEM_CODES", "Change", "Plan", "Problem", "ProblemCode", "make_plan"]

ProblemCode = Literal[
    "missing-interpreter",
    "outside-prefix",
    "too-long",
    "crlf",
    "space-in-path",
    "placeholder",
    "not-executable",
    "stale-activate",
    "stale-pyvenv-cfg",
    "stale-record",
    "unreadable",
    "write-failed",
]
PROBLEM_CODES: tuple[ProblemCode, ...] = ProblemCode.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Plan:
    """Everything the planner found for one venv and prefix."""

    venv: Venv
    prefix: str
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...]
    changes: tuple[Change, ...]
    edits: tuple[Edit, ...] = field(repr=False)


def _text(data: bytes) -> str:
    return os.fsdecode(data)


def _first_line(header: bytes) -> str:
    lines = header.rstrip(b"\n").split(b"\n")
    text = lines[1].decode("utf-8", "backslashreplace") if len(lines) == 3 else None
    return text or header.rstrip(b"\r\n").decode("utf-8", "backslashreplace")


_UV_BODY = b'if sys.argv[0].endswith("-script.pyw"):'
# Every generated console-script body strips a Windows suffix from argv[0]; a script
# without one was copied from the wheel's scripts directory (its #!python line replaced).
_LAUNCHER_MARKERS = (b"-script.pyw", b".exe")


@dataclass
class _Context:
    venv: Venv
    prefix: bytes
    known: set[bytes]
    rows: dict[str, tuple[record.Dist, record.Row]]
    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    new_content: dict[str, bytes] = field(default_factory=dict)
    _venv_dirs: dict[bytes, bool] = field(default_factory=dict)
    interpreters: dict[bytes, tuple[ProblemCode, str] | None] = field(default_factory=dict)

    def local(self, path: bytes) -> bytes:
        """Where a path under the target prefix is on this machine now (staging)."""
        if path == self.prefix:
            return os.fsencode(self.venv.root)
        if path.startswith(self.prefix.rstrip(b"/") + b"/"):
            return os.fsencode(self.venv.root) + path[len(self.prefix.rstrip(b"/")) :]
        return path

    def is_venv_prefix(self, prefix: bytes) -> bool:
        if prefix in self.known:
            return True
        if prefix not in self._venv_dirs:
            self._venv_dirs[prefix] = os.path.isfile(os.path.join(prefix, b"pyvenv.cfg"))
        return self._venv_dirs[prefix]

    def problem(self, path: str, code: ProblemCode, detail: str, fixable: bool) -> Problem:
        found = Problem(path, code, detail, fixable)
        self.problems.append(found)
        return found

    def edit(
        self,
        entry_path: str,
        st: os.stat_result | None,
        new_head: bytes,
        keep_from: int,
        found: list[Problem],
        before: str,
        after: str,
    ) -> None:
        assert st is not None
        full = os.path.join(self.venv.root, entry_path)
        self.edits.append(Edit(full, new_head, keep_from, st))
        codes = tuple(dict.fromkeys(p.code for p in found))
        self.changes.append(Change(entry_path, codes, before, after))


def _style(ctx: _Context, entry: Entry, parsed: Shebang) -> Style:
    """Which installer wrote the script, so the new header is the one it would write."""
    owner = ctx.rows.get(entry.path)
    if owner is not None:
        dist, row = owner
        if dist.installer == "uv":
            return "uv"
        if ctx.venv.creator == "virtualenv" and not row.hash:
            return "virtualenv"  # its seeder writes pip's own scripts, unhashed
        if dist.installer in ("pip", "installer") and not any(
            marker in entry.head for marker in _LAUNCHER_MARKERS
        ):
            return "direct"
        if dist.installer == "pip":
            return "distlib"
        if dist.installer:
            return "installer"
    if _UV_BODY in entry.head:
        return "uv"
    if parsed.form == "trampoline":
        if parsed.quoting == "printf":
            return "virtualenv"
        if parsed.quoting == "single":
            safe = shebang.quote(parsed.interpreter, "bare") == parsed.interpreter
            return "uv" if b" " not in parsed.interpreter and safe else "installer"
    return "distlib"


def _interpreter_problems(ctx: _Context, path: str, interpreter: bytes) -> None:
    """Problems of an interpreter that lies under the target prefix."""
    if interpreter not in ctx.interpreters:
        local = ctx.local(interpreter)
        shown = _text(interpreter)
        verdict: tuple[ProblemCode, str] | None = None
        if not os.path.exists(local):
            why = " (a dangling symlink)" if os.path.islink(local) else ""
            verdict = ("missing-interpreter", f"{shown} does not exist{why}")
        elif not os.access(local, os.X_OK) or os.path.isdir(local):
            verdict = ("not-executable", f"{shown} is not executable")
        # Every script of a venv names the same few interpreters: look each up once.
        ctx.interpreters[interpreter] = verdict
    found = ctx.interpreters[interpreter]
    if found is not None:
        ctx.problem(path, found[0], found[1], False)


def _plan_script(ctx: _Context, entry: Entry) -> None:
    parsed = entry.shebang
    assert parsed is not None
    found: list[Problem] = []
    path = entry.path
    if parsed.form == "placeholder":
        old_prefix = None
        name = b"python"
        found.append(ctx.problem(path, "placeholder", "#!python was never replaced", True))
    else:
        old_prefix = shebang.python_prefix(parsed.interpreter)
        if old_prefix is None:
            return
        name = parsed.interpreter.rsplit(b"/", 1)[1]
    target = ctx.prefix.rstrip(b"/") + b"/bin/" + name
    shown = _text(parsed.interpreter)
    if old_prefix is not None and old_prefix != ctx.prefix:
        ours = (
            ctx.is_venv_prefix(old_prefix)
            or path in ctx.rows
            or old_prefix == os.fsencode(ctx.venv.root)
        )
        if not ours:
            # Not this venv's interpreter: a script that names some other Python on purpose.
            if not os.path.exists(parsed.interpreter):
                ctx.problem(
                    path,
                    "missing-interpreter",
                    f"{shown} does not exist (not an interpreter of this venv: left alone)",
                    False,
                )
            return
        if os.path.exists(parsed.interpreter):
            detail = f"{shown} is not under {_text(ctx.prefix)}"
            found.append(ctx.problem(path, "outside-prefix", detail, True))
        else:
            found.append(ctx.problem(path, "missing-interpreter", f"{shown} does not exist", True))
    if parsed.crlf:
        found.append(ctx.problem(path, "crlf", "the #! line ends in CRLF", True))
    if parsed.form == "plain" and (b" " in parsed.interpreter or parsed.quoting == "double"):
        detail = f"the kernel cuts {shown!r} at the space"
        found.append(ctx.problem(path, "space-in-path", detail, True))
    if parsed.form == "plain" and parsed.line_length >= shebang.KERNEL_LINE_LIMIT:
        detail = f"the #! line has {parsed.line_length} bytes; Linux reads 255"
        found.append(ctx.problem(path, "too-long", detail, True))
    if found and not entry.executable:
        ctx.problem(path, "not-executable", "the script has no execute permission", False)
    _interpreter_problems(ctx, path, target)
    if not found:
        return
    old_header = shebang.render(parsed)
    new_header = shebang.render_for(target, parsed.args, _style(ctx, entry, parsed))
    ctx.edit(
        path,
        entry.stat,
        new_header,
        len(old_header),
        found,
        _first_line(old_header),
        _first_line(new_header),
    )
    if entry.complete:
        ctx.new_content[path] = new_header + entry.head[len(old_header) :]


def _plan_activate(ctx: _Context, entry: Entry) -> None:
    if not entry.complete:
        return
    content = entry.head
    shlex_quoted = ctx.venv.creator == "venv" or (
        ctx.venv.creator == "virtualenv" and entry.path.endswith("/activate")
    )
    new = activate.rewrite_paths(content, ctx.known, ctx.prefix, shlex_quoted=shlex_quoted)
    old_values = activate.embedded_prefixes(content) - {ctx.prefix}
    # venv bakes the directory name in as the prompt, and so does virtualenv's csh script.
    if ctx.venv.creator != "uv" and "prompt" not in ctx.venv.settings:
        new_name = os.path.basename(ctx.prefix)
        for old in old_values:
            new = activate.rename_prompt(new, os.path.basename(old), new_name)
    if new == content:
        return
    olds = ", ".join(sorted(_text(p) for p in old_values)) or "an old path"
    found = [ctx.problem(entry.path, "stale-activate", f"sets VIRTUAL_ENV to {olds}", True)]
    ctx.edit(entry.path, entry.stat, new, len(content), found, olds, _text(ctx.prefix))
    ctx.new_content[entry.path] = new


def _plan_config(ctx: _Context) -> None:
    content = ctx.venv.config
    new = pyvenv.rewrite_command(content, ctx.known, ctx.prefix)
    if new == content:
        return
    old = pyvenv.command_prefix(content) or b""
    path = "pyvenv.cfg"
    found = [ctx.problem(path, "stale-pyvenv-cfg", f"command names {_text(old)}", True)]
    st = os.lstat(os.path.join(ctx.venv.root, path))
    ctx.edit(path, st, new, len(content), found, _text(old), _text(ctx.prefix))


def _final_content(ctx: _Context, entry: Entry) -> bytes | None:
    if entry.path in ctx.new_content:
        return ctx.new_content[entry.path]
    return entry.head if entry.complete else None


def _plan_records(ctx: _Context, entries: dict[str, Entry]) -> None:
    by_record: dict[str, tuple[record.Dist, dict[int, tuple[str, int]], list[str]]] = {}
    for path, (dist, row) in ctx.rows.items():
        entry = entries.get(path)
        if not row.algorithm or entry is None or entry.kind in ("symlink", "special"):
            continue
        content = _final_content(ctx, entry)
        if content is None:
            continue
        try:
            expected = record.digest(content, row.algorithm)
        except ValueError:
            continue  # an algorithm hashlib does not know
        if expected == row.hash and row.size == str(len(content)):
            continue
        _, updates, paths = by_record.setdefault(dist.record, (dist, {}, []))
        updates[row.index] = (expected, len(content))
        paths.append(path)
    for record_path, (dist, updates, paths) in sorted(by_record.items()):
        rel = os.path.relpath(record_path, ctx.venv.root).replace(os.sep, "/")
        detail = "hash of " + ", ".join(sorted(paths)) + " does not match"
        found = [ctx.problem(rel, "stale-record", detail, True)]
        new = record.rewrite(dist.content, updates)
        try:
            st = os.lstat(record_path)
        except OSError:
            continue
        rows = f"{len(updates)} row" + ("s" if len(updates) > 1 else "")
        ctx.edit(rel, st, new, len(dist.content), found, rows, "rehashed")


def _learn_prefixes(venv: Venv, entries: list[Entry], rows: Mapping[str, object]) -> set[bytes]:
    """Paths the venv has lived at, from what it says itself (never from the first script)."""
    known = {os.fsencode(venv.root)}
    command = pyvenv.command_prefix(venv.config)
    if command:
        known.add(command)
    for entry in entries:
        if entry.kind == "activate" and entry.complete:
            known |= activate.embedded_prefixes(entry.head)
        elif entry.path in rows and entry.shebang is not None:
            # An installer wrote this script with the venv's own interpreter.
            prefix = shebang.python_prefix(entry.shebang.interpreter)
            if prefix is not None:
                known.add(prefix)
    return known


def _unreadable(ctx: _Context, entries: list[Entry]) -> Iterator[Entry]:
    for entry in entries:
        if entry.kind == "unreadable":
            ctx.problem(entry.path, "unreadable", entry.detail, False)
        else:
            yield entry


def make_plan(venv: Venv, prefix: str) -> Plan:
    """Scan ``venv`` and plan every change that makes it right for ``prefix``."""
    entries = scan_dir(venv.root, venv.bin)
    entries += link_targets(venv.root, venv.bin, entries)
    dists = record.load_dists(venv.root, venv.site_packages, venv.bin)
    rows = {path: (dist, row) for dist in dists for path, row in dist.rows.items()}
    target = os.fsencode(prefix)
    known = _learn_prefixes(venv, entries, rows)
    ctx = _Context(venv, target, known, rows)
    for entry in _unreadable(ctx, entries):
        if entry.kind in ("script", "trampoline", "placeholder"):
            _plan_script(ctx, entry)
        elif entry.kind == "activate":
            _plan_activate(ctx, entry)
    _plan_config(ctx)
    _plan_records(ctx, {e.path: e for e in entries})
    return Plan(
        venv,
        prefix,
        tuple(entries),
        tuple(ctx.problems),
        tuple(ctx.changes),
        tuple(ctx.edits),
    )
