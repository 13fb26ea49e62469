"""``python -m ci.regress --tier {smoke,full,nightly} --jobs N``: run one regression tier.

A tier is ``ci/tiers/<tier>.txt``: one pytest target per line (a path such as ``verif/fifo`` or a
node id such as ``verif/fifo/test_fifo.py::test_fifo``), ``#`` comments, ``include <tier>`` to pull in
another tier, and lines starting with ``-`` passed to pytest as options (e.g. ``-m "not slow"``).
Targets whose path does not exist yet are skipped with a warning.

The tier runs in one pytest session with pytest-xdist (``-n N --dist loadfile``: all tests of one
file, hence all builds of one module, stay on one worker). One seed is used for the whole run
(``SEED`` env or a fresh random one, printed). At the end: a summary line, and for each failure the
command that reproduces it alone. The exit code is pytest's; "no tests collected" is an error.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TIERS_DIR = REPO_ROOT / "ci" / "tiers"


def read_tier(tier: str, _seen: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """(targets, pytest options) of a tier, includes resolved, duplicates removed."""
    if tier in _seen:
        raise ValueError(f"tier include cycle: {' -> '.join(_seen + (tier,))}")
    path = TIERS_DIR / f"{tier}.txt"
    if not path.is_file():
        known = sorted(p.stem for p in TIERS_DIR.glob("*.txt"))
        raise FileNotFoundError(f"no tier {tier!r} ({path}); known tiers: {known}")
    targets: list[str] = []
    options: list[str] = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("include "):
            t, o = read_tier(line.split(None, 1)[1].strip(), _seen + (tier,))
            targets += [x for x in t if x not in targets]
            options += [x for x in o if x not in options]
        elif line.startswith("-"):
            opt = shlex.split(line)
            # a later tier's option replaces an included one with the same flag (e.g. -m)
            if opt[0] in options:
                i = options.index(opt[0])
                del options[i:i + len(opt)]
            options += opt
        elif line not in targets:
            targets.append(line)
    return targets, options


def existing_targets(targets: list[str]) -> tuple[list[str], list[str]]:
    present, missing = [], []
    for t in targets:
        (present if (REPO_ROOT / t.split("::", 1)[0]).exists() else missing).append(t)
    return present, missing


def _nodeid(classname: str, name: str, file: str | None = None) -> str:
    """Best-effort pytest node id from a junit (classname, name[, file]) triple."""
    if file:
        last = classname.rsplit(".", 1)[-1]
        cls = [last] if last[:1].isupper() else []
        return "::".join([file, *cls, name])
    parts = [p for p in classname.split(".") if p]
    for i in range(len(parts), 0, -1):
        path = Path(*parts[:i]).with_suffix(".py")
        if (REPO_ROOT / path).is_file():
            return "::".join([path.as_posix(), *parts[i:], name])
    return f"{classname}::{name}" if classname else name


def summarize(junit: Path) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Counts and (nodeid, message) of every failure/error in a junit file."""
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    failures: list[tuple[str, str]] = []
    if not junit.is_file():
        return counts, failures
    for case in ET.parse(junit).getroot().iter("testcase"):
        nodeid = _nodeid(case.get("classname", ""), case.get("name", ""), case.get("file"))
        bad = case.find("failure")
        err = case.find("error")
        if bad is not None or err is not None:
            el = bad if bad is not None else err
            counts["failed" if bad is not None else "errors"] += 1
            failures.append((nodeid, (el.get("message") or "") + "\n" + (el.text or "")))
        elif case.find("skipped") is not None:
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    return counts, failures


def reproduce_for(nodeid: str, message: str, seed: int) -> str:
    m = re.search(r"reproduce: (.*?)(?:\n\s*or: (.*?))?(?:\n|$)", message)
    if m:
        return m.group(1).strip()
    return f"SEED={seed} .venv/bin/python -m pytest -v -p no:cacheprovider {shlex.quote(nodeid)}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="run a regression tier")
    ap.add_argument("--tier", default="full", help="smoke, full or nightly (ci/tiers/<tier>.txt)")
    ap.add_argument("--jobs", "-j", type=int, default=2, help="pytest-xdist workers (0/1: serial)")
    ap.add_argument("--seed", type=int, help="seed for the whole run (default: SEED env or random)")
    ap.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = ap.parse_args(argv)

    try:
        targets, options = read_tier(args.tier)
    except (FileNotFoundError, ValueError) as exc:
        print(f"regress: {exc}")
        return 2
    present, missing = existing_targets(targets)
    for t in missing:
        print(f"regress: WARNING: tier {args.tier}: {t} does not exist yet, skipped")
    if not present:
        print(f"regress: tier {args.tier}: no existing targets")
        return 5

    if args.seed is not None:
        seed = args.seed
    elif os.environ.get("SEED", "").strip():
        seed = int(os.environ["SEED"], 0)
    else:
        seed = random.SystemRandom().randrange(1, 2**31)
    env = dict(os.environ, SEED=str(seed), PYTHONHASHSEED=os.environ.get("PYTHONHASHSEED", "0"))
    # the simulator from the pinned wheel (same as the Makefile does)
    from verif.lib.runner import setup_tool_env

    setup_tool_env(env)

    junit = REPO_ROOT / "build" / "regress" / f"{args.tier}.xml"
    junit.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rfE",
           f"--junitxml={junit}", "-o", "junit_family=xunit1"]
    if args.jobs > 1:
        cmd += ["-n", str(args.jobs), "--dist", "loadfile"]
    cmd += options + present + args.pytest_args
    print(f"regress: tier {args.tier}, {len(present)} targets, jobs {args.jobs}, SEED={seed}")
    print("regress: $ " + shlex.join(cmd[1:]), flush=True)
    t0 = time.monotonic()
    junit.unlink(missing_ok=True)
    rc = subprocess.run(cmd, cwd=REPO_ROOT, env=env).returncode
    dt = time.monotonic() - t0

    counts, failures = summarize(junit)
    total = sum(counts.values())
    print()
    print(f"regress: tier {args.tier}: {counts['passed']} passed, {counts['failed']} failed, "
          f"{counts['errors']} errors, {counts['skipped']} skipped ({total} tests) in {dt:.0f}s, "
          f"SEED={seed}, pytest exit code {rc}")
    for nodeid, msg in failures:
        print(f"  FAILED {nodeid}\n    reproduce: {reproduce_for(nodeid, msg, seed)}")
    if rc == 5 or total == 0:
        print("regress: ERROR: no tests collected")
        return rc or 5
    if rc == 0 and (counts["failed"] or counts["errors"]):
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
