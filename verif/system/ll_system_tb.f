// Full-system testbench: nodes on a ring with simulated memories (docs/node.md)
-f rtl/node/ll_node.f
-f rtl/sim/ll_axi_mem_sim.f
-f rtl/sim/ring_link_tap.f
-f rtl/sim/ll_abuf_mon.f
verif/system/ll_system_tb.sv
