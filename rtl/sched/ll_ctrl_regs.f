+incdir+rtl/common
rtl/sched/ll_ctrl_regs.sv
