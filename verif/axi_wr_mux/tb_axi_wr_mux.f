-f rtl/node/ll_axi_wr_mux.f
-f rtl/sim/ll_axi_mem_sim.f
verif/axi_wr_mux/tb_axi_wr_mux.sv
