"""The CLI skin: exit codes, dry-run output, JSON, safety against remote URLs."""

from __future__ import annotations

import json
from pathlib import Path

import redis

from tests.migrate.clirun import cli_env, pmkv
from tests.support.gateway import RunningGateway
from tests.support.ports import free_port


def test_migrate_verify_status_rollback_through_the_cli(
    pm_copy: Path, home: Path, tmp_path: Path, gateway: RunningGateway, clean_engine: redis.Redis
) -> None:
    env = cli_env(gateway, home)
    dry = pmkv("migrate", str(pm_copy), "--dry-run", env=env, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    plan_lines = [line for line in dry.stdout.splitlines() if line.startswith("create ")]
    assert len(plan_lines) == 63
    assert "pm:projects:list" in dry.stdout
    assert clean_engine.dbsize() == 0
    run = pmkv("migrate", str(pm_copy), "--json", env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["plan"]["create"] == 63
    assert data["verify"]["ok"] is True
    assert Path(data["report"]).is_file()
    assert data["backup"]["files"] == 57
    verify = pmkv("verify", str(pm_copy), "--json", env=env, cwd=tmp_path)
    assert verify.returncode == 0
    assert json.loads(verify.stdout)["ok"] is True
    clean_engine.set("pm:project:healthcare-platform:epic:zsdzsd:story:F-ZSDZSD-001", "{}")
    differs = pmkv("verify", str(pm_copy), env=env, cwd=tmp_path)
    assert differs.returncode == 3
    assert "F-ZSDZSD-001" in differs.stdout
    status = pmkv("status", str(pm_copy), "--json", env=env, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    phases = {p["name"]: p["done"] for p in json.loads(status.stdout)["phases"]}
    assert phases["local KV up"]
    assert phases["migrated"]
    assert not phases["verified"]
    assert json.loads(status.stdout)["next"] == "pmkv verify"
    asked = pmkv("rollback", env=env, cwd=tmp_path)
    assert asked.returncode == 2
    assert "--yes" in asked.stderr
    refused = pmkv("rollback", "--yes", env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert "changed after run" in refused.stderr
    clean_engine.delete("pm:project:healthcare-platform:epic:zsdzsd:story:F-ZSDZSD-001")
    forced = pmkv("rollback", "--yes", "--force", env=env, cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert clean_engine.dbsize() == 0


def test_invalid_source_exits_4(
    adversarial: Path,
    home: Path,
    tmp_path: Path,
    gateway: RunningGateway,
    clean_engine: redis.Redis,
) -> None:
    result = pmkv("migrate", str(adversarial), "-q", env=cli_env(gateway, home), cwd=tmp_path)
    assert result.returncode == 4, result.stderr
    assert "verify PASSED" in result.stdout


def test_remote_url_is_refused_and_named(pm_copy: Path, home: Path, tmp_path: Path) -> None:
    url = "https://eu1-example-12345.upstash.io"
    result = pmkv("migrate", str(pm_copy), env=cli_env(None, home, url), cwd=tmp_path)
    assert result.returncode == 2
    assert url in result.stderr
    assert "--allow-remote" in result.stderr
    assert not home.exists()


def test_unreachable_store_exits_5(pm_copy: Path, home: Path, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = pmkv(
        "migrate", str(pm_copy), "--no-backup", env=cli_env(None, home, url), cwd=tmp_path
    )
    assert result.returncode == 5
    assert url in result.stderr
    assert "pmkv up" in result.stderr


def test_backup_cli_and_archive_cli(
    pm_copy: Path, home: Path, tmp_path: Path, gateway: RunningGateway, clean_engine: redis.Redis
) -> None:
    env = cli_env(gateway, home)
    created = pmkv("backup", "create", str(pm_copy), "--json", env=env, cwd=tmp_path)
    backup_id = json.loads(created.stdout)["backup_id"]
    listed = pmkv("backup", "list", "--json", env=env, cwd=tmp_path)
    assert [b["backup_id"] for b in json.loads(listed.stdout)] == [backup_id]
    refused = pmkv("backup", "restore", backup_id, env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert "already exists" in refused.stderr
    restored = pmkv("backup", "restore", "--target", str(tmp_path / "r"), env=env, cwd=tmp_path)
    assert restored.returncode == 0
    assert (tmp_path / "r" / "people.json").is_file()
    early = pmkv("archive", str(pm_copy), "--yes", env=env, cwd=tmp_path)
    assert early.returncode == 3
    assert pm_copy.is_dir()
    assert pmkv("migrate", str(pm_copy), "-q", env=env, cwd=tmp_path).returncode == 0
    dry = pmkv("archive", str(pm_copy), "--dry-run", env=env, cwd=tmp_path)
    assert dry.returncode == 0
    assert "would rename" in dry.stdout
    assert pm_copy.is_dir()
    done = pmkv("archive", str(pm_copy), "--yes", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not pm_copy.exists()
    assert (tmp_path / "pm-backup").is_dir()
    undo = pmkv("archive", str(pm_copy), "--undo", env=env, cwd=tmp_path)
    assert undo.returncode == 0
    assert pm_copy.is_dir()


def test_status_and_verify_follow_the_last_migrated_folder(
    pm_copy: Path, home: Path, tmp_path: Path, gateway: RunningGateway, clean_engine: redis.Redis
) -> None:
    """Right after `pmkv migrate examples/pm`, plain `pmkv status` / `pmkv verify` (no
    ./pm here) inspect the folder that run read instead of saying there is nothing."""
    env = cli_env(gateway, home)
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    run = pmkv("migrate", str(pm_copy), "-q", env=env, cwd=cwd)
    assert run.returncode == 0, run.stderr
    verify = pmkv("verify", "--json", env=env, cwd=cwd)
    assert verify.returncode == 0, verify.stderr
    assert json.loads(verify.stdout)["ok"] is True
    status = pmkv("status", "--json", env=env, cwd=cwd)
    assert status.returncode == 0, status.stderr
    phases = {p["name"]: p["done"] for p in json.loads(status.stdout)["phases"]}
    assert phases["migrated"]
    assert phases["verified"]


def test_story_workers_through_the_cli(
    home: Path, tmp_path: Path, gateway: RunningGateway, clean_engine: redis.Redis
) -> None:
    """`python -m pmkv migrate` on a tree of several chunks: worker processes write
    the stories (each with its own journal); `--workers 0` reads and writes them in the
    migrating process."""
    from pmkv.generate.tree import generate_tree
    from pmkv.migrate.runs import journal_files

    tree = tmp_path / "pm"
    generate_tree(tree, projects=1, stories=2500, seed=5)
    env = cli_env(gateway, home)
    journals: dict[str, list[str]] = {}
    for workers in ("2", "0"):
        clean_engine.flushall()
        run = pmkv(
            "migrate", str(tree), "--yes", "--no-backup", "--json", "--workers", workers,
            env=env, cwd=tmp_path, timeout=120,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        data = json.loads(run.stdout)
        assert data["verify"]["ok"] is True
        assert data["verify"]["proven_at_write"] == data["written"]
        folder = Path(data["report"]).parent
        journals[workers] = [p.name for p in journal_files(folder)]
        assert clean_engine.dbsize() == data["written"] + 1  # + the ledger
    assert any(name.startswith("journal-w") for name in journals["2"]), journals
    assert journals["0"] == ["journal.jsonl"]  # --workers 0: every key written here
