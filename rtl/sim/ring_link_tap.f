// Simulation-only ring link tap (zero-latency pass-through with one-beat fault injection).
rtl/ring/ring_pkg.sv
rtl/sim/ring_link_tap.sv
