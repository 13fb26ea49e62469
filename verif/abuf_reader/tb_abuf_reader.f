-f rtl/node/ll_abuf.f
-f rtl/node/ll_abuf_reader.f
verif/abuf_reader/tb_abuf_reader.sv
