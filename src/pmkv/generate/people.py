"""The global ``people.json`` list."""

from __future__ import annotations

import random

from pmkv.generate import vocab

MIN_PEOPLE = 8
MAX_PEOPLE = 250


def people_count(stories: int, projects: int) -> int:
    """Roughly one person per 80 stories, at least enough to staff every project."""
    return max(MIN_PEOPLE, 3 * projects, min(MAX_PEOPLE, stories // 80))


def make_people(rng: random.Random, count: int) -> list[dict[str, str]]:
    """``count`` people with unique ids (``person-001``...) and unique valid e-mails."""
    people: list[dict[str, str]] = []
    emails: set[str] = set()
    for n in range(1, count + 1):
        if rng.random() < 0.15:
            name, local = rng.choice(vocab.SCRIPT_NAMES)
        else:
            given, given_ascii = rng.choice(vocab.GIVEN_NAMES)
            family, family_ascii = rng.choice(vocab.FAMILY_NAMES)
            name, local = f"{given} {family}", f"{given_ascii}.{family_ascii}"
        domain = rng.choice(vocab.EMAIL_DOMAINS)
        email = f"{local}@{domain}"
        suffix = 2
        while email in emails:  # namesakes get a number, as mail servers do
            email = f"{local}{suffix}@{domain}"
            suffix += 1
        emails.add(email)
        people.append(
            {
                "id": f"person-{n:03d}",
                "name": name,
                "email": email,
                "designation": rng.choice(vocab.DESIGNATIONS),
                "roleInProject": rng.choice(vocab.ROLES),
            }
        )
    return people
