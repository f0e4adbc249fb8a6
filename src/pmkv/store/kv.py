"""KVStore: the production keyspace through the official ``upstash-redis`` client.

Values are written with SET as ``to_js_json`` text (what ``@upstash/redis`` writes). List
keys stay JSON arrays; they change only inside Lua scripts (:mod:`pmkv.store.kvscripts`)
so concurrent writers never lose an entry. Records change by compare-and-set on their
exact text (retrying on conflict), so a read-modify-write never overwrites someone
else's change. ``load_project`` needs at most three HTTP round trips: the project and
its epics list; every epic and stories list in one MGET; every story in one MGET (one
pipeline of all of them when the lists it remembers from an earlier load still hold).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Literal

import httpx
from upstash_redis import Redis
from upstash_redis.errors import UpstashError

from pmkv.store import kvread, upstash
from pmkv.store.base import (
    BaseStore,
    ClaimOutcome,
    EpicClaim,
    IndexKind,
    Updater,
    now_iso,
)
from pmkv.store.codec import parse_json, to_js_json
from pmkv.store.edits import check_bulk_changes, story_ids_of
from pmkv.store.errors import NotFoundError, StoreError, StoreUnreachableError
from pmkv.store.interface import (
    Analytics,
    BulkResult,
    ProjectData,
    Record,
    StoryMatch,
    StoryQuery,
    StoryRef,
)
from pmkv.store.keyspace import KeyRef, Keyspace, glob_escape
from pmkv.store.kvscripts import (
    CAS,
    CREATE_LISTED,
    CREATE_STORY,
    LIST_ADD,
    LIST_REMOVE,
    MOVE_STORY,
    WRITE_STORY,
)

CAS_ATTEMPTS = 1000
_CLAIMS: dict[int, Literal["taken", "claimed"]] = {0: "taken", 1: "claimed"}
SCAN_COUNT = 1000
LIST_TEXTS_MAX = 10_000


class KVStore(BaseStore):
    """The store over an Upstash-REST endpoint (the local gateway or Upstash itself)."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        keyspace: Keyspace | None = None,
        # Plain JSON responses: with store.upstash parsing them with orjson they cost
        # less than base64, which the official client decodes value by value (~3.4 ms
        # of a 500-story load, measured). "base64" is the client's own default.
        encoding: Literal["base64"] | None = None,
        timeout: float | None = None,
        validate: bool = True,
        clock: Callable[[], str] = now_iso,
    ) -> None:
        super().__init__(validate=validate, clock=clock)
        self.url = url
        self.keyspace = keyspace or Keyspace.production()
        self._encoding: Literal["base64"] | None = encoding
        self.timeout = timeout
        self._token = token
        self._local = threading.local()
        self._clients: list[Redis] = []
        self._clients_lock = threading.Lock()
        self.client = self.thread_client()
        # Stories-list texts last seen, so a script can check them instead of re-reading
        # them first (see kvread.active_story_ids). A hint only: scripts verify it.
        self.list_texts: dict[str, str] = {}

    def remember_list(self, key: str, text: str) -> None:
        if len(self.list_texts) >= LIST_TEXTS_MAX:
            self.list_texts.clear()
        self.list_texts[key] = text

    def __repr__(self) -> str:
        return f"KVStore({self.url!r}, keyspace={self.keyspace.name!r})"

    def close(self) -> None:
        with self._clients_lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()  # type: ignore[no-untyped-call]

    def thread_client(self) -> Redis:
        """This thread's client. One httpx connection pool shared by many threads
        failed under load (EBADF on a socket another thread closed), so each thread
        gets its own official client; ``self.client`` is the creating thread's."""
        client: Redis | None = getattr(self._local, "client", None)
        if client is None:
            client = upstash.connect(
                self.url,
                self._token,
                timeout=self.timeout,  # so a stuck endpoint fails instead of hanging
                rest_encoding=self._encoding,
                rest_retries=0,  # a retried EVAL could run twice: errors surface instead
                allow_telemetry=False,
            )
            self._local.client = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    # ---- the one boundary where client errors become ours --------------------------

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except UpstashError as exc:
            raise StoreError(
                f"{self.url} refused {what}: {exc}",
                hint="check the token and that the endpoint speaks the Upstash REST API",
            ) from exc
        except httpx.HTTPError as exc:
            raise StoreUnreachableError(
                f"cannot reach {self.url} for {what}: {exc}",
                hint="start the local stack with `pmkv up` or fix UPSTASH_REDIS_REST_URL",
            ) from exc
        except ValueError as exc:  # a non-JSON HTTP answer
            raise StoreUnreachableError(
                f"{self.url} did not answer {what} like an Upstash REST endpoint: {exc}",
                hint="check UPSTASH_REDIS_REST_URL",
            ) from exc

    def key_exists(self, key: str) -> bool:
        """Is ``key`` in the store (one EXISTS; errors translated like every call)."""
        found = self._call(f"EXISTS {key}", lambda: self.thread_client().exists(key))
        return bool(found)

    def _eval(self, script: str, keys: list[str], args: list[str]) -> Any:
        return self._call(
            f"EVAL on {keys[0]}", lambda: self.thread_client().eval(script, keys, args)
        )

    def _mget_text(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        texts: list[str | None] = self._call(
            f"MGET of {len(keys)} keys", lambda: self.thread_client().mget(*keys)
        )
        return texts

    def _mget(self, keys: Sequence[str]) -> list[Any]:
        raw = self._mget_text(keys)
        return [
            None if text is None else kvread.parse_value(text, key)
            for key, text in zip(keys, raw, strict=True)
        ]

    def _pipeline(self, commands: list[list[str]]) -> list[Any]:
        def run() -> list[Any]:
            pipe = self.thread_client().pipeline()
            for command in commands:
                pipe.execute(command)
            result: list[Any] = pipe.exec()
            return result

        return list(self._call(f"a pipeline of {len(commands)} commands", run))

    def _scan(self, pattern: str) -> list[str]:
        keys: list[str] = []
        cursor = 0
        while True:
            cursor, batch = self._call(
                f"SCAN {pattern}",
                partial(self.thread_client().scan, cursor, match=pattern, count=SCAN_COUNT),
            )
            keys.extend(batch)
            if int(cursor) == 0:
                return keys

    # ---- keys --------------------------------------------------------------------

    def _key(self, ref: KeyRef) -> str:
        ks = self.keyspace
        if ref.kind == "people":
            return ks.people()
        assert ref.project is not None
        if ref.kind == "project":
            return ks.project(ref.project)
        assert ref.epic is not None
        if ref.kind == "epic":
            return ks.epic(ref.project, ref.epic)
        assert ref.story is not None
        return ks.story(ref.project, ref.epic, ref.story)

    def _list_key(self, kind: IndexKind, project: str, epic: str) -> str | None:
        if kind == "projects":
            return self.keyspace.projects_list()
        if kind == "epics":
            return self.keyspace.epics_list(project)
        return self.keyspace.stories_list(project, epic)

    # ---- primitives --------------------------------------------------------------

    def _get(self, ref: KeyRef) -> Any:
        key = self._key(ref)
        text = self._call(f"GET {key}", lambda: self.thread_client().get(key))
        return None if text is None else parse_json(text, key)

    def _get_many(self, refs: Sequence[KeyRef]) -> list[Any]:
        return self._mget([self._key(ref) for ref in refs])

    def _put(self, ref: KeyRef, value: Any) -> None:
        key = self._key(ref)
        text = to_js_json(value)
        self._call(f"SET {key}", lambda: self.thread_client().set(key, text))

    def _put_new(self, ref: KeyRef, value: Record) -> bool:
        key = self._key(ref)
        text = to_js_json(value)
        found = self._call(f"SET {key} NX", lambda: self.thread_client().set(key, text, nx=True))
        return found is True or found == "OK"

    def _update(self, ref: KeyRef, fn: Updater) -> Record:
        key = self._key(ref)
        for _ in range(CAS_ATTEMPTS):
            text = self._call(f"GET {key}", lambda: self.thread_client().get(key))
            old = None if text is None else parse_json(text, key)
            if not isinstance(old, dict):
                raise NotFoundError(f"{key} does not exist")
            new = fn(old)
            if new is None:
                return old
            if self._eval(CAS, [key], [text, to_js_json(new)]) == [1]:
                return new
        raise StoreError(f"{key} kept changing under {CAS_ATTEMPTS} attempts to update it")

    def _index(self, kind: IndexKind, project: str = "", epic: str = "") -> list[str]:
        key = self._list_key(kind, project, epic)
        if key is None:  # the legacy layout has no epics list: find the epic keys
            return self._scan_epics(project)
        text = self._call(f"GET {key}", lambda: self.thread_client().get(key))
        value = None if text is None else parse_json(text, key)
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    def _scan_epics(self, project: str) -> list[str]:
        names = []
        for key in self._scan(self.keyspace.epic_pattern(project)):
            ref = self.keyspace.parse(key)
            if ref is not None and ref.kind == "epic" and ref.project == project:
                names.append(str(ref.epic))
        return sorted(set(names))

    def _index_add(self, kind: IndexKind, project: str, epic: str, name: str) -> None:
        key = self._list_key(kind, project, epic)
        if key is not None:
            self._eval(LIST_ADD, [key], [name])

    def _index_remove(self, kind: IndexKind, project: str, epic: str, name: str) -> None:
        key = self._list_key(kind, project, epic)
        if key is not None:
            self._eval(LIST_REMOVE, [key], [name])

    def _story_keys(self, project: str, epic: str, story_id: str) -> list[str]:
        ks = self.keyspace
        return [
            ks.story(project, epic, story_id),
            ks.stories_list(project, epic),
            ks.epic(project, epic),
        ]

    def _write_story(
        self, project: str, epic: str, story_id: str, value: Record, mode: str
    ) -> bool:
        keys = self._story_keys(project, epic, story_id)
        result = self._eval(WRITE_STORY, keys, [to_js_json(value), story_id, mode])
        if result == -1:
            raise NotFoundError(f"epic {project}/{epic} does not exist")
        return bool(result == 1)

    def _claim_story(self, project: str, epic: str, story_id: str, value: Record) -> bool:
        return self._write_story(project, epic, story_id, value, "nx")

    def _put_story(self, project: str, epic: str, story_id: str, value: Record) -> bool:
        return self._write_story(project, epic, story_id, value, "")

    def bulk_update(
        self, project: str, targets: Sequence[StoryRef], changes: Mapping[str, str]
    ) -> BulkResult:
        """One MGET and one multi-key compare-and-set for all targets (repeated only for
        stories another writer changed in between)."""
        check_bulk_changes(changes)
        missing: set[StoryRef] = set()
        done: set[StoryRef] = set()
        pending = list(dict.fromkeys(targets))
        for _ in range(CAS_ATTEMPTS):
            if not pending:
                break
            keys = [self._key(self._story_ref(project, t.epic, t.id)) for t in pending]
            texts = self._mget_text(keys)
            trying: list[tuple[StoryRef, str]] = []
            args: list[str] = []
            for target, key, text in zip(pending, keys, texts, strict=True):
                story = None if text is None else parse_json(text, key)
                if not isinstance(story, dict):
                    missing.add(target)
                    continue
                trying.append((target, key))
                args += [str(text), to_js_json(self._touch(story, **changes))]
            if not trying:
                break
            applied = self._eval(CAS, [key for _, key in trying], args)
            done.update(t for (t, _), ok in zip(trying, applied, strict=True) if ok == 1)
            pending = [t for (t, _), ok in zip(trying, applied, strict=True) if ok != 1]
        else:
            raise StoreError(f"stories of {project} kept changing during a bulk update")
        return BulkResult(
            updated=[t for t in targets if t in done],
            missing=[t for t in targets if t in missing],
        )

    def _creation_view(self, project: str, epic: str) -> tuple[list[str], Record | None]:
        ks = self.keyspace
        list_key, epic_key = ks.stories_list(project, epic), ks.epic(project, epic)
        list_text, epic_text = self._pipeline([["GET", list_key], ["GET", epic_key]])
        listed = None if list_text is None else parse_json(list_text, list_key)
        record = None if epic_text is None else parse_json(epic_text, epic_key)
        ids = [i for i in listed if isinstance(i, str)] if isinstance(listed, list) else []
        return ids, record if isinstance(record, dict) else None

    def _claim_new_story(
        self, project: str, epic: str, story_id: str, value: Record, epic_record: Record
    ) -> ClaimOutcome:
        # One script claims the id, lists it and (if the epic is unchanged) appends it to
        # storyIds. A stored epic text that is not canonical JSON.stringify output only
        # makes the comparison fail: the caller then appends with compare-and-set.
        ids = story_ids_of(epic_record)
        grown = {**epic_record, "storyIds": ids if story_id in ids else [*ids, story_id]}
        keys = self._story_keys(project, epic, story_id)
        result = self._create_child(
            keys, value, story_id, epic_record, grown, f"epic {project}/{epic}"
        )
        return "claimed and listed in the epic" if result == 2 else _CLAIMS[result]

    def _claim_new_project(self, project: str, value: Record) -> bool:
        listed = self._list_key("projects", project, "")
        if listed is None:
            return super()._claim_new_project(project, value)
        key = self._key(KeyRef("project", project))
        return bool(self._eval(CREATE_LISTED, [key, listed], [to_js_json(value), project]) == 1)

    def _claim_new_epic(
        self, project: str, epic: str, value: Record, project_record: Record, grown: Record | None
    ) -> EpicClaim:
        # The story-creating script, one level up: claim the name, list it and (if the
        # project is unchanged) put the project with the name in epicIds, in one step.
        listed = self._list_key("epics", project, "")
        if listed is None or grown is None:
            return super()._claim_new_epic(project, epic, value, project_record, grown)
        keys = [
            self._key(KeyRef("epic", project, epic)),
            listed,
            self._key(KeyRef("project", project)),
        ]
        result = self._create_child(
            keys, value, epic, project_record, grown, f"project {project!r}"
        )
        return "claimed and listed in the project" if result == 2 else _CLAIMS[result]

    def _create_child(
        self, keys: list[str], value: Record, name: str, parent: Record, grown: Record, what: str
    ) -> int:
        """CREATE_STORY on (record, its list, its parent): 0 taken, 1 claimed and
        listed, 2 and the parent replaced by ``grown``; a missing parent raises."""
        args = [to_js_json(value), name, to_js_json(parent), to_js_json(grown)]
        result = self._eval(CREATE_STORY, keys, args)
        if result == -1:
            raise NotFoundError(f"{what} does not exist")
        return int(result)

    def _move_story_record(
        self, project: str, epic: str, story_id: str, to_epic: str, value: Record
    ) -> bool:
        ks = self.keyspace
        keys = [
            ks.story(project, epic, story_id),
            ks.stories_list(project, epic),
            ks.story(project, to_epic, story_id),
            ks.stories_list(project, to_epic),
        ]
        result = self._eval(MOVE_STORY, keys, [to_js_json(value), story_id])
        if result == -2:
            raise NotFoundError(f"story {project}/{epic}/{story_id} does not exist")
        return bool(result == 1)

    def _delete_keys(self, keys: Sequence[str]) -> None:
        unique = sorted(set(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            self._call(f"DEL of {len(chunk)} keys", partial(self.thread_client().delete, *chunk))

    def _delete_epic_tree(self, project: str, epic: str) -> None:
        ks = self.keyspace
        keys = [ks.epic(project, epic), ks.stories_list(project, epic)]
        keys += [ks.story(project, epic, sid) for sid in self._index("stories", project, epic)]
        # Stories missing from the list still belong to the epic: find them by pattern.
        prefix = ks.story(project, epic, "")
        keys += self._scan(glob_escape(prefix) + "*")
        self._delete_keys(keys)

    def _delete_project_tree(self, project: str) -> None:
        keys = [self.keyspace.project(project)]
        for pattern in self.keyspace.project_patterns(project):
            keys += self._scan(pattern)
        self._delete_keys(keys)

    # ---- whole project in at most three round trips -------------------------------

    def _eval_ro(self, what: str, script: str, keys: list[str], args: list[str]) -> Any:
        return self._call(what, partial(self.thread_client().eval_ro, script, keys, args))

    # ---- reads answered in three round trips or filtered in the engine: kvread ---

    def load_project(self, project: str) -> ProjectData:
        return kvread.load_project(self, project)

    def list_active_story_ids(self, project: str, epic: str) -> list[str]:
        return kvread.active_story_ids(self, project, epic)

    def search_stories(self, project: str, query: StoryQuery) -> list[StoryMatch]:
        return kvread.search(self, project, query)

    def analytics(self, project: str, include_archived: bool = True) -> Analytics:
        return kvread.analytics(self, project, include_archived)
