"""`make report` sections on synthetic inputs (ci/report.py)."""

from __future__ import annotations

import json
from pathlib import Path

from ci import report


def test_synthesis_section_beside_paper(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(report, "BUILD", tmp_path)
    assert "No synthesis results" in "\n".join(report.synthesis())
    for top, res in (("ll_mp", {"DSP": 313, "LUT": 18476, "FF": 14596, "BRAM36": 32.0}),
                     ("ring_router", {"DSP": 0, "LUT": 2211, "FF": 1245, "BRAM36": 0.0})):
        (tmp_path / "synth" / top).mkdir(parents=True)
        (tmp_path / "synth" / top / "summary.json").write_text(json.dumps(res))
    text = "\n".join(report.synthesis())
    assert "| ll_mp | 313 (522) | 18,476 (34,000) | 14,596 (56,000) | 32 (241) |" in text
    assert "| ring_router | 0 | 2,211 | 1,245 | 0 |" in text


def test_gpt2_section_table_breakdown_and_timeline(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(report, "OUT", tmp_path)
    text = "\n".join(report.gpt2_medium())
    # the committed measurements: GPT-2 medium on 1 node against the model and the paper
    assert "| gpt2-medium | 1 | 639 | 1,544,045 |" in text and "| 6.59 |" in text
    rows = [ln for ln in text.splitlines() if ln.startswith("| 1 |") or ln.startswith("| 4 |")]
    assert len(rows) == 2 and all("%)" in r for r in rows)  # cycles and share per kernel
    svg = (tmp_path / "layer.svg").read_text()
    for label in ("QKV", "proj", "FC1", "FC2", "ln_1", "ln_2", "mha"):
        assert f">{label}: cycles" in svg or f"<title>{label}:" in svg, label
    assert svg.count("<title>QKV:") == 3  # one layer on 1, 2 and 4 nodes
