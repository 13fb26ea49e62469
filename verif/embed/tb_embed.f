-f rtl/embed/ll_embed.f
-f rtl/sim/ll_axi_mem_sim.f
verif/embed/tb_embed.sv
