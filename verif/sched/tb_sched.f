-f rtl/sched/ll_scheduler.f
-f rtl/sched/ll_ctrl_regs.f
-f rtl/sim/ll_axi_mem_sim.f
verif/sched/tb_sched.sv
