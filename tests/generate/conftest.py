"""Trees generated once per session and shared by the generator's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmkv.generate import GenerateResult, generate_tree

# Big enough that every status, priority, type and flag shows up; small enough to be quick.
SAMPLE = {"projects": 2, "epics": 6, "stories": 900, "seed": 11}


@pytest.fixture(scope="session")
def sample_tree(tmp_path_factory: pytest.TempPathFactory) -> GenerateResult:
    return generate_tree(tmp_path_factory.mktemp("gen") / "pm", **SAMPLE)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sample_files(sample_tree: GenerateResult) -> dict[str, bytes]:
    return read_tree(sample_tree.out)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative POSIX path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
