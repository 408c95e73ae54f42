"""Windows launchers, read and rewritten with the stdlib alone: pure functions on bytes.

* distlib (pip, installer): ``stub ‖ #!<interpreter>[args]\\n ‖ zip``. The launcher finds
  the last end-of-central-directory record, goes back to the zip's start, and reads the
  ``#!`` line just before it (PC/launcher.c). distlib's zip counts its offsets from its own
  start, so the line may change length freely; a zip that counts from the ``#!`` line
  (zipapp style) has its offsets shifted by the change.
* uv up to 0.9.8: ``stub ‖ zip ‖ path ‖ u32le len(path) ‖ b"UVSC" | b"UVPY"``.
* uv from 0.9.9: PE resources of type ``RT_RCDATA``; ``UV_PYTHON_PATH`` holds the path in
  UTF-8. A new path is written in place when it fits in the old one's data; otherwise the
  launcher is refused rather than rebuilt.
"""

from __future__ import annotations

import re
import struct

from ._struct import frozen

__all__ = ["Launcher", "LauncherError", "parse_launcher", "rewrite_launcher", "windows_prefix"]

TYPE_CHECKING = False  # typing is not imported at run time: it would double start-up
if TYPE_CHECKING:
    from typing import Literal

    LauncherKind = Literal["distlib", "uv-legacy", "uv-resource"]


_EOCD = b"PK\x05\x06"
_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"
_UV_MAGICS = (b"UVSC", b"UVPY")
_RT_RCDATA = 10
_PYTHON_PATH_NAME = "UV_PYTHON_PATH"
_EXE_END = re.compile(rb"\.exe(?=[\s\"\x00]|$)", re.IGNORECASE)


class LauncherError(ValueError):
    """A launcher that cannot be rewritten safely; the message says why."""


@frozen
class Launcher:
    """The interpreter reference inside a Windows launcher."""

    kind: LauncherKind
    """Which launcher format holds it."""
    interpreter: bytes
    """The interpreter path, unquoted."""
    args: bytes = b""
    """distlib: what follows the interpreter on the ``#!`` line."""
    quoted: bool = False
    """distlib: the path is in double quotes."""
    start: int = 0
    """Offset of the path-bearing bytes (the ``#!`` line; uv: the path)."""
    end: int = 0
    """End of the path-bearing bytes (after the line's newline; uv: the path)."""
    zip_start: int = -1
    """distlib: where the offsets of the zip count from; -1 when they need no shifting."""
    room: int = 0
    """uv resources: how many bytes the path may take."""
    entry: int = 0
    """uv resources: file offset of the resource data entry (RVA, size)."""


def windows_prefix(interpreter: bytes) -> bytes | None:
    """``C:\\venv`` for ``C:\\venv\\Scripts\\python.exe`` (any case), else None."""
    head, sep, name = interpreter.rpartition(b"\\")
    if not sep or not re.fullmatch(rb"(?i)pythonw?(?:[0-9.]*)\.exe", name):
        return None
    prefix, sep, scripts = head.rpartition(b"\\")
    if not sep or scripts.lower() != b"scripts":
        return None
    return prefix


def _u16(data: bytes | bytearray, at: int) -> int:
    value: int = struct.unpack_from("<H", data, at)[0]
    return value


def _u32(data: bytes | bytearray, at: int) -> int:
    value: int = struct.unpack_from("<I", data, at)[0]
    return value


def _parse_distlib(data: bytes) -> Launcher | None:
    window = max(0, len(data) - 65536 - 22)
    eocd = data.rfind(_EOCD, window)
    if eocd < 0 or eocd + 22 > len(data):
        return None
    cd_size, cd_offset = _u32(data, eocd + 12), _u32(data, eocd + 16)
    start = eocd - cd_size - cd_offset
    if start < 0:
        return None
    zip_start = -1
    if data.startswith(b"#!", start):
        line_start, zip_start = start, start  # the zip counts from the #! line
    else:
        line_start = data.rfind(b"#!", max(0, start - 260), start)
        if line_start < 0:
            return None
    line_end = len(data)
    for terminator in (b"\r", b"\n"):
        found = data.find(terminator, line_start, start if zip_start < 0 else len(data))
        if found >= 0:
            line_end = min(line_end, found)
    if line_end == len(data):
        return None
    end = line_end
    while end < len(data) and data[end : end + 1] in (b"\r", b"\n") and end - line_end < 2:
        end += 1
    line = data[line_start + 2 : line_end]
    if line.startswith(b'"'):
        close = line.find(b'"', 1)
        if close < 0:
            return None
        interpreter, args, quoted = line[1:close], line[close + 1 :], True
    else:
        match = _EXE_END.search(line)
        cut = match.end() if match else len(re.match(rb"[^ \t]*", line).group())  # type: ignore[union-attr]
        interpreter, args, quoted = line[:cut], line[cut:], False
    return Launcher("distlib", interpreter, args, quoted, line_start, end, zip_start)


def _parse_uv_legacy(data: bytes) -> Launcher | None:
    if len(data) < 8 or data[-4:] not in _UV_MAGICS:
        return None
    size = _u32(data, len(data) - 8)
    start = len(data) - 8 - size
    if size == 0 or size > 32768 or start < 0:
        return None
    path = data[start : len(data) - 8]
    try:
        path.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return Launcher("uv-legacy", path, start=start, end=len(data) - 8)


class _Pe:
    """Just enough of a PE image to find a named RT_RCDATA resource."""

    def __init__(self, data: bytes) -> None:
        if not data.startswith(b"MZ") or len(data) < 0x40:
            raise LauncherError("not a PE image")
        pe = _u32(data, 0x3C)
        if data[pe : pe + 4] != b"PE\0\0":
            raise LauncherError("not a PE image")
        sections, optional_size = _u16(data, pe + 6), _u16(data, pe + 20)
        optional = pe + 24
        magic = _u16(data, optional)
        directories = optional + {0x10B: 96, 0x20B: 112}.get(magic, -optional - 1)
        if directories < optional:
            raise LauncherError("unknown optional header")
        self.checksum_at = optional + 64
        self.data = data
        count = _u32(data, directories - 4)
        self.resource_rva = _u32(data, directories + 16) if count > 2 else 0
        table = optional + optional_size
        self.sections = [
            (_u32(data, s + 12), max(_u32(data, s + 8), _u32(data, s + 16)), _u32(data, s + 20))
            for s in (table + 40 * i for i in range(sections))
        ]

    def offset(self, rva: int) -> int:
        for address, size, raw in self.sections:
            if address <= rva < address + size:
                return raw + rva - address
        raise LauncherError(f"RVA {rva:#x} lies in no section")

    def entries(self, directory: int) -> list[tuple[int | str, int]]:
        data = self.data
        named, ids = _u16(data, directory + 12), _u16(data, directory + 14)
        base = self.offset(self.resource_rva)
        found: list[tuple[int | str, int]] = []
        for i in range(min(named + ids, 4096)):
            at = directory + 16 + 8 * i
            name, target = _u32(data, at), _u32(data, at + 4)
            key: int | str = name
            if name & 0x80000000:
                string = base + (name & 0x7FFFFFFF)
                length = _u16(data, string)
                key = data[string + 2 : string + 2 + 2 * length].decode("utf-16-le", "replace")
            found.append((key, target))
        return found

    def find(self, type_id: int, name: str) -> int | None:
        """File offset of the data entry of resource ``type_id``/``name``, first language."""
        if not self.resource_rva:
            return None
        base = self.offset(self.resource_rva)
        node = base
        for key in (type_id, name, None):
            for entry_key, target in self.entries(node):
                if (
                    key is None
                    or entry_key == key
                    or (
                        isinstance(entry_key, str)
                        and isinstance(key, str)
                        and entry_key.upper() == key
                    )
                ):
                    if key is None:
                        return None if target & 0x80000000 else base + target
                    if not target & 0x80000000:
                        return None
                    node = base + (target & 0x7FFFFFFF)
                    break
            else:
                return None
        return None


def _parse_uv_resource(data: bytes) -> Launcher | None:
    try:
        image = _Pe(data)
        entry = image.find(_RT_RCDATA, _PYTHON_PATH_NAME)
        if entry is None:
            return None
        rva, size = _u32(data, entry), _u32(data, entry + 4)
        start = image.offset(rva)
    except (LauncherError, struct.error):
        return None
    if start + size > len(data):
        return None
    path = data[start : start + size]
    return Launcher("uv-resource", path, start=start, end=start + size, room=size, entry=entry)


def parse_launcher(data: bytes) -> Launcher | None:
    """The interpreter reference in a Windows launcher, or None if ``data`` is not one."""
    if not data.startswith(b"MZ"):
        return None
    return _parse_uv_legacy(data) or _parse_uv_resource(data) or _parse_distlib(data)


def _shift_zip(data: bytearray, zip_start: int, delta: int) -> None:
    """Move every offset of a zip that counts from ``zip_start`` by ``delta``."""
    eocd = data.rfind(_EOCD, max(0, len(data) - 65536 - 22))
    count, cd_offset = _u16(data, eocd + 10), _u32(data, eocd + 16)
    if count == 0xFFFF or cd_offset == 0xFFFFFFFF:
        raise LauncherError("ZIP64 payloads are not rewritten")
    at = zip_start + cd_offset + delta
    for _ in range(count):
        if data[at : at + 4] != _CENTRAL:
            raise LauncherError("broken zip central directory")
        struct.pack_into("<I", data, at + 42, _u32(data, at + 42) + delta)
        at += 46 + _u16(data, at + 28) + _u16(data, at + 30) + _u16(data, at + 32)
    struct.pack_into("<I", data, eocd + 16, cd_offset + delta)


def _pe_checksum(data: bytearray, checksum_at: int) -> int:
    total = 0
    padded = bytes(data) + b"\0" * (len(data) % 2)
    for (word,) in struct.iter_unpack("<H", padded):
        total += word
        total = (total & 0xFFFF) + (total >> 16)
    # The checksum field itself counts as zero.
    for at in (checksum_at, checksum_at + 2):
        total -= _u16(data, at)
        if total < 0:
            total += 0xFFFF
    total = (total & 0xFFFF) + (total >> 16)
    return (total & 0xFFFF) + len(data)


def rewrite_launcher(data: bytes, launcher: Launcher, interpreter: bytes, *, quote: bool) -> bytes:
    """``data`` with ``interpreter`` in place of the old one; everything else kept.

    ``quote`` puts a distlib ``#!`` path in double quotes (as distlib does for a path with a
    space). Raises :class:`LauncherError` when the new path cannot be written safely.
    """
    if launcher.kind == "distlib":
        path = b'"' + interpreter + b'"' if quote else interpreter
        old_line = data[launcher.start : launcher.end]
        newline = old_line[len(old_line.rstrip(b"\r\n")) :]
        line = b"#!" + path + launcher.args + newline
        out = bytearray(data[: launcher.start] + line + data[launcher.end :])
        if launcher.zip_start >= 0 and len(line) != len(old_line):
            _shift_zip(out, launcher.zip_start, len(line) - len(old_line))
        return bytes(out)
    if launcher.kind == "uv-legacy":
        tail = struct.pack("<I", len(interpreter)) + data[-4:]
        return data[: launcher.start] + interpreter + tail
    if len(interpreter) > launcher.room:
        raise LauncherError(
            f"the uv launcher has room for {launcher.room} bytes of interpreter path,"
            f" the new one needs {len(interpreter)}: reinstall the package at its destination"
        )
    out = bytearray(data)
    padding = b"\0" * (launcher.room - len(interpreter))
    out[launcher.start : launcher.end] = interpreter + padding
    struct.pack_into("<I", out, launcher.entry + 4, len(interpreter))
    image = _Pe(bytes(out))
    if _u32(out, image.checksum_at):
        struct.pack_into("<I", out, image.checksum_at, _pe_checksum(out, image.checksum_at))
    return bytes(out)
