rtl/pkg/ll_pkg.sv
rtl/lnr/ll_lnr_pkg.sv
-f rtl/arith/ll_isqrt.f
-f rtl/arith/ll_div.f
rtl/lnr/ll_lnr.sv
