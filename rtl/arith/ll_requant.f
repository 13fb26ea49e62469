rtl/pkg/ll_pkg.sv
rtl/arith/ll_requant.sv
