"""What each script's interpreter reference should be for the target, and why it is not."""

from __future__ import annotations

import os

from . import shebang
from ._context import Context, text
from .bindir import Entry
from .problems import Problem
from .shebang import Shebang

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .problems import ProblemCode
    from .shebang import Style

__all__ = ["is_generated_launcher", "plan_launcher", "plan_script"]

_UV_BODY = b'if sys.argv[0].endswith("-script.pyw"):'
# Every generated console-script body strips a Windows suffix from argv[0]; a script
# without one was copied from the wheel's scripts directory (its #!python line replaced).
_LAUNCHER_MARKERS = (b"-script.pyw", b".exe")


def is_generated_launcher(entry: Entry) -> bool:
    """A console script an installer generated: it always names the venv's own python."""
    return entry.path.count("/") == 1 and _has_launcher_marker(entry.head)


def _has_launcher_marker(head: bytes) -> bool:
    return _LAUNCHER_MARKERS[0] in head or _LAUNCHER_MARKERS[1] in head


def _summary(header: bytes) -> str:
    lines = header.rstrip(b"\n").split(b"\n")
    if len(lines) == 3:
        return lines[1].decode("utf-8", "backslashreplace")
    return header.rstrip(b"\r\n").decode("utf-8", "backslashreplace")


def _style(ctx: Context, entry: Entry, parsed: Shebang) -> Style:
    """Which installer wrote the script, so the new header is the one it would write."""
    owner = ctx.rows.get(entry.path)
    if owner is not None:
        dist, row = owner
        if dist.installer == "uv":
            return "uv"
        if ctx.venv.creator == "virtualenv" and not row.hash:
            # Its seeder writes pip's own scripts, unhashed; before 20.26.6 it quoted a
            # spaced path as distlib does.
            return "virtualenv" if ctx.virtualenv_version >= (20, 26, 6) else "distlib"
        if dist.installer in ("pip", "installer") and not _has_launcher_marker(entry.head):
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


# A script's verdict: its problems as (code, detail, fixable, repaired by the rewrite), in
# order, and the header to write (None: leave the script alone).
_Spec = tuple["ProblemCode", str, bool, bool]
# The new header, the length of the old one, and both in short for the report.
_Rewrite = tuple[bytes, int, str, str]
_Verdict = tuple[list[_Spec], "_Rewrite | None"]


def _interpreter_problems(ctx: Context, interpreter: bytes, specs: list[_Spec]) -> None:
    """Problems of an interpreter that lies under the target prefix."""
    if interpreter not in ctx.interpreters:
        local = ctx.local(interpreter)
        shown = text(interpreter)
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
        specs.append((found[0], found[1], False, False))


def _ours(ctx: Context, entry: Entry, prefix: bytes) -> bool:
    """Whether ``prefix`` is where this venv lived (rather than some other Python)."""
    # Being listed in a RECORD is not enough: a wheel may ship a script for /usr/bin/python3
    # on purpose, and installers copy it as it is.
    return (
        prefix == ctx.prefix
        or ctx.is_venv_prefix(prefix)
        or (entry.path in ctx.rows and is_generated_launcher(entry))
        or prefix == os.fsencode(ctx.venv.root)
    )


def _write(ctx: Context, entry: Entry, rewrite: _Rewrite, found: list[Problem]) -> None:
    new, old_length, before, after = rewrite
    head, keep_from = new, old_length
    if entry.complete:
        # The whole file was read: hand the writer all of it, so it need not read again.
        head, keep_from = new + entry.head[old_length:], entry.size
        ctx.new_content[entry.path] = head
    ctx.edit(entry.path, entry.stat, head, keep_from, found, before, after)


def _rewrite(parsed: Shebang, new: bytes) -> _Rewrite:
    old = shebang.render(parsed)
    return new, len(old), _summary(old), _summary(new)


def _judge_relocatable(ctx: Context, entry: Entry, parsed: Shebang) -> _Verdict:
    """Relocatable mode: every script finds ``python`` beside itself."""
    if parsed.form == "relocatable":
        if parsed.quoting == "double" or not ctx.convert_relocatable:
            local = os.path.join(ctx.venv.root, ctx.venv.bin, os.fsdecode(parsed.interpreter))
            if not os.path.exists(local):
                shown = f"{ctx.venv.bin}/{os.fsdecode(parsed.interpreter)}"
                return [("missing-interpreter", f"{shown} does not exist", False, False)], None
            return [], None
        name = parsed.interpreter
        detail = "uv's relocatable form needs realpath; rewritten in portable sh"
    elif parsed.form == "placeholder":
        name, detail = b"python", "#!python was never replaced"
    else:
        prefix = shebang.python_prefix(parsed.interpreter)
        if prefix is None or not _ours(ctx, entry, prefix):
            return [], None
        name = parsed.interpreter.rsplit(b"/", 1)[1]
        detail = f"names {text(parsed.interpreter)}; the venv is relocatable"
    return [("not-relocatable", detail, True, True)], _rewrite(
        parsed, shebang.render_relocatable(name)
    )


def _judge(ctx: Context, entry: Entry, parsed: Shebang) -> _Verdict:
    """What is wrong with one script's interpreter reference, and the header that fixes it."""
    if ctx.relocatable:
        return _judge_relocatable(ctx, entry, parsed)
    specs: list[_Spec] = []
    old_prefix = None
    if parsed.form == "placeholder":
        name = b"python"
        specs.append(("placeholder", "#!python was never replaced", True, True))
    elif parsed.form == "relocatable":
        name = parsed.interpreter
        detail = f"finds its interpreter at run time; the venv is fixed for {text(ctx.prefix)}"
        specs.append(("not-absolute", detail, True, True))
    else:
        old_prefix = shebang.python_prefix(parsed.interpreter)
        if old_prefix is None:
            return specs, None
        name = parsed.interpreter.rsplit(b"/", 1)[1]
    target = ctx.prefix.rstrip(b"/") + b"/bin/" + name
    shown = text(parsed.interpreter)
    if old_prefix is not None and old_prefix != ctx.prefix:
        if not _ours(ctx, entry, old_prefix):
            # Not this venv's interpreter: a script that names some other Python on purpose.
            if not os.path.exists(parsed.interpreter):
                detail = f"{shown} does not exist (not an interpreter of this venv: left alone)"
                specs.append(("missing-interpreter", detail, False, False))
            return specs, None
        if os.path.exists(parsed.interpreter):
            detail = f"{shown} is not under {text(ctx.prefix)}"
            specs.append(("outside-prefix", detail, True, True))
        else:
            specs.append(("missing-interpreter", f"{shown} does not exist", True, True))
    if parsed.crlf:
        specs.append(("crlf", "the #! line ends in CRLF", True, True))
    if parsed.form == "plain" and (b" " in parsed.interpreter or parsed.quoting == "double"):
        detail = f"the kernel cuts {shown!r} at the space"
        specs.append(("space-in-path", detail, True, True))
    if parsed.form == "plain" and parsed.line_length >= shebang.KERNEL_LINE_LIMIT:
        detail = f"the #! line has {parsed.line_length} bytes; Linux reads 255"
        specs.append(("too-long", detail, True, True))
    repairs = bool(specs)
    if repairs and not entry.executable:
        specs.append(("not-executable", "the script has no execute permission", False, False))
    _interpreter_problems(ctx, target, specs)
    if not repairs:
        return specs, None
    new = shebang.render_for(target, parsed.args, _style(ctx, entry, parsed))
    return specs, _rewrite(parsed, new)


def plan_script(ctx: Context, entry: Entry) -> None:
    """Plan one script: report what is wrong with its interpreter reference, plan the fix."""
    parsed = entry.shebang
    assert parsed is not None
    owner = ctx.rows.get(entry.path)
    # Everything the verdict depends on besides the venv itself: scripts that agree on all
    # of it (most of a venv's, which differ only in their bodies) are judged once.
    key = (
        id(parsed),  # the scanner hands every script with the same header the same object
        entry.executable,
        entry.path.count("/") == 1,
        owner and (owner[0].installer, bool(owner[1].hash)),
        _has_launcher_marker(entry.head),
        _UV_BODY in entry.head,
    )
    verdict = ctx.verdicts.get(key)
    if verdict is None:
        verdict = ctx.verdicts[key] = _judge(ctx, entry, parsed)
    specs, rewrite = verdict
    found = []
    for code, detail, fixable, repaired in specs:
        problem = ctx.problem(entry.path, code, detail, fixable)
        if repaired:
            found.append(problem)
    if rewrite is not None:
        _write(ctx, entry, rewrite, found)


def plan_launcher(ctx: Context, entry: Entry) -> None:
    """Plan one Windows ``.exe`` launcher of a Windows venv."""
    from . import windows  # Windows venvs only

    launcher = entry.launcher
    assert launcher is not None
    old_prefix = windows.windows_prefix(launcher.interpreter)
    if old_prefix is None:
        return  # names some other Python, on purpose
    name = launcher.interpreter.rsplit(b"\\", 1)[1]
    target = ctx.prefix.rstrip(b"\\") + b"\\Scripts\\" + name
    owner = ctx.rows.get(entry.path)
    # distlib quotes a path with a space on Windows; installer writes it as it is.
    quote = b" " in target and not (owner is not None and owner[0].installer == "installer")
    if launcher.kind != "distlib":
        quote = False
    if launcher.interpreter == target and launcher.quoted == quote:
        return
    shown = text(launcher.interpreter)
    if old_prefix.lower() == ctx.prefix.lower():
        detail = f"{shown} should be spelled {text(target)}"
    else:
        detail = f"{shown} is not under {text(ctx.prefix)}"
    try:
        new = windows.rewrite_launcher(entry.head, launcher, target, quote=quote)
    except windows.LauncherError as exc:
        ctx.problem(entry.path, "launcher-too-small", str(exc), False)
        return
    found = [ctx.problem(entry.path, "outside-prefix", detail, True)]
    ctx.edit(entry.path, entry.stat, new, entry.size, found, shown, text(target))
    ctx.new_content[entry.path] = new
