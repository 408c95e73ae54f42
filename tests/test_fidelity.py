"""Fidelity: a moved and fixed venv is byte-identical to one built where it now lives.

For each tool (stdlib venv + pip, uv, virtualenv) and each Python on this machine, and for
a short, a spaced and a more-than-256-byte target: build a reference venv at the target and
record it; build the same venv elsewhere, then

* in place: copy it to the target, delete the original, ``fix`` it there;
* staging: ``fix --prefix TARGET`` where it was built, then copy it to the target;

and compare ``bin/``, ``pyvenv.cfg`` and every ``RECORD`` byte for byte, with file modes and
symlink targets. Then run its scripts and source every activate script in its real shell.
"""

from __future__ import annotations

import difflib
import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

import shebangfix
from helpers import (
    Python,
    copy_tree,
    find_pythons,
    make_venv,
    snapshot,
    source_in_shells,
    write_wheel,
)

TOOLS = ["venv", "uv", "virtualenv", "virtualenv20"]
PYTHONS = find_pythons()
TARGETS = ["short", "medium", "space", "long"]

Snapshot = dict[str, tuple[str, int, bytes]]

# pip (and installer) write a ``#!python`` data script's shebang plain even when the path
# has a space or the line is 256 bytes or longer, which the kernel cannot run; shebangfix
# writes the working trampoline there (and the RECORD hash of that script follows).
UNRUNNABLE_UPSTREAM = {"bin/demo-raw"}


@dataclass(frozen=True)
class Outcome:
    target: Path
    reference: Snapshot
    in_place: Snapshot
    staging: Snapshot
    ran: dict[str, str]
    shells: dict[str, str]


def _target(base: Path, kind: str) -> Path:
    if kind == "space":
        return base / "run time" / "my venv"
    if kind == "long":
        return base / ("t" * 150) / ("u" * 100) / "venv"
    if kind == "medium":
        # Over the installers' 127-byte rule, under the kernel's 256.
        return base / ("m" * (190 - len(str(base)))) / "venv"
    return base / "opt" / "venv"


@functools.cache
def _outcome(tool: str, version: str, kind: str, base: Path, wheel: Path) -> Outcome:
    python = next(p for p in PYTHONS if p.version == version)
    root = base / f"{tool}-{version}-{kind}"
    target = _target(root, kind)
    build = root / "build" / ".venv"

    make_venv(tool, python, target, wheel)
    reference = snapshot(target)
    shutil.rmtree(target)

    make_venv(tool, python, build, wheel)
    spare = root / "spare"
    copy_tree(build, spare)

    # Staging: rewrite where it was built, for where it will run; then copy.
    staged = shebangfix.fix(build, prefix=target)
    assert staged.ok, staged.problems
    copy_tree(build, target)
    shutil.rmtree(build)
    staging = snapshot(target)
    shutil.rmtree(target)

    # In place: copy first (the original is gone), then fix at the target.
    copy_tree(spare, target)
    shutil.rmtree(spare)
    fixed = shebangfix.fix(target)
    assert fixed.ok, fixed.problems
    in_place = snapshot(target)
    ran = {
        name: subprocess.run(
            [target / "bin" / name], capture_output=True, text=True, timeout=60
        ).stdout
        for name in ("demo-cli", "demo-raw")
    }
    shells = source_in_shells(target)
    shutil.rmtree(target)
    return Outcome(target, reference, in_place, staging, ran, shells)


def _differences(expected: Snapshot, actual: Snapshot) -> list[str]:
    lines = []
    for key in sorted(set(expected) | set(actual)):
        want, got = expected.get(key), actual.get(key)
        if want == got:
            continue
        if want is None or got is None or want[:2] != got[:2]:
            lines.append(f"{key}: built there {want!r:.200}, fixed {got!r:.200}")
            continue
        diff = difflib.unified_diff(
            want[2].decode("utf-8", "replace").splitlines(),
            got[2].decode("utf-8", "replace").splitlines(),
            "built there",
            "fixed",
            lineterm="",
        )
        lines.append(f"{key}:\n" + "\n".join(diff))
    return lines


@pytest.fixture(scope="module")
def fidelity_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fidelity")


@pytest.fixture(scope="module")
def fidelity_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_wheel(tmp_path_factory.mktemp("fidelity-wheel"))


def _params() -> list[object]:
    params: list[object] = []
    for tool in TOOLS:
        for python in PYTHONS:
            for kind in TARGETS:
                param_id = f"{tool}-{python.version}-{kind}"
                params.append(pytest.param(tool, python.version, kind, id=param_id))
    return params


@pytest.mark.slow
@pytest.mark.parametrize(("tool", "version", "kind"), _params())
def test_fixed_venv_equals_one_built_at_the_target(
    tool: str, version: str, kind: str, fidelity_base: Path, fidelity_wheel: Path
) -> None:
    if shutil.which(tool if tool != "venv" else "true") is None:
        pytest.skip(f"{tool} is not installed")
    outcome = _outcome(tool, version, kind, fidelity_base, fidelity_wheel)
    for mode, actual in (("in place", outcome.in_place), ("staging", outcome.staging)):
        differences = _differences(outcome.reference, actual)
        if kind in ("space", "long") and tool != "uv":
            differing = {d.split(":", 1)[0] for d in differences}
            records = {d for d in differing if d.endswith("/RECORD") and "/demo-1.0" in d}
            assert differing - records <= UNRUNNABLE_UPSTREAM, (mode, differences)
            continue
        assert not differences, f"{mode}:\n" + "\n".join(differences)
    expected = f"demo ok {outcome.target}\n"
    assert outcome.ran == {"demo-cli": expected, "demo-raw": expected}


@pytest.mark.slow
@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("kind", TARGETS)
def test_every_activate_script_works_in_its_shell(
    tool: str, kind: str, fidelity_base: Path, fidelity_wheel: Path
) -> None:
    if shutil.which(tool if tool != "venv" else "true") is None:
        pytest.skip(f"{tool} is not installed")
    if not PYTHONS:
        pytest.skip("no Python 3.9+ found")
    version = PYTHONS[-1].version
    outcome = _outcome(tool, version, kind, fidelity_base, fidelity_wheel)
    assert outcome.shells, "no shell to try"
    for shell, output in outcome.shells.items():
        lines = output.splitlines()
        assert lines[:2] == [str(outcome.target), f"{outcome.target}/bin/python"], (shell, output)


def test_pythons_found() -> None:
    """The matrix above is as wide as this machine allows; say so when it is narrow."""
    assert PYTHONS, "no Python 3.9+ found"


def test_python_list_is_sorted() -> None:
    versions = [tuple(map(int, p.version.split("."))) for p in PYTHONS]
    assert versions == sorted(versions)
    assert all(isinstance(p, Python) for p in PYTHONS)
