"""Faults and hostile input, done for real: full and read-only filesystems, huge files,
owners and extended attributes, links inside and around the venv, fuzzed parsers."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import shebangfix
from shebangfix import activate, pyvenv, record, shebang
from shebangfix.cli import main
from test_safety import OLD, make_fake_venv


@contextlib.contextmanager
def small_filesystem(path: Path, size: str = "2M") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path``; skips where mounting is not allowed."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def test_full_filesystem_leaves_originals_intact_and_no_temp(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with small_filesystem(tmp_path / "fs") as fs:
        venv = make_fake_venv(fs / "venv")
        big = venv / "bin" / "big"
        big.write_bytes(f"#!{OLD}/bin/python\n".encode() + b"#" * 600_000)
        big.chmod(0o755)
        # Leave less room than the big script's replacement needs.
        free = os.statvfs(fs).f_bavail * os.statvfs(fs).f_frsize
        (fs / "filler").write_bytes(b"\0" * max(free - 200_000, 0))
        before = _snapshot(venv)
        assert main(["fix", str(venv)], prog="shebangfix") == 1
        out = capsys.readouterr().out
        assert "bin/big: write-failed: No space left on device" in out
        assert _snapshot(venv)["bin/big"] == before["bin/big"]
        assert not [n for n in os.listdir(venv / "bin") if n.endswith(".tmp")]
        # The small files still fitted and were fixed.
        assert (venv / "bin" / "tool").read_bytes().startswith(f"#!{venv}/".encode())


def test_read_only_filesystem_is_a_clear_error_with_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with small_filesystem(tmp_path / "fs") as fs:
        venv = make_fake_venv(fs / "venv")
        before = _snapshot(venv)
        remount = subprocess.run(["mount", "-o", "remount,ro", str(fs)], capture_output=True)
        if remount.returncode != 0:
            pytest.skip("cannot remount read-only here")
        try:
            assert main(["fix", str(venv)], prog="shebangfix") == 1
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(fs)], capture_output=True)
        out, err = capsys.readouterr()
        assert "bin/tool: write-failed: Read-only file system" in out
        assert "Traceback" not in out + err
        assert _snapshot(venv) == before


def test_huge_script_is_rewritten_in_bounded_memory(tmp_path: Path) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    huge = venv / "bin" / "huge"
    header = f"#!{OLD}/bin/python\n".encode()
    with open(huge, "wb") as f:
        f.write(header)
        f.truncate(1 << 30)  # 1 GiB, sparse on disk
    huge.chmod(0o755)
    # The child reports the high-water mark of its own address space: rusage would also
    # count the parent's pages from before exec.
    code = (
        "import sys; from shebangfix.cli import main; code = main(['fix', sys.argv[1]]); "
        "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')), "
        "file=sys.stderr); sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(venv)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    peak_kib = int(done.stderr.split()[-2])
    assert peak_kib < 64 * 1024, f"peak RSS {peak_kib} KiB"
    with open(huge, "rb") as f:
        assert f.read(len(header) + 64).startswith(f"#!{venv}/bin/python\n".encode())
    assert huge.stat().st_size == (1 << 30) - len(header) + len(f"#!{venv}/bin/python\n")


@pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")
def test_owner_and_extended_attributes_are_kept(tmp_path: Path) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    script = venv / "bin" / "tool"
    os.chown(script, 1234, 5678)
    script.chmod(0o1755)
    try:
        os.setxattr(script, "user.origin", b"wheel")
    except OSError:
        pytest.skip("no user extended attributes on this filesystem")
    assert shebangfix.fix(venv).ok
    st = script.stat()
    assert (st.st_uid, st.st_gid) == (1234, 5678)
    assert stat.S_IMODE(st.st_mode) == 0o1755
    assert os.getxattr(script, "user.origin") == b"wheel"


def test_symlinked_venv_root_keeps_the_path_as_given(tmp_path: Path) -> None:
    real = make_fake_venv(tmp_path / "data" / "venv")
    link = tmp_path / "opt-venv"
    link.symlink_to(real)
    result = shebangfix.fix(link)
    assert result.ok
    assert result.prefix == str(link)
    assert (real / "bin" / "tool").read_bytes().startswith(f"#!{link}/bin/python\n".encode())
    assert link.is_symlink()


def test_link_inside_the_venv_is_fixed_once_as_itself(tmp_path: Path) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    inner = venv / "lib" / "python3.11" / "site-packages" / "pkg" / "cli.py"
    inner.parent.mkdir(parents=True)
    inner.write_bytes(f"#!{OLD}/bin/python\nprint('inner')\n".encode())
    inner.chmod(0o755)
    for name in ("cli", "cli-alias"):
        (venv / "bin" / name).symlink_to(os.path.relpath(inner, venv / "bin"))
    result = shebangfix.fix(venv)
    assert result.ok
    changed = [c.path for c in result.changes]
    assert changed.count("lib/python3.11/site-packages/pkg/cli.py") == 1
    assert (venv / "bin" / "cli").is_symlink()
    assert inner.read_bytes().startswith(f"#!{venv}/bin/python\n".encode())


def test_dangling_looping_and_empty_entries(tmp_path: Path) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    (venv / "bin" / "dangling").symlink_to("nowhere")
    (venv / "bin" / "loop-a").symlink_to("loop-b")
    (venv / "bin" / "loop-b").symlink_to("loop-a")
    (venv / "bin" / "empty").write_bytes(b"")
    (venv / "bin" / "hashbang-only").write_bytes(b"#!")
    kinds = {e.path: e.kind for e in shebangfix.scan(venv).entries}
    assert kinds["bin/dangling"] == kinds["bin/loop-a"] == "symlink"
    assert kinds["bin/empty"] == "data"
    assert shebangfix.fix(venv).ok


def test_bin_that_is_not_a_directory_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    os.rename(venv / "bin", venv / "bin-real")
    (venv / "bin").write_text("not a directory")
    assert main(["check", str(venv)], prog="shebangfix") == 2
    err = capsys.readouterr().err
    assert err == f"shebangfix: error: {venv}: no bin directory (nor Scripts, for Windows)\n"


# Parsers take arbitrary bytes and raise nothing ----------------------------------------


@given(st.binary(max_size=600), st.booleans())
def test_shebang_parser_takes_any_bytes(data: bytes, complete: bool) -> None:
    parsed = shebang.parse(data, complete=complete)
    if parsed is not None:
        assert data.startswith(shebang.render(parsed)) or not parsed.terminated
    shebang.is_binary(data)


@given(st.binary(max_size=600), st.lists(st.binary(max_size=20), max_size=3))
def test_activate_functions_take_any_bytes(data: bytes, olds: list[bytes]) -> None:
    activate.embedded_prefixes(data)
    for quoted in (True, False):
        out = activate.rewrite_paths(data, olds, b"/opt/new venv", shlex_quoted=quoted)
        assert activate.rewrite_paths(out, olds, b"/opt/new venv", shlex_quoted=quoted) == out
    activate.rename_prompt(data, b"old", b"new")


@given(st.binary(max_size=600))
def test_pyvenv_functions_take_any_bytes(data: bytes) -> None:
    pyvenv.parse(data)
    found = pyvenv.command_prefix(data)
    if found is not None:
        assert pyvenv.command_prefix(pyvenv.rewrite_command(data, [found], b"/new")) == b"/new"


@given(st.binary(max_size=600))
def test_record_rewrite_takes_any_bytes(data: bytes) -> None:
    lines = data.splitlines(keepends=True)
    if lines:
        out = record.rewrite(data, {0: ("sha256=abc", 3)})
        assert out.splitlines(keepends=True)[1:] == lines[1:]


def test_socket_and_device_are_never_opened(tmp_path: Path) -> None:
    import socket

    venv = make_fake_venv(tmp_path / "venv")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(venv / "bin" / "sock"))
    try:
        with contextlib.suppress(PermissionError):  # not root: the socket alone
            os.mknod(venv / "bin" / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        kinds = {e.path: e.kind for e in shebangfix.scan(venv).entries}
        assert kinds["bin/sock"] == "special"
        assert kinds.get("bin/null", "special") == "special"
        assert shebangfix.fix(venv).ok
    finally:
        server.close()


@pytest.mark.parametrize("prefix", ["/opt/a\0b", "/opt/a\x1bb", "/opt/\x7f", "relative", ""])
def test_prefix_with_control_bytes_is_refused_through_the_api(tmp_path: Path, prefix: str) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    before = _snapshot(venv)
    with pytest.raises(shebangfix.ShebangfixError):
        shebangfix.fix(venv, prefix=prefix)
    assert _snapshot(venv) == before


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a check as another user")
def test_unreadable_file_is_reported_not_fatal() -> None:
    """As an unprivileged user, a script that cannot be read is one problem line."""
    import shutil
    import tempfile

    python = "/usr/bin/python3"
    if not os.access(python, os.X_OK):
        pytest.skip("no system python3 to run as another user")
    src = Path(shebangfix.__file__).resolve().parent.parent
    probe = subprocess.run(
        [python, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import shebangfix", src],
        capture_output=True,
        preexec_fn=lambda: os.setuid(65534),
    )
    if probe.returncode != 0:
        pytest.skip("the source tree is not readable by an unprivileged user")
    base = Path(tempfile.mkdtemp())
    try:
        base.chmod(0o755)
        venv = make_fake_venv(base / "venv")
        secret = venv / "bin" / "secret"
        secret.write_bytes(f"#!{OLD}/bin/python\n".encode())
        secret.chmod(0o000)
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]); from shebangfix.cli import main; "
            "sys.exit(main(['check', sys.argv[2]], prog='shebangfix'))"
        )
        done = subprocess.run(
            [python, "-c", code, src, venv],
            capture_output=True,
            text=True,
            preexec_fn=lambda: os.setuid(65534),
        )
        assert done.returncode == 1, done
        assert "bin/secret: unreadable: Permission denied" in done.stdout
        assert "Traceback" not in done.stdout + done.stderr
    finally:
        shutil.rmtree(base)
