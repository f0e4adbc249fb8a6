"""KVStore reads that take a whole project: at most three round trips, and where possible
the filtering or aggregating happens inside the engine so only the answer crosses the
network.

``project_index`` (two trips: the project + epics list, then one MGET of every epic and
stories list) is shared; the third trip is one MGET of every story (``load_project``) or
one EVAL_RO over every story key (``search``, ``analytics``). Every key a script touches
is passed in KEYS, as Upstash expects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pmkv.store import codec, queries
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


def parse_value(text: str, key: str) -> Any:
    """``parse_json(text, key)`` for a value as we write it (compact JSON), faster.

    The codec's own decoder (same number hooks, so the same values as parse_json); its
    scanner alone skips parse_json's per-call whitespace and BOM handling, ~1 us of ~5
    per story. Anything it does not take whole (BOM, surrounding whitespace, invalid
    JSON) goes through parse_json, which also raises the error naming the key.
    """
    try:
        value, end = _SCAN(text, 0)
    except (StopIteration, ValueError):
        return parse_json(text, key)
    if end != len(text):
        return parse_json(text, key)
    return value


_SCAN: Callable[[str, int], tuple[Any, int]] = codec._DECODER.scan_once  # type: ignore[attr-defined]


def _names(value: Any) -> list[str]:
    return [e for e in value if isinstance(e, str)] if isinstance(value, list) else []


def project_index(store: KVStore, project: str) -> ProjectData:
    """The project record and every epic with its story ids (no stories yet): two
    round trips (GET project + epics list, then one MGET of the epics and lists)."""
    ks = store.keyspace
    project_key = ks.project(project)
    epics_key = ks.epics_list(project)
    if epics_key is None:
        record = store._mget([project_key])[0]
        epics = store._scan_epics(project)
        keys = [
            k for epic in epics for k in (ks.epic(project, epic), ks.stories_list(project, epic))
        ]
        return _assemble(store, project, record, epics, store._mget_text(keys))
    texts = store._pipeline([["GET", project_key], ["GET", epics_key]])
    return _index_from(store, project, texts[0], texts[1])


def _index_from(
    store: KVStore, project: str, record_text: str | None, epics_text: str | None
) -> ProjectData:
    """The rest of project_index once the project and epics list texts are known."""
    ks = store.keyspace
    epics_key = ks.epics_list(project)
    assert epics_key is not None
    record = None if record_text is None else parse_value(record_text, ks.project(project))
    if epics_text is None:
        store.list_texts.pop(epics_key, None)
        epics: list[str] = []
    else:
        store.remember_list(epics_key, epics_text)
        epics = _names(parse_value(epics_text, epics_key))
    keys = [k for epic in epics for k in (ks.epic(project, epic), ks.stories_list(project, epic))]
    return _assemble(store, project, record, epics, store._mget_text(keys))


def _assemble(
    store: KVStore, project: str, record: Any, epics: list[str], texts: list[str | None]
) -> ProjectData:
    """ProjectData from the texts of each epic's record and stories list (alternating);
    the lists' texts are remembered for the next load and active-story listing."""
    ks = store.keyspace
    data = ProjectData(project, record if isinstance(record, dict) else None, {})
    for i, epic in enumerate(epics):
        record_text, list_text = texts[2 * i], texts[2 * i + 1]
        list_key = ks.stories_list(project, epic)
        epic_record = (
            None if record_text is None else parse_value(record_text, ks.epic(project, epic))
        )
        if list_text is None:
            ids: list[str] = []
        else:
            store.remember_list(list_key, list_text)
            ids = _names(parse_value(list_text, list_key))
        data.epics[epic] = EpicData(
            epic, epic_record if isinstance(epic_record, dict) else None, ids, {}
        )
    return data


def story_keys_of(store: KVStore, data: ProjectData) -> tuple[list[str], list[str]]:
    keys: list[str] = []
    epics: list[str] = []
    for epic in data.epics.values():
        keys += [store.keyspace.story(data.name, epic.name, sid) for sid in epic.story_ids]
        epics += [epic.name] * len(epic.story_ids)
    return keys, epics


def _fill(store: KVStore, data: ProjectData, texts: list[str | None] | None = None) -> ProjectData:
    """Put every story into ``data``; one MGET unless their ``texts`` are given."""
    keys, _ = story_keys_of(store, data)
    if texts is None:
        texts = store._mget_text(keys)
    values = iter(zip(keys, texts, strict=True))
    for epic_data in data.epics.values():
        for sid in epic_data.story_ids:
            key, text = next(values)
            story = None if text is None else parse_value(text, key)
            if isinstance(story, dict):
                epic_data.stories[sid] = story
    return data


def load_project(store: KVStore, project: str) -> ProjectData:
    """The whole project: three round trips (project + epics list, epics and stories
    lists, stories). When the store remembers the epics list and every stories list
    from an earlier load, one pipeline asks for all of it at once and the lists that
    come back are checked against the remembered ones: one round trip when nothing
    changed, two when a stories list did, three when the epics list did."""
    epics_key = store.keyspace.epics_list(project)
    known = None if epics_key is None else store.list_texts.get(epics_key)
    if epics_key is None or known is None:
        return _fill(store, project_index(store, project))
    return _load_remembered(store, project, epics_key, known)


def _load_remembered(store: KVStore, project: str, epics_key: str, known: str) -> ProjectData:
    ks = store.keyspace
    epics = _names(parse_value(known, epics_key))
    list_keys = [ks.stories_list(project, epic) for epic in epics]
    lists_known = [store.list_texts.get(key) for key in list_keys]
    index_keys = [
        k for epic, lk in zip(epics, list_keys, strict=True) for k in (ks.epic(project, epic), lk)
    ]
    commands: list[list[str]] = [["GET", ks.project(project)], ["GET", epics_key]]
    story_keys: list[str] = []
    if index_keys:
        commands.append(["MGET", *index_keys])
        if None not in lists_known:
            story_keys = [
                ks.story(project, epic, sid)
                for epic, lk, text in zip(epics, list_keys, lists_known, strict=True)
                for sid in _names(parse_value(text or "[]", lk))
            ]
            if story_keys:
                commands.append(["MGET", *story_keys])
    got = store._pipeline(commands)
    if got[1] != known:  # the epics list changed: go on from what came back
        return _fill(store, _index_from(store, project, got[0], got[1]))
    record = None if got[0] is None else parse_value(got[0], ks.project(project))
    index_texts: list[str | None] = got[2] if index_keys else []
    data = _assemble(store, project, record, epics, index_texts)
    unchanged = None not in lists_known and all(
        index_texts[2 * i + 1] == text for i, text in enumerate(lists_known)
    )
    if unchanged:
        return _fill(store, data, got[3] if story_keys else [])
    return _fill(store, data)  # a stories list changed: one more MGET


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
