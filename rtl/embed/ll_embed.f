rtl/embed/ll_embed.sv
