"""The Verilator coverage reader: parsing, merging over runs, per-module percentages, HTML."""

from pathlib import Path

from ci.coverage import main, merge, per_module

HEAD = "# SystemC::Coverage-3\n"


def _point(f, line, kind, comment, module, count):
    key = "".join(f"\x01{k}\x02{v}" for k, v in
                  [("f", f), ("l", line), ("n", 3), ("t", kind), ("page", f"v_{kind}/{module}"), ("o", comment),
                   ("h", f"TOP.{module}")])
    return f"C '{key}' {count}\n"


def test_merge_and_percentages(tmp_path: Path):
    a = tmp_path / "a.dat"
    b = tmp_path / "b.dat"
    a.write_text(HEAD + _point("rtl/x/m.sv", 10, "line", "", "m", 0) + _point("rtl/x/m.sv", 11, "line", "", "m", 2)
                 + _point("rtl/x/m.sv", 5, "toggle", "v:0->1", "m", 0))
    b.write_text(HEAD + _point("rtl/x/m.sv", 10, "line", "", "m", 1) + _point("rtl/x/m.sv", 5, "toggle", "v:1->0", "m", 0)
                 + _point("verif/x/tb.sv", 1, "line", "", "tb", 0))
    pts = merge([a, b])
    mods = per_module(pts)
    assert set(mods) == {"m"}  # testbench files are not synthesisable modules
    assert mods["m"].pct("line") == 100.0  # line 10 missed in a, hit in b: covered
    assert mods["m"].pct("toggle") == 0.0 and len(mods["m"].missed) == 2
    assert main([str(tmp_path), "--html", str(tmp_path / "html"), "--min-line", "90"]) == 0
    assert main([str(tmp_path), "--html", str(tmp_path / "html"), "--min-toggle", "80"]) == 1
    assert (tmp_path / "html" / "index.html").exists()


def test_parameterised_copies_fold_into_their_module(tmp_path: Path):
    """Verilator's `m__W8` and `m__W16` are one source module: a point hit in either counts once."""
    (tmp_path / "a.dat").write_text(HEAD + _point("rtl/x/m.sv", 10, "line", "", "m__W8", 1)
                                    + _point("rtl/x/m.sv", 11, "line", "", "m__W8", 0))
    (tmp_path / "b.dat").write_text(HEAD + _point("rtl/x/m.sv", 11, "line", "", "m__W16", 3))
    mods = per_module(merge(sorted(tmp_path.glob("*.dat"))))
    assert set(mods) == {"m"}
    assert mods["m"].total["line"] == 2 and mods["m"].pct("line") == 100.0


def test_waivers_excuse_only_unhit_matching_points(tmp_path: Path):
    import re

    from ci.coverage import Waiver, load_waivers

    (tmp_path / "a.dat").write_text(HEAD + _point("rtl/x/m.sv", 5, "toggle", "cnt[31]:0->1", "m", 0)
                                    + _point("rtl/x/m.sv", 5, "toggle", "cnt[0]:0->1", "m", 0)
                                    + _point("rtl/x/m.sv", 5, "toggle", "cnt[30]:0->1", "m", 4))
    w = [Waiver("m", "toggle", re.compile(r"cnt\[3[01]\]"), "upper counter bits")]
    m = per_module(merge([tmp_path / "a.dat"]), waivers=w)["m"]
    assert len(m.waived) == 1 and len(m.missed) == 1  # cnt[0] is not waived
    assert m.total["toggle"] == 2 and m.pct("toggle") == 50.0  # the hit cnt[30] still counts
    bad = tmp_path / "w.txt"
    bad.write_text("m toggle cnt\n")  # no reason
    try:
        load_waivers(bad)
    except ValueError as e:
        assert "reason" in str(e)
    else:
        raise AssertionError("a waiver without a reason was accepted")
