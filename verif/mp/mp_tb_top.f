// MP testbench: the kernel plus simulation-only memory and activation buffer models
-f rtl/mp/ll_mp.f
-f rtl/sim/ll_axi_mem_sim.f
verif/mp/mp_axi_rd_mem_sim.sv
verif/mp/mp_act_buf_sim.sv
verif/mp/mp_tb_top.sv
