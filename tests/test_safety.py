"""The writer and the scanner on odd files: links, FIFOs, modes, stale temps, bad input."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

import shebangfix
from shebangfix import _write
from shebangfix.cli import main
from shebangfix.problems import Edit

OLD = "/build/.venv"


def make_fake_venv(root: Path, old: str = OLD) -> Path:
    """A venv skeleton whose scripts point at ``old``; python links to the running one."""
    (root / "bin").mkdir(parents=True)
    (root / "pyvenv.cfg").write_text(
        f"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n"
        f"command = /usr/bin/python3 -m venv {old}\n"
    )
    os.symlink(os.path.realpath(os.sys.executable), root / "bin" / "python")  # type: ignore[attr-defined]
    (root / "bin" / "activate").write_text(f'VIRTUAL_ENV="{old}"\nexport VIRTUAL_ENV\n')
    (root / "bin" / "activate.fish").write_text(f'set -gx VIRTUAL_ENV "{old}"\n')
    (root / "bin" / "activate.csh").write_text(f'setenv VIRTUAL_ENV "{old}"\n')
    script = root / "bin" / "tool"
    script.write_bytes(f"#!{old}/bin/python\nprint('tool ok')\n".encode())
    script.chmod(0o755)
    return root


def test_hard_linked_script_is_split_not_written_through(tmp_path: Path) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    cache = tmp_path / "cache-copy"
    os.link(venv / "bin" / "tool", cache)
    original = cache.read_bytes()
    assert shebangfix.fix(venv).ok
    assert cache.read_bytes() == original
    assert (venv / "bin" / "tool").read_bytes().startswith(f"#!{venv}/bin/python\n".encode())
    assert os.stat(cache).st_nlink == 1


def test_symlink_to_outside_script_is_never_followed(tmp_path: Path) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    outside = tmp_path / "outside"
    outside.write_bytes(f"#!{OLD}/bin/python\n".encode())
    os.symlink(outside, venv / "bin" / "linked")
    shebangfix.fix(venv)
    assert outside.read_bytes() == f"#!{OLD}/bin/python\n".encode()
    assert os.readlink(venv / "bin" / "linked") == str(outside)
    kinds = {e.path: e.kind for e in shebangfix.scan(venv).entries}
    assert kinds["bin/linked"] == "symlink"


def test_fifo_socket_and_directory_are_classified_without_blocking(tmp_path: Path) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    os.mkfifo(venv / "bin" / "fifo")
    (venv / "bin" / "subdir").mkdir()
    kinds = {e.path: e.kind for e in shebangfix.scan(venv).entries}
    assert kinds["bin/fifo"] == "special"
    assert kinds["bin/subdir"] == "directory"
    assert shebangfix.fix(venv).ok


def test_mode_setgid_and_body_are_kept(tmp_path: Path) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    script = venv / "bin" / "tool"
    body = b"# body \xff\x00 bytes kept\r\n"
    script.write_bytes(f"#!{OLD}/bin/python\n".encode() + body)
    script.chmod(0o2751)
    assert shebangfix.fix(venv).ok
    assert stat.S_IMODE(script.stat().st_mode) == 0o2751
    assert script.read_bytes() == f"#!{venv}/bin/python\n".encode() + body


def test_stale_temp_files_are_removed_and_never_scanned(tmp_path: Path) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    stale = venv / "bin" / ".tool.shebangfix-0123abcd.tmp"
    stale.write_bytes(b"#!/half/written")
    assert all(e.path != f"bin/{stale.name}" for e in shebangfix.scan(venv).entries)
    assert shebangfix.fix(venv).ok
    assert not stale.exists()


def test_a_file_changed_after_planning_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"#!/old/bin/python\nbody\n")
    expect = os.lstat(path)
    path.write_bytes(b"#!/other/bin/python\nchanged meanwhile\n")
    os.utime(path, ns=(expect.st_atime_ns, expect.st_mtime_ns + 10**9))
    failures = _write.apply([Edit(str(path), b"#!/new/bin/python\n", 18, expect)])
    assert [f.reason for f in failures] == ["changed while fixing"]
    assert path.read_bytes() == b"#!/other/bin/python\nchanged meanwhile\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def test_unwritable_file_is_reported_and_others_proceed(tmp_path: Path) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    gone = venv / "bin" / "gone"
    gone.write_bytes(f"#!{OLD}/bin/python\n".encode())
    gone.chmod(0o755)
    plan_edits = _write.apply(
        [
            Edit(str(gone) + "-missing", b"x", 0, os.lstat(gone)),
        ]
    )
    assert len(plan_edits) == 1
    assert shebangfix.fix(venv).ok


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "{missing}"], "No such file or directory"),
        (["check", "{file}"], "not a directory"),
        (["check", "{empty}"], "not a virtual environment (no pyvenv.cfg)"),
        (["check", "{venv}", "--prefix", "relative/path"], "must be an absolute path"),
        (["fix", "{venv}", "--prefix", "/opt/$(touch /tmp/x)"], "cannot be written safely"),
        (["fix", "{venv}", "--prefix", "/opt/a\nb"], "cannot be written safely"),
        (["fix", "{venv}", "--prefix", "/opt/it's"], "cannot be written safely"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    (tmp_path / "file").write_text("x")
    (tmp_path / "empty").mkdir()
    before = {p: p.read_bytes() for p in venv.rglob("*") if p.is_file()}
    names = {
        "missing": str(tmp_path / "missing"),
        "file": str(tmp_path / "file"),
        "empty": str(tmp_path / "empty"),
        "venv": str(venv),
    }
    assert main([a.format(**names) for a in args], prog="shebangfix") == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("shebangfix: error: ")
    assert message in err
    assert {p: p.read_bytes() for p in venv.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "a command is required"),
        (["frobnicate"], "unknown command 'frobnicate'"),
        (["check", "--dry-run"], "check: unknown option --dry-run"),
        (["fix", "--prefix"], "fix: --prefix needs a value"),
        (["fix", "--json=yes"], "fix: --json takes no value"),
        (["check", "a", "b"], "unexpected argument 'b'"),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(args, prog="shebangfix") == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"shebangfix: error: {message}")


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"], prog="shebangfix") == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: shebangfix ") and "fix " in out and "Exit status" in out
    assert main(["fix", "--prefix", "/x", "-h"], prog="shebangfix") == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: shebangfix fix ") and "--no-sync" in out
    assert main(["--version"], prog="shebangfix") == 0
    assert capsys.readouterr().out.startswith("shebangfix 0.")


# What a check of a small venv must not load: each costs a noticeable share of Python's
# own start-up (re, typing, argparse, dataclasses, hashlib with OpenSSL) or is only needed
# by fix (the writer, threads) or by a large venv (binascii).
NOT_LOADED_BY_CHECK = (
    "argparse",
    "binascii",
    "dataclasses",
    "hashlib",
    "json",
    "re",
    "shebangfix._write",
    "threading",
    "typing",
)


def test_check_of_a_small_venv_loads_little_and_keeps_gc_as_it_was(tmp_path: Path) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    code = (
        "import gc, sys\n"
        "from shebangfix.cli import main\n"
        f"code = main(['check', {str(venv)!r}])\n"
        "print(code, gc.isenabled(), *sorted(sys.modules))\n"
    )
    result = subprocess.run(
        [os.sys.executable, "-c", code],  # type: ignore[attr-defined]
        capture_output=True,
        text=True,
        check=True,
    )
    last = result.stdout.splitlines()[-1].split()
    assert last[:2] == ["1", "True"]  # problems found; the collector back on
    loaded = set(last[2:])
    assert loaded.isdisjoint(NOT_LOADED_BY_CHECK), loaded & set(NOT_LOADED_BY_CHECK)


def test_options_take_their_values_either_way(tmp_path: Path) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    target = str(tmp_path / "elsewhere")
    assert main(["check", str(venv), f"--prefix={target}"]) == main(
        ["check", "--prefix", target, "--", str(venv)]
    )


def test_no_venv_anywhere_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.setattr(os.sys, "prefix", os.sys.base_prefix)  # type: ignore[attr-defined]
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 2
    assert "no virtual environment given" in capsys.readouterr().err


def test_each_file_is_judged_on_its_own(tmp_path: Path) -> None:
    """Half-repaired: some scripts already point at the new place, others at the old."""
    venv = make_fake_venv(tmp_path / "venv")
    done = venv / "bin" / "done"
    done.write_bytes(f"#!{venv}/bin/python\n".encode())
    done.chmod(0o755)
    result = shebangfix.check(venv)
    assert {p.path for p in result.problems} >= {"bin/tool", "bin/activate", "pyvenv.cfg"}
    assert "bin/done" not in {p.path for p in result.problems}
    assert shebangfix.fix(venv).ok


def test_foreign_interpreters_are_left_alone(tmp_path: Path) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    system = venv / "bin" / "system"
    system.write_bytes(b"#!/bin/sh\necho hi\n")
    env = venv / "bin" / "envscript"
    env.write_bytes(b"#!/usr/bin/env python3\n")
    shebangfix.fix(venv)
    assert system.read_bytes() == b"#!/bin/sh\necho hi\n"
    assert env.read_bytes() == b"#!/usr/bin/env python3\n"
    kinds = {e.path: e.kind for e in shebangfix.scan(venv).entries}
    assert kinds["bin/envscript"] == "env-script"
    assert kinds["bin/system"] == "other-script"


@pytest.mark.parametrize(
    ("head", "code"),
    [
        (b"#!{venv}/bin/python\r\n", "crlf"),
        (b"#!python\n", "placeholder"),
        (b"#!/x" + b"y" * 300 + b"/bin/python\n", None),
    ],
)
def test_form_problems_are_found_and_fixed(tmp_path: Path, head: bytes, code: str | None) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    script = venv / "bin" / "odd"
    script.write_bytes(head.replace(b"{venv}", str(venv).encode()) + b"print('ok')\n")
    script.chmod(0o755)
    codes = {p.code for p in shebangfix.check(venv).problems if p.path == "bin/odd"}
    if code is not None:
        assert code in codes
        assert shebangfix.fix(venv).ok
        assert script.read_bytes() == f"#!{venv}/bin/python\nprint('ok')\n".encode()


def test_too_long_and_spaced_shebangs_under_the_prefix(tmp_path: Path) -> None:
    long_root = tmp_path / ("l" * 250) / "venv"
    venv = make_fake_venv(long_root)
    script = venv / "bin" / "tool"
    script.write_bytes(f"#!{venv}/bin/python\n".encode())
    assert "too-long" in {p.code for p in shebangfix.check(venv).problems}
    assert shebangfix.fix(venv).ok
    assert script.read_bytes().startswith(b"#!/bin/sh\n'''exec' ")

    spaced = make_fake_venv(tmp_path / "sp ace" / "venv")
    script = spaced / "bin" / "tool"
    script.write_bytes(f"#!{spaced}/bin/python\n".encode())
    assert "space-in-path" in {p.code for p in shebangfix.check(spaced).problems}
    assert shebangfix.fix(spaced).ok
    assert script.read_bytes().startswith(f"#!/bin/sh\n'''exec' \"{spaced}/bin/python\"".encode())


def test_many_scripts_every_original_is_released(tmp_path: Path) -> None:
    """Past the threshold, originals are closed on worker threads: none may leak, and each
    replaced file's space is given back (its old inode has no name and no holder left)."""
    venv = make_fake_venv(tmp_path / "venv")
    script = (venv / "bin" / "tool").read_bytes()
    for index in range(200):
        path = venv / "bin" / f"tool{index:03d}"
        path.write_bytes(script)
        path.chmod(0o755)
    old_inodes = {p.stat().st_ino for p in (venv / "bin").glob("tool*")}
    fds_before = set(os.listdir("/proc/self/fd"))
    assert shebangfix.fix(venv).ok
    assert set(os.listdir("/proc/self/fd")) <= fds_before
    assert not old_inodes & {p.stat().st_ino for p in (venv / "bin").glob("tool*")}
    assert shebangfix.check(venv).ok


def test_records_behave_like_frozen_dataclasses() -> None:
    from shebangfix.problems import Change, Problem

    made = [Problem(f"bin/t{i}", "crlf", "d", fixable=True) for i in range(100)]
    # The first ones came from the generic __init__, the later ones from the compiled one.
    assert made[0] == Problem("bin/t0", "crlf", "d", True) != made[99]
    assert hash(made[5]) == hash(Problem("bin/t5", "crlf", "d", True))
    assert repr(made[1]) == "Problem(path='bin/t1', code='crlf', detail='d', fixable=True)"
    with pytest.raises(AttributeError):
        made[0].path = "x"  # type: ignore[misc]
    for args, kwargs in (((), {}), (("p", "crlf", "d", True, 1), {}), (("p",), {"nope": 1})):
        with pytest.raises(TypeError):
            Change(*args, **kwargs)  # type: ignore[arg-type]
