"""Write records the way the app writes them: 2-space JSON, UTF-8 as-is, trailing newline."""

from __future__ import annotations

import os
from json.encoder import encode_basestring
from pathlib import Path

from pmkv.generate.errors import WriteFailedError

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _emit(value: object, indent: str, out: list[str]) -> None:
    # Hand-written for speed: json.dumps(indent=2) falls back to the pure-Python encoder
    # (~50 us per example record vs ~27 us here) and pmkv.store.codec.to_pretty_json, the
    # general JavaScript-exact writer, is ~210 us (it must handle floats, index-like keys,
    # surrogates). Generated records hold none of those, so for them all three agree
    # byte for byte (tests/generate checks this against both).
    kind = type(value)
    if kind is str:
        out.append(encode_basestring(value))  # type: ignore[arg-type]
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        inner = indent + "  "
        sep = "{\n"
        for key, item in value.items():  # type: ignore[attr-defined]
            out.append(sep)
            out.append(inner)
            out.append(encode_basestring(key))
            out.append(": ")
            _emit(item, inner, out)
            sep = ",\n"
        out.append(f"\n{indent}}}")
    elif kind is list:
        if not value:
            out.append("[]")
            return
        inner = indent + "  "
        sep = "[\n"
        for item in value:  # type: ignore[attr-defined]
            out.append(sep)
            out.append(inner)
            _emit(item, inner, out)
            sep = ",\n"
        out.append(f"\n{indent}]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        out.append(int.__repr__(value))
    else:
        raise TypeError(f"cannot encode {kind.__name__} in a pm record")


def encode(value: object) -> bytes:
    """``JSON.stringify(value, null, 2)`` plus a newline, as UTF-8.

    Records hold only str, int, bool, None, lists and dicts with str keys.
    """
    out: list[str] = []
    _emit(value, "", out)
    out.append("\n")
    return "".join(out).encode()


def write_new(path: Path | str, data: bytes) -> None:
    """Create ``path`` (it must not exist) holding ``data``.

    ``os.open``/``os.write`` instead of ``Path.write_bytes``: 100,000 small files make the
    buffered-file overhead measurable, and O_EXCL catches a name written twice.
    """
    try:
        fd = os.open(path, _FLAGS, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
    except OSError as exc:
        raise WriteFailedError(
            f"could not write {path}: {exc.strerror or exc}",
            hint="check that the output folder is writable and the disk has space",
        ) from exc


def make_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteFailedError(
            f"could not create folder {path}: {exc.strerror or exc}",
            hint="check that the parent folder is writable and nothing else has that name",
        ) from exc
