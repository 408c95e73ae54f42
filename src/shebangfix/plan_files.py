"""Plans for the venv's other path-bearing files: activate scripts, ``pyvenv.cfg``, the
``bin/python*`` links to the base interpreter, and the ``RECORD`` rows of rewritten files."""

from __future__ import annotations

import os

from . import activate, pyvenv, record, relocate
from ._context import Context, text
from .bindir import Entry
from .layout import python_version, venv_versions
from .problems import Problem

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from .problems import ProblemCode

__all__ = ["plan_activate", "plan_base", "plan_config", "plan_records"]


def _is_python_link(name: str) -> bool:
    """``python``, ``pythonX`` or ``pythonX.Y``: the names venv gives its interpreter."""
    if not name.startswith("python"):
        return False
    major, dot, minor = name[len("python") :].partition(".")
    if not major:
        return not dot
    return (
        major.isascii() and major.isdigit() and (not dot or (minor.isascii() and minor.isdigit()))
    )


def _same_bytes(a: str, b: str) -> bool:
    import filecmp  # only for venvs made with --copies, re-pointed with --python

    return filecmp.cmp(a, b, shallow=False)


def _basename(path: bytes) -> bytes:
    """The last name of a POSIX or Windows path."""
    return path.rstrip(b"/\\").replace(b"\\", b"/").rsplit(b"/", 1)[-1]


def _shlex_quoted(ctx: Context, entry: Entry) -> bool:
    """Whether the file's creator quotes the path with ``shlex.quote`` (bare when safe)."""
    if ctx.venv.creator == "venv":
        return True
    # virtualenv switched its sh script from '…' to shlex.quote in 20.26.6.
    return (
        ctx.venv.creator == "virtualenv"
        and entry.path.endswith("/activate")
        and ctx.virtualenv_version >= (20, 26, 6)
    )


def plan_activate(ctx: Context, entry: Entry) -> None:
    """Point an activate script at the prefix, or make it find the venv by itself."""
    if not entry.complete:
        return
    content = entry.head
    name = os.path.basename(entry.path)
    # venv bakes the directory name in as the prompt, and so does virtualenv's csh script.
    renames_prompt = ctx.venv.creator != "uv" and "prompt" not in ctx.venv.settings
    new_name = _basename(ctx.prefix)
    if relocate.is_relocatable(content):
        if ctx.relocatable:
            return
        new = relocate.make_absolute(content, ctx.prefix, rename=renames_prompt)
        detail = f"finds the venv at run time; the venv is fixed for {text(ctx.prefix)}"
        before = "relocatable"
    else:
        shlex_quoted = _shlex_quoted(ctx, entry)
        new = activate.rewrite_paths(content, ctx.known, ctx.prefix, shlex_quoted=shlex_quoted)
        if not ctx.relocatable:
            new = relocate.replace_foreign(new, ctx.prefix)
        old_values = activate.embedded_prefixes(content) - {ctx.prefix}
        if renames_prompt:
            for old in old_values:
                new = activate.rename_prompt(new, _basename(old), new_name)
        before = ", ".join(sorted(text(p) for p in old_values)) or "an old path"
        detail = f"sets VIRTUAL_ENV to {before}"
        if ctx.relocatable and relocate.supported(name):
            relocatable = relocate.make_relocatable(
                new,
                name,
                {ctx.prefix},
                new_name,
                shlex_quoted=shlex_quoted,
                convert=ctx.convert_relocatable,
            )
            if relocatable != new:
                new = relocatable
                detail = f"embeds {text(ctx.prefix)}; the venv is relocatable"
    if new == content:
        return
    found = [ctx.problem(entry.path, "stale-activate", detail, True)]
    after = "relocatable" if relocate.is_relocatable(new) else text(ctx.prefix)
    ctx.edit(entry.path, entry.stat, new, len(content), found, before, after)
    ctx.new_content[entry.path] = new


def _base_keys(exe: str) -> dict[str, bytes]:
    """The pyvenv.cfg keys that name the base interpreter, as venv and virtualenv write them."""
    real = os.path.realpath(exe)
    base_prefix = os.path.dirname(os.path.dirname(real))
    return {
        "home": os.fsencode(os.path.dirname(exe)),
        "executable": os.fsencode(real),
        "base-prefix": os.fsencode(base_prefix),
        "base-exec-prefix": os.fsencode(base_prefix),
        "base-executable": os.fsencode(real),
    }


def plan_config(ctx: Context) -> None:
    """``command``'s directory, the ``relocatable`` flag and the base interpreter keys."""
    content = ctx.venv.config
    found: list[Problem] = []
    path = "pyvenv.cfg"
    # A relocatable venv has no one place: command keeps whatever it said.
    new = content if ctx.relocatable else pyvenv.rewrite_command(content, ctx.known, ctx.prefix)
    before = after = ""
    if new != content:
        old = text(pyvenv.command_prefix(content) or b"")
        before, after = old, text(ctx.prefix)
        found.append(ctx.problem(path, "stale-pyvenv-cfg", f"command names {old}", True))
    flag = ctx.venv.settings.get("relocatable", "").strip().lower()
    if ctx.relocatable and flag != "true":
        new = pyvenv.set_value(new, "relocatable", b"true", add=True)
        detail = "does not say relocatable = true"
        found.append(ctx.problem(path, "stale-pyvenv-cfg", detail, True))
        before, after = before or "absolute", "relocatable"
    elif not ctx.relocatable and flag:
        new = pyvenv.remove_key(new, "relocatable")
        detail = f"says relocatable; the venv is fixed for {text(ctx.prefix)}"
        found.append(ctx.problem(path, "stale-pyvenv-cfg", detail, True))
        before, after = before or "relocatable", after or text(ctx.prefix)
    if ctx.python is not None:
        wanted = _base_keys(ctx.python)
        for key, value in wanted.items():
            current = ctx.venv.settings.get(key)
            if current is not None and os.fsencode(current) != value:
                new = pyvenv.set_value(new, key, value)
                detail = f"{key} = {current}, not {text(value)}"
                found.append(ctx.problem(path, "other-base-interpreter", detail, True))
                before, after = before or current, after or text(value)
    if new == content:
        return
    st = os.lstat(os.path.join(ctx.venv.root, path))
    ctx.edit(path, st, new, len(content), found, before, after)


def plan_base(ctx: Context, entries: list[Entry]) -> None:
    """The ``bin/python*`` links (or copies) and ``home``: do they reach a base interpreter?"""
    root = os.path.realpath(ctx.venv.root)
    versions = venv_versions(ctx.venv)
    in_bin = ctx.venv.bin + "/"
    for entry in entries:
        if not entry.path.startswith(in_bin + "python"):
            continue  # the quick test: most of bin/ is scripts
        name = entry.path[len(in_bin) :]
        if not _is_python_link(name):
            continue
        full = os.path.join(ctx.venv.root, entry.path)
        if entry.kind == "symlink" and entry.link_target is not None:
            resolved = os.path.realpath(full)
            outside = os.path.isabs(entry.link_target) or not resolved.startswith(root + os.sep)
            if ctx.python is not None and outside and entry.link_target != ctx.python:
                detail = f"links to {entry.link_target}, not {ctx.python}"
                code: ProblemCode = "other-base-interpreter"
                if not os.path.exists(resolved):
                    code = "dangling-python-link"
                found = [ctx.problem(entry.path, code, detail, True)]
                ctx.edit(
                    entry.path,
                    entry.stat,
                    b"",
                    0,
                    found,
                    entry.link_target,
                    ctx.python,
                    link=ctx.python,
                )
            elif ctx.python is None and not os.path.exists(resolved):
                detail = f"links to {entry.link_target}, which does not exist (fix --python EXE)"
                ctx.problem(entry.path, "dangling-python-link", detail, False)
            elif ctx.python is None and outside:
                version = python_version(full)
                if version and versions and version not in versions:
                    detail = (
                        f"{entry.link_target} is Python {version}; the venv has "
                        f"lib/python{', '.join(sorted(versions))} (fix --python EXE)"
                    )
                    ctx.problem(entry.path, "version-mismatch", detail, False)
        elif (
            entry.kind == "binary" and ctx.python is not None and not _same_bytes(full, ctx.python)
        ):
            detail = f"not a copy of {ctx.python}"
            found = [ctx.problem(entry.path, "other-base-interpreter", detail, True)]
            ctx.edit(
                entry.path,
                entry.stat,
                b"",
                entry.size,
                found,
                "copy",
                ctx.python,
                source=ctx.python,
            )
    home = ctx.venv.settings.get("home")
    if ctx.python is None and home and not os.path.isdir(home):
        detail = f"home = {home} does not exist (fix --python EXE)"
        ctx.problem("pyvenv.cfg", "missing-base-interpreter", detail, False)


def _final_content(ctx: Context, entry: Entry) -> bytes | None:
    if entry.path in ctx.new_content:
        return ctx.new_content[entry.path]
    return entry.head if entry.complete else None


def plan_records(ctx: Context, entries: Mapping[str, Entry]) -> None:
    """Rehash every RECORD row whose file the plan rewrites (or that is already stale)."""
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
        try:
            st = os.lstat(record_path)
        except OSError:
            continue
        detail = "hash of " + ", ".join(sorted(paths)) + " does not match"
        found = [ctx.problem(rel, "stale-record", detail, True)]
        rows = f"{len(updates)} row" + ("s" if len(updates) > 1 else "")
        new = record.rewrite(dist.content, updates)
        ctx.edit(rel, st, new, len(dist.content), found, rows, "rehashed")
