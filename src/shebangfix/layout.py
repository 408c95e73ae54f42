"""Find a virtual environment, read what it says about itself, and vet the target prefix."""

from __future__ import annotations

import os
import stat
import sys

from . import pyvenv
from ._struct import frozen
from .errors import ShebangfixError

__all__ = [
    "PathLike",
    "Venv",
    "check_prefix",
    "check_python",
    "check_windows_prefix",
    "default_venv",
    "local_path",
    "open_venv",
    "python_version",
    "venv_versions",
]

TYPE_CHECKING = False  # typing is not imported at run time: it would double start-up
if TYPE_CHECKING:
    from typing import Union

    from .activate import Creator

    PathLike = Union[str, "os.PathLike[str]"]


# Characters some activate flavour cannot hold inside its quotes (sh and csh double quotes
# expand $, ` and \; csh expands ! everywhere; activate.bat expands %; a quote ends the
# string). A prefix holding one is refused rather than written unsafely.
_UNSAFE = frozenset("\"'\\$`!%")


@frozen
class Venv:
    """A virtual environment on disk."""

    root: str
    """Absolute path of the directory holding ``pyvenv.cfg``."""
    bin: str
    """Name of the scripts directory under ``root`` (``bin``)."""
    config: bytes
    """``pyvenv.cfg`` as read."""
    settings: dict[str, str]
    """``pyvenv.cfg``'s keys and values."""
    creator: Creator
    """Which tool made the venv, as ``pyvenv.cfg`` tells."""
    site_packages: list[str]
    """Absolute paths of its ``lib/*/site-packages`` directories."""
    windows: bool = False
    """A Windows venv (``Scripts``, ``Lib``): its prefix is a Windows path."""


def default_venv() -> str:
    """``$VIRTUAL_ENV``, else the running interpreter's venv, else ``./.venv``."""
    env = os.environ.get("VIRTUAL_ENV")
    if env:
        return env
    if sys.prefix != sys.base_prefix:
        return sys.prefix
    if os.path.isdir(".venv"):
        return os.path.abspath(".venv")
    raise ShebangfixError(
        "no virtual environment given: pass VENV, set VIRTUAL_ENV, or run from a venv"
    )


def check_prefix(prefix: PathLike, what: str = "prefix") -> str:
    """Return ``prefix`` normalised, or raise if it cannot be written safely everywhere."""
    text = os.fspath(prefix)
    if not os.path.isabs(text):
        raise ShebangfixError(f"{text}: {what} must be an absolute path")
    bad = sorted({c for c in text if c in _UNSAFE or ord(c) < 0x20 or ord(c) == 0x7F})
    if bad:
        names = ", ".join(repr(c) for c in bad)
        raise ShebangfixError(
            f"{text!r}: {what} holds {names}, which cannot be written safely"
            " into every activate script and launcher"
        )
    if text != text.strip() or text.rstrip("/") != text.rstrip("/").rstrip():
        # pyvenv.cfg and the activate scripts could not tell its edge from padding.
        raise ShebangfixError(f"{text!r}: {what} ends in white space")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ShebangfixError(f"{text!r}: {what} is not valid UTF-8") from None
    normal = os.path.normpath(text)
    return "/" if normal == "//" else normal


def _creator(settings: dict[str, str]) -> Creator:
    if "uv" in settings:
        return "uv"
    if "virtualenv" in settings:
        return "virtualenv"
    return "venv"


def open_venv(path: PathLike | None = None) -> Venv:
    """Locate and read the venv at ``path`` (default: see :func:`default_venv`)."""
    root = os.path.abspath(os.fspath(path) if path is not None else default_venv())
    try:
        st = os.stat(root)
    except OSError as exc:
        raise ShebangfixError(f"{root}: {exc.strerror}") from exc
    if not stat.S_ISDIR(st.st_mode):
        raise ShebangfixError(f"{root}: not a directory")
    cfg_path = os.path.join(root, "pyvenv.cfg")
    try:
        fd = os.open(cfg_path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ShebangfixError(f"{cfg_path}: not a regular file")
            config = b""
            while chunk := os.read(fd, 65536):
                config += chunk
        finally:
            os.close(fd)
    except FileNotFoundError:
        raise ShebangfixError(f"{root}: not a virtual environment (no pyvenv.cfg)") from None
    except OSError as exc:
        raise ShebangfixError(f"{cfg_path}: {exc.strerror}") from exc
    settings = pyvenv.parse(config)
    scripts = "bin"
    if not _real_dir(os.path.join(root, "bin")):
        if not _real_dir(os.path.join(root, "Scripts")):
            raise ShebangfixError(f"{root}: no bin directory (nor Scripts, for Windows)")
        scripts = "Scripts"
    if scripts == "Scripts":
        site = os.path.join(root, "Lib", "site-packages")
        sites = [site] if os.path.isdir(site) else []
        return Venv(root, scripts, config, settings, _creator(settings), sites, windows=True)
    site_packages: list[str] = []
    seen: set[str] = set()
    for lib in ("lib", "lib64"):
        lib_dir = os.path.join(root, lib)
        try:
            names = sorted(os.listdir(lib_dir))
        except OSError:
            continue
        for name in names:
            site = os.path.join(lib_dir, name, "site-packages")
            real = os.path.realpath(site)
            if real not in seen and os.path.isdir(site):
                seen.add(real)
                site_packages.append(site)
    return Venv(root, "bin", config, settings, _creator(settings), site_packages)


def _real_dir(path: str) -> bool:
    return os.path.isdir(path) and not os.path.islink(path)


def _version_in(name: str) -> str | None:
    """``X.Y`` from a name ``pythonX.Y`` or ``pypyX.Y``."""
    for stem in ("python", "pypy"):
        if name.startswith(stem):
            major, dot, minor = name[len(stem) :].partition(".")
            if dot and _digits(major) and _digits(minor):
                return f"{major}.{minor}"
    return None


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def venv_versions(venv: Venv) -> set[str]:
    """The X.Y of each ``lib/pythonX.Y`` the venv has."""
    found = set()
    for site in venv.site_packages:
        version = _version_in(os.path.basename(os.path.dirname(site)))
        if version:
            found.add(version)
    return found


def python_version(path: str) -> str | None:
    """X.Y of an interpreter from its real file name (``python3.12``), without running it."""
    return _version_in(os.path.basename(os.path.realpath(path)))


def local_path(root: bytes, prefix: bytes, path: bytes) -> bytes:
    """Where a path under the target ``prefix`` is on this machine now, ``root`` (staging)."""
    base = prefix.rstrip(b"/")
    if path == prefix:
        return root
    if path.startswith(base + b"/"):
        return root + path[len(base) :]
    return path


def check_python(exe: PathLike, venv: Venv, prefix: str) -> str:
    """Vet a new base interpreter: absolute, present, and of the venv's X.Y. Never runs it."""
    path = check_prefix(exe, "--python")
    local = os.fsdecode(local_path(os.fsencode(venv.root), os.fsencode(prefix), os.fsencode(path)))
    if not os.path.isfile(local) or not os.access(local, os.X_OK):
        raise ShebangfixError(f"{path}: no such executable")
    version = python_version(local)
    if version is None:
        lib = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(local))), "lib")
        try:
            candidates = {v for n in os.listdir(lib) if (v := _version_in(n))}
        except OSError:
            candidates = set()
        version = candidates.pop() if len(candidates) == 1 else None
    if version is None:
        raise ShebangfixError(f"{path}: cannot tell its Python version from its name")
    versions = venv_versions(venv)
    if versions and version not in versions:
        have = ", ".join(f"lib/python{v}" for v in sorted(versions))
        raise ShebangfixError(f"{path}: is Python {version}, but the venv has {have}")
    return path


# A Windows prefix: a drive or a UNC share, backslashes, none of the characters that cmd,
# PowerShell or the sh activate script would expand, nor those Windows forbids in names.
_WINDOWS_PATH = r"(?:[A-Za-z]:|\\\\[^\\/]+\\[^\\/]+)(?:\\[^\\/]+)*\\?"
_WINDOWS_UNSAFE = frozenset("\"'$`!%<>|?*/")


def check_windows_prefix(prefix: PathLike | None, venv: Venv) -> str:
    """Vet the Windows path a Windows venv will run from; normalised without a final ``\\``."""
    if prefix is None:
        raise ShebangfixError(
            f"{venv.root}: a Windows venv needs --prefix, the Windows path it will run from"
        )
    text = os.fspath(prefix)
    bad = sorted({c for c in text if c in _WINDOWS_UNSAFE or ord(c) < 0x20 or ord(c) == 0x7F})
    if bad:
        names = ", ".join(repr(c) for c in bad)
        raise ShebangfixError(f"{text!r}: prefix holds {names}, which cannot be written safely")
    import re  # Windows venvs only

    if not re.fullmatch(_WINDOWS_PATH, text) or text != text.strip():
        raise ShebangfixError(f"{text!r}: not a Windows path (X:\\dir or \\\\server\\share)")
    if any(part != part.rstrip(" .") for part in text.split("\\")[1:]):
        raise ShebangfixError(f"{text!r}: a Windows name cannot end in a space or a dot")
    return text.rstrip("\\") if len(text) > 3 else text
