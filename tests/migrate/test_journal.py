"""The undo journal: what is recorded is read back exactly (round trip), torn tails aside."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pmkv.migrate.journal import Journal, JournalEntry, read_journal

entries = st.builds(
    JournalEntry,
    key=st.text(min_size=1, max_size=20),
    before=st.none() | st.text(max_size=40),
    ledger_before=st.none() | st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    after_hash=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
)


@given(st.lists(st.lists(entries, max_size=5), max_size=5))
def test_journal_round_trip(batches: list[list[JournalEntry]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.jsonl"
        with Journal(path) as journal:
            for batch in batches:
                journal.record(batch)
        assert read_journal(path) == [e for batch in batches for e in batch]
