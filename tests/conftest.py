"""Session-wide fixtures: the test wheel and the interpreters and tools on this machine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import Python, find_pythons, write_wheel


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny wheel with console, GUI, shell and ``#!python`` scripts."""
    return write_wheel(tmp_path_factory.mktemp("wheels"))


@pytest.fixture(scope="session")
def pythons() -> list[Python]:
    """One interpreter per X.Y (3.9 and newer) found on this machine."""
    return find_pythons()


def require(tool: str) -> None:
    """Skip the test when a command-line tool it needs is absent."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
