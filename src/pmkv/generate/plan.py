"""The shape of a tree before any record is written.

Decides project and epic folder names, epic acronyms, who works on which project, and
how many functional / non-functional stories each epic gets. Each epic also gets its
own seed, so its records depend only on that seed (and could be built in any order).
"""

from __future__ import annotations

import itertools
import math
import random
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from pmkv.generate import vocab
from pmkv.generate.errors import InvalidCountsError

# The id rule allows three digits, so an epic holds at most 999 ids per type
# (deleted stories keep theirs).
MAX_PER_TYPE = 999
# When the caller does not say how many epics, aim for about this many stories each.
AUTO_STORIES_PER_EPIC = 300
MAX_PROJECTS = 500


@dataclass(frozen=True)
class EpicPlan:
    project: str
    name: str
    title: str
    acronym: str
    functional: int
    non_functional: int
    seed: int
    created: datetime
    manager: str
    team: tuple[str, ...]

    @property
    def stories(self) -> int:
        return self.functional + self.non_functional


@dataclass(frozen=True)
class ProjectPlan:
    name: str
    display_name: str
    domain: str
    manager: str
    contributors: tuple[str, ...]
    created: datetime
    seed: int
    epics: tuple[EpicPlan, ...]


def auto_epics(stories: int, projects: int) -> int:
    """Epics per project when the caller gives none: ~15 for small trees, more for big ones."""
    per_project = math.ceil(stories / projects) if projects else 0
    return max(1, min(15, math.ceil(per_project / 10)), math.ceil(per_project / 300))


def epoch_for(seed: int) -> datetime:
    """A fixed start date per seed (never the wall clock, so output is reproducible).

    Naive datetimes that mean UTC: ``isoformat`` on them is several times faster than
    ``strftime``, which matters at 100,000 stories.
    """
    return datetime(2023, 1, 2, 9, 0) + timedelta(days=seed % 700)


def check_counts(projects: int, epics: int, stories: int) -> None:
    if not 1 <= projects <= MAX_PROJECTS:
        raise InvalidCountsError(
            f"--projects {projects} is out of range",
            hint=f"use a number from 1 to {MAX_PROJECTS}",
        )
    if epics < 1:
        raise InvalidCountsError(f"--epics {epics} is out of range", hint="use 1 or more")
    if stories < 0:
        raise InvalidCountsError(f"--stories {stories} is negative", hint="use 0 or more")
    # Every epic can take at least 999 functional + 110 non-functional stories.
    capacity = projects * epics * (MAX_PER_TYPE + 110)
    if stories > capacity:
        need = math.ceil(stories / projects / (MAX_PER_TYPE + 110))
        raise InvalidCountsError(
            f"{stories} stories do not fit in {projects} project(s) x {epics} epic(s): "
            f"story ids allow at most {MAX_PER_TYPE} functional and {MAX_PER_TYPE} "
            "non-functional stories per epic",
            hint=f"use --epics {need} or more (or leave --epics out to pick it automatically)",
        )


def acronym_for(name: str, taken: set[str]) -> str:
    """A 2-6 letter upper-case acronym for ``name``, unique among ``taken``."""
    words = ["".join(c for c in w if c.isascii() and c.isalpha()).upper() for w in name.split("-")]
    words = [w for w in words if w] or ["EPIC"]
    initials = "".join(w[0] for w in words)[:6]
    candidates = [initials] if len(initials) >= 2 else []
    last = words[-1]
    candidates += [(initials[:-1] + last[:k])[:6] for k in range(2, len(last) + 1)]
    candidates += [words[0][:k] for k in range(2, min(6, len(words[0])) + 1)]
    for candidate in candidates:
        if 2 <= len(candidate) <= 6 and candidate not in taken:
            return candidate
    stem = initials[:3].ljust(2, "X")
    for tail in itertools.chain(
        string.ascii_uppercase, map("".join, itertools.product(string.ascii_uppercase, repeat=3))
    ):
        candidate = (stem + tail)[:6]
        if candidate not in taken:
            return candidate
    raise AssertionError("acronym space exhausted")  # 26**3 tails per stem: unreachable


def _epic_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    topics = list(vocab.EPIC_TOPICS)
    rng.shuffle(topics)
    names = list(topics)
    for round_no in itertools.count(1):
        if len(names) >= count:
            break
        for (slug, title), qualifier in itertools.product(topics, vocab.QUALIFIERS):
            suffix = qualifier if round_no == 1 else f"{qualifier}-{round_no}"
            label = qualifier.replace("-", " ").title() if round_no == 1 else suffix
            names.append((f"{slug}-{suffix}", f"{title} ({label})"))
    return names[:count]


def _allocate(rng: random.Random, total: int, caps: list[int]) -> list[int]:
    """Split ``total`` over epics unevenly (log-normal weights), respecting ``caps``."""
    counts = [0] * len(caps)
    if total >= len(caps):  # no empty epics unless there are fewer stories than epics
        counts = [1] * len(caps)
        total -= len(caps)
    weights = [rng.lognormvariate(0.0, 1.0) for _ in caps]
    open_ = [i for i in range(len(caps)) if counts[i] < caps[i]]
    while total > 0 and open_:
        weight_sum = sum(weights[i] for i in open_)
        shares = {i: total * weights[i] / weight_sum for i in open_}
        given = 0
        for i in open_:
            take = min(int(shares[i]), caps[i] - counts[i])
            counts[i] += take
            given += take
        if given == 0:  # remainders smaller than one story: hand them out one by one
            for i in sorted(open_, key=lambda i: shares[i] - int(shares[i]), reverse=True):
                if total - given == 0:
                    break
                counts[i] += 1
                given += 1
        total -= given
        open_ = [i for i in open_ if counts[i] < caps[i]]
    return counts


def plan_tree(
    rng: random.Random, people: list[dict[str, str]], projects: int, epics: int, stories: int
) -> list[ProjectPlan]:
    """Decide every project and epic of the tree."""
    epoch = epoch_for(rng.getrandbits(16))
    ids = [p["id"] for p in people]
    shares = [rng.uniform(0.1, 0.35) for _ in range(projects * epics)]
    caps = [math.floor(MAX_PER_TYPE / (1 - s)) for s in shares]
    counts = _allocate(rng, stories, caps)
    plans = []
    for p in range(projects):
        slug, display, domain = vocab.PROJECTS[p % len(vocab.PROJECTS)]
        if p >= len(vocab.PROJECTS):
            slug, display = f"{slug}-{p // len(vocab.PROJECTS) + 1}", f"{display} {p + 1}"
        team = rng.sample(ids, min(len(ids), rng.randint(3, 10)))
        created = epoch + timedelta(days=rng.randint(0, 20), milliseconds=rng.randrange(86_400_000))
        taken: set[str] = set()
        epic_plans = []
        for e, (name, title) in enumerate(_epic_names(rng, epics)):
            n = counts[p * epics + e]
            non_functional = min(round(n * shares[p * epics + e]), MAX_PER_TYPE)
            functional = n - non_functional
            acronym = acronym_for(name, taken)
            taken.add(acronym)
            epic_plans.append(
                EpicPlan(
                    project=slug,
                    name=name,
                    title=title,
                    acronym=acronym,
                    functional=functional,
                    non_functional=non_functional,
                    seed=rng.getrandbits(64),
                    created=created
                    + timedelta(
                        days=rng.randint(0, 300), milliseconds=rng.randint(1000, 86_400_000)
                    ),
                    manager=rng.choice(team),
                    team=tuple(team),
                )
            )
        plans.append(
            ProjectPlan(
                name=slug,
                display_name=display,
                domain=domain,
                manager=team[0],
                contributors=tuple(team[1:]),
                created=created,
                seed=rng.getrandbits(64),
                epics=tuple(epic_plans),
            )
        )
    return plans
