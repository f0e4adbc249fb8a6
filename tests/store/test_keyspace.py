"""Both key layouts: building keys, parsing them back, and the per-project patterns."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmkv.store.errors import InvalidNameError
from pmkv.store.keyspace import KeyRef, Keyspace, check_name

names = st.from_regex(r"[a-z0-9][a-z0-9._\-\[\]*?]{0,15}", fullmatch=True).filter(
    lambda n: n not in (".", "..")
)
story_ids = st.from_regex(r"(F|NFR)-[A-Z]{2,6}-[0-9]{3}|STORY-[a-z0-9]{1,5}", fullmatch=True)
layouts = st.sampled_from([Keyspace.production(), Keyspace.legacy()])


def test_production_layout_is_the_apps() -> None:
    ks = Keyspace.production()
    assert ks.people() == "pm:people"
    assert ks.projects_list() == "pm:projects:list"
    assert ks.project("hp") == "pm:project:hp"
    assert ks.epics_list("hp") == "pm:project:hp:epics:list"
    assert ks.epic("hp", "rcm") == "pm:project:hp:epic:rcm"
    assert ks.stories_list("hp", "rcm") == "pm:project:hp:epic:rcm:stories:list"
    assert ks.story("hp", "rcm", "F-RCM-001") == "pm:project:hp:epic:rcm:story:F-RCM-001"


def test_legacy_layout_is_the_strategy_documents() -> None:
    ks = Keyspace.named("legacy")
    assert ks.people() == "pm:people:global"
    assert ks.epics_list("hp") is None
    assert ks.epic("hp", "rcm") == "pm:epic:hp:rcm"
    assert ks.stories_list("hp", "rcm") == "pm:epic:hp:rcm:stories"
    assert ks.story("hp", "rcm", "F-RCM-001") == "pm:story:hp:rcm:F-RCM-001"
    with pytest.raises(InvalidNameError):
        Keyspace.named("other")


@given(layouts, names, names, story_ids)
def test_every_key_parses_back(ks: Keyspace, project: str, epic: str, story: str) -> None:
    assert ks.parse(ks.people()) == KeyRef("people")
    assert ks.parse(ks.projects_list()) == KeyRef("projects_list")
    assert ks.parse(ks.project(project)) == KeyRef("project", project)
    epics_list = ks.epics_list(project)
    if epics_list is not None:
        assert ks.parse(epics_list) == KeyRef("epics_list", project)
    assert ks.parse(ks.epic(project, epic)) == KeyRef("epic", project, epic)
    assert ks.parse(ks.stories_list(project, epic)) == KeyRef("stories_list", project, epic)
    assert ks.parse(ks.story(project, epic, story)) == KeyRef("story", project, epic, story)


@given(layouts, names, names, names, story_ids)
def test_project_patterns_match_its_keys_only(
    ks: Keyspace, project: str, other: str, epic: str, story: str
) -> None:
    def matches(key: str, proj: str) -> bool:
        # fnmatchcase treats [..] like Redis; Redis' backslash escape is emulated here.
        return any(_redis_glob(pattern, key) for pattern in ks.project_patterns(proj))

    keys = [ks.project(project), ks.epic(project, epic), ks.stories_list(project, epic)]
    keys.append(ks.story(project, epic, story))
    keys += [k for k in [ks.epics_list(project)] if k]
    assert all(matches(k, project) for k in keys)
    if other != project:
        assert not any(matches(k, other) for k in keys)
    assert not matches(ks.people(), project)
    assert not matches(ks.projects_list(), project)
    assert all(_redis_glob(ks.epic_pattern(project), ks.epic(project, epic)) for _ in [0])


def _redis_glob(pattern: str, key: str) -> bool:
    """Redis MATCH semantics for the subset we emit: escaped specials are literals."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append("[" + pattern[i + 1] + "]" if pattern[i + 1] != "]" else "]")
            i += 2
            continue
        out.append(ch)
        i += 1
    return fnmatchcase(key, "".join(out))


@pytest.mark.parametrize(
    "key",
    ["", "pm", "other:project:x", "pm:project:", "pm:project:x:epic", "pm:project:x:what:y"],
)
def test_foreign_keys_do_not_parse(key: str) -> None:
    assert Keyspace.production().parse(key) is None


@pytest.mark.parametrize("name", ["", ".", "..", "a:b", "a/b", "a\\b", "a\nb"])
def test_unusable_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidNameError) as info:
        check_name(name, "project")
    assert repr(name) in info.value.message
