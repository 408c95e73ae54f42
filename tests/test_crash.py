"""kill -9 in the middle of a fix leaves every file whole; the next run finishes the job."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import shebangfix
from test_safety import OLD, make_fake_venv

SCRIPTS = 20_000
BODY = b"# -*- coding: utf-8 -*-\nimport sys\nprint('x' * 40)\n" * 4


def _populate(venv: Path, count: int = SCRIPTS) -> None:
    for index in range(count):
        path = venv / "bin" / f"tool{index:05d}"
        path.write_bytes(f"#!{OLD}/bin/python\n".encode() + BODY)
        path.chmod(0o755)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_at_random_instant_leaves_every_file_old_or_new(tmp_path: Path, seed: int) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    _populate(venv)
    old = f"#!{OLD}/bin/python\n".encode() + BODY
    new = f"#!{venv}/bin/python\n".encode() + BODY
    process = subprocess.Popen(
        [sys.executable, "-m", "shebangfix", "fix", str(venv)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(random.Random(seed).uniform(0.2, 4.0))
    process.send_signal(signal.SIGKILL)
    process.wait()

    for index in range(SCRIPTS):
        path = venv / "bin" / f"tool{index:05d}"
        assert path.read_bytes() in (old, new), path
        assert path.stat().st_mode & 0o777 == 0o755

    assert shebangfix.fix(venv).ok
    names = os.listdir(venv / "bin")
    assert not [name for name in names if name.endswith(".tmp")]
    assert all((venv / "bin" / f"tool{index:05d}").read_bytes() == new for index in range(SCRIPTS))


def test_two_concurrent_fixes_end_consistent(tmp_path: Path) -> None:
    venv = make_fake_venv(tmp_path / "venv")
    _populate(venv, 3000)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "shebangfix", "fix", str(venv)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    errors = [p.communicate(timeout=300)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], errors
    assert shebangfix.check(venv).ok
    assert not [name for name in os.listdir(venv / "bin") if name.endswith(".tmp")]
