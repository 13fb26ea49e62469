"""Functional coverage (cocotb-coverage) helpers.

Name every cover item ``<module>.<test>.<item>`` (for example ``fifo.random_traffic.fill``) so that
each cocotb test owns its own subtree of the global ``coverage_db``, then at the end of the test::

    export_func_coverage("fifo", "random_traffic")         # build/coverage/func/fifo/random_traffic.yml
    assert_all_bins_hit("fifo.random_traffic")              # fails listing every unhit bin

The YAML format is the one of ``coverage_db.export_to_yaml`` (restricted to the prefix), so
:func:`merge_func_coverage` (used by the reports) can merge files of many tests and runs and list
the bins that nothing hit.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from cocotb_coverage.coverage import CoverItem, coverage_db

from verif.lib.filelist import REPO_ROOT

FUNC_COV_ROOT = REPO_ROOT / "build" / "coverage" / "func"

_BINS_KEY = "bins:_hits"


def _items(prefix: str):
    for name in sorted(coverage_db, key=str.lower):
        if name == prefix or name.startswith(prefix + "."):
            yield name, coverage_db[name]


def func_coverage_dict(prefix: str) -> dict:
    """The coverage items under ``prefix`` in ``export_to_yaml`` format."""
    out = {}
    for name, item in _items(prefix):
        attrib = {
            "type": str(type(item)),
            "size": item.size,
            "coverage": item.coverage,
            "cover_percentage": round(item.cover_percentage, 2),
        }
        if type(item) is not CoverItem:
            attrib["weight"] = item.weight
            attrib["at_least"] = item.at_least
            attrib[_BINS_KEY] = {(str(k) if isinstance(k, (tuple, list)) else k): v
                                 for k, v in item.detailed_coverage.items()}
        out[name] = attrib
    return out


def export_func_coverage(module: str, test: str, prefix: str | None = None,
                         root: Path | None = None) -> Path:
    """Write the items under ``prefix`` (default ``<module>.<test>``) to
    ``build/coverage/func/<module>/<test>.yml``; returns the path."""
    prefix = prefix or f"{module}.{test}"
    data = func_coverage_dict(prefix)
    if not data:
        raise ValueError(f"no coverage items under {prefix!r}")
    out_dir = (root or FUNC_COV_ROOT) / module
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{test}.yml"
    tmp = path.with_suffix(f".yml.tmp{os.getpid()}")
    tmp.write_text(yaml.safe_dump(data, default_flow_style=False))
    tmp.replace(path)
    return path


def unhit_bins(prefix: str) -> list[str]:
    """``item: bin (hits/at_least)`` for every bin under ``prefix`` hit fewer than ``at_least`` times."""
    missing = []
    for name, item in _items(prefix):
        if type(item) is CoverItem:
            continue
        for b, hits in item.detailed_coverage.items():
            if hits < item.at_least:
                missing.append(f"{name}: {b!r} ({hits}/{item.at_least})")
    return missing


def assert_all_bins_hit(prefix: str) -> None:
    """Fail, listing every unhit bin, unless every bin under ``prefix`` was hit."""
    if not any(type(i) is not CoverItem for _, i in _items(prefix)):
        raise AssertionError(f"no cover points under {prefix!r}")
    missing = unhit_bins(prefix)
    if missing:
        raise AssertionError(f"{len(missing)} coverage bin(s) never hit under {prefix!r}:\n  "
                             + "\n  ".join(missing))


@dataclass
class MergedCoverage:
    """Result of :func:`merge_func_coverage`: ``items[name] = {"at_least": n, "bins": {bin: hits}}``."""

    items: dict[str, dict] = field(default_factory=dict)
    sources: list[Path] = field(default_factory=list)

    @property
    def unhit(self) -> list[tuple[str, str]]:
        return [(name, b) for name, it in sorted(self.items.items())
                for b, h in it["bins"].items() if h < it["at_least"]]

    @property
    def n_bins(self) -> int:
        return sum(len(it["bins"]) for it in self.items.values())

    @property
    def percent(self) -> float:
        return 100.0 * (self.n_bins - len(self.unhit)) / self.n_bins if self.n_bins else 0.0

    def to_dict(self) -> dict:
        return {name: {"at_least": it["at_least"], _BINS_KEY: dict(it["bins"])}
                for name, it in sorted(self.items.items())}

    def write_yaml(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.to_dict(), default_flow_style=False))


def merge_func_coverage(paths: Iterable[str | Path]) -> MergedCoverage:
    """Merge coverage YAML files (sum of hits per bin, per item); lists unhit bins via ``.unhit``."""
    merged = MergedCoverage()
    for p in paths:
        p = Path(p)
        data = yaml.safe_load(p.read_text()) or {}
        merged.sources.append(p)
        for name, attrib in data.items():
            if _BINS_KEY not in attrib:
                continue  # a group node; its value is derived from the leaves
            it = merged.items.setdefault(name, {"at_least": attrib.get("at_least", 1), "bins": {}})
            it["at_least"] = max(it["at_least"], attrib.get("at_least", 1))
            for b, h in attrib[_BINS_KEY].items():
                it["bins"][b] = it["bins"].get(b, 0) + int(h)
    return merged


def _main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="merge functional coverage YAML files")
    ap.add_argument("paths", nargs="*", help="yml files (default: build/coverage/func/**/*.yml)")
    ap.add_argument("-o", "--output", help="write the merged database here")
    args = ap.parse_args(argv)
    paths = args.paths or sorted(FUNC_COV_ROOT.rglob("*.yml"))
    merged = merge_func_coverage(paths)
    print(f"{len(merged.sources)} files, {len(merged.items)} cover items, {merged.n_bins} bins, "
          f"{merged.percent:.1f}% hit")
    for name, b in merged.unhit:
        print(f"  unhit: {name}: {b!r}")
    if args.output:
        merged.write_yaml(Path(args.output))
    return 1 if merged.unhit else 0


if __name__ == "__main__":
    raise SystemExit(_main())
