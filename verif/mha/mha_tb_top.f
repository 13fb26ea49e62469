-f rtl/mha/ll_mha.f
-f rtl/sim/ll_axi_mem_sim.f
verif/mha/mha_tb_top.sv
