rtl/sim/ll_axi_mem_sim.sv
