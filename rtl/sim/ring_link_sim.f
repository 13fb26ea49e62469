// Simulation-only ring link model (stalls and fault injection).
rtl/ring/ring_pkg.sv
rtl/sim/ring_link_sim.sv
