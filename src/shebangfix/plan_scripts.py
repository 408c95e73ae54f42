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
    return entry.path.count("/") == 1 and any(m in entry.head for m in _LAUNCHER_MARKERS)


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


def _interpreter_problems(ctx: Context, path: str, interpreter: bytes) -> None:
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
        ctx.problem(path, found[0], found[1], False)


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


def _write(ctx: Context, entry: Entry, parsed: Shebang, new: bytes, found: list[Problem]) -> None:
    old = shebang.render(parsed)
    head, keep_from = new, len(old)
    if entry.complete:
        # The whole file was read: hand the writer all of it, so it need not read again.
        head, keep_from = new + entry.head[len(old) :], entry.size
        ctx.new_content[entry.path] = head
    ctx.edit(entry.path, entry.stat, head, keep_from, found, _summary(old), _summary(new))


def _plan_relocatable(ctx: Context, entry: Entry, parsed: Shebang) -> None:
    """Relocatable mode: every script finds ``python`` beside itself."""
    path = entry.path
    if parsed.form == "relocatable":
        if parsed.quoting == "double" or not ctx.convert_relocatable:
            local = os.path.join(ctx.venv.root, ctx.venv.bin, os.fsdecode(parsed.interpreter))
            if not os.path.exists(local):
                shown = f"{ctx.venv.bin}/{os.fsdecode(parsed.interpreter)}"
                ctx.problem(path, "missing-interpreter", f"{shown} does not exist", False)
            return
        name = parsed.interpreter
        detail = "uv's relocatable form needs realpath; rewritten in portable sh"
    elif parsed.form == "placeholder":
        name, detail = b"python", "#!python was never replaced"
    else:
        prefix = shebang.python_prefix(parsed.interpreter)
        if prefix is None or not _ours(ctx, entry, prefix):
            return
        name = parsed.interpreter.rsplit(b"/", 1)[1]
        detail = f"names {text(parsed.interpreter)}; the venv is relocatable"
    found = [ctx.problem(path, "not-relocatable", detail, True)]
    _write(ctx, entry, parsed, shebang.render_relocatable(name), found)


def plan_script(ctx: Context, entry: Entry) -> None:
    """Plan one script: report what is wrong with its interpreter reference, plan the fix."""
    parsed = entry.shebang
    assert parsed is not None
    if ctx.relocatable:
        _plan_relocatable(ctx, entry, parsed)
        return
    found: list[Problem] = []
    path = entry.path
    old_prefix = None
    if parsed.form == "placeholder":
        name = b"python"
        found.append(ctx.problem(path, "placeholder", "#!python was never replaced", True))
    elif parsed.form == "relocatable":
        name = parsed.interpreter
        detail = f"finds its interpreter at run time; the venv is fixed for {text(ctx.prefix)}"
        found.append(ctx.problem(path, "not-absolute", detail, True))
    else:
        old_prefix = shebang.python_prefix(parsed.interpreter)
        if old_prefix is None:
            return
        name = parsed.interpreter.rsplit(b"/", 1)[1]
    target = ctx.prefix.rstrip(b"/") + b"/bin/" + name
    shown = text(parsed.interpreter)
    if old_prefix is not None and old_prefix != ctx.prefix:
        if not _ours(ctx, entry, old_prefix):
            # Not this venv's interpreter: a script that names some other Python on purpose.
            if not os.path.exists(parsed.interpreter):
                detail = f"{shown} does not exist (not an interpreter of this venv: left alone)"
                ctx.problem(path, "missing-interpreter", detail, False)
            return
        if os.path.exists(parsed.interpreter):
            detail = f"{shown} is not under {text(ctx.prefix)}"
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
    if found:
        new = shebang.render_for(target, parsed.args, _style(ctx, entry, parsed))
        _write(ctx, entry, parsed, new, found)


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
