rtl/pkg/ll_pkg.sv
