"""Installed packages' ``RECORD`` files: which bin/ files they list, and their hashes.

A row is ``path,algorithm=<urlsafe base64 digest, no padding>,size``. Rows are edited in
place in the text: the path field, an empty hash (virtualenv writes ``bin/pip,,``) and the
line terminator (pip writes CRLF, uv and installer LF) are kept as they are.
"""

from __future__ import annotations

import os
import sys

from ._struct import frozen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

__all__ = ["Dist", "Row", "digest", "load_dists", "rewrite", "urlsafe_b64"]


@frozen
class Row:
    """A RECORD row that lists a file in the venv's bin directory."""

    index: int
    """Line number in the RECORD, from 0."""
    algorithm: str
    """Hash algorithm (``sha256``), or empty when the row has no hash."""
    hash: str
    """The full hash field (``sha256=…``), possibly empty."""
    size: str
    """The size field, possibly empty."""


@frozen
class Dist:
    """An installed distribution's metadata directory."""

    record: str
    """Absolute path of its RECORD."""
    installer: str
    """First line of its INSTALLER file (``pip``, ``uv``), or empty."""
    rows: Mapping[str, Row]
    """Rows for files in bin/, by venv-relative path (``bin/demo``)."""
    content: bytes
    """The RECORD as read."""


_sha256: Callable[[bytes], Any] | None = None


def _load_sha256() -> Callable[[bytes], Any]:
    # CPython's own SHA-256 (``_sha2``, ``_sha256`` before 3.12): hashlib would load OpenSSL,
    # which costs more than everything else ``check`` imports.
    global _sha256
    if _sha256 is None:
        # Ask for the one name this version has: a failed import looks through every
        # directory on sys.path (a large site-packages costs a millisecond).
        name = "_sha2" if sys.version_info >= (3, 12) else "_sha256"
        try:
            _sha256 = __import__(name).sha256
        except (ImportError, AttributeError):  # a Python built without it
            import hashlib

            _sha256 = hashlib.sha256
    return _sha256


def digest(data: bytes, algorithm: str = "sha256") -> str:
    """The RECORD hash field for ``data``."""
    if algorithm == "sha256":
        raw = _load_sha256()(data).digest()
    else:
        import hashlib

        raw = hashlib.new(algorithm, data).digest()
    return f"{algorithm}={urlsafe_b64(raw)}"


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_URLSAFE = bytes.maketrans(b"+/", b"-_")
# binascii is a shared library: loading it costs as much as ~80 digests encoded by hand.
# A small venv's digests are encoded by hand, a large one's by binascii.
_BY_HAND = 64
_encoded = 0


def urlsafe_b64(raw: bytes) -> str:
    """``raw`` in URL-safe base64 without padding, as RECORD spells a digest."""
    global _encoded
    _encoded += 1
    if _encoded > _BY_HAND:
        import binascii

        encoded = binascii.b2a_base64(raw, newline=False).rstrip(b"=")
        return encoded.translate(_URLSAFE).decode("ascii")
    bits = len(raw) * 8
    pad = -bits % 6  # zero bits that complete the last six-bit group
    number = int.from_bytes(raw, "big") << pad
    return "".join([_ALPHABET[(number >> shift) & 63] for shift in range(bits + pad - 6, -1, -6)])


def _fields(line: str) -> list[str] | None:
    """Split a CSV row the way the csv module does for RECORD (quotes only around paths)."""
    if not line.startswith('"'):
        return line.split(",")
    end = 1
    while True:
        end = line.find('"', end)
        if end < 0:
            return None
        if line[end + 1 : end + 2] == '"':
            end += 2
            continue
        break
    if line[end + 1 : end + 2] not in (",", ""):
        return None
    return [line[1:end].replace('""', '"'), *line[end + 2 :].split(",")]


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _bin_rows(content: bytes, site: str, root: str, bin_rel: str) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    bin_dir = os.path.join(root, bin_rel) + os.sep
    marker = bin_rel.encode()  # a cheap test before a row is split
    # How a row names a file in bin/ relative to site-packages, as installers write it.
    direct = os.path.relpath(bin_dir, site).replace(os.sep, "/") + "/"
    for index, line in enumerate(content.splitlines()):
        if marker not in line:
            continue
        try:
            fields = _fields(line.decode("utf-8"))
        except UnicodeDecodeError:
            continue
        if fields is None or len(fields) != 3:
            continue
        name, hash_field, size = fields
        tail = name[len(direct) :]
        if name.startswith(direct) and "/" not in tail and tail not in ("", ".", ".."):
            # The usual spelling, ../../../bin/NAME: no need to normalise.
            rel = bin_rel + "/" + tail
        else:
            full = os.path.normpath(os.path.join(site, name))
            if not full.startswith(bin_dir):
                continue
            rel = bin_rel + "/" + full[len(bin_dir) :].replace(os.sep, "/")
        algorithm = hash_field.partition("=")[0] if "=" in hash_field else ""
        rows[rel] = Row(index, algorithm, hash_field, size)
    return rows


def load_dists(root: str, site_packages: list[str], bin_rel: str) -> list[Dist]:
    """Every ``*.dist-info`` with a RECORD that lists something in ``bin_rel``."""
    dists: list[Dist] = []
    for site in site_packages:
        try:
            with os.scandir(site) as it:
                names = sorted(e.name for e in it if e.name.endswith(".dist-info"))
        except OSError:
            continue
        for name in names:
            record = os.path.join(site, name, "RECORD")
            try:
                content = _read(record)
            except OSError:
                continue
            rows = _bin_rows(content, site, root, bin_rel)
            if not rows:
                continue
            try:
                installer = _read(os.path.join(site, name, "INSTALLER")).decode("utf-8", "replace")
            except OSError:
                installer = ""
            dists.append(Dist(record, installer.strip(), rows, content))
    return dists


def rewrite(content: bytes, updates: Mapping[int, tuple[str, int]]) -> bytes:
    """Set the hash field and size of the rows numbered in ``updates``."""
    lines = content.splitlines(keepends=True)
    for index, (hash_field, size) in updates.items():
        line = lines[index]
        body = line.rstrip(b"\r\n")
        ending = line[len(body) :]
        path_field = body.rsplit(b",", 2)[0]
        lines[index] = b"%s,%s,%d%s" % (path_field, hash_field.encode("ascii"), size, ending)
    return b"".join(lines)
