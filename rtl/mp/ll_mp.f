// MP kernel (docs/mp.md)
-f rtl/common/ll_fifo.f
-f rtl/arith/ll_requant.f
rtl/mp/ll_mp_rd_port.sv
rtl/mp/ll_mp_dot.sv
rtl/mp/ll_mp_gelu.sv
rtl/mp/ll_mp_epilogue.sv
rtl/mp/ll_mp.sv
