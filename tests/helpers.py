"""Builders for real wheels and venvs, shared by the end-to-end tests."""

from __future__ import annotations

import base64
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

DEMO_MAIN = b"import sys\n\ndef main():\n    print('demo ok', sys.prefix)\n"


def _record_row(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def write_wheel(directory: Path, name: str = "demo", *, placeholder: bool = True) -> Path:
    """Write a tiny pure wheel with console and GUI scripts and, optionally, a data script.

    The data script carries the ``#!python`` placeholder that installers replace.
    """
    dist = f"{name}-1.0"
    files: dict[str, tuple[bytes, int]] = {
        f"{name}/__init__.py": (DEMO_MAIN, 0o644),
        f"{dist}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
            0o644,
        ),
        f"{dist}.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            0o644,
        ),
        f"{dist}.dist-info/entry_points.txt": (
            f"[console_scripts]\n{name}-cli = {name}:main\n"
            f"[gui_scripts]\n{name}-gui = {name}:main\n".encode(),
            0o644,
        ),
        f"{dist}.data/scripts/{name}-sh": (b"#!/bin/sh\necho shell ok\n", 0o755),
        # A script for the system's Python on purpose: installers copy it as it is.
        f"{dist}.data/scripts/{name}-system": (b"#!/usr/bin/python3\nprint('system')\n", 0o755),
    }
    if placeholder:
        files[f"{dist}.data/scripts/{name}-raw"] = (
            f"#!python\nimport {name}\n{name}.main()\n".encode(),
            0o755,
        )
    path = directory / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        rows = []
        for member, (data, mode) in files.items():
            info = zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data)
            rows.append(_record_row(member, data))
        rows.append(f"{dist}.dist-info/RECORD,,")
        archive.writestr(f"{dist}.dist-info/RECORD", "\n".join(rows) + "\n")
    return path


@dataclass(frozen=True)
class Python:
    """A Python interpreter found on this machine."""

    version: str
    """``X.Y``."""
    executable: str


def find_pythons() -> list[Python]:
    """One interpreter per X.Y from 3.9 up: the running one, pyenv's, then PATH."""
    candidates = [sys.executable]
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates += sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3")))
    for minor in range(9, 15):
        found = shutil.which(f"python3.{minor}")
        if found:
            candidates.append(found)
    pythons: dict[str, Python] = {}
    for exe in candidates:
        try:
            out = subprocess.run(
                [exe, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if tuple(map(int, out.split("."))) >= (3, 9):
            pythons.setdefault(out, Python(out, exe))
    return sorted(pythons.values(), key=lambda p: tuple(map(int, p.version.split("."))))


def run(
    *args: str | os.PathLike[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output, failing loudly if it does not succeed."""
    try:
        return subprocess.run(
            [os.fspath(a) for a in args],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
            env=env,
        )
    except subprocess.CalledProcessError as exc:
        raise AssertionError(f"{exc.cmd} failed:\n{exc.stdout}\n{exc.stderr}") from exc


def uv_env() -> dict[str, str]:
    """Environment for uv that never touches the network."""
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env["UV_OFFLINE"] = "1"
    env["UV_NO_CONFIG"] = "1"
    env.setdefault("UV_CACHE_DIR", os.path.join(tempfile.gettempdir(), "shebangfix-tests-uv"))
    return env


def _pip_install(venv: Path, wheel: Path) -> None:
    run(
        venv / "bin" / "python",
        "-m",
        "pip",
        "install",
        "-q",
        "--no-index",
        "--disable-pip-version-check",
        wheel,
    )


def make_venv(tool: str, python: Python, path: Path, wheel: Path) -> None:
    """Create a venv at ``path`` with ``tool`` and install ``wheel`` into it, offline."""
    if tool == "venv":
        run(python.executable, "-m", "venv", path)
        _pip_install(path, wheel)
    elif tool == "uv":
        env = uv_env()
        run("uv", "venv", "-q", "--python", python.executable, path, env=env)
        run("uv", "pip", "install", "-q", "--python", path / "bin" / "python", wheel, env=env)
    elif tool in ("virtualenv", "virtualenv20"):
        # virtualenv20: an older release (before 20.26.6 quoted its sh script differently),
        # which .ci/run installs under that name beside the current one.
        virtualenv = shutil.which(tool)
        assert virtualenv is not None
        env = dict(os.environ)
        env.pop("VIRTUAL_ENV", None)
        run(virtualenv, "-q", "--no-periodic-update", "-p", python.executable, path, env=env)
        _pip_install(path, wheel)
    else:
        raise ValueError(tool)


def copy_tree(source: Path, target: Path) -> None:
    """Copy a venv the way ``cp -a`` / ``COPY --from`` does: links as links, modes kept."""
    target.parent.mkdir(parents=True, exist_ok=True)
    run("cp", "-a", source, target)


def snapshot(root: Path) -> dict[str, tuple[str, int, bytes]]:
    """What fidelity compares: bin/, pyvenv.cfg and every RECORD, with modes and links."""
    paths = [root / "pyvenv.cfg"]
    paths += sorted((root / "bin").iterdir())
    paths += sorted(root.glob("lib/*/site-packages/*.dist-info/RECORD"))
    result: dict[str, tuple[str, int, bytes]] = {}
    for path in paths:
        rel = path.relative_to(root).as_posix()
        st = path.lstat()
        if path.is_symlink():
            result[rel] = ("link", 0, os.readlink(path).encode())
        elif path.is_dir():
            result[rel] = ("dir", st.st_mode & 0o7777, b"")
        else:
            result[rel] = ("file", st.st_mode & 0o7777, path.read_bytes())
    return result


SHELLS = {
    "bash": ["bash", "-c", '. "$1/bin/activate"; echo "$VIRTUAL_ENV"; command -v python', "-"],
    "dash": ["dash", "-c", '. "$1/bin/activate"; echo "$VIRTUAL_ENV"; command -v python', "-"],
    "zsh": ["zsh", "-c", '. "$1/bin/activate"; echo "$VIRTUAL_ENV"; command -v python', "-"],
    # ksh93 prints a path with a space in quotes; eval reads it back.
    "ksh": [
        "ksh",
        "-c",
        '. "$1/bin/activate"; echo "$VIRTUAL_ENV"; eval "set -- $(command -v python)"; echo "$1"',
        "-",
    ],
    "mksh": ["mksh", "-c", '. "$1/bin/activate"; echo "$VIRTUAL_ENV"; command -v python', "-"],
    "busybox": [
        "busybox",
        "sh",
        "-c",
        '. "$1/bin/activate"; echo "$VIRTUAL_ENV"; command -v python',
        "-",
    ],
    "fish": [
        "fish",
        "-c",
        'source "$argv[1]/bin/activate.fish"; echo "$VIRTUAL_ENV"; command -v python',
    ],
    "tcsh": [
        "tcsh",
        "-c",
        'source "$VENV_DIR/bin/activate.csh"; echo "$VIRTUAL_ENV"; which python',
    ],
}


def source_in_shells(venv: Path) -> dict[str, str]:
    """Source each activate flavour in its real shell; what each printed, by shell."""
    outputs: dict[str, str] = {}
    for shell, command in SHELLS.items():
        if shutil.which(command[0]) is None:
            continue
        flavour = {"fish": "activate.fish", "tcsh": "activate.csh"}.get(shell, "activate")
        if not (venv / "bin" / flavour).exists():
            continue
        env = {"PATH": "/usr/bin:/bin", "HOME": str(venv.parent), "VENV_DIR": str(venv)}
        done = subprocess.run(
            [*command, str(venv)], capture_output=True, text=True, timeout=60, env=env
        )
        outputs[shell] = done.stdout + done.stderr
    return outputs
