"""`make report`: one Markdown page (`reports/report.md`) from what the last runs left in `build/`.

Sections: regression summary per tier (`build/regress/<tier>.xml`), code coverage per RTL module
(`build/coverage/code/**/*.dat`, from runs with COVERAGE=1, see ci/coverage.py), functional coverage
merged over every exported test (`build/coverage/func/**/*.yml`), the system's cycles per token and per
unit (`build/system/cases/*/report.json`) with an SVG bar chart of the per-unit breakdown, GPT-2
medium and small in RTL simulation (`refmodel/cyclemodel/measured_gpt2.json`) beside the cycle model
with the model's critical-path breakdown per kernel and an SVG time line of one layer, and the
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


def _svg_layer(rows: list[tuple[str, list]], path: Path) -> None:
    """One decoder layer on node 0 per node count: a time line per unit (launch to done of each op)."""
    width, left, lane_h = 900, 120, 16
    units = ["LNR", "MP", "MHA", "RING"]
    t_max = max(max(d for _, _, d, _ in ops) for _, ops in rows) or 1
    block = lane_h * (len(units) + 1.5)
    h = 40 + block * len(rows) + 25
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h:.0f}" font-family="sans-serif" '
           'font-size="11">', '<text x="10" y="18" font-size="12">one GPT-2 medium layer (layer 1, position 639) on '
           'node 0, cycle-model time line: each op from launch to done</text>']
    scale = (width - left - 20) / t_max
    for i, (name, ops) in enumerate(rows):
        y0 = 32 + i * block
        out.append(f'<text x="10" y="{y0 + 12:.0f}" font-weight="bold">{name}</text>')
        for j, unit in enumerate(units):
            y = y0 + 16 + j * lane_h
            out.append(f'<text x="40" y="{y + 11:.0f}">{unit}</text>')
            for u, a, d, label in ops:
                if u != unit:
                    continue
                out.append(f'<rect x="{left + a * scale:.1f}" y="{y:.0f}" width="{max((d - a) * scale, 1):.1f}" '
                           f'height="{lane_h - 3}" fill="{UNIT_COLOURS.get(u, "#777")}"><title>{label}: cycles '
                           f'{a}..{d} ({d - a})</title></rect>')
                if (d - a) * scale > 30:
                    out.append(f'<text x="{left + a * scale + 3:.1f}" y="{y + 10:.0f}" fill="white">{label}</text>')
    out.append(f'<text x="{left}" y="{h - 8:.0f}">0</text><text x="{width - 90}" y="{h - 8:.0f}">{t_max} cycles</text>')
    out.append("</svg>")
    path.write_text("\n".join(out))


def gpt2_medium() -> list[str]:
    """GPT-2 medium (and small) in RTL simulation beside the cycle model and the memory bound, the
    critical-path breakdown per kernel and a one-layer time line."""
    from refmodel.bench import load_measured
    from refmodel.config import get_config
    from refmodel.cyclemodel.bound import PAPER_MS, memory_bound
    from refmodel.cyclemodel.system import token_cycles

    lines = ["## GPT-2 in RTL simulation against the cycle model", ""]
    runs = load_measured()
    if runs:
        lines += ["Recorded by `make bench-rtl` (`refmodel/cyclemodel/measured_gpt2.json`): one token, tokens equal "
                  "to the integer reference.", "",
                  "| model | nodes | position | RTL cycles | model | error | memory bound | ratio | ms at 285 MHz "
                  "| paper ms |", "|---|---|---|---|---|---|---|---|---|---|"]
        for key, run in sorted(runs.items()):
            for st in run["steps"]:
                meas, model, bound = max(st["cycles"]), st["model_cycles"], st["memory_bound"]
                paper = PAPER_MS.get(run["nodes"]) if run["config"] == "gpt2-medium" else None
                lines.append(f"| {run['config']} | {run['nodes']} | {st['pos']} | {meas:,} | {model:,} | "
                             f"{100 * (model - meas) / meas:+.3f} % | {bound:,} | {meas / bound:.3f} | "
                             f"{meas / 285e3:.2f} | {paper if paper else '-'} |")
        lines.append("")
    else:
        lines += ["No recorded GPT-2 runs: `make bench-rtl`.", ""]
    cfg = get_config("gpt2-medium")
    res = {n: token_cycles(cfg, n, 639) for n in (1, 2, 4)}
    keys = list(res[1].critical)
    lines += ["Where the time goes (cycle model, GPT-2 medium at position 639; critical path of the slowest node, "
              "cycles and share):", "",
              "| nodes | " + " | ".join(keys) + " | total | memory bound |",
              "|---|" + "---|" * (len(keys) + 2)]
    for n, b in res.items():
        lines.append(f"| {n} | " + " | ".join(f"{b.critical[k]:,} ({100 * b.critical[k] / b.cycles:.1f} %)"
                                             for k in keys)
                     + f" | {b.cycles:,} | {memory_bound(cfg, n, 639).cycles:,} |")
    rows = []
    for n, b in res.items():
        ops = b.ops[0]
        ln = [k for k, o in enumerate(ops) if o[0] == "LNR"]
        lo, hi = ln[2], ln[4]  # layer 1: from its ln_1 to the next layer's ln_1
        t0 = ops[lo][1]
        names = iter(["QKV", "proj", "FC1", "FC2"])
        lnames = iter(["ln_1", "ln_2"])
        layer = []
        for u, a, d in ops[lo:hi]:
            label = next(names) if u == "MP" else next(lnames) if u == "LNR" else u.lower()
            layer.append((u, a - t0, d - t0, label))
        rows.append((f"{n} node{'s' if n > 1 else ''}", layer))
    _svg_layer(rows, OUT / "layer.svg")
    lines += ["", "![one layer on node 0](layer.svg)", ""]
    return lines


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
    for section in (regression, code_coverage, functional_coverage, system_cycles, gpt2_medium, synthesis):
        page += section()
    (OUT / "report.md").write_text("\n".join(page) + "\n")
    print("\n".join(page))
    print(f"written: {(OUT / 'report.md').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
