"""The only code that writes: replace files atomically, keeping everything but the edited head.

Each file is replaced, never written in place: a temporary file in the same directory gets
the new head and a streamed copy of the kept tail, the original's mode, owner and extended
attributes, and is renamed over the original. A crash therefore leaves every file either old
or new; the next run deletes the temporary files a crash left behind. Renaming also splits a
hard link, so other names for the file (uv links scripts from its cache) keep their bytes.

Durability is batched: all temporary files are written, then one ``sync`` flushes them, then
they are renamed and each touched directory is flushed.

Each original is held open across its rename and closed by a few worker threads. The kernel
frees a file's blocks when its last reference goes; inside ``rename`` that happens under the
directory's lock, one file after another, and on a filesystem that discards freed blocks
synchronously (ext4 mounted ``-o discard``, common on cloud disks) it is ~60 µs of waiting
per file. Freed at ``close`` on several threads, those waits overlap.
"""

from __future__ import annotations

import errno
import os
import stat

from ._struct import frozen
from ._temps import is_temp_name, temp_name
from .problems import Edit

TYPE_CHECKING = False
if TYPE_CHECKING:
    import queue
    from collections.abc import Callable, Sequence

__all__ = ["Failure", "Releaser", "apply", "remove_stale_temps"]

_CHUNK = 1 << 20
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
# Below this many renames the worker threads cost more than they save.
_RELEASE_IN_THREADS = 64
_RELEASE_WORKERS = 16
# Originals held open at once: far below any descriptor limit.
_RELEASE_BACKLOG = 256


@frozen
class Failure:
    """An edit that was not applied; the file is unchanged."""

    edit: Edit
    reason: str


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


def _link_temp(edit: Edit) -> str:
    assert edit.link is not None
    if not _same_file(os.lstat(edit.path), edit.expect):
        raise OSError(errno.ESTALE, "changed while fixing")
    temp = temp_name(edit.path)
    os.symlink(edit.link, temp)
    return temp


def _write_temp(edit: Edit, owner: tuple[int, int]) -> str:
    """Write the replacement next to ``edit.path``; return the temporary file's path."""
    if edit.link is not None:
        return _link_temp(edit)
    st = edit.expect
    if edit.source is None and edit.keep_from >= st.st_size:
        # The new bytes are the whole file: the original need not be opened here; the
        # rename checks that it is still the file that was planned.
        return _new_file(
            edit.path, st, owner, edit.path, lambda dst: _write_all(dst, edit.new_head)
        )
    src = os.open(edit.path, _READ_FLAGS)
    try:
        st = os.fstat(src)
        if not stat.S_ISREG(st.st_mode) or not _same_file(st, edit.expect):
            raise OSError(errno.ESTALE, "changed while fixing")
        if edit.source is None:
            return _new_file(edit.path, st, owner, src, lambda dst: _fill(src, dst, edit))
        with open(edit.source, "rb") as source:
            whole = Edit(edit.path, edit.new_head, 0, st)
            return _new_file(
                edit.path, st, owner, src, lambda dst: _fill(source.fileno(), dst, whole)
            )
    finally:
        os.close(src)


def _create(path: str) -> tuple[str, int]:
    """A new temporary file beside ``path``, only for us until it is renamed."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temp = temp_name(path)
        try:
            return temp, os.open(temp, flags, 0o600)
        except FileExistsError:
            continue  # another run counts through the same names: take the next one
    raise OSError(errno.EEXIST, "no free temporary name", path)


def _new_file(
    path: str,
    st: os.stat_result,
    owner: tuple[int, int],
    xattrs_from: int | str,
    fill: Callable[[int], None],
) -> str:
    """Create the temporary file beside ``path``: filled, then given ``st``'s owner and mode."""
    temp, dst = _create(path)
    try:
        try:
            fill(dst)
            if (st.st_uid, st.st_gid) != owner:
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
        _write_all(dst, chunk)


def _unlink_quietly(path: str) -> None:
    try:  # noqa: SIM105 (contextlib is not worth its import on the way to check)
        os.unlink(path)
    except OSError:
        pass


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


class Releaser:
    """Closes the originals' last descriptors, on worker threads when there are many.

    A caller with other work to do (``fix`` checks the venv again) may pass one to
    :func:`apply` and call :meth:`finish` afterwards, so that the two overlap.
    """

    def __init__(self, count: int) -> None:
        self._queue: queue.SimpleQueue[int] | None = None
        if count < _RELEASE_IN_THREADS:
            return
        # Only fixes of many files need threads.
        import queue
        import threading

        self._slots = threading.BoundedSemaphore(_RELEASE_BACKLOG)
        self._queue = queue.SimpleQueue()
        self._workers = [
            threading.Thread(target=self._work, name="shebangfix-release", daemon=True)
            for _ in range(_RELEASE_WORKERS)
        ]
        for worker in self._workers:
            worker.start()

    def _work(self) -> None:
        assert self._queue is not None
        while True:
            fd = self._queue.get()
            if fd < 0:
                return
            os.close(fd)
            self._slots.release()

    def release(self, fd: int) -> None:
        if self._queue is None:
            os.close(fd)
            return
        self._slots.acquire()
        self._queue.put(fd)

    def finish(self) -> None:
        """Wait until every descriptor is closed."""
        if self._queue is None:
            return
        for _ in self._workers:
            self._queue.put(-1)
        for worker in self._workers:
            worker.join()
        self._queue = None


def _replace(edit: Edit, temp: str, releaser: Releaser) -> None:
    """Rename ``temp`` over ``edit.path`` if that is still the file that was planned."""
    if edit.link is not None:
        if not _same_file(os.lstat(edit.path), edit.expect):
            raise OSError(errno.ESTALE, "changed while fixing")
        os.replace(temp, edit.path)
        return
    try:
        old = os.open(edit.path, _READ_FLAGS)
    except OSError as exc:
        raise OSError(errno.ESTALE, "changed while fixing") from exc
    try:
        st = os.fstat(old)
        if not stat.S_ISREG(st.st_mode) or not _same_file(st, edit.expect):
            raise OSError(errno.ESTALE, "changed while fixing")
        os.replace(temp, edit.path)
    except BaseException:
        os.close(old)
        raise
    releaser.release(old)


def apply(
    edits: Sequence[Edit], *, sync: bool = True, releaser: Releaser | None = None
) -> list[Failure]:
    """Apply ``edits``; return those that failed. Each file ends old or new, never torn.

    ``sync=False`` skips flushing the new files to disk before the renames: faster, and
    still never torn in a running system, but a power cut may then leave a renamed file
    empty (for throwaway build containers). With a ``releaser``, the replaced originals may
    still be being closed when this returns; its ``finish`` waits for that.
    """
    failures: list[Failure] = []
    staged: list[tuple[Edit, str]] = []
    renamed = 0
    owner = (os.geteuid(), os.getegid()) if hasattr(os, "geteuid") else (-1, -1)
    try:
        for edit in edits:
            try:
                staged.append((edit, _write_temp(edit, owner)))
            except OSError as exc:
                failures.append(Failure(edit, _reason(exc)))
        if staged and sync:
            os.sync()
        directories: set[str] = set()
        own = releaser is None
        release = Releaser(len(staged)) if releaser is None else releaser
        try:
            for edit, temp in staged:
                renamed += 1
                try:
                    _replace(edit, temp, release)
                except OSError as exc:
                    _unlink_quietly(temp)
                    failures.append(Failure(edit, _reason(exc)))
                else:
                    directories.add(os.path.dirname(edit.path))
        finally:
            if own:
                release.finish()
        for directory in directories:
            _fsync_dir(directory)
    finally:
        for _, temp in staged[renamed:]:
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
