"""The ledger: which value each key held when *we* last wrote it.

It lives in the KV itself, in one hash outside the app's ``pm:`` keys
(``pmkv:ledger``: field = data key, value = sha256 of the text we wrote), so it travels
with the data, is written in the same ``/pipeline`` request as the values it describes,
and any machine can tell "a value our migration wrote" from "a value someone else wrote".
"""

from __future__ import annotations

import hashlib

LEDGER_KEY = "pmkv:ledger"


def text_hash(text: str) -> str:
    """sha256 of the UTF-8 text; equals ``codec.content_hash`` of the parsed value.

    Hashing the text we already hold avoids serializing every record a second time.
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha1_text(text: str) -> str:
    """sha1 of the UTF-8 text, as the engine's ``redis.sha1hex`` computes it."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def fill_digests(
    values: dict[str, str], sha1s: dict[str, str], sha256s: dict[str, str] | None = None
) -> None:
    """Add the digests of every value that has none yet (each text is hashed once)."""
    for key, text in values.items():
        if key not in sha1s or (sha256s is not None and key not in sha256s):
            raw = text.encode("utf-8")
            sha1s.setdefault(key, hashlib.sha1(raw).hexdigest())
            if sha256s is not None:
                sha256s.setdefault(key, hashlib.sha256(raw).hexdigest())
