"""Relocatable mode and re-pointing the base interpreter, on real venvs.

A venv of each tool is made relocatable, moved three times (a plain, a spaced and a
more-than-256-byte path), and at each place its scripts run (also through a symlink) and
every activate script is sourced in its real shell. Then it is made absolute again at a
target and compared byte for byte with a venv built there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import shebangfix
from helpers import (
    Python,
    find_pythons,
    make_venv,
    run,
    snapshot,
    source_in_shells,
    uv_env,
    write_wheel,
)
from shebangfix.cli import main

PYTHONS = find_pythons()
TOOLS = ["venv", "uv", "virtualenv"]


def _newest() -> Python:
    if not PYTHONS:
        pytest.skip("no Python 3.9+ found")
    return PYTHONS[-1]


def _need(tool: str) -> None:
    if tool != "venv" and shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")


def _assert_works_at(venv: Path) -> None:
    result = shebangfix.check(venv)
    assert result.ok, result.problems
    assert result.relocatable
    ran = subprocess.run([venv / "bin" / "demo-cli"], capture_output=True, text=True)
    assert ran.stdout == f"demo ok {venv}\n", ran
    for shell, output in source_in_shells(venv).items():
        assert output.splitlines()[:2] == [str(venv), f"{venv}/bin/python"], (shell, output)


@pytest.mark.slow
@pytest.mark.parametrize("tool", TOOLS)
def test_relocatable_venv_moves_anywhere_and_comes_back_absolute(tool: str, tmp_path: Path) -> None:
    _need(tool)
    python = _newest()
    wheel = write_wheel(tmp_path)
    target = tmp_path / "target" / "venv"
    make_venv(tool, python, target, wheel)
    reference = snapshot(target)
    shutil.rmtree(target)

    build = tmp_path / "build" / ".venv"
    make_venv(tool, python, build, wheel)
    made = shebangfix.fix(build, relocatable=True)
    assert made.ok, made.problems
    assert made.relocatable
    assert "relocatable = true" in (build / "pyvenv.cfg").read_text()

    places = [
        tmp_path / "one" / "venv",
        tmp_path / "two words" / "my venv",
        tmp_path / ("l" * 150) / ("m" * 100) / "venv",
    ]
    current = build
    for place in places:
        place.parent.mkdir(parents=True)
        current.rename(place)
        current = place
        _assert_works_at(current)

    # Reached through a symlink from elsewhere, the script still finds its own python.
    link = tmp_path / "links" / "demo"
    link.parent.mkdir()
    link.symlink_to(current / "bin" / "demo-cli")
    ran = subprocess.run([link], capture_output=True, text=True)
    assert ran.stdout == f"demo ok {current}\n", ran
    busybox = shutil.which("busybox")
    if busybox:
        ran = subprocess.run([busybox, "sh", link], capture_output=True, text=True)
        assert ran.stdout == f"demo ok {current}\n", ran

    target.parent.mkdir(parents=True, exist_ok=True)
    current.rename(target)
    back = shebangfix.fix(target, prefix=target)
    assert back.ok, back.problems
    assert not back.relocatable
    assert snapshot(target) == reference


@pytest.mark.slow
def test_uv_relocatable_venv_passes_check_and_converts_on_request(tmp_path: Path) -> None:
    _need("uv")
    python = _newest()
    wheel = write_wheel(tmp_path)
    venv = tmp_path / "venv"
    env = uv_env()
    run("uv", "venv", "-q", "--relocatable", "--python", python.executable, venv, env=env)
    run("uv", "pip", "install", "-q", "--python", venv / "bin" / "python", wheel, env=env)
    assert shebangfix.check(venv).ok
    assert not shebangfix.check(venv, relocatable=True).ok
    assert shebangfix.fix(venv, relocatable=True).ok
    assert b"realpath" not in (venv / "bin" / "demo-cli").read_bytes()
    moved = tmp_path / "moved"
    venv.rename(moved)
    _assert_works_at(moved)


def _two_installs_of_one_version() -> tuple[Python, str]:
    for python in PYTHONS:
        for candidate in (
            f"/usr/bin/python{python.version}",
            f"/usr/local/bin/python{python.version}",
        ):
            if os.path.exists(candidate) and os.path.realpath(candidate) != os.path.realpath(
                python.executable
            ):
                return python, candidate
    pytest.skip("no second install of the same Python X.Y on this machine")


@pytest.mark.slow
@pytest.mark.parametrize("tool", ["venv", "uv"])
def test_python_repoints_the_base_interpreter(tool: str, tmp_path: Path) -> None:
    _need(tool)
    python, other = _two_installs_of_one_version()
    venv = tmp_path / "venv"
    make_venv(tool, python, venv, write_wheel(tmp_path))
    fixed = shebangfix.fix(venv, python=other)
    assert fixed.ok, fixed.problems
    out = subprocess.run(
        [venv / "bin" / "python", "-c", "import sys; print(sys.base_prefix)"],
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == os.path.dirname(os.path.dirname(os.path.realpath(other)))
    cfg = (venv / "pyvenv.cfg").read_text()
    assert f"home = {os.path.dirname(other)}\n" in cfg
    assert subprocess.run([venv / "bin" / "demo-cli"], capture_output=True).returncode == 0
    assert shebangfix.check(venv).ok
    assert shebangfix.fix(venv, python=other).changes == ()


@pytest.mark.slow
def test_dangling_python_link_is_reported_and_repaired(tmp_path: Path) -> None:
    python = _newest()
    base = tmp_path / "base"
    shutil.copytree(
        os.path.dirname(os.path.dirname(os.path.realpath(python.executable))), base, symlinks=True
    )
    exe = base / "bin" / f"python{python.version}"
    venv = tmp_path / "venv"
    run(exe, "-m", "venv", "--without-pip", venv)
    shutil.rmtree(base)
    problems = {(p.path, p.code) for p in shebangfix.check(venv).problems}
    assert ("pyvenv.cfg", "missing-base-interpreter") in problems
    assert any(code == "dangling-python-link" for _, code in problems)
    assert main(["fix", str(venv)]) == 1
    assert main(["fix", str(venv), "--python", python.executable]) == 0
    out = subprocess.run([venv / "bin" / "python", "-c", "print('alive')"], capture_output=True)
    assert out.stdout == b"alive\n"


def test_python_of_another_version_or_missing_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python = _newest()
    venv = tmp_path / "venv"
    run(python.executable, "-m", "venv", "--without-pip", venv)
    before = (venv / "pyvenv.cfg").read_bytes()
    other = next((p for p in PYTHONS if p.version != python.version), None)
    assert main(["fix", str(venv), "--python", str(tmp_path / "nope")], prog="shebangfix") == 2
    assert "no such executable" in capsys.readouterr().err
    if other is not None:
        assert main(["fix", str(venv), "--python", other.executable], prog="shebangfix") == 2
        err = capsys.readouterr().err
        assert f"is Python {other.version}, but the venv has lib/python{python.version}" in err
    assert (venv / "pyvenv.cfg").read_bytes() == before
