"""pytest configuration for every testbench under verif/.

One seed per pytest session: ``SEED`` from the environment, or a fresh random one exported before
any xdist worker starts (so every worker and every simulation of the run shares it). It is printed in
the session header; each simulation prints it again and every failure message repeats it with the
command that reproduces the failure alone.
"""

from __future__ import annotations

import os
import random


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
