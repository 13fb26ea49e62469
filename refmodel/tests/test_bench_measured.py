"""`make bench-rtl` bookkeeping: measurement files merge into the committed table, which `make bench` prints."""

import json

from refmodel import bench


def _rec(cfg, nodes, cycles, date="2026-01-02"):
    return dict(config=cfg, nodes=nodes, start_pos=639, mem_latency=16, date=date,
                steps=[dict(pos=639, cycles=[cycles] * nodes, memory_bound=1, sim_cycles_per_s=1.0)],
                sim_cycles_per_s=1.0, sim_s=60.0, tokens_match_reference=True, cycles_within_model_tolerance=True)


def test_record_merges_by_config_and_nodes(tmp_path):
    src, table = tmp_path / "runs", tmp_path / "measured.json"
    src.mkdir()
    (src / "gpt2-medium-n4.json").write_text(json.dumps(_rec("gpt2-medium", 4, 400000)))
    assert bench.record_measured(src, table) == ["gpt2-medium/n4"]
    # a later partial run replaces only its own entry
    (src / "gpt2-medium-n4.json").unlink()
    (src / "gpt2-medium-n1.json").write_text(json.dumps(_rec("gpt2-medium", 1, 1500000)))
    bench.record_measured(src, table)
    runs = bench.load_measured(table)
    assert sorted(runs) == ["gpt2-medium/n1", "gpt2-medium/n4"]
    assert runs["gpt2-medium/n4"]["steps"][0]["cycles"] == [400000] * 4
    assert bench.load_measured(tmp_path / "missing.json") == {}


def test_bench_measured_prints_table_or_fallback(capsys):
    bench.bench_measured()
    out = capsys.readouterr().out
    assert "MEASURED in RTL simulation" in out and "MODEL" in out
    for n in (1, 2, 4):
        assert f"gpt2-medium/n{n}" in bench.load_measured() or "not measured yet (make bench-rtl)" in out
