"""The allow-key-locking flag: stripped, with the original SHA1 aliased (spec §7)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pmkv.gateway.lua import ScriptAliases, normalize, scan_withtype, sha1_hex

BODY = b"\nreturn redis.call('INCR', KEYS[1])"


def test_flag_alone_leaves_a_bare_shebang() -> None:
    assert normalize(b"#!lua flags=allow-key-locking" + BODY) == b"#!lua" + BODY


def test_other_flags_are_kept() -> None:
    script = b"#!lua flags=no-writes,allow-key-locking" + BODY
    assert normalize(script) == b"#!lua flags=no-writes" + BODY


def test_scripts_without_the_flag_are_untouched() -> None:
    assert normalize(b"return 1") is None
    assert normalize(b"#!lua flags=no-writes" + BODY) is None
    assert normalize(b"return 'allow-key-locking'") is None


@given(st.binary(max_size=60).filter(lambda b: b"\n" not in b))
def test_normalized_body_is_preserved(body: bytes) -> None:
    script = b"#!lua flags=allow-key-locking\n" + body
    assert normalize(script) == b"#!lua\n" + body


def test_eval_is_rewritten_and_evalsha_of_the_original_resolves() -> None:
    aliases = ScriptAliases()
    original = b"#!lua flags=allow-key-locking" + BODY
    cmd = [b"EVAL", original, b"1", b"k"]
    assert aliases.rewrite(b"eval", cmd) is None
    assert cmd[1] == b"#!lua" + BODY
    sha = hashlib.sha1(original).hexdigest().encode()
    call = [b"EVALSHA", sha.upper(), b"1", b"k"]
    aliases.rewrite(b"evalsha", call)
    assert call[1] == sha1_hex(b"#!lua" + BODY)


def test_script_load_answers_the_original_sha() -> None:
    aliases = ScriptAliases()
    original = b"#!lua flags=allow-key-locking" + BODY
    cmd = [b"SCRIPT", b"LOAD", original]
    assert aliases.rewrite(b"script", cmd) == sha1_hex(original)
    exists = [b"SCRIPT", b"EXISTS", sha1_hex(original), b"0" * 40]
    aliases.rewrite(b"script", exists)
    assert exists[2:] == [sha1_hex(b"#!lua" + BODY), b"0" * 40]


def test_scan_withtype_becomes_a_read_only_script() -> None:
    assert scan_withtype([b"SCAN", b"0", b"MATCH", b"a*"]) is None
    cmd = scan_withtype([b"scan", b"0", b"match", b"a*", b"withtype"])
    assert cmd is not None
    assert cmd[0] == b"EVAL_RO"
    assert cmd[2:] == [b"0", b"0", b"match", b"a*"]


def test_aliases_are_shared_between_workers_through_the_file(tmp_path: Path) -> None:
    shared = tmp_path / "script-aliases"
    loader, other = ScriptAliases(shared), ScriptAliases(shared)
    try:
        original = b"#!lua flags=allow-key-locking" + BODY
        load = [b"SCRIPT", b"LOAD", original]
        orig_sha = loader.rewrite(b"script", load)
        assert orig_sha == sha1_hex(original)
        # The other worker never saw the script, yet resolves its SHA1.
        call = [b"EVALSHA", orig_sha, b"1", b"k"]
        other.rewrite(b"evalsha", call)
        assert call[1] == sha1_hex(b"#!lua" + BODY)
        # Unknown SHA1s pass through unchanged.
        unknown = [b"EVALSHA", b"f" * 40, b"0"]
        other.rewrite(b"evalsha", unknown)
        assert unknown[1] == b"f" * 40
    finally:
        loader.close()
        other.close()
