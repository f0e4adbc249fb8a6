"""Discovery's side of the story workers: gather epics into chunks, settle them in order.

While the walk goes on, each epic's story files join the chunk being gathered; a full
chunk goes to the :class:`~pmkv.migrate.storyrun.StoryRunner`. As chunks come back (in
the order they were sent) their epics are settled exactly as an inline read settles
them -- records, anomalies, the storyIds checks -- and handed on as ready, after their
stories were written: a list key is never written before the records it lists.

Anomalies stay in walk order: an epic's findings go where the walk was when it reached
the epic, however late its chunk comes back.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future
from typing import TYPE_CHECKING, NamedTuple

from pmkv.migrate.inventory import Anomaly, EpicInventory
from pmkv.migrate.storyload import EpicFiles, ReadStories
from pmkv.migrate.storywork import ChunkOutcome

if TYPE_CHECKING:
    from pmkv.migrate.discover import Walker
    from pmkv.migrate.storyrun import StoryRunner


class _Epic(NamedTuple):
    epic: EpicInventory
    files: EpicFiles
    slot: int  # how many anomalies the walk had found when it reached this epic


class StoryFeed:
    def __init__(self, walker: Walker, runner: StoryRunner) -> None:
        self.walker = walker
        self.runner = runner
        self._gathering: list[_Epic] = []
        self._gathered = 0
        self._inflight: deque[tuple[Future[ChunkOutcome], list[_Epic]]] = deque()
        self._found: list[tuple[int, list[Anomaly]]] = []

    def add(self, epic: EpicInventory, files: EpicFiles) -> None:
        """One epic (with a valid epic.json) and its story files, walked."""
        self._gathering.append(_Epic(epic, files, len(self.walker.inv.anomalies)))
        self._gathered += len(files.names)
        if self._gathered >= self.runner.chunk:
            self._send()
        self._settle(wait=False)

    def _send(self) -> None:
        if not self._gathering:
            return
        if self._gathered:
            future = self.runner.submit([item.files for item in self._gathering])
        else:  # only epics without story files: nothing to read
            future = Future()
            future.set_result(ChunkOutcome.empty())
        self._inflight.append((future, self._gathering))
        self._gathering, self._gathered = [], 0

    def _settle(self, *, wait: bool) -> None:
        while self._inflight and (wait or self._inflight[0][0].done()):
            future, epics = self._inflight.popleft()
            self._take(self.runner.take(future), epics)

    def _take(self, outcome: ChunkOutcome, epics: list[_Epic]) -> None:
        from pmkv.migrate.discover import take_stories

        problems, deleted = outcome.problems, outcome.deleted
        keys: list[str] = []  # of the valid stories, in order: what the outcome is about
        start = 0
        for epic, files, slot in epics:
            end = start + len(files.names)
            mine = ReadStories(
                {i - start: p for i, p in problems.items() if start <= i < end},
                {i - start for i in deleted if start <= i < end},
            )
            self._found.append((slot, take_stories(self.walker, epic, files, mine)))
            keys.extend(record.key for record in epic.stories.values())
            start = end
        if self.runner.on_outcome is not None:
            self.runner.on_outcome(keys, outcome)
        for epic, _files, _slot in epics:
            assert epic.record is not None
            self.walker.ready([epic.record, *epic.stories.values()], epic)

    def finish(self) -> None:
        """Send the last chunk, settle every epic, put their anomalies in walk order."""
        self._send()
        self._settle(wait=True)
        walked = self.walker.inv.anomalies
        merged: list[Anomaly] = []
        done = 0
        for slot, found in self._found:  # slots only grow: the walk's order
            merged += walked[done:slot]
            merged += found
            done = slot
        merged += walked[done:]
        self.walker.inv.anomalies[:] = merged
        self._found = []
