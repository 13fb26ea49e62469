"""pytest configuration for every testbench under verif/.

One seed per pytest session: ``SEED`` from the environment, or a fresh random one exported before
any xdist worker starts (so every worker and every simulation of the run shares it). It is printed in
the session header; each simulation prints it again and every failure message repeats it with the
command that reproduces the failure alone.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("looplynx seeds")
    group.addoption("--seed-rounds", type=int, default=1,
                    help="run every test of the --seed-modules testbenches this many times, round 0 with "
                         "the run's SEED and round r with seed_for_round(SEED, r) (nightly tier)")
    group.addoption("--seed-modules", default="",
                    help="comma-separated verif/<module> folders that --seed-rounds applies to")


def seed_for_round(seed: int, rnd: int) -> int:
    """Seed of extra round `rnd` (0 = the run's seed itself): a fixed mix, in 1 .. 2^31 - 2."""
    return seed if rnd == 0 else (seed + rnd * 0x9E3779B1) % (2**31 - 1) or 1


def _seed_rounds(config, path) -> int:
    rounds = config.getoption("--seed-rounds", 1) or 1
    mods = {m.strip() for m in (config.getoption("--seed-modules", "") or "").split(",") if m.strip()}
    parts = Path(str(path)).resolve().parts
    in_mod = any(parts[i] == "verif" and parts[i + 1] in mods for i in range(len(parts) - 1))
    return rounds if rounds > 1 and in_mod else 1


def pytest_generate_tests(metafunc):
    """With --seed-rounds N, every test of a --seed-modules folder runs N times (ids ...-seed<r>)."""
    n = _seed_rounds(metafunc.config, metafunc.definition.path)
    if n > 1:
        metafunc.fixturenames.append("seed_round")
        metafunc.parametrize("seed_round", range(n), ids=[f"seed{r}" for r in range(n)])


@pytest.fixture(autouse=True)
def _round_seed(request, monkeypatch):
    """A seed round runs with SEED = seed_for_round(SEED, r): run_sim takes it from the environment, prints
    it and puts it in the reproduce command (which then re-runs that round alone as round 0)."""
    callspec = getattr(request.node, "callspec", None)
    rnd = callspec.params.get("seed_round", 0) if callspec is not None else 0
    if rnd:
        monkeypatch.setenv("SEED", str(seed_for_round(int(os.environ["SEED"], 0), rnd)))
        monkeypatch.setenv("SEED_ROUND", str(rnd))  # the reproduce command drops the round's id
    yield


def pytest_configure(config):
    if not os.environ.get("SEED", "").strip():
        os.environ["SEED"] = str(random.SystemRandom().randrange(1, 2**31))


def pytest_report_header(config):
    extra = [f"{k}=1" for k in ("WAVES", "COVERAGE") if os.environ.get(k) not in (None, "", "0")]
    return [f"SEED={os.environ.get('SEED')} {' '.join(extra)}".rstrip()
            + "   (reproduce any run with SEED=<n>; WAVES=1 dumps waves)"]


_config = None


def pytest_sessionstart(session):
    global _config
    _config = session.config


def pytest_runtest_logreport(report):
    """Show where the wave / coverage files of each simulation went, even for passing tests."""
    if report.when != "call" or _config is None:
        return
    keep = ("[run_sim] waves:", "[run_sim] open with:", "[run_sim] code coverage:", "[run_sim] note:")
    lines = [ln for ln in report.capstdout.splitlines() if ln.startswith(keep)]
    tr = _config.pluginmanager.get_plugin("terminalreporter")
    if lines and tr is not None:
        tr.write_line("")
        for ln in lines:
            tr.write_line("    " + ln[len("[run_sim] "):])
