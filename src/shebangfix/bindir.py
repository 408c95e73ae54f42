"""Walk a virtual environment's ``bin/`` and classify every entry, reading heads only."""

from __future__ import annotations

import errno
import os
import stat

from . import shebang
from ._struct import field, frozen
from ._temps import is_temp_name
from .errors import ShebangfixError
from .shebang import Shebang

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    EntryKind = Literal[
        "script",
        "trampoline",
        "relocatable",
        "placeholder",
        "env-script",
        "other-script",
        "binary",
        "launcher",
        "activate",
        "data",
        "symlink",
        "special",
        "directory",
        "unreadable",
    ]

    from .windows import Launcher

__all__ = [
    "ACTIVATE_NAMES",
    "Entry",
    "EntryKind",
    "link_targets",
    "read_entry",
    "scan_dir",
]


#: Every entry kind (``EntryKind`` at run time is built from it on first use).
ENTRY_KINDS: tuple[EntryKind, ...] = (
    "script",
    "trampoline",
    "relocatable",
    "placeholder",
    "env-script",
    "other-script",
    "binary",
    "launcher",
    "activate",
    "data",
    "symlink",
    "special",
    "directory",
    "unreadable",
)


def __getattr__(name: str) -> object:
    if name == "EntryKind":
        from typing import Literal

        return Literal[ENTRY_KINDS]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Files in bin/ that activate a venv; each embeds its path in its own quoting.
ACTIVATE_NAMES = frozenset(
    {
        "activate",
        "activate.sh",
        "activate.csh",
        "activate.fish",
        "activate.nu",
        "activate.xsh",
        "activate.ps1",
        "Activate.ps1",
        "activate.bat",
        "deactivate.bat",
        "deactivate.csh",
        "activate_this.py",
    }
)
_ENV = (b"/usr/bin/env", b"/bin/env")
# Never follow a link, never block on a FIFO, never leak into a child.
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_ACTIVATE_MAX = 1 << 20
_LAUNCHER_MAX = 16 << 20


@frozen
class Entry:
    """One item of the venv's ``bin/`` directory."""

    path: str
    """Path relative to the venv root, with ``/`` separators (``bin/gunicorn``)."""
    kind: EntryKind
    """What the entry is; only regular files are ever read."""
    shebang: Shebang | None = None
    """The parsed interpreter reference of a script."""
    link_target: str | None = None
    """Where a symlink points, as stored in the link."""
    mode: int = 0
    """``st_mode`` from ``lstat``."""
    size: int = 0
    """Size in bytes (regular files)."""
    detail: str = ""
    """Why an entry is ``unreadable``."""
    head: bytes = field(default=b"", repr=False, compare=False)
    """The first bytes of a regular file (all of it when ``complete``)."""
    complete: bool = field(default=False, repr=False, compare=False)
    """``head`` holds the whole file."""
    stat: os.stat_result | None = field(default=None, repr=False, compare=False)
    """The ``lstat`` result the entry was classified from."""
    launcher: Launcher | None = None
    """The interpreter reference inside a Windows ``.exe`` launcher."""

    @property
    def executable(self) -> bool:
        """Anyone may execute the file."""
        return bool(self.mode & 0o111)


_Kind = tuple["EntryKind", "Shebang | None"]


def _header_end(head: bytes) -> int:
    """Where the lines that decide a script's kind end: the #! line, or a trampoline's three."""
    end = head.find(b"\n") + 1
    if head.startswith(b"#!/bin/sh\n"):
        end = head.find(b"\n", head.find(b"\n", end) + 1) + 1
    return end


def classify(
    name: str, head: bytes, complete: bool, memo: dict[bytes, _Kind] | None = None
) -> _Kind:
    """Decide what a regular file is from its name and head.

    ``memo`` keeps the verdicts of the script headers seen so far: a venv's scripts share a
    few headers, so each is parsed once.
    """
    if name in ACTIVATE_NAMES:
        return "activate", None
    if memo is None or not head.startswith(b"#!"):
        return _classify(head, complete)
    end = _header_end(head)
    if end <= 0:
        return _classify(head, complete)
    key = head[:end]
    found = memo.get(key)
    if found is None:
        found = memo[key] = _classify(head, complete)
    return found


def _classify(head: bytes, complete: bool) -> _Kind:
    if shebang.is_binary(head):
        return "binary", None
    parsed = shebang.parse(head, complete=complete)
    if parsed is None:
        return "data", None
    if parsed.form != "plain":
        return parsed.form, parsed
    if parsed.interpreter in _ENV:
        return "env-script", parsed
    if shebang.python_prefix(parsed.interpreter) is not None:
        return "script", parsed
    return "other-script", parsed


def scan_dir(root: str, reldir: str) -> list[Entry]:
    """Classify every entry of ``root/reldir``, sorted by name. Never writes."""
    directory = os.path.join(root, reldir)
    entries: list[Entry] = []
    memo: dict[bytes, _Kind] = {}
    try:
        with os.scandir(directory) as it:
            items = sorted(it, key=lambda item: item.name)
    except OSError as exc:
        raise ShebangfixError(f"{directory}: cannot list: {exc.strerror}") from exc
    for item in items:
        if is_temp_name(item.name):
            continue
        rel = f"{reldir}/{item.name}"
        # The listing's file type needs no syscall; a regular file is then opened without
        # following links and checked again by fstat, which also gives its stat.
        if item.is_file(follow_symlinks=False):
            entries.append(read_entry(root, rel, memo=memo, path=item.path))
            continue
        try:
            st = item.stat(follow_symlinks=False)
        except OSError as exc:
            entries.append(Entry(rel, "unreadable", detail=exc.strerror or str(exc)))
            continue
        if stat.S_ISLNK(st.st_mode):
            try:
                target = os.readlink(item.path)
            except OSError as exc:
                entries.append(Entry(rel, "unreadable", detail=exc.strerror or str(exc)))
                continue
            entries.append(Entry(rel, "symlink", link_target=target, mode=st.st_mode, stat=st))
        elif stat.S_ISDIR(st.st_mode):
            entries.append(Entry(rel, "directory", mode=st.st_mode, stat=st))
        elif not stat.S_ISREG(st.st_mode):
            entries.append(Entry(rel, "special", mode=st.st_mode, stat=st))
        else:
            entries.append(read_entry(root, rel, memo=memo, path=item.path))
    return entries


def _head_size(name: str, size: int) -> int:
    """How much of a regular file to read to classify it (and, if small, rewrite it)."""
    if name in ACTIVATE_NAMES:
        # Activate scripts are rewritten whole; anything larger is not one.
        return min(max(size, 1), _ACTIVATE_MAX)
    if name.lower().endswith(".exe") and size <= _LAUNCHER_MAX:
        # A Windows launcher keeps its interpreter at the end or in its resources.
        return max(size, 1)
    return shebang.HEAD_SIZE


def read_entry(
    root: str, rel: str, memo: dict[bytes, _Kind] | None = None, *, path: str | None = None
) -> Entry:
    """Classify one regular file of the venv, given relative to ``root`` (``path``: joined)."""
    name = rel.rpartition("/")[2]
    try:
        fd = os.open(path or os.path.join(root, rel), _READ_FLAGS)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise OSError(errno.EINVAL, "not a regular file")
            head = os.read(fd, _head_size(name, st.st_size))
        finally:
            os.close(fd)
    except OSError as exc:
        return Entry(rel, "unreadable", detail=exc.strerror or str(exc))
    complete = len(head) >= st.st_size
    kind, parsed = classify(name, head, complete, memo)
    launcher = None
    if kind == "binary" and complete and name.lower().endswith(".exe"):
        from .windows import parse_launcher  # only venvs with .exe files need it

        launcher = parse_launcher(head)
        kind = "launcher" if launcher is not None else kind
    return Entry(
        rel,
        kind,
        parsed,
        mode=st.st_mode,
        size=st.st_size,
        head=head,
        complete=complete,
        stat=st,
        launcher=launcher,
    )


def link_targets(root: str, reldir: str, entries: list[Entry]) -> list[Entry]:
    """Files elsewhere in the venv that symlinks in ``reldir`` point to, each once.

    A link is never written through: the file it names is planned as itself, under its
    own path, and only when it lies inside the venv.
    """
    real_root = os.path.realpath(root)
    real_dir = os.path.join(real_root, reldir) + os.sep
    seen: set[str] = set()
    found: list[Entry] = []
    for entry in entries:
        if entry.kind != "symlink":
            continue
        target = os.path.realpath(os.path.join(root, entry.path))
        if not target.startswith(real_root + os.sep) or target.startswith(real_dir):
            continue
        if target in seen or not os.path.isfile(target):
            continue
        seen.add(target)
        rel = os.path.relpath(target, real_root).replace(os.sep, "/")
        linked = read_entry(root, rel)
        if linked.kind != "activate":
            found.append(linked)
    return found
