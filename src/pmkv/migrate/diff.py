"""Field-level differences between two JSON values, as JSON-pointer paths (RFC 6901)."""

from __future__ import annotations

from pmkv.store.codec import JsonValue


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def json_diff(expected: JsonValue, actual: JsonValue, path: str = "", limit: int = 50) -> list[str]:
    """Pointers to every place where ``actual`` differs from ``expected``.

    Values equal in content but not in key order are reported at the object's path, since
    the KV must hold the file's exact key order.
    """
    out: list[str] = []
    _walk(expected, actual, path, out, limit)
    return out


def _walk(a: JsonValue, b: JsonValue, path: str, out: list[str], limit: int) -> None:
    if len(out) >= limit:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a:
            sub = f"{path}/{_escape(key)}"
            if key not in b:
                out.append(sub)
            else:
                _walk(a[key], b[key], sub, out, limit)
        out.extend(f"{path}/{_escape(k)}" for k in b if k not in a)
        if not out and list(a) != list(b):
            out.append(path or "/")
        return
    if isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            sub = f"{path}/{i}"
            if i >= len(a) or i >= len(b):
                out.append(sub)
            else:
                _walk(a[i], b[i], sub, out, limit)
        return
    # bool is an int in Python; JSON keeps true and 1 apart
    if type(a) is not type(b) or a != b:
        out.append(path or "/")
