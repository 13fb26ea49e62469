"""Unit tests of the verification library itself (pure Python, plus two Verilator lint runs)."""

from __future__ import annotations

import itertools
import random
import textwrap
from pathlib import Path

import numpy as np
import pytest

from verif.lib import bits, coverage, filelist, runner, scoreboard, streams


# --------------------------------------------------------------------------------------------------
# scoreboard

def test_scoreboard_matches_ints_arrays_dicts():
    sb = scoreboard.Scoreboard("t")
    sb.expect(5)
    sb.got(5)
    sb.got(np.array([1, -2, 3], dtype=np.int8))
    sb.expect(np.array([1, -2, 3], dtype=np.int32))  # same values, other dtype: equal
    sb.expect({"data": 7, "last": 1})
    sb.got({"data": 7, "last": 1})
    sb.check_done(min_matched=3)
    assert (sb.matched, sb.lost, sb.extra) == (3, 0, 0)


def test_scoreboard_reports_transaction_and_element():
    sb = scoreboard.Scoreboard("mp")
    sb.expect(np.arange(4))
    sb.got(np.arange(4))
    sb.expect(np.array([[1, 2], [3, 4]]))
    with pytest.raises(scoreboard.ScoreboardError) as exc:
        sb.got(np.array([[1, 2], [3, 5]]))
    msg = str(exc.value)
    assert "transaction 1" in msg and "(1, 1)" in msg and "expected 4" in msg and "got 5" in msg


def test_scoreboard_one_lsb_fails():
    sb = scoreboard.Scoreboard("x")
    sb.expect(np.array([100, -128], dtype=np.int64))
    with pytest.raises(scoreboard.ScoreboardError, match="index 1: expected -128, got -127"):
        sb.got(np.array([100, -127], dtype=np.int64))


def test_scoreboard_shape_float_and_dict_errors():
    sb = scoreboard.Scoreboard("x", fail_fast=False)
    sb.expect(np.zeros(3, dtype=np.int8))
    sb.got(np.zeros(4, dtype=np.int8))
    sb.expect(np.zeros(2))
    sb.got(np.zeros(2))
    sb.expect({"a": 1})
    sb.got({"b": 1})
    with pytest.raises(scoreboard.ScoreboardError) as exc:
        sb.check_done()
    msg = str(exc.value)
    assert "shape differs" in msg and "floating-point" in msg and "fields differ" in msg


def test_scoreboard_lost_extra_and_min_matched():
    sb = scoreboard.Scoreboard("x")
    sb.expect(1)
    sb.expect(2)
    sb.got(1)
    assert sb.lost == 1
    with pytest.raises(scoreboard.ScoreboardError, match="never received"):
        sb.check_done()
    sb2 = scoreboard.Scoreboard("y")
    sb2.got(3)
    assert sb2.extra == 1
    with pytest.raises(scoreboard.ScoreboardError, match="extra"):
        sb2.check_done()
    with pytest.raises(scoreboard.ScoreboardError, match="at least 1"):
        scoreboard.Scoreboard("z").check_done()
    sb.flush()
    assert sb.lost == 0


def test_scoreboard_snapshots_arrays():
    sb = scoreboard.Scoreboard("x")
    a = np.array([1, 2])
    sb.expect(a)
    a[0] = 9  # later mutation by the caller must not change what was expected
    with pytest.raises(scoreboard.ScoreboardError):
        sb.got(np.array([9, 2]))


# --------------------------------------------------------------------------------------------------
# patterns and bits

def test_patterns_named_and_random():
    pats = streams.idle_patterns()
    assert set(pats) == set(streams.PATTERNS)
    assert list(itertools.islice(pats["every_other"](), 4)) == [False, True, False, True]
    assert not any(itertools.islice(pats["none"](), 10))
    a = list(itertools.islice(streams.make_pattern("random_30", random.Random(4)), 200))
    b = list(itertools.islice(streams.make_pattern("random_30", random.Random(4)), 200))
    assert a == b and 30 < sum(a) < 90
    with pytest.raises(ValueError):
        streams.make_pattern("nope")
    with pytest.raises(ValueError):
        next(streams.random_pattern(random.Random(1), 1.5))


def test_pack_unpack_roundtrip():
    rng = np.random.default_rng(1)
    v = rng.integers(-128, 128, size=32)
    word = bits.pack_lanes(v, 8)
    assert word < (1 << 256)
    assert np.array_equal(bits.unpack_lanes(word, 32, 8), v)
    assert bits.pack_lanes([1, 2], 4) == 0x21
    assert bits.to_signed(0xFF, 8) == -1
    with pytest.raises(ValueError):
        bits.pack_lanes([256], 8)
    with pytest.raises(ValueError):
        bits.pack_lanes(np.array([1.5]), 8)


# --------------------------------------------------------------------------------------------------
# file lists, runner helpers

def _write(p: Path, text: str) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text))
    return p


def test_filelist_nested(tmp_path):
    _write(tmp_path / "rtl/a/x.sv", "module x; endmodule\n")
    _write(tmp_path / "rtl/a/y.sv", "module y; endmodule\n")
    _write(tmp_path / "rtl/a/x.f", "+incdir+rtl/a\nrtl/a/x.sv // comment\n")
    top = _write(tmp_path / "rtl/b/y.f", """\
        # the y top
        -f rtl/a/x.f
        +define+FOO=3
        rtl/a/y.sv
        rtl/a/x.sv
        """)
    fl = filelist.parse_filelist(top, root=tmp_path)
    assert [p.name for p in fl.sources] == ["x.sv", "y.sv"]
    assert fl.includes == [(tmp_path / "rtl/a").resolve()]
    assert fl.defines == {"FOO": "3"}
    assert filelist.find_filelist("y", root=tmp_path) == top


def test_filelist_errors(tmp_path):
    _write(tmp_path / "a.f", "-f b.f\n")
    _write(tmp_path / "b.f", "-f a.f\n")
    with pytest.raises(ValueError, match="cycle"):
        filelist.parse_filelist("a.f", root=tmp_path)
    _write(tmp_path / "c.f", "missing.sv\n")
    with pytest.raises(FileNotFoundError, match="missing.sv"):
        filelist.parse_filelist("c.f", root=tmp_path)
    _write(tmp_path / "d.f", "-y libdir\n")
    with pytest.raises(ValueError, match="unsupported"):
        filelist.parse_filelist("d.f", root=tmp_path)
    with pytest.raises(FileNotFoundError):
        filelist.find_filelist("nothing_here", root=tmp_path)


def test_repo_filelists_parse():
    for f in (filelist.REPO_ROOT / "rtl/common").glob("*.f"):
        fl = filelist.parse_filelist(f)
        assert fl.sources, f


def test_build_name_and_vlt():
    assert runner.build_name("ll_fifo", {"Width": 8, "Depth": 4}) == "ll_fifo-Width_8-Depth_4"
    assert runner.build_name("t", {"P": "a b/c"}) == "t-P_a_b_c"
    assert len(runner.build_name("t", {f"P{i}": i for i in range(60)})) <= 150
    text = runner.vlt_text(["top", "sub", "top"])
    assert text.startswith("`verilator_config")
    assert text.count('public_flat_rw -module "top"') == 1 and '-module "sub"' in text
    text = runner.vlt_text(["top", "mem:obs_*"])
    assert 'public_flat_rw -module "top" -var "*"' in text
    assert 'public_flat_rw -module "mem" -var "obs_*"' in text


def test_parse_results(tmp_path):
    xml = _write(tmp_path / "r.xml", """\
        <testsuites><testsuite name="all">
          <testcase name="a" classname="m"/>
          <testcase name="b" classname="m"><failure message="boom"/></testcase>
          <testcase name="c" classname="m"><skipped/></testcase>
        </testsuite></testsuites>
        """)
    assert runner.parse_results(xml) == (["a"], ["b"])
    assert runner.parse_results(tmp_path / "missing.xml") == ([], [])


def test_reproduce_command(monkeypatch):
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "verif/fifo/test_fifo.py::test_fifo[W8-D4] (call)")
    cmd = runner.reproduce_command("fifo", 123, ["throughput"])
    assert "SEED=123 WAVES=1 TESTCASE=throughput" in cmd
    assert "'verif/fifo/test_fifo.py::test_fifo[W8-D4]'" in cmd
    assert "make sim MODULE=fifo SEED=123 WAVES=1" in cmd


def test_testcase_filter(monkeypatch):
    monkeypatch.delenv("TESTCASE", raising=False)
    assert runner._testcase_filter(None) is None
    assert runner._testcase_filter("a, b") == ["a", "b"]
    monkeypatch.setenv("TESTCASE", "b,c")
    assert runner._testcase_filter(None) == ["b", "c"]
    assert runner._testcase_filter(["a", "b"]) == ["b"]
    assert runner._testcase_filter("a") == []


def test_seed_from_env(monkeypatch):
    monkeypatch.setenv("SEED", "0x10")
    assert runner.get_seed() == 16
    monkeypatch.setenv("SEED", "abc")
    with pytest.raises(ValueError):
        runner.get_seed()


# --------------------------------------------------------------------------------------------------
# functional coverage

def test_coverage_export_assert_and_merge(tmp_path):
    from cocotb_coverage.coverage import CoverPoint

    prefix = f"libtest.cov{random.randrange(1 << 30)}"

    @CoverPoint(f"{prefix}.level", xf=lambda x: x, bins=["lo", "hi"])
    def sample(x):
        pass

    sample("lo")
    with pytest.raises(AssertionError, match=r"'hi' \(0/1\)"):
        coverage.assert_all_bins_hit(prefix)
    p1 = coverage.export_func_coverage("libtest", "one", prefix=prefix, root=tmp_path)
    sample("hi")
    coverage.assert_all_bins_hit(prefix)
    p2 = coverage.export_func_coverage("libtest", "two", prefix=prefix, root=tmp_path)
    assert p1 == tmp_path / "libtest" / "one.yml"
    merged = coverage.merge_func_coverage([p1, p2])
    assert merged.items[f"{prefix}.level"]["bins"] == {"lo": 2, "hi": 1}
    assert merged.unhit == [] and merged.percent == 100.0
    only_first = coverage.merge_func_coverage([p1])
    assert only_first.unhit == [(f"{prefix}.level", "hi")]
    with pytest.raises(AssertionError, match="no cover points"):
        coverage.assert_all_bins_hit("libtest.does_not_exist")


# --------------------------------------------------------------------------------------------------
# lint and tiers

def test_lint_flags_warnings_and_passes_clean(tmp_path):
    from verif.lib import lint

    runner.setup_tool_env()
    src = _write(tmp_path / "bad_mod.sv", """\
        module bad_mod (input logic [3:0] a_i, output logic [1:0] y_o);
          assign y_o = a_i;
        endmodule
        """)
    fl = _write(tmp_path / "bad_mod.f", f"{src}\n")
    top, status, detail = lint.lint_one(fl)
    assert (top, status) == ("bad_mod", "WARN") and any("WIDTH" in ln for ln in detail)
    top, status, detail = lint.lint_one(filelist.REPO_ROOT / "rtl/common/ll_fifo.f")
    assert (top, status) == ("ll_fifo", "OK"), detail


def test_tiers_resolve():
    from ci import regress

    smoke, smoke_opts = regress.read_tier("smoke")
    full, _ = regress.read_tier("full")
    nightly, nightly_opts = regress.read_tier("nightly")
    assert "verif/fifo" in smoke and set(smoke) <= set(full) <= set(nightly)
    assert smoke_opts[:2] == ["-m", "not slow"]
    assert nightly_opts.count("-m") == 1 and "slow or not slow" in nightly_opts
    with pytest.raises(FileNotFoundError):
        regress.read_tier("no_such_tier")


def test_make_overrides_change_drops_objects(tmp_path):
    (tmp_path / "a.o").write_text("x")
    runner._invalidate_objects_if_flags_changed(tmp_path, {"OPT_FAST": "-O1"})
    assert (tmp_path / "a.o").exists()  # first stamp: keep
    runner._invalidate_objects_if_flags_changed(tmp_path, {"OPT_FAST": "-O1"})
    assert (tmp_path / "a.o").exists()  # unchanged
    runner._invalidate_objects_if_flags_changed(tmp_path, {"OPT_FAST": "-O2"})
    assert not (tmp_path / "a.o").exists()  # changed: recompile
