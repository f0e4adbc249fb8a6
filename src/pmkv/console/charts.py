"""Server-rendered SVG charts (no JavaScript, no chart library, works offline).

Horizontal bars only: they label well, scale to many epics and read well in a
screenshot. Every chart has a ``<title>``/``aria-label``; the page also shows the
numbers as a table, which is the accessible version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

LABEL_W = 190
BAR_W = 420
ROW_H = 24
VALUE_W = 70
COLORS = {
    "todo": "#8a94a6",
    "in_progress": "#2f6fdb",
    "blocked": "#c8372d",
    "done": "#2e8540",
    "low": "#8a94a6",
    "medium": "#2f6fdb",
    "high": "#d98a00",
    "critical": "#c8372d",
}
DEFAULT_COLOR = "#5b6b82"


def _svg(title: str, height: int, body: list[str]) -> Markup:
    width = LABEL_W + BAR_W + VALUE_W
    head = (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    )
    # every text inside was escaped above
    return Markup(head + "".join(body) + "</svg>")


def _label(y: int, text: str) -> str:
    short = text if len(text) <= 28 else text[:27] + "…"
    return (
        f'<text x="{LABEL_W - 8}" y="{y + ROW_H // 2 + 4}" text-anchor="end" '
        f'font-size="12">{escape(short)}</text>'
    )


def bars(title: str, values: Mapping[str, int]) -> Markup:
    """One bar per key, scaled to the largest value."""
    top = max(values.values(), default=0) or 1
    body: list[str] = []
    for i, (name, value) in enumerate(values.items()):
        y = i * ROW_H
        w = round(BAR_W * value / top)
        color = COLORS.get(name, DEFAULT_COLOR)
        body.append(_label(y, name))
        body.append(
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{w}" height="{ROW_H - 8}" fill="{color}"/>'
        )
        body.append(
            f'<text x="{LABEL_W + w + 6}" y="{y + ROW_H // 2 + 4}" font-size="12">{value}</text>'
        )
    return _svg(title, max(1, len(values)) * ROW_H, body)


def stacked(title: str, rows: Mapping[str, Mapping[str, int]], series: Sequence[str]) -> Markup:
    """One bar per row, split by ``series`` (e.g. epics split by status), with a legend."""
    top = max((sum(r.values()) for r in rows.values()), default=0) or 1
    body: list[str] = []
    for i, (name, parts) in enumerate(rows.items()):
        y = i * ROW_H
        x: float = LABEL_W
        body.append(_label(y, name))
        for key in series:
            value = parts.get(key, 0)
            w = BAR_W * value / top
            if w > 0:
                body.append(
                    f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{ROW_H - 8}" '
                    f'fill="{COLORS.get(key, DEFAULT_COLOR)}"><title>{escape(name)} '
                    f"{escape(key)}: {value}</title></rect>"
                )
            x += w
        total = sum(parts.values())
        body.append(f'<text x="{x + 6:.1f}" y="{y + ROW_H // 2 + 4}" font-size="12">{total}</text>')
    legend_y = len(rows) * ROW_H + 6
    x = LABEL_W
    for key in series:
        body.append(
            f'<rect x="{x}" y="{legend_y}" width="12" height="12" '
            f'fill="{COLORS.get(key, DEFAULT_COLOR)}"/>'
            f'<text x="{x + 16}" y="{legend_y + 11}" font-size="12">{escape(key)}</text>'
        )
        x += 24 + 8 * len(key)
    return _svg(title, legend_y + 20, body)


def progress(title: str, rows: Mapping[str, tuple[int, int]]) -> Markup:
    """Done-vs-total per row: a full-width track with the done share filled."""
    body: list[str] = []
    for i, (name, (done, total)) in enumerate(rows.items()):
        y = i * ROW_H
        w = round(BAR_W * done / total) if total else 0
        pct = f"{100 * done / total:.0f}%" if total else "–"
        body.append(_label(y, name))
        body.append(
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{BAR_W}" height="{ROW_H - 8}" fill="#e3e7ee"/>'
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{w}" height="{ROW_H - 8}" '
            f'fill="{COLORS["done"]}"/>'
            f'<text x="{LABEL_W + BAR_W + 6}" y="{y + ROW_H // 2 + 4}" font-size="12">'
            f"{done}/{total} {pct}</text>"
        )
    return _svg(title, max(1, len(rows)) * ROW_H, body)
