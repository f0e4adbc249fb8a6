from __future__ import annotations

import stat
from pathlib import Path

from pmkv.engine.tokens import fingerprint, gateway_token
from pmkv.settings import Settings


def test_generated_token_is_kept_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    token_file = tmp_path / "sub" / "token"
    first = gateway_token(settings, token_file)
    assert len(first) >= 40
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert gateway_token(settings, token_file) == first


def test_pmkv_token_wins_and_is_not_written(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    assert gateway_token(Settings(token="from-env-123"), token_file) == "from-env-123"
    assert not token_file.exists()


def test_an_empty_token_file_gets_a_fresh_token(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("\n")
    token_file.chmod(0o644)
    token = gateway_token(Settings(), token_file)
    assert token
    assert token_file.read_text().strip() == token
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


def test_fingerprint_hides_the_token() -> None:
    assert fingerprint("secret") != "secret"
    assert fingerprint("secret") == fingerprint("secret")
    assert fingerprint("secret") != fingerprint("secret2")
