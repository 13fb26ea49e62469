// Simulation-only activation-buffer write monitor (debug dump, docs/node.md).
rtl/sim/ll_abuf_mon.sv
