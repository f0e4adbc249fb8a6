from __future__ import annotations

import tempfile
from pathlib import Path

from dotenv import dotenv_values
from hypothesis import given, settings
from hypothesis import strategies as st

from pmkv.engine.envfile import merge_env_file

VALUES = {
    "UPSTASH_REDIS_REST_URL": "http://127.0.0.1:8080",
    "UPSTASH_REDIS_REST_TOKEN": "abc-DEF_123",
    "USE_LOCAL_KV": "true",
}


def test_merge_keeps_other_lines_and_replaces_ours(tmp_path: Path) -> None:
    target = tmp_path / ".env.local"
    target.write_text(
        "# my app\nNEXT_PUBLIC_X=1\nUPSTASH_REDIS_REST_URL=https://prod.upstash.io\n"
        "USE_LOCAL_KV=true\nexport OTHER='quoted value'\n"
    )
    result = merge_env_file(target, VALUES)
    assert result.added == ("UPSTASH_REDIS_REST_TOKEN",)
    assert result.updated == ("UPSTASH_REDIS_REST_URL",)
    assert result.unchanged == ("USE_LOCAL_KV",)
    text = target.read_text()
    assert text.startswith("# my app\nNEXT_PUBLIC_X=1\n")
    assert "export OTHER='quoted value'\n" in text
    assert "prod.upstash.io" not in text
    assert "UPSTASH_REDIS_REST_URL=http://127.0.0.1:8080\n" in text  # unquoted when plain
    assert dotenv_values(target) == {"NEXT_PUBLIC_X": "1", "OTHER": "quoted value", **VALUES}


def test_merge_creates_the_file(tmp_path: Path) -> None:
    target = tmp_path / ".env.local"
    result = merge_env_file(target, VALUES)
    assert set(result.added) == set(VALUES)
    assert dotenv_values(target) == VALUES
    again = merge_env_file(target, VALUES)
    assert again.added == again.updated == ()


@settings(max_examples=50)
@given(
    st.dictionaries(
        st.from_regex(r"[A-Z_][A-Z0-9_]{0,15}", fullmatch=True),
        st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
        max_size=5,
    )
)
def test_any_value_round_trips_through_the_file(values: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / ".env.local"
        target.write_text("KEEP=me\n")
        merge_env_file(target, values)
        assert dotenv_values(target) == {"KEEP": "me", **values}
