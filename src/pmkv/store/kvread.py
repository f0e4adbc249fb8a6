"""KVStore reads that take a whole project: three round trips, and where possible the
filtering or aggregating happens inside the engine so only the answer crosses the network.

``project_index`` (two trips: the project + epics list, then one MGET of every epic and
stories list) is shared; the third trip is one MGET of every story (``load_project``) or
one EVAL_RO over every story key (``search``, ``analytics``). Every key a script touches
is passed in KEYS, as Upstash expects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pmkv.store import queries
from pmkv.store.codec import parse_json, to_js_json
from pmkv.store.errors import StoreError
from pmkv.store.interface import Analytics, Breakdown, EpicData, ProjectData, StoryMatch, StoryQuery
from pmkv.store.kvscripts import ACTIVE_IDS, ANALYTICS, SEARCH_CANDIDATES

if TYPE_CHECKING:
    from pmkv.store.kv import KVStore


def active_story_ids(store: KVStore, project: str, epic: str) -> list[str]:
    """The epic's stories that are not deleted, judged inside the engine: one round trip
    when the store remembers the epic's stories list and it has not changed, else two."""
    list_key = store.keyspace.stories_list(project, epic)
    text = store.list_texts.get(list_key)
    if text is None:
        text = store._call(f"GET {list_key}", lambda: store.thread_client().get(list_key))
    for _ in range(100):
        if not text:
            store.list_texts.pop(list_key, None)
            return []
        listed = parse_json(text, list_key)
        ids = [i for i in listed if isinstance(i, str)] if isinstance(listed, list) else []
        keys = [list_key, *(store.keyspace.story(project, epic, sid) for sid in ids)]
        what = f"EVAL_RO over {len(ids)} stories of {project}/{epic}"
        answer = store._eval_ro(what, ACTIVE_IDS, keys, [text, *ids])
        if int(answer[0]) == 1:
            store.remember_list(list_key, text)
            return [str(i) for i in answer[1:]]
        text = answer[1]  # the list changed since we saw it: ask again with its keys
    raise StoreError(f"{list_key} kept changing while its active stories were read")


def project_index(store: KVStore, project: str) -> ProjectData:
    """The project record and every epic with its story ids (no stories yet): two
    round trips (GET project + epics list, then one MGET of the epics and lists)."""
    ks = store.keyspace
    project_key = ks.project(project)
    epics_key = ks.epics_list(project)
    if epics_key is None:
        record = store._mget([project_key])[0]
        epics = store._scan_epics(project)
    else:
        texts = store._pipeline([["GET", project_key], ["GET", epics_key]])
        record = None if texts[0] is None else parse_json(texts[0], project_key)
        listed = None if texts[1] is None else parse_json(texts[1], epics_key)
        epics = [e for e in listed if isinstance(e, str)] if isinstance(listed, list) else []
    data = ProjectData(project, record if isinstance(record, dict) else None, {})
    keys: list[str] = []
    for epic in epics:
        keys += [ks.epic(project, epic), ks.stories_list(project, epic)]
    values = store._mget(keys)
    for i, epic in enumerate(epics):
        epic_record, listed_ids = values[2 * i], values[2 * i + 1]
        ids = listed_ids if isinstance(listed_ids, list) else []
        data.epics[epic] = EpicData(
            epic,
            epic_record if isinstance(epic_record, dict) else None,
            [s for s in ids if isinstance(s, str)],
            {},
        )
    return data


def story_keys_of(store: KVStore, data: ProjectData) -> tuple[list[str], list[str]]:
    keys: list[str] = []
    epics: list[str] = []
    for epic in data.epics.values():
        keys += [store.keyspace.story(data.name, epic.name, sid) for sid in epic.story_ids]
        epics += [epic.name] * len(epic.story_ids)
    return keys, epics


def load_project(store: KVStore, project: str) -> ProjectData:
    """The whole project in three round trips (the third: one MGET of every story)."""
    data = project_index(store, project)
    keys, _ = story_keys_of(store, data)
    stories = iter(store._mget(keys))
    for epic_data in data.epics.values():
        for sid in epic_data.story_ids:
            story = next(stories)
            if isinstance(story, dict):
                epic_data.stories[sid] = story
    return data


def search(store: KVStore, project: str, query: StoryQuery) -> list[StoryMatch]:
    """Filtered inside the engine first (a superset, see SEARCH_CANDIDATES), then
    exactly here with the same rules as every store. Three round trips."""
    data = project_index(store, project)
    if query.epic is not None:
        data.epics = {k: v for k, v in data.epics.items() if k == query.epic}
    keys, epics = story_keys_of(store, data)
    if not keys:
        return []
    spec: dict[str, Any] = {
        "text": query.text,
        "tag": query.tag,
        "archived": query.archived,
        "include_deleted": query.include_deleted,
        **{
            name: sorted(values) if values is not None else None
            for name, values in (
                ("status", query.status),
                ("priority", query.priority),
                ("manager", query.manager),
            )
        },
    }
    what = f"EVAL_RO search over {len(keys)} stories of {project}"
    flat = store._eval_ro(what, SEARCH_CANDIDATES, keys, [to_js_json(spec)])
    found: list[StoryMatch] = []
    for i in range(0, len(flat), 2):
        index = int(flat[i]) - 1
        story = parse_json(flat[i + 1], keys[index])
        if isinstance(story, dict) and queries.matches(story, query):
            found.append(StoryMatch(epics[index], str(story.get("id")), story))
    return found


def analytics(store: KVStore, project: str, include_archived: bool = True) -> Analytics:
    """Aggregated inside the engine (same rules as the other stores): only the
    numbers cross the network. Three round trips."""
    data = project_index(store, project)
    keys, epics = story_keys_of(store, data)
    result = Analytics(project=project)
    if not keys:
        return result
    what = f"EVAL_RO analytics over {len(keys)} stories of {project}"
    args = ["1" if include_archived else "0", *epics]
    text = store._eval_ro(what, ANALYTICS, keys, args)
    raw: Any = parse_json(text, f"analytics of {project}")  # our script's own output
    result.stories, result.points = int(raw["stories"]), int(raw["points"])
    for name in ("by_status", "by_priority", "by_epic", "by_manager"):
        part = raw[name]
        setattr(result, name, Breakdown(dict(part["count"]), dict(part["points"])))
    return result
