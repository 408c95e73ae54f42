"""The only code that writes: replace files atomically, keeping everything but the edited head.

Each file is replaced, never written in place: a temporary file in the same directory gets
the new head and a streamed copy of the kept tail, the original's mode, owner and extended
attributes, and is renamed over the original. A crash therefore leaves every file either old
or new; the next run deletes the temporary files a crash left behind. Renaming also splits a
hard link, so other names for the file (uv links scripts from its cache) keep their bytes.

Durability is batched: all temporary files are written, then one ``sync`` flushes them, then
they are renamed and each touched directory is flushed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Edit", "Failure", "apply", "is_temp_name", "remove_stale_temps"]

_TEMP_NAME = re.compile(r"\..+\.shebangfix-[0-9a-f]{8}\.tmp")
_CHUNK = 1 << 20


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Failure:
    """An edit that was not applied; the file is unchanged."""

    edit: Edit
    reason: str


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is one of our temporary files."""
    return _TEMP_NAME.fullmatch(name) is not None


def remove_stale_temps(directory: str) -> None:
    """Delete temporary files that an interrupted run left in ``directory``."""
    try:
        with os.scandir(directory) as it:
            stale = [e.path for e in it if is_temp_name(e.name)]
    except OSError:
        return
    for path in stale:
        try:
            if stat.S_ISREG(os.lstat(path).st_mode):
                os.unlink(path)
        except OSError:
            pass


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns) == (
        b.st_dev,
        b.st_ino,
        b.st_size,
        b.st_mtime_ns,
    )


def _copy_xattrs(src: int | str, dst: int) -> None:
    listxattr = getattr(os, "listxattr", None)
    if listxattr is None:
        return
    # A path is read without following a link; a descriptor has nothing to follow.
    follow = isinstance(src, int)
    try:
        names = listxattr(src, follow_symlinks=follow)
    except OSError:
        return
    for name in names:
        try:
            os.setxattr(dst, name, os.getxattr(src, name, follow_symlinks=follow))
        except OSError as exc:
            # security.* and trusted.* need privileges we may not have; the file still
            # works without them, and a user without them could not have set them either.
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EACCES):
                raise


def _temp_name(path: str) -> str:
    directory, name = os.path.split(path)
    return os.path.join(directory, f".{name}.shebangfix-{os.urandom(4).hex()}.tmp")


def _link_temp(edit: Edit) -> str:
    assert edit.link is not None
    if not _same_file(os.lstat(edit.path), edit.expect):
        raise OSError(errno.ESTALE, "changed while fixing")
    temp = _temp_name(edit.path)
    os.symlink(edit.link, temp)
    return temp


def _write_temp(edit: Edit) -> str:
    """Write the replacement next to ``edit.path``; return the temporary file's path."""
    if edit.link is not None:
        return _link_temp(edit)
    if edit.source is None and edit.keep_from >= edit.expect.st_size:
        # The new bytes are the whole file: no need to open the original at all.
        st = os.lstat(edit.path)
        if not stat.S_ISREG(st.st_mode) or not _same_file(st, edit.expect):
            raise OSError(errno.ESTALE, "changed while fixing")
        return _new_file(edit.path, st, edit.path, lambda dst: _write_all(dst, edit.new_head))
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    src = os.open(edit.path, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(src)
        if not stat.S_ISREG(st.st_mode) or not _same_file(st, edit.expect):
            raise OSError(errno.ESTALE, "changed while fixing")
        if edit.source is None:
            return _new_file(edit.path, st, src, lambda dst: _fill(src, dst, edit))
        with open(edit.source, "rb") as source:
            whole = Edit(edit.path, edit.new_head, 0, st)
            return _new_file(edit.path, st, src, lambda dst: _fill(source.fileno(), dst, whole))
    finally:
        os.close(src)


def _new_file(
    path: str, st: os.stat_result, xattrs_from: int | str, fill: Callable[[int], None]
) -> str:
    """Create the temporary file beside ``path``: filled, then given ``st``'s owner and mode."""
    temp = _temp_name(path)
    dst = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        try:
            fill(dst)
            if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
                os.fchown(dst, st.st_uid, st.st_gid)
            # After chown, which clears set-id bits.
            os.fchmod(dst, stat.S_IMODE(st.st_mode))
            _copy_xattrs(xattrs_from, dst)
        finally:
            os.close(dst)
    except BaseException:
        _unlink_quietly(temp)
        raise
    return temp


def _write_all(dst: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(dst, view) :]


def _fill(src: int, dst: int, edit: Edit) -> None:
    _write_all(dst, edit.new_head)
    os.lseek(src, edit.keep_from, os.SEEK_SET)
    while True:
        chunk = os.read(src, _CHUNK)
        if not chunk:
            break
        view = memoryview(chunk)
        while view:
            view = view[os.write(dst, view) :]


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def apply(edits: Sequence[Edit], *, sync: bool = True) -> list[Failure]:
    """Apply ``edits``; return those that failed. Each file ends old or new, never torn.

    ``sync=False`` skips flushing the new files to disk before the renames: faster, and
    still never torn in a running system, but a power cut may then leave a renamed file
    empty (for throwaway build containers).
    """
    failures: list[Failure] = []
    staged: deque[tuple[Edit, str]] = deque()
    try:
        for edit in edits:
            try:
                staged.append((edit, _write_temp(edit)))
            except OSError as exc:
                failures.append(Failure(edit, _reason(exc)))
        if staged and sync:
            os.sync()
        directories: set[str] = set()
        while staged:
            edit, temp = staged.popleft()
            try:
                if not _same_file(os.lstat(edit.path), edit.expect):
                    raise OSError(errno.ESTALE, "changed while fixing")
                os.replace(temp, edit.path)
            except OSError as exc:
                _unlink_quietly(temp)
                failures.append(Failure(edit, _reason(exc)))
            else:
                directories.add(os.path.dirname(edit.path))
        for directory in directories:
            _fsync_dir(directory)
    finally:
        for _, temp in staged:
            _unlink_quietly(temp)
    return failures


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
