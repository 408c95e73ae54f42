"""Windows launchers: pip's real distlib stubs, uv's two trampoline layouts, fuzzed."""

from __future__ import annotations

import glob
import io
import os
import struct
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shebangfix.windows import (
    LauncherError,
    parse_launcher,
    rewrite_launcher,
    windows_prefix,
)

OLD = b"C:\\build\\venv\\Scripts\\python.exe"
NEW = b"C:\\app\\my venv\\Scripts\\python.exe"
SCRIPT = b"import sys\nfrom demo import main\nsys.exit(main())\n"


def distlib_stub(kind: str = "t64") -> bytes:
    """A launcher stub from a pip that ships them (pip vendors distlib's .exe files)."""
    roots = [os.path.dirname(os.path.dirname(os.__file__)), *sys.path]
    pattern = "**/pip/_vendor/distlib/{}.exe"
    pyenv = os.path.expanduser("~/.pyenv/versions")
    for root in [*roots, pyenv]:
        found = glob.glob(os.path.join(root, pattern.format(kind)), recursive=True)
        if found:
            return Path(found[0]).read_bytes()
    pytest.skip("no pip with distlib launcher stubs on this machine")


def zip_payload() -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("__main__.py", SCRIPT)
    return stream.getvalue()


def launcher_finds(data: bytes) -> bytes:
    """What distlib's launcher.c runs: last EOCD, back to the zip start, then the #! line."""
    eocd = data.rfind(b"PK\x05\x06", len(data) - 65536 - 22)
    cd_size, cd_offset = struct.unpack_from("<II", data, eocd + 12)
    start = eocd - cd_size - cd_offset
    line_start = start if data.startswith(b"#!", start) else data.rfind(b"#!", start - 260, start)
    line = data[line_start + 2 :].split(b"\n", 1)[0].split(b"\r", 1)[0]
    return line


@pytest.mark.parametrize("kind", ["t32", "t64", "w64"])
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_distlib_launcher_is_rewritten_keeping_stub_and_payload(kind: str, newline: bytes) -> None:
    stub = distlib_stub(kind)
    data = stub + b"#!" + OLD + newline + zip_payload()
    launcher = parse_launcher(data)
    assert launcher is not None
    assert (launcher.kind, launcher.interpreter, launcher.quoted) == ("distlib", OLD, False)
    new = rewrite_launcher(data, launcher, NEW, quote=True)
    assert new.startswith(stub)
    assert launcher_finds(new) == b'"' + NEW + b'"'
    with zipfile.ZipFile(io.BytesIO(new)) as archive:
        assert archive.read("__main__.py") == SCRIPT
        assert archive.testzip() is None
    again = parse_launcher(new)
    assert again is not None and again.interpreter == NEW and again.quoted


def test_zipapp_style_payload_has_its_offsets_shifted() -> None:
    stub = distlib_stub()
    stream = io.BytesIO()
    stream.write(b"#!" + OLD + b"\n")
    with zipfile.ZipFile(stream, "a") as archive:
        archive.writestr("__main__.py", SCRIPT)
    # The zip counts its offsets from the #! line, as zipapp writes it.
    data = stub + stream.getvalue()
    launcher = parse_launcher(data)
    assert launcher is not None and launcher.zip_start >= 0
    new = rewrite_launcher(data, launcher, NEW + b" -E", quote=False)
    assert launcher_finds(new) == NEW + b" -E"
    payload = new[len(stub) :]
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        assert archive.read("__main__.py") == SCRIPT


def test_uv_legacy_trampoline() -> None:
    data = b"MZ" + b"\0" * 200 + zip_payload() + OLD + struct.pack("<I", len(OLD)) + b"UVSC"
    launcher = parse_launcher(data)
    assert launcher is not None and launcher.kind == "uv-legacy"
    assert launcher.interpreter == OLD
    new = rewrite_launcher(data, launcher, NEW, quote=False)
    assert new.endswith(NEW + struct.pack("<I", len(NEW)) + b"UVSC")
    assert new[: len(data) - 8 - len(OLD)] == data[: len(data) - 8 - len(OLD)]


def build_pe(
    resources: dict[str, bytes], *, pe32_plus: bool = True, checksum: bool = True
) -> bytes:
    """A minimal PE image whose .rsrc holds RT_RCDATA resources by name, language 0."""
    file_align = 0x200
    rsrc_rva = 0x1000
    # Resource tree: root (1 id entry) -> RT_RCDATA (named entries) -> language (1 id entry).
    names = sorted(resources)
    root = struct.pack("<IIHHHH", 0, 0, 0, 0, 0, 1)
    type_dir_at = 16 + 8
    root += struct.pack("<II", 10, 0x80000000 | type_dir_at)
    type_dir = struct.pack("<IIHHHH", 0, 0, 0, 0, len(names), 0)
    lang_dirs_at = type_dir_at + 16 + 8 * len(names)
    lang_dir_size = 16 + 8
    data_entries_at = lang_dirs_at + lang_dir_size * len(names)
    strings_at = data_entries_at + 16 * len(names)
    strings = b""
    string_offsets = []
    for name in names:
        string_offsets.append(strings_at + len(strings))
        encoded = name.encode("utf-16-le")
        strings += struct.pack("<H", len(name)) + encoded
    data_at = strings_at + len(strings)
    data_at += (-data_at) % 8
    blobs = b""
    blob_offsets = []
    for name in names:
        blob_offsets.append(data_at + len(blobs))
        blobs += resources[name] + b"\0" * ((-len(resources[name])) % 8)
    lang_dirs = b""
    entries = b""
    for i, name in enumerate(names):
        type_dir += struct.pack(
            "<II", 0x80000000 | string_offsets[i], 0x80000000 | (lang_dirs_at + lang_dir_size * i)
        )
        lang_dirs += struct.pack("<IIHHHH", 0, 0, 0, 0, 0, 1)
        lang_dirs += struct.pack("<II", 0, data_entries_at + 16 * i)
        entries += struct.pack("<IIII", rsrc_rva + blob_offsets[i], len(resources[name]), 0, 0)
    rsrc = root + type_dir + lang_dirs + entries + strings
    rsrc += b"\0" * (data_at - len(rsrc)) + blobs
    rsrc += b"\0" * ((-len(rsrc)) % file_align)

    optional_size = 240 if pe32_plus else 224
    pe_at = 0x80
    headers_size = 0x400
    dos = b"MZ" + b"\0" * 0x3A + struct.pack("<I", pe_at)
    dos += b"\0" * (pe_at - len(dos))
    coff = b"PE\0\0" + struct.pack(
        "<HHIIIHH", 0x8664 if pe32_plus else 0x14C, 1, 0, 0, 0, optional_size, 0x22
    )
    optional = bytearray(optional_size)
    struct.pack_into("<H", optional, 0, 0x20B if pe32_plus else 0x10B)
    directories = 112 if pe32_plus else 96
    struct.pack_into("<I", optional, directories - 4, 16)
    struct.pack_into("<II", optional, directories + 16, rsrc_rva, len(rsrc))
    if checksum:
        struct.pack_into("<I", optional, 64, 1)  # any non-zero value: rewriting recomputes it
    section = struct.pack(
        "<8sIIIIIIHHI",
        b".rsrc",
        len(rsrc),
        rsrc_rva,
        len(rsrc),
        headers_size,
        0,
        0,
        0,
        0,
        0x40000040,
    )
    head = dos + coff + bytes(optional) + section
    return head + b"\0" * (headers_size - len(head)) + rsrc


@pytest.mark.parametrize("pe32_plus", [True, False])
def test_uv_resource_trampoline_is_rewritten_in_place(pe32_plus: bool) -> None:
    data = build_pe(
        {"UV_TRAMPOLINE_KIND": b"\x01", "UV_PYTHON_PATH": OLD + b"x" * 20},
        pe32_plus=pe32_plus,
    )
    launcher = parse_launcher(data)
    assert launcher is not None and launcher.kind == "uv-resource"
    assert launcher.interpreter == OLD + b"x" * 20
    new = rewrite_launcher(data, launcher, NEW, quote=False)
    assert len(new) == len(data)
    again = parse_launcher(new)
    assert again is not None and again.interpreter == NEW
    # The kind resource is untouched.
    assert b"\x01" in new


def test_uv_resource_path_that_does_not_fit_is_refused() -> None:
    data = build_pe(
        {"UV_TRAMPOLINE_KIND": b"\x02", "UV_PYTHON_PATH": b"C:\\v\\Scripts\\python.exe"}
    )
    launcher = parse_launcher(data)
    assert launcher is not None
    with pytest.raises(LauncherError, match="has room for"):
        rewrite_launcher(data, launcher, NEW, quote=False)


@pytest.mark.parametrize(
    ("interpreter", "prefix"),
    [
        (b"C:\\venv\\Scripts\\python.exe", b"C:\\venv"),
        (b"c:\\a b\\scripts\\PYTHONW.EXE", b"c:\\a b"),
        (b"C:\\venv\\bin\\python.exe", None),
        (b"python.exe", None),
    ],
)
def test_windows_prefix(interpreter: bytes, prefix: bytes | None) -> None:
    assert windows_prefix(interpreter) == prefix


@given(st.binary(max_size=2000))
def test_launcher_parser_takes_any_bytes(tail: bytes) -> None:
    for data in (b"MZ" + tail, b"MZ" + tail + b"PK\x05\x06" + tail[:18]):
        launcher = parse_launcher(data)
        if launcher is None:
            continue
        try:
            new = rewrite_launcher(data, launcher, NEW, quote=True)
        except LauncherError:
            continue
        again = parse_launcher(new)
        assert again is not None and again.interpreter == NEW


# A Windows venv tree, as copied onto a Linux machine to be repaired before it ships ------

ACTIVATE_BAT = (
    "@echo off\r\n"
    'set "VIRTUAL_ENV=C:\\build\\venv"\r\n'
    "if defined _OLD_VIRTUAL_PROMPT (\r\n"
    '    set "PROMPT=%_OLD_VIRTUAL_PROMPT%"\r\n'
    ")\r\n"
    'set "_OLD_VIRTUAL_PROMPT=%PROMPT%"\r\n'
    'set "PROMPT=(venv) %PROMPT%"\r\n'
    'set "PATH=%VIRTUAL_ENV%\\Scripts;%PATH%"\r\n'
)
ACTIVATE_SH = (
    'if [ "${OSTYPE:-}" = "cygwin" ] || [ "${OSTYPE:-}" = "msys" ] ; then\n'
    '    export VIRTUAL_ENV=$(cygpath "C:\\build\\venv")\n'
    "else\n"
    '    export VIRTUAL_ENV="C:\\build\\venv"\n'
    "fi\n"
)


def _record_row(name: str, data: bytes) -> str:
    import base64
    import hashlib

    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}\r\n"


def make_windows_venv(root: Path) -> dict[str, bytes]:
    scripts = root / "Scripts"
    site = root / "Lib" / "site-packages"
    dist = site / "demo-1.0.dist-info"
    scripts.mkdir(parents=True)
    dist.mkdir(parents=True)
    (root / "pyvenv.cfg").write_bytes(
        b"home = C:\\Python312\r\ninclude-system-site-packages = false\r\nversion = 3.12.1\r\n"
        b"executable = C:\\Python312\\python.exe\r\n"
        b"command = C:\\Python312\\python.exe -m venv C:\\build\\venv\r\n"
    )
    files = {
        "demo-cli.exe": distlib_stub("t64") + b"#!" + OLD + b"\n" + zip_payload(),
        "demo-gui.exe": distlib_stub("w64")
        + b"#!C:\\build\\venv\\Scripts\\pythonw.exe\n"
        + zip_payload(),
        "python.exe": b"MZ" + b"\0" * 500,
        "activate.bat": ACTIVATE_BAT.encode(),
        "activate": ACTIVATE_SH.encode(),
        "Activate.ps1": b"$VenvDir = Split-Path $MyInvocation.MyCommand.Path\r\n",
        "deactivate.bat": b"@echo off\r\n",
    }
    for name, data in files.items():
        (scripts / name).write_bytes(data)
    rows = "".join(
        _record_row(f"../../Scripts/{name}", files[name])
        for name in ("demo-cli.exe", "demo-gui.exe")
    )
    (dist / "RECORD").write_bytes((rows + "demo-1.0.dist-info/RECORD,,\r\n").encode())
    (dist / "INSTALLER").write_text("pip\n")
    return files


@pytest.mark.parametrize("prefix", ["C:\\app\\venv", "D:\\my apps\\the venv"])
def test_windows_venv_is_repaired_for_a_windows_prefix(tmp_path: Path, prefix: str) -> None:
    import shebangfix
    from shebangfix.record import digest

    venv = tmp_path / "win-venv"
    files = make_windows_venv(venv)
    kinds = {e.path: e.kind for e in shebangfix.scan(venv).entries}
    assert kinds["Scripts/demo-cli.exe"] == kinds["Scripts/demo-gui.exe"] == "launcher"
    assert kinds["Scripts/python.exe"] == "binary"

    checked = shebangfix.check(venv, prefix)
    paths = {p.path for p in checked.problems}
    assert {
        "Scripts/demo-cli.exe",
        "Scripts/activate.bat",
        "Scripts/activate",
        "pyvenv.cfg",
    } <= paths
    assert shebangfix.fix(venv, prefix).ok
    assert shebangfix.check(venv, prefix).ok

    new_python = prefix.encode() + b"\\Scripts\\python.exe"
    quoted = b'"' + new_python + b'"' if b" " in new_python else new_python
    cli = (venv / "Scripts" / "demo-cli.exe").read_bytes()
    assert cli.startswith(distlib_stub("t64"))
    assert launcher_finds(cli) == quoted
    with zipfile.ZipFile(io.BytesIO(cli)) as archive:
        assert archive.read("__main__.py") == SCRIPT
    gui = (venv / "Scripts" / "demo-gui.exe").read_bytes()
    assert launcher_finds(gui).strip(b'"').endswith(b"\\Scripts\\pythonw.exe")

    bat = (venv / "Scripts" / "activate.bat").read_bytes()
    assert f'set "VIRTUAL_ENV={prefix}"\r\n'.encode() in bat
    name = prefix.rsplit("\\", 1)[1]
    assert f'set "PROMPT=({name}) %PROMPT%"\r\n'.encode() in bat
    assert bat.count(b"\r\n") == ACTIVATE_BAT.count("\r\n")
    sh = (venv / "Scripts" / "activate").read_text()
    assert f'$(cygpath "{prefix}")' in sh and f'VIRTUAL_ENV="{prefix}"' in sh
    cfg = (venv / "pyvenv.cfg").read_bytes()
    assert cfg.endswith(b"-m venv " + prefix.encode() + b"\r\n")
    assert b"home = C:\\Python312\r\n" in cfg

    record = (venv / "Lib/site-packages/demo-1.0.dist-info/RECORD").read_bytes().decode()
    assert f"../../Scripts/demo-cli.exe,{digest(cli)},{len(cli)}\r\n" in record
    assert (venv / "Scripts" / "python.exe").read_bytes() == files["python.exe"]


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        (None, "needs --prefix"),
        ("/opt/venv", "cannot be written safely"),
        ("relative\\dir", "not a Windows path"),
        ("C:\\a%b", "cannot be written safely"),
        ('C:\\a"b', "cannot be written safely"),
    ],
)
def test_windows_venv_refuses_a_prefix_it_cannot_write(
    tmp_path: Path, prefix: str | None, message: str
) -> None:
    import shebangfix

    venv = tmp_path / "win-venv"
    make_windows_venv(venv)
    with pytest.raises(shebangfix.ShebangfixError, match=message):
        shebangfix.fix(venv, prefix)


def test_uv_trampolines_in_a_windows_venv(tmp_path: Path) -> None:
    import shebangfix

    venv = tmp_path / "win-venv"
    make_windows_venv(venv)
    scripts = venv / "Scripts"
    legacy = b"MZ" + b"\0" * 100 + zip_payload() + OLD + struct.pack("<I", len(OLD)) + b"UVSC"
    (scripts / "legacy.exe").write_bytes(legacy)
    # uv sizes the resource to the path it wrote: a longer old path leaves room, a shorter
    # one does not.
    short_old = b"C:\\v\\Scripts\\python.exe"
    long_old = b"C:\\a-much-longer-build-directory\\venv\\Scripts\\python.exe"
    (scripts / "roomy.exe").write_bytes(
        build_pe({"UV_TRAMPOLINE_KIND": b"\x01", "UV_PYTHON_PATH": long_old})
    )
    (scripts / "tight.exe").write_bytes(
        build_pe({"UV_TRAMPOLINE_KIND": b"\x01", "UV_PYTHON_PATH": short_old})
    )

    result = shebangfix.fix(venv, "C:\\app\\venv")
    codes = {(p.path, p.code) for p in result.problems}
    assert codes == {("Scripts/tight.exe", "launcher-too-small")}
    assert main_exit(venv) == 1
    for name in ("legacy.exe", "roomy.exe"):
        launcher = parse_launcher((scripts / name).read_bytes())
        assert (
            launcher is not None and launcher.interpreter == b"C:\\app\\venv\\Scripts\\python.exe"
        )
    tight = parse_launcher((scripts / "tight.exe").read_bytes())
    assert tight is not None and tight.interpreter == short_old  # refused, untouched


def main_exit(venv: Path) -> int:
    from shebangfix.cli import main

    return main(["fix", str(venv), "--prefix", "C:\\app\\venv"])


@given(st.lists(st.tuples(st.integers(0, 2047), st.integers(0, 255)), max_size=12))
def test_pe_and_launcher_parsers_survive_corrupted_images(flips: list[tuple[int, int]]) -> None:
    """A real-shaped PE (and a distlib launcher) with bytes overwritten at random places."""
    images = [
        build_pe({"UV_TRAMPOLINE_KIND": b"\x01", "UV_PYTHON_PATH": OLD + b"-padding-padding"}),
        b"MZ" + b"\0" * 300 + b"#!" + OLD + b"\n" + zip_payload(),
    ]
    for image in images:
        data = bytearray(image)
        for at, value in flips:
            data[at % len(data)] = value
        launcher = parse_launcher(bytes(data))
        if launcher is None:
            continue
        try:
            new = rewrite_launcher(bytes(data), launcher, NEW, quote=False)
        except LauncherError:
            continue
        again = parse_launcher(new)
        assert again is not None and again.interpreter == NEW, launcher
