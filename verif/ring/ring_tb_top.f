// Testbench top: NumNodes ring routers joined by simulated links.
-f rtl/ring/ring_router.f
-f rtl/sim/ring_link_sim.f
verif/ring/ring_tb_top.sv
