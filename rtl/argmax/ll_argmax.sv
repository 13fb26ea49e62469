// Streaming argmax over the LM-head logits (refmodel/intops.py argmax_int / argmax_reduce).
// Input beats carry Lanes signed logits, a keep mask (lanes to ignore, e.g. the tail of the
// vocabulary) and the index of lane 0 (lane j has index in_idx_i + j, so a node can feed its own
// rows with their global indices). in_last_i closes the vector; the result (value, index) appears on
// the output stream with out_empty_o set if no lane of the vector was kept.
// Two stages: lane tree (ll_argmax_pkg::take_b, the rule of ll_argmax_reduce) into a register, then the running best. The whole
// pipeline stalls while a result waits: in_ready_o = !out_valid_o || out_ready_i (ready-to-ready
// path only). Latency: the result is valid 2 cycles after the edge that accepts the last beat.
module ll_argmax #(
  parameter int unsigned Lanes   = 8,
  parameter int unsigned ValBits = 32,
  parameter int unsigned IdxBits = 32
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      in_valid_i,
  output logic                      in_ready_o,
  input  logic [Lanes*ValBits-1:0]  in_data_i,
  input  logic [Lanes-1:0]          in_keep_i,
  input  logic [IdxBits-1:0]        in_idx_i,
  input  logic                      in_last_i,
  output logic                      out_valid_o,
  input  logic                      out_ready_i,
  output logic signed [ValBits-1:0] out_val_o,
  output logic [IdxBits-1:0]        out_idx_o,
  output logic                      out_empty_o
);
  localparam int unsigned Levels = $clog2(Lanes);
  if (Lanes < 2 || ValBits > 64 || IdxBits > 64) begin : g_param_check
    $error("ll_argmax: Lanes >= 2, ValBits <= 64 and IdxBits <= 64 required");
  end
  localparam int unsigned Leaves = 1 << Levels;

  typedef logic signed [ValBits-1:0] val_t;
  typedef logic [IdxBits-1:0]        idx_t;

  logic en;
  assign en         = !out_valid_o || out_ready_i;
  assign in_ready_o = en;

  // ---- lane tree: log2(Lanes) levels of the argmax_reduce rule (local variables of one block)
  logic tree_v;
  val_t tree_val;
  idx_t tree_idx;
  always_comb begin
    logic tv [Leaves];
    val_t tval [Leaves];
    idx_t tidx [Leaves];
    for (int unsigned j = 0; j < Leaves; j++) begin
      tv[j]   = j < Lanes ? in_keep_i[j % Lanes] : 1'b0;
      tval[j] = in_data_i[ValBits*(j % Lanes) +: ValBits];
      tidx[j] = in_idx_i + IdxBits'(j);
    end
    for (int unsigned l = 0; l < Levels; l++) begin
      for (int unsigned n = 0; n < (Leaves >> (l + 1)); n++) begin
        if (ll_argmax_pkg::take_b(tv[2*n], 64'(tval[2*n]), 64'(tidx[2*n]),
                                  tv[2*n+1], 64'(tval[2*n+1]), 64'(tidx[2*n+1]))) begin
          tv[n] = tv[2*n+1]; tval[n] = tval[2*n+1]; tidx[n] = tidx[2*n+1];
        end else begin
          tv[n] = tv[2*n];   tval[n] = tval[2*n];   tidx[n] = tidx[2*n];
        end
      end
    end
    tree_v   = tv[0];
    tree_val = tval[0];
    tree_idx = tidx[0];
  end

  // ---- stage 1: one beat's best
  logic beat_q, bv_q, blast_q;
  val_t bval_q;
  idx_t bidx_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) beat_q <= 1'b0;
    else if (en) beat_q <= in_valid_i;
  end
  always_ff @(posedge clk_i) begin
    if (en && in_valid_i) begin
      bv_q    <= tree_v;
      bval_q  <= tree_val;
      bidx_q  <= tree_idx;
      blast_q <= in_last_i;
    end
  end

  // ---- stage 2: running best of the vector
  logic first_q, rv_q, out_valid_q, out_empty_q;
  val_t rval_q, out_val_q;
  idx_t ridx_q, out_idx_q;
  logic nv;
  val_t nval;
  idx_t nidx;
  ll_argmax_reduce #(.ValBits(ValBits), .IdxBits(IdxBits)) u_run (
    .a_valid_i (rv_q && !first_q), .a_val_i (rval_q), .a_idx_i (ridx_q),
    .b_valid_i (bv_q),             .b_val_i (bval_q), .b_idx_i (bidx_q),
    .valid_o   (nv),               .val_o   (nval),   .idx_o   (nidx)
  );

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      first_q     <= 1'b1;
      out_valid_q <= 1'b0;
    end else if (en) begin
      out_valid_q <= beat_q && blast_q;
      if (beat_q) first_q <= blast_q;
    end
  end
  always_ff @(posedge clk_i) begin
    if (en && beat_q) begin
      rv_q   <= nv;
      rval_q <= nval;
      ridx_q <= nidx;
      if (blast_q) begin
        out_val_q   <= nv ? nval : {1'b1, {(ValBits-1){1'b0}}};
        out_idx_q   <= nv ? nidx : '0;
        out_empty_q <= !nv;
      end
    end
  end

  assign out_valid_o = out_valid_q;
  assign out_val_o   = out_val_q;
  assign out_idx_o   = out_idx_q;
  assign out_empty_o = out_empty_q;

`ifndef SYNTHESIS
  a_out_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      out_valid_o && !out_ready_i |=> out_valid_o && $stable(out_val_o) && $stable(out_idx_o));
`endif
endmodule
