-f rtl/node/ll_axi_rd_mux.f
-f rtl/sim/ll_axi_mem_sim.f
verif/axi_rd_mux/tb_axi_rd_mux.sv
