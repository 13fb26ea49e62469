"""`make report`: one Markdown page (`reports/report.md`) from what the last runs left in `build/`.

Sections: regression summary per tier (`build/regress/<tier>.xml`), code coverage per RTL module
(`build/coverage/code/**/*.dat`, from runs with COVERAGE=1, see ci/coverage.py), functional coverage
merged over every exported test (`build/coverage/func/**/*.yml`), the system's cycles per token and per
unit (`build/system/cases/*/report.json`) with an SVG bar chart of the per-unit breakdown, and the
synthesis estimates (`build/synth/*/summary.json`). A section whose inputs are missing says which
command produces them.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from ci import coverage as codecov
from verif.lib.synth import PAPER

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
OUT = ROOT / "reports"
UNIT_COLOURS = {"EMBED": "#8c564b", "LNR": "#2ca02c", "MP": "#1f77b4", "MHA": "#ff7f0e", "RING": "#9467bd",
                "ARGMAX": "#d62728"}


def regression() -> list[str]:
    lines = ["## Regression", ""]
    files = sorted((BUILD / "regress").glob("*.xml"))
    if not files:
        return lines + ["No regression results: run `make regress TIER=smoke` or `make test`.", ""]
    lines += ["| tier | tests | passed | failed | errors | skipped | time (s) |", "|---|---|---|---|---|---|---|"]
    for f in files:
        root = ET.parse(f).getroot()
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        t = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
        secs = sum(float(s.get("time", 0)) for s in suites)
        passed = t["tests"] - t["failures"] - t["errors"] - t["skipped"]
        lines.append(f"| {f.stem} | {t['tests']} | {passed} | {t['failures']} | {t['errors']} | {t['skipped']} "
                     f"| {secs:.0f} |")
    return lines + [""]


def code_coverage() -> list[str]:
    lines = ["## Code coverage (synthesisable modules)", ""]
    files = sorted((BUILD / "coverage" / "code").rglob("*.dat"))
    if not files:
        return lines + ["No coverage data: run a tier with `COVERAGE=1` (e.g. `COVERAGE=1 make regress TIER=full`).",
                        ""]
    points = codecov.merge(files)
    waivers = codecov.load_waivers()
    mods = codecov.per_module(points, waivers=waivers)
    html = codecov.write_html(points, OUT / "coverage")
    low = [m for m in mods.values() if (m.pct("line") or 100) < 90 or (m.pct("toggle") or 100) < 80]
    out = lines + [f"{len(files)} runs merged; annotated sources: `{html.relative_to(ROOT)}`. Targets: line "
                   ">= 90 %, toggle >= 80 % on every synthesisable module; "
                   + ("all met." if not low else "below target: " + ", ".join(sorted(m.module for m in low)) + "."),
                   ""] + codecov.summary_table(mods) + [""]
    if waivers:
        out += ["Waived points (never hit, excluded from the percentages; `ci/coverage_waivers.txt`):", ""]
        out += [f"- `{w.module}` {w.kind} `{w.pattern.pattern}`: {w.reason}" for w in waivers]
        out += [""]
    return out


def functional_coverage() -> list[str]:
    from verif.lib.coverage import merge_func_coverage

    lines = ["## Functional coverage", ""]
    files = sorted((BUILD / "coverage" / "func").rglob("*.yml"))
    if not files:
        return lines + ["No functional coverage exported yet: run a regression tier.", ""]
    merged = merge_func_coverage(files)
    unhit = merged.unhit
    lines.append(f"{len(files)} test exports merged: {merged.n_bins} bins, {merged.percent:.1f}% hit, "
                 f"{len(unhit)} never hit.")
    for item, b in unhit[:50]:
        lines.append(f"- unhit: `{item}` bin `{b}`")
    return lines + [""]


def _svg_bars(rows: list[tuple[str, dict]], path: Path) -> None:
    """Horizontal stacked bars: one per run, busy cycles per unit (units overlap in time)."""
    width, bar_h, left = 900, 22, 180
    total_max = max(sum(b.values()) for _, b in rows) or 1
    h = 40 + bar_h * 1.6 * len(rows) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h:.0f}" font-family="sans-serif" '
           'font-size="12">', '<text x="10" y="18">busy cycles per unit and token (node 0; units overlap)</text>']
    for i, (name, busy) in enumerate(rows):
        y = 35 + i * bar_h * 1.6
        out.append(f'<text x="10" y="{y + 15:.0f}">{name}</text>')
        x = left
        for unit, cyc in busy.items():
            w = (width - left - 20) * cyc / total_max
            out.append(f'<rect x="{x:.1f}" y="{y:.0f}" width="{w:.1f}" height="{bar_h}" '
                       f'fill="{UNIT_COLOURS.get(unit, "#777")}"><title>{unit}: {cyc}</title></rect>')
            x += w
    ly = h - 15
    for j, (unit, colour) in enumerate(UNIT_COLOURS.items()):
        out.append(f'<rect x="{10 + j * 110}" y="{ly - 10:.0f}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{24 + j * 110}" y="{ly:.0f}">{unit}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out))


def system_cycles() -> list[str]:
    lines = ["## System: cycles per token", ""]
    runs = sorted((BUILD / "system" / "cases").glob("*/report.json"))
    if not runs:
        return lines + ["No system runs: `make sim MODULE=system` or `make demo`.", ""]
    lines += ["| run | steps | cycles per token (node max, mean) | ms at 285 MHz | MP | MHA | LNR | RING |",
              "|---|---|---|---|---|---|---|---|"]
    bars = []
    for r in runs:
        rep = json.loads(r.read_text())
        if not isinstance(rep, list) or not rep:  # fault cases write a dict (no token rows)
            continue
        cyc = [max(x["cycles"]) for x in rep]
        mean = sum(cyc) / len(cyc)
        b = rep[-1]["busy"]
        lines.append(f"| {r.parent.name} | {len(rep)} | {mean:.0f} | {mean / 285e6 * 1e3:.4f} | {b['MP']} | "
                     f"{b['MHA']} | {b['LNR']} | {b['RING']} |")
        bars.append((r.parent.name, b))
    if bars:
        _svg_bars(bars, OUT / "cycles.svg")
        lines += ["", "![per-unit busy cycles](cycles.svg)"]
    return lines + [""]


def synthesis() -> list[str]:
    lines = ["## Synthesis estimates (Yosys synth_xilinx)", ""]
    files = sorted((BUILD / "synth").glob("*/summary.json"))
    if not files:
        return lines + ["No synthesis results in `build/`: `make synth MODULE=kernels` (MP, MHA, LNR "
                        "and the ring router, about half an hour) or `make synth MODULE=<module>`.", ""]
    lines += ["Pre-place-and-route estimates for UltraScale+ (`make synth`), beside the paper's per-node "
              "figures for the same kernel where it gives them (paper in brackets).", "",
              "| top | DSP | LUT | FF | BRAM36 |", "|---|---|---|---|---|"]
    for f in files:
        s = json.loads(f.read_text())
        paper = PAPER.get(f.parent.name, {})

        def cell(key: str, paper_key: str | None = None) -> str:
            v = s.get(key, "-")
            v = f"{v:g}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)
            p = paper.get(paper_key or key)
            return f"{v} ({p:,})" if p is not None else v
        lines.append(f"| {f.parent.name} | {cell('DSP')} | {cell('LUT')} | {cell('FF')} | "
                     f"{cell('BRAM36', 'BRAM')} |")
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    page = ["# LoopLynx-style accelerator: regression report", ""]
    for section in (regression, code_coverage, functional_coverage, system_cycles, synthesis):
        page += section()
    (OUT / "report.md").write_text("\n".join(page) + "\n")
    print("\n".join(page))
    print(f"written: {(OUT / 'report.md').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
