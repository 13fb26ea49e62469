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
