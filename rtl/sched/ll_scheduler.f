+incdir+rtl/common
rtl/sched/ll_isa_pkg.sv
rtl/sched/ll_scheduler.sv
