"""Titles, summaries and markdown descriptions.

Paragraphs and markdown sections are built once per run into pools (from the run's
seeded RNG); each story then only picks and joins, which keeps 100,000 stories fast.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pmkv.generate import vocab

_PARAGRAPHS = 400
_SECTIONS = 240
_ROLES = ("a patient", "a provider", "a billing clerk", "an administrator", "an auditor")


def _paragraph(rng: random.Random) -> str:
    sentences = rng.sample(vocab.SENTENCES, rng.randint(2, 4))
    if rng.random() < 0.35:
        at = rng.randrange(len(sentences))
        sentences[at] = sentences[at][:-1] + f" (see {rng.choice(vocab.CODE_SPANS)})."
    if rng.random() < 0.15:
        sentences.append(rng.choice(vocab.NON_ASCII_SENTENCES))
    return " ".join(sentences)


def _section(rng: random.Random) -> str:
    heading = f"## {rng.choice(vocab.SECTION_HEADINGS)}"
    kind = rng.random()
    if kind < 0.55:
        items = rng.sample(vocab.BULLETS, rng.randint(2, 6))
        body = "\n".join(f"- {item}" for item in items)
    elif kind < 0.75:
        items = rng.sample(vocab.BULLETS, rng.randint(2, 5))
        body = "\n".join(f"{n}. {item}" for n, item in enumerate(items, 1))
    elif kind < 0.9:
        body = f"{_paragraph(rng)}\n\n{rng.choice(vocab.CODE_BLOCKS)}"
    else:
        cells = (
            (rng.choice(vocab.OBJECTS), rng.choice(vocab.PRIORITIES), rng.randint(1, 13))
            for _ in range(rng.randint(2, 5))
        )
        rows = "\n".join(f"| {item} | {priority} | {points} |" for item, priority, points in cells)
        body = f"| item | priority | points |\n|---|---|---|\n{rows}"
    return f"{heading}\n{body}"


@dataclass(frozen=True)
class TextPools:
    """Pre-built text for one run; every method draws from the RNG it is given."""

    paragraphs: tuple[str, ...]
    sections: tuple[str, ...]

    @classmethod
    def build(cls, rng: random.Random) -> TextPools:
        return cls(
            paragraphs=tuple(_paragraph(rng) for _ in range(_PARAGRAPHS)),
            sections=tuple(_section(rng) for _ in range(_SECTIONS)),
        )

    def title(self, rng: random.Random, non_functional: bool) -> str:
        roll = rng.random()
        if roll < 0.06:
            return rng.choice(vocab.NON_ASCII_TITLES)
        obj = rng.choice(vocab.OBJECTS)
        if non_functional:
            return rng.choice(vocab.NFR_TITLES).format(obj=obj)
        qualifier = rng.choice(vocab.OBJECT_QUALIFIERS)
        text = f"{rng.choice(vocab.VERBS)} {obj}"
        return f"{text} {qualifier}" if qualifier else text

    def summary(self, rng: random.Random, title: str, non_functional: bool) -> str:
        roll = rng.random()
        if roll < 0.05:
            return ""
        if roll < 0.6 and non_functional:
            return f"Non-functional requirement: {title}."
        if roll < 0.6:
            role = rng.choice(_ROLES)
            return f"As {role}, I want to {title[0].lower()}{title[1:]} so that work is not lost."
        return rng.choice(self.paragraphs).split(". ")[0].rstrip(".") + "."

    def description(self, rng: random.Random) -> str:
        roll = rng.random()
        if roll < 0.08:
            return ""
        intro = rng.choice(self.paragraphs)
        if roll < 0.45:
            return intro
        if roll < 0.88:
            count = rng.randint(1, 3)
        elif roll < 0.98:
            count = rng.randint(6, 15)
        else:  # a few very long ones, like specs pasted into a story
            count = rng.randint(40, 80)
        parts = [intro]
        for _ in range(count):
            parts.append(rng.choice(self.sections))
            if rng.random() < 0.3:
                parts.append(rng.choice(self.paragraphs))
        return "\n\n".join(parts)

    def criteria(self, rng: random.Random) -> list[str]:
        count = rng.choice((0, 0, 2, 3, 4, 5, 6))
        return [
            rng.choice(vocab.CRITERIA).format(
                verb=rng.choice(vocab.VERBS).lower(), obj=rng.choice(vocab.OBJECTS)
            )
            for _ in range(count)
        ]

    def tags(self, rng: random.Random, requirement_type: str, acronym: str) -> list[str]:
        tags = rng.sample(vocab.TAGS, rng.choice((0, 1, 2, 2, 3, 4)))
        if rng.random() < 0.3:  # the app's importer tags stories with their type and epic
            tags = [requirement_type, acronym, *tags]
        return tags

    def files(self, rng: random.Random) -> list[dict[str, str]]:
        count = rng.choice((0, 0, 0, 1, 2, 3))
        files = []
        for n in range(count):
            path = (
                f"{rng.choice(vocab.FILE_DIRS)}/{rng.choice(vocab.FILE_STEMS)}"
                f"{rng.choice(vocab.FILE_EXTENSIONS)}"
            )
            role = "primary" if n == 0 else rng.choice(vocab.FILE_ROLES)
            files.append({"path": path, "role": role})
        return files

    def custom(self, rng: random.Random, key_prefix: str) -> dict[str, object]:
        """``metadata.custom``: usually empty, sometimes a few app-opaque values."""
        if rng.random() >= 0.15:
            return {}
        custom: dict[str, object] = {}
        for key in rng.sample(vocab.CUSTOM_KEYS, rng.randint(1, 3)):
            if key == "jiraKey":
                custom[key] = f"{key_prefix}-{rng.randint(1, 9999)}"
            elif key == "source":
                custom[key] = rng.choice(("csv-import", "jira", "manual", "api"))
            elif key == "riskScore":
                custom[key] = rng.randint(0, 10)
            elif key == "customer":
                custom[key] = rng.choice(vocab.CUSTOMERS)
            elif key == "labels":
                custom[key] = rng.sample(vocab.TAGS, 2)
            else:
                custom[key] = {"hours": rng.choice((4, 8, 24, 72)), "breached": rng.random() < 0.1}
        return custom
