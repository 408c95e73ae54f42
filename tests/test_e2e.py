"""End to end: real venvs built with venv+pip and uv, moved, broken, checked and fixed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import shebangfix
from conftest import require
from helpers import Python, copy_tree, make_venv
from shebangfix.cli import main

TOOLS = ["venv", "uv"]


@pytest.fixture(scope="session")
def stash(
    tmp_path_factory: pytest.TempPathFactory, wheel: Path
) -> Iterator[dict[str, tuple[Path, Path]]]:
    """Per tool: (where the venv was built, a copy of it); the build location is deleted."""
    base = tmp_path_factory.mktemp("e2e")
    python = Python(f"{sys.version_info[0]}.{sys.version_info[1]}", sys.executable)
    built: dict[str, tuple[Path, Path]] = {}
    for tool in TOOLS:
        if tool == "uv" and shutil.which("uv") is None:
            continue
        origin = base / tool / "build" / ".venv"
        make_venv(tool, python, origin, wheel)
        copy = base / tool / "stash"
        copy_tree(origin, copy)
        shutil.rmtree(origin)
        built[tool] = (origin, copy)
    yield built


def _moved(stash: dict[str, tuple[Path, Path]], tool: str, target: Path) -> Path:
    if tool not in stash:
        require(tool)
    copy_tree(stash[tool][1], target)
    return target


def _run_script(script: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([script], capture_output=True, text=True, timeout=60)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shebangfix", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("tool", TOOLS)
def test_moved_venv_is_broken_then_fixed_in_place(
    stash: dict[str, tuple[Path, Path]], tool: str, tmp_path: Path
) -> None:
    venv = _moved(stash, tool, tmp_path / "opt" / "venv")
    script = venv / "bin" / "demo-cli"

    with pytest.raises(FileNotFoundError):
        _run_script(script)
    shell = subprocess.run(["bash", "-c", str(script)], capture_output=True, text=True)
    assert shell.returncode in (126, 127), shell

    checked = _cli("check", str(venv))
    assert checked.returncode == 1, checked
    assert "bin/demo-cli: missing-interpreter: " in checked.stdout
    assert checked.stderr == ""

    fixed = _cli("fix", str(venv))
    assert fixed.returncode == 0, fixed
    assert "bin/demo-cli: fixed missing-interpreter" in fixed.stdout

    for name in ("demo-cli", "demo-gui", "demo-raw"):
        ran = _run_script(venv / "bin" / name)
        assert ran.returncode == 0, ran
        assert ran.stdout == f"demo ok {venv}\n"
    assert _run_script(venv / "bin" / "demo-sh").stdout == "shell ok\n"
    assert (venv / "bin" / "demo-system").read_bytes().startswith(b"#!/usr/bin/python3\n")

    again = _cli("check", str(venv))
    assert again.returncode == 0, again
    activated = subprocess.run(
        [
            "bash",
            "-c",
            '. "$1/bin/activate" && echo "$VIRTUAL_ENV" && command -v python',
            "-",
            venv,
        ],
        capture_output=True,
        text=True,
    )
    assert activated.stdout.split("\n")[:2] == [str(venv), f"{venv}/bin/python"]


@pytest.mark.parametrize("tool", TOOLS)
def test_second_fix_changes_nothing(
    stash: dict[str, tuple[Path, Path]], tool: str, tmp_path: Path
) -> None:
    venv = _moved(stash, tool, tmp_path / "venv")
    assert shebangfix.fix(venv).ok
    before = {p: p.lstat().st_mtime_ns for p in venv.rglob("*")}
    second = shebangfix.fix(venv)
    assert second.ok
    assert second.changes == ()
    assert {p: p.lstat().st_mtime_ns for p in venv.rglob("*")} == before


@pytest.mark.parametrize("tool", TOOLS)
def test_old_venv_still_present_is_reported_not_silent(
    stash: dict[str, tuple[Path, Path]], tool: str, tmp_path: Path
) -> None:
    origin, copy = stash.get(tool) or (None, None)
    if origin is None or copy is None:
        require(tool)
        return
    venv = _moved(stash, tool, tmp_path / "opt" / "venv")
    copy_tree(copy, origin)
    try:
        # Without the fix the script runs, silently, with the old interpreter.
        ran = _run_script(venv / "bin" / "demo-cli")
        assert ran.stdout == f"demo ok {origin}\n"
        result = shebangfix.check(venv)
        codes = {(p.path, p.code) for p in result.problems}
        assert ("bin/demo-cli", "outside-prefix") in codes
        assert main(["check", str(venv)]) == 1
        assert main(["fix", str(venv)]) == 0
        assert _run_script(venv / "bin" / "demo-cli").stdout == f"demo ok {venv}\n"
    finally:
        shutil.rmtree(origin)


@pytest.mark.parametrize("tool", TOOLS)
def test_staging_rewrites_for_the_destination_before_the_copy(
    stash: dict[str, tuple[Path, Path]], tool: str, tmp_path: Path
) -> None:
    builder = _moved(stash, tool, tmp_path / "build" / ".venv")
    destination = tmp_path / "runtime" / "opt" / "venv"
    # The destination does not exist yet: existence is checked through the builder copy.
    assert main(["check", str(builder), "--prefix", str(destination)]) == 1
    assert main(["fix", str(builder), "--prefix", str(destination)]) == 0
    assert main(["check", str(builder), "--prefix", str(destination)]) == 0
    copy_tree(builder, destination)
    shutil.rmtree(builder)
    assert _run_script(destination / "bin" / "demo-cli").stdout == f"demo ok {destination}\n"
    assert shebangfix.check(destination).ok


def test_console_script_and_json(stash: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    command = shutil.which("shebangfix") or os.path.join(sys.prefix, "bin", "shebangfix")
    if not os.path.exists(command):
        pytest.skip("the shebangfix console script is not installed")
    venv = _moved(stash, "venv", tmp_path / "v")
    out = subprocess.run([command, "check", str(venv), "--json"], capture_output=True, text=True)
    assert out.returncode == 1
    document = json.loads(out.stdout)
    assert document["schema"] == 1
    assert document["ok"] is False
    assert {"path": "bin/demo-cli", "code": "missing-interpreter"}.items() <= next(
        p for p in document["problems"] if p["path"] == "bin/demo-cli"
    ).items()
    fixed = subprocess.run([command, "fix", str(venv), "--json"], capture_output=True, text=True)
    assert fixed.returncode == 0, fixed
    assert json.loads(fixed.stdout)["ok"] is True
    assert _run_script(venv / "bin" / "demo-cli").returncode == 0


def test_default_venv_is_virtual_env(
    stash: dict[str, tuple[Path, Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = _moved(stash, "venv", tmp_path / "v")
    monkeypatch.setenv("VIRTUAL_ENV", str(venv))
    assert main(["fix"]) == 0
    assert main(["check"]) == 0


def test_dry_run_writes_nothing(stash: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    venv = _moved(stash, "venv", tmp_path / "v")
    before = {p: p.read_bytes() for p in (venv / "bin").iterdir() if not p.is_symlink()}
    result = shebangfix.fix(venv, dry_run=True)
    assert result.dry_run
    assert any(c.path == "bin/demo-cli" for c in result.changes)
    assert {p: p.read_bytes() for p in (venv / "bin").iterdir() if not p.is_symlink()} == before
