"""The per-run markdown report (``<home>/runs/<run-id>/report.md``)."""

from __future__ import annotations

from pmkv.migrate.result import MigrateResult


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(result: MigrateResult) -> str:
    data = result.as_dict()
    lines = [
        f"# Migration run {result.run_id or '(dry run)'}",
        "",
        f"- source: `{result.pm_dir}`",
        f"- store: `{result.rest_url}`",
        f"- exit code: {result.exit_code}",
        f"- backup: {result.backup.backup_id if result.backup else 'none'}",
        f"- files read: {result.inventory.files_read}; stories: {data['stories']}",
        f"- keys written: {result.write.written} in {result.write.batches} batch(es)",
        "",
        "## Plan",
        "",
        "| create | update | unchanged | conflict | skip |",
        "|---|---|---|---|---|",
        "| " + " | ".join(str(n) for n in result.plan.counts().values()) + " |",
        "",
        "## Projects",
        "",
        "| project | epics | stories | story files | errors | warnings |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in result.project_summary().items():
        lines.append(
            f"| {_cell(name)} | {row['epics']} | {row['stories']} | {row['story_files']}"
            f" | {row['errors']} | {row['warnings']} |"
        )
    lines += ["", "## Anomalies", ""]
    if not result.inventory.anomalies:
        lines.append("None.")
    else:
        lines += ["| severity | file | field | reason | hint |", "|---|---|---|---|---|"]
        for a in result.inventory.anomalies:
            lines.append(
                f"| {a.severity} | `{_cell(a.file)}` | {_cell(a.field or '')}"
                f" | {_cell(a.reason)} | {_cell(a.hint)} |"
            )
    lines += ["", "## Conflicts", ""]
    conflicts = result.plan.conflicts
    if not conflicts:
        lines.append("None.")
    for entry in conflicts:
        state = "overwritten (--force)" if entry.write else "left as is"
        lines.append(f"- `{_cell(entry.key)}`: {_cell(entry.reason)} — {state}")
    lines += ["", "## Verify", ""]
    if result.verify is None:
        lines.append("Not run.")
    else:
        v = result.verify
        lines.append(
            f"{'PASSED' if v.ok else 'FAILED'}: {v.checked} keys checked,"
            f" {len(v.differences)} difference(s), {v.seconds:.2f} s."
        )
        if v.proven_at_write:
            lines.append(
                f"({v.proven_at_write} of them were read back as written in the request"
                " that wrote them and not compared again; `pmkv verify` compares every key.)"
            )
        for c in v.counts:
            lines.append(
                f"- {_cell(c.project)}: files {c.files.get('epics')} epics /"
                f" {c.files.get('stories')} stories; KV {c.kv['epics']} / {c.kv['stories']}"
            )
        for d in v.differences[:200]:
            lines.append(
                f"- {d.kind} `{_cell(d.key)}` ({_cell(d.file or 'no file')}):"
                f" {', '.join(d.paths)} {_cell(d.detail)}"
            )
    lines += ["", "## Timings (s)", "", "| step | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in result.timings.items()]
    return "\n".join(lines) + "\n"
