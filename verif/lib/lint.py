"""``python -m verif.lib.lint``: Verilator lint of every RTL top (``make lint``).

Every file list ``rtl/<group>/<top>.f`` names one top. Each is linted with
``verilator --lint-only -Wall --assert`` (assertions are part of the design) with the list's sources,
include directories and defines, and ``--top-module <top>``. Simulation-only tops under ``rtl/sim/``
are linted with ``--timing`` as well (they may use delays). A list whose stem names no module in its
sources (a package-only list) is linted without ``--top-module``.

Prints one line per top (``OK`` / ``WARN`` / ``ERROR`` with the messages) and exits non-zero if any top
has a warning or an error. Waivers belong in the RTL next to the line they waive, with a reason.

Options: ``python -m verif.lib.lint [TOP_OR_FILELIST ...] [-v]``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

from verif.lib.filelist import REPO_ROOT, all_rtl_filelists, parse_filelist
from verif.lib.runner import setup_tool_env

_MODULE_RE = re.compile(r"^\s*module\s+(?:automatic\s+|static\s+)?([A-Za-z_]\w*)", re.MULTILINE)


def _rel(path: Path) -> Path:
    try:
        return path.resolve().relative_to(REPO_ROOT)
    except ValueError:
        return path


def lint_command(filelist: Path) -> tuple[list[str], str]:
    """The Verilator command linting the top of ``filelist``, and the top's name."""
    fl = parse_filelist(filelist)
    top = filelist.stem
    declared = set()
    for src in fl.sources:
        declared.update(_MODULE_RE.findall(src.read_text(errors="replace")))
    cmd = ["verilator", "--lint-only", "-Wall", "--assert", "--quiet-exit"]
    if _rel(filelist).parts[:2] == ("rtl", "sim"):
        cmd += ["--timing"]
    cmd += [f"-I{inc}" for inc in fl.includes]
    cmd += [f"-D{k}={v}" for k, v in fl.defines.items()]
    if top in declared:
        cmd += ["--top-module", top]
    cmd += [str(s) for s in fl.sources]
    return cmd, top


def lint_one(filelist: Path) -> tuple[str, str, list[str]]:
    """Lint one file list: (top, status OK/WARN/ERROR, message lines)."""
    try:
        cmd, top = lint_command(filelist)
    except (FileNotFoundError, ValueError) as exc:
        return filelist.stem, "ERROR", [str(exc)]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
    out = (proc.stdout + proc.stderr).splitlines()
    msgs = [ln for ln in out if ln.startswith(("%Warning", "%Error"))]
    n_err = sum(ln.startswith("%Error") and not ln.startswith("%Error: Exiting due to")
                for ln in msgs)
    n_warn = sum(ln.startswith("%Warning") for ln in msgs)
    detail = [ln for ln in out if ln.strip() and not ln.startswith("- V")]
    if proc.returncode != 0 and not n_warn and not n_err:
        return top, "ERROR", detail or [f"verilator exited with {proc.returncode}"]
    if n_err or (proc.returncode != 0 and not n_warn):
        return top, "ERROR", detail
    if n_warn:
        return top, "WARN", detail
    return top, "OK", []


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tops", nargs="*", help="top names or .f paths (default: every rtl/**/*.f)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the Verilator command")
    args = ap.parse_args(argv)
    setup_tool_env()

    lists = all_rtl_filelists()
    if args.tops:
        chosen = []
        for t in args.tops:
            p = Path(t)
            if p.suffix == ".f":
                chosen.append(p if p.is_absolute() else REPO_ROOT / p)
            else:
                hits = [f for f in lists if f.stem == t]
                if not hits:
                    print(f"ERROR {t}: no rtl/**/{t}.f file list")
                    return 2
                chosen += hits
        lists = chosen
    if not lists:
        print("lint: no rtl/**/*.f file lists found")
        return 2

    t0 = time.monotonic()
    bad = 0
    width = max(len(f.stem) for f in lists)
    for f in lists:
        if args.verbose:
            print("  $ " + " ".join(lint_command(f)[0]))
        top, status, detail = lint_one(f)
        print(f"{status:5} {top:{width}}  ({_rel(f)})")
        for ln in detail:
            print(f"      {ln}")
        bad += status != "OK"
    print(f"lint: {len(lists)} tops, {len(lists) - bad} clean, {bad} with warnings or errors "
          f"({time.monotonic() - t0:.1f}s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
