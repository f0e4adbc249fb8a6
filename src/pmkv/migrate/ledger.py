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
