"""Server-rendered SVG charts: well-formed, labelled, escaped, proportional."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pmkv.console import charts

NS = "{http://www.w3.org/2000/svg}"


def test_bars_are_proportional_and_labels_escaped() -> None:
    svg = ET.fromstring(str(charts.bars("By <priority>", {"high": 4, "<b>&": 2})))
    assert svg.get("aria-label") == "By <priority>"
    widths = [float(r.get("width", 0)) for r in svg.iter(f"{NS}rect")]
    assert widths[0] == 2 * widths[1] > 0
    assert "<b>&" in [t.text for t in svg.iter(f"{NS}text")]


def test_stacked_bars_split_by_series_with_legend() -> None:
    svg = ET.fromstring(
        str(charts.stacked("s", {"e1": {"todo": 1, "done": 3}, "e2": {}}, ["todo", "done"]))
    )
    titles = [t.text for t in svg.iter(f"{NS}title")]
    assert "e1 done: 3" in titles
    assert "e1 todo: 1" in titles
    assert {"todo", "done"} <= {t.text for t in svg.iter(f"{NS}text")}


def test_progress_handles_empty_epics() -> None:
    svg = str(charts.progress("p", {"a": (1, 4), "b": (0, 0)}))
    ET.fromstring(svg)
    assert "1/4 25%" in svg
    assert "0/0 –" in svg
