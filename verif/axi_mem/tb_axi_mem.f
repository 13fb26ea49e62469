-f rtl/sim/ll_axi_mem_sim.f
verif/axi_mem/tb_axi_mem.sv
