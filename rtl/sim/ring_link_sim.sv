// Simulation-only ring link model: one register stage (latency 1, full throughput) between a
// router's ring_out and the next router's ring_in, with testbench-driven stalls and fault injection.
//
// - stall_in_i:  the link refuses beats this cycle (ready low towards the sender).
// - stall_out_i: the link does not start presenting a new beat this cycle; a beat already presented
//                stays valid and stable until accepted (AXI-Stream rule kept on both sides).
// - Fault injection on the beat with index fault_beat_i on this link (0 = first beat since reset),
//   once per reset, selected by fault_kind_i:
//     0 none, 1 corrupt (flip bit fault_bit_i of {side, last, data}), 2 drop (never presented),
//     3 duplicate (presented twice), 4 forge (flip bit fault_bit_i and recompute the parity, as a
//     faulty sender would produce the beat: a wrong tlast, source or address that passes the parity).
//   fault_done_o goes high when the fault was applied; fault_src_o / fault_seq_o tell which beat.
// - Statistics since reset (no ports: the testbench reads them hierarchically, u_link.stat_*_q),
//   so that a test can see what its stalls really did, not what it asked for:
//     stat_in_stall_q   cycles stall_in_i refused a presented beat the link had room for
//     stat_out_stall_q  cycles stall_out_i kept a beat that sat in the link from being presented
//     stat_in_long_q    beats refused by stall_in_i for LongHold consecutive cycles (counted once
//                       per such run), stat_out_long_q the same for stall_out_i
//     stat_in_hold_q    cycles the sender was held (in_valid_i && !in_ready_o), any cause
//     stat_out_hold_q   cycles the receiver held the link (out_valid_o && !out_ready_i): ring
//                       back-pressure from the next router
//     stat_cycles_q     cycles since reset
module ring_link_sim
  import ring_pkg::*;
(
  input  logic                   clk_i,
  input  logic                   rst_ni,

  input  logic                   in_valid_i,
  output logic                   in_ready_o,
  input  logic [DataWidth-1:0]   in_data_i,
  input  logic                   in_last_i,
  input  ring_side_t             in_side_i,

  output logic                   out_valid_o,
  input  logic                   out_ready_i,
  output logic [DataWidth-1:0]   out_data_o,
  output logic                   out_last_o,
  output ring_side_t             out_side_o,

  input  logic                   stall_in_i,
  input  logic                   stall_out_i,
  input  logic [2:0]             fault_kind_i,
  input  logic [IdxWidth-1:0]    fault_beat_i,
  input  logic [8:0]             fault_bit_i,
  output logic                   fault_done_o,
  output logic [NodeIdWidth-1:0] fault_src_o,
  output logic [IdxWidth-1:0]    fault_seq_o
);

  localparam int unsigned BeatWidth = SideWidth + 1 + DataWidth;

  logic                   v_q, shown_q, faulted_q;
  logic [BeatWidth-1:0]   beat_q, beat_out;
  logic [IdxWidth-1:0]    idx_q, cnt_q;
  logic [NodeIdWidth-1:0] fsrc_q;
  logic [IdxWidth-1:0]    fseq_q;
  /* verilator lint_off UNUSEDSIGNAL */
  ring_side_t             side_q;  // only src and seq are reported
  /* verilator lint_on UNUSEDSIGNAL */
  logic                   hit, drop_now, dup_first, pop, out_hs;

  assign side_q    = beat_q[BeatWidth-1 -: SideWidth];
  assign hit       = v_q && !faulted_q && (fault_kind_i != 3'd0) && (idx_q == fault_beat_i);
  assign drop_now  = hit && (fault_kind_i == 3'd2);
  assign out_valid_o = v_q && !drop_now && (shown_q || !stall_out_i);
  assign out_hs    = out_valid_o && out_ready_i;
  assign dup_first = hit && (fault_kind_i == 3'd3) && out_hs;
  assign pop       = (out_hs && !dup_first) || drop_now;
  assign in_ready_o = !stall_in_i && (!v_q || pop);

  logic [BeatWidth-1:0] flipped;
  ring_side_t           forged_side;
  always_comb begin
    flipped              = beat_q;
    flipped[fault_bit_i] = ~beat_q[fault_bit_i];
    forged_side          = flipped[BeatWidth-1 -: SideWidth];
    forged_side.parity   = ring_parity(flipped[DataWidth-1:0], flipped[DataWidth], forged_side);
  end

  always_comb begin
    beat_out = beat_q;
    if (hit && (fault_kind_i == 3'd1)) begin
      beat_out = flipped;
    end else if (hit && (fault_kind_i == 3'd4)) begin
      beat_out = {forged_side, flipped[DataWidth:0]};
    end
  end
  assign {out_side_o, out_last_o, out_data_o} = beat_out;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      v_q       <= 1'b0;
      shown_q   <= 1'b0;
      faulted_q <= 1'b0;
      cnt_q     <= '0;
      idx_q     <= '0;
      fsrc_q    <= '0;
      fseq_q    <= '0;
    end else begin
      if (in_valid_i && in_ready_o) begin
        v_q    <= 1'b1;
        beat_q <= {in_side_i, in_last_i, in_data_i};
        idx_q  <= cnt_q;
        cnt_q  <= cnt_q + IdxWidth'(1);
      end else if (pop) begin
        v_q <= 1'b0;
      end
      shown_q <= out_valid_o && !out_ready_i;
      if (hit && (drop_now || out_hs)) begin
        faulted_q <= 1'b1;
        fsrc_q    <= side_q.src;
        fseq_q    <= side_q.seq;
      end
    end
  end

  // ---- statistics (simulation only, read hierarchically by the testbench)
  localparam int unsigned StatWidth = 32;
  localparam int unsigned LongHold  = 16;

  logic                 in_stalled, out_stalled;
  logic [StatWidth-1:0] stat_in_stall_q, stat_out_stall_q, stat_in_long_q, stat_out_long_q;
  logic [StatWidth-1:0] stat_in_hold_q, stat_out_hold_q, stat_cycles_q;
  logic [7:0]           in_run_q, out_run_q;

  // refused only because of stall_in_i: the link could have taken the beat
  assign in_stalled  = in_valid_i && !in_ready_o && (!v_q || pop);
  // a beat in the link that is neither presented nor dropped: only stall_out_i does that
  assign out_stalled = v_q && !drop_now && !out_valid_o;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      stat_in_stall_q  <= '0;
      stat_out_stall_q <= '0;
      stat_in_long_q   <= '0;
      stat_out_long_q  <= '0;
      stat_in_hold_q   <= '0;
      stat_out_hold_q  <= '0;
      stat_cycles_q    <= '0;
      in_run_q         <= '0;
      out_run_q        <= '0;
    end else begin
      stat_cycles_q <= stat_cycles_q + StatWidth'(1);
      if (in_valid_i && !in_ready_o) begin
        stat_in_hold_q <= stat_in_hold_q + StatWidth'(1);
      end
      if (out_valid_o && !out_ready_i) begin
        stat_out_hold_q <= stat_out_hold_q + StatWidth'(1);
      end
      if (in_stalled) begin
        stat_in_stall_q <= stat_in_stall_q + StatWidth'(1);
        if (in_run_q != 8'hff) begin
          in_run_q <= in_run_q + 8'd1;
        end
        if (in_run_q == 8'(LongHold - 1)) begin
          stat_in_long_q <= stat_in_long_q + StatWidth'(1);
        end
      end else begin
        in_run_q <= '0;
      end
      if (out_stalled) begin
        stat_out_stall_q <= stat_out_stall_q + StatWidth'(1);
        if (out_run_q != 8'hff) begin
          out_run_q <= out_run_q + 8'd1;
        end
        if (out_run_q == 8'(LongHold - 1)) begin
          stat_out_long_q <= stat_out_long_q + StatWidth'(1);
        end
      end else begin
        out_run_q <= '0;
      end
    end
  end

  assign fault_done_o = faulted_q;
  assign fault_src_o  = fsrc_q;
  assign fault_seq_o  = fseq_q;

endmodule
