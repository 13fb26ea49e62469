// Ring router: one per node on a one-way ring (node i sends to node (i+1) mod NumNodes).
//
// Operations (started by the scheduler through the command port, docs/ring.md):
//   OpGather  all-gather: every node ends with the whole vector written to its local buffer
//             through the write port (own beats and received beats, each address exactly once).
//   OpArgmax  argmax reduction: every node contributes one (value, index) pair; every node ends
//             with the pair of largest value, ties to the lowest index.
//
// Datapath (per-hop latency 3 cycles through a 1-cycle link, no per-block store-and-forward):
//   ring_in -> in register (checks) -> local write register  -> wr_*
//                                   \-> out register -> ring_out       (bypass, FIFO empty)
//                                   \-> forward FIFO -> out register    (out register busy)
//   local producer (own_*) -> out register (when the forward FIFO is empty) and write register
// A beat is forwarded cut-through, beat by beat, as soon as it arrives: the all-gather costs
// (NumNodes-1) hops after the producers' last beat (refmodel/cyclemodel/ring.py).
//
// Flow control: every stage is a valid/ready register; nothing is dropped or duplicated under
// back-pressure. Forwarded beats have priority over own beats, and an own beat enters the ring only
// when the forward FIFO is empty (bubble rule, FwdDepth >= 2): the ring never deadlocks.
// Combinational paths: ring_in_ready_o depends on wr_ready_i; own_ready_o and pair_ready_o depend on
// wr_ready_i and ring_out_ready_i (ready to ready only; no path from any ready to any valid).
//
// Errors: every received beat is checked (parity, operation, source, sequence, tlast, address);
// the first error is latched in error_o (sticky until reset or clear_i), the operation ends with
// done_o, and the router sinks all ring and local traffic until clear_i so that nothing hangs.
module ring_router
  import ring_pkg::*;
#(
  parameter int unsigned NumNodes = 4,  // 1, 2, 4 or 8
  parameter int unsigned FwdDepth = 4   // forward FIFO entries (>= 2)
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic [NodeIdWidth-1:0]  node_id_i,   // static strap: this node's position on the ring
  input  logic [TimeoutWidth-1:0] timeout_i,   // watchdog in cycles without progress, 0 = off

  // Command port (scheduler)
  input  logic                    cmd_valid_i,
  output logic                    cmd_ready_o,
  input  ring_op_e                cmd_op_i,
  input  ring_layout_e            cmd_layout_i,
  input  logic [IdxWidth-1:0]     cmd_vec_beats_i,   // vector length in beats
  input  logic [IdxWidth-1:0]     cmd_start_i,       // contiguous layout: first own beat
  input  logic [IdxWidth-1:0]     cmd_len_i,         // contiguous layout: own beats
  input  logic [BlkLog2Width-1:0] cmd_block_log2_i,  // strided layout: block = 2^x beats
  output logic                    busy_o,
  output logic                    done_o,            // one-cycle pulse per accepted command
  output ring_err_e               error_o,           // sticky
  input  logic                    clear_i,           // clears error_o and leaves the fault state

  // Local producer: this node's slice, in order, tlast on its last beat
  input  logic                    own_valid_i,
  output logic                    own_ready_o,
  input  logic [DataWidth-1:0]    own_data_i,
  input  logic                    own_last_i,

  // Local argmax pair
  input  logic                    pair_valid_i,
  output logic                    pair_ready_o,
  input  logic [ValueWidth-1:0]   pair_value_i,      // signed
  input  logic [ValueWidth-1:0]   pair_index_i,      // unsigned
  output logic                    red_valid_o,       // result valid (from done until next command)
  output logic [ValueWidth-1:0]   red_value_o,
  output logic [ValueWidth-1:0]   red_index_o,

  // Local activation buffer write stream (every beat of the full vector, once)
  output logic                    wr_valid_o,
  input  logic                    wr_ready_i,
  output logic [IdxWidth-1:0]     wr_addr_o,
  output logic [DataWidth-1:0]    wr_data_o,

  // Ring
  input  logic                    ring_in_valid_i,
  output logic                    ring_in_ready_o,
  input  logic [DataWidth-1:0]    ring_in_data_i,
  input  logic                    ring_in_last_i,
  input  ring_side_t              ring_in_side_i,
  output logic                    ring_out_valid_o,
  input  logic                    ring_out_ready_i,
  output logic [DataWidth-1:0]    ring_out_data_o,
  output logic                    ring_out_last_o,
  output ring_side_t              ring_out_side_o
);

  `include "ll_assert.svh"

  `LL_ASSERT_INIT(NumNodesLegal, NumNodes == 1 || NumNodes == 2 || NumNodes == 4 || NumNodes == 8)
  `LL_ASSERT_INIT(FwdDepthMin, FwdDepth >= 2)

  localparam int unsigned LogN       = (NumNodes > 1) ? $clog2(NumNodes) : 0;
  localparam int unsigned EntryWidth = DataWidth + 1 + SideWidth;
  localparam int unsigned AW         = IdxWidth + 8;  // command arithmetic (no overflow)
  localparam logic [NodeIdWidth-1:0] NodeMask = NodeIdWidth'(NumNodes - 1);

  typedef enum logic [1:0] {
    StIdle   = 2'd0,
    StGather = 2'd1,
    StReduce = 2'd2,
    StFault  = 2'd3
  } state_e;

  // ------------------------------------------------------------------------------------------
  // Registers
  state_e                  state_q, state_d;
  ring_op_e                op_q, op_d;
  ring_layout_e            layout_q, layout_d;
  logic [BlkLog2Width-1:0] blk_log2_q, blk_log2_d;
  logic [IdxWidth-1:0]     vec_q, vec_d;
  logic [IdxWidth-1:0]     own_len_q, own_len_d;
  logic [IdxWidth-1:0]     rx_exp_q, rx_exp_d;
  logic [TagWidth-1:0]     tag_q, tag_d;
  logic [IdxWidth-1:0]     own_cnt_q, own_cnt_d;
  logic [IdxWidth-1:0]     own_addr_q, own_addr_d;
  logic [IdxWidth-1:0]     own_off_q, own_off_d;
  logic [IdxWidth-1:0]     rx_cnt_q, rx_cnt_d;
  logic [IdxWidth-1:0]     exp_seq_q [MaxNodes];
  logic [IdxWidth-1:0]     exp_seq_d [MaxNodes];
  logic [MaxNodes-1:0]     got_last_q, got_last_d;

  logic                    in_valid_q, in_valid_d;
  logic [DataWidth-1:0]    in_data_q;
  logic                    in_last_q;
  ring_side_t              in_side_q;

  logic                    out_valid_q, out_valid_d;
  logic [DataWidth-1:0]    out_data_q, out_data_d;
  logic                    out_last_q, out_last_d;
  ring_side_t              out_side_q, out_side_d;

  logic                    wr_valid_q, wr_valid_d;
  logic [IdxWidth-1:0]     wr_addr_q, wr_addr_d;
  logic [DataWidth-1:0]    wr_data_q, wr_data_d;

  logic                    best_valid_q, best_valid_d;
  logic [ValueWidth-1:0]   best_value_q, best_value_d;
  logic [ValueWidth-1:0]   best_index_q, best_index_d;
  logic                    red_valid_q, red_valid_d;

  ring_err_e               err_q, err_d;
  logic                    done_q, done_d;
  logic [TimeoutWidth-1:0] wd_cnt_q, wd_cnt_d;

  // ------------------------------------------------------------------------------------------
  // Command decode: this node's slice length and first address
  logic [AW-1:0] c_vec, c_blk, c_nb, c_last_blk, c_lb, c_cnt, c_id;
  logic [AW-1:0] c_own_len, c_own_start, c_end;
  logic          c_owns_last, c_bad;

  always_comb begin
    c_vec       = AW'(cmd_vec_beats_i);
    c_id        = AW'(node_id_i);
    c_blk       = AW'(1) << cmd_block_log2_i;
    c_nb        = (c_vec + c_blk - AW'(1)) >> cmd_block_log2_i;   // blocks in the vector
    c_last_blk  = c_nb - AW'(1);
    c_lb        = c_vec - (c_last_blk << cmd_block_log2_i);        // beats in the last block
    c_owns_last = (c_nb != '0) && ((c_last_blk & AW'(NumNodes - 1)) == c_id);
    c_cnt       = (c_nb > c_id) ? (((c_nb - AW'(1) - c_id) >> LogN) + AW'(1)) : '0;
    if (cmd_layout_i == LayoutStrided) begin
      c_own_len   = (c_cnt << cmd_block_log2_i) - (c_owns_last ? (c_blk - c_lb) : '0);
      c_own_start = c_id << cmd_block_log2_i;
    end else begin
      c_own_len   = AW'(cmd_len_i);
      c_own_start = AW'(cmd_start_i);
    end
    c_end = c_own_start + c_own_len;
    c_bad = (c_id >= AW'(NumNodes));
    if (cmd_op_i == OpGather) begin
      c_bad = c_bad || (c_vec == '0) ||
              ((cmd_layout_i == LayoutContig) && (c_end > c_vec)) ||
              ((NumNodes == 1) && (c_own_len != c_vec));
    end
  end

  // ------------------------------------------------------------------------------------------
  // Forward FIFO
  logic                  fifo_in_valid, fifo_in_ready, fifo_out_valid, fifo_out_ready;
  logic [EntryWidth-1:0] fifo_in_data, fifo_out_data;
  logic                  fifo_full, fifo_empty;
  ring_side_t            fifo_out_side;
  logic                  fifo_out_last;
  logic [DataWidth-1:0]  fifo_out_dat;

  ll_fifo #(
    .Width (EntryWidth),
    .Depth (FwdDepth)
  ) u_fwd_fifo (
    .clk_i,
    .rst_ni,
    .in_valid_i  (fifo_in_valid),
    .in_ready_o  (fifo_in_ready),
    .in_data_i   (fifo_in_data),
    .out_valid_o (fifo_out_valid),
    .out_ready_i (fifo_out_ready),
    .out_data_o  (fifo_out_data),
    /* verilator lint_off PINCONNECTEMPTY */
    .count_o     (),  // fill level not needed: full/empty suffice
    /* verilator lint_on PINCONNECTEMPTY */
    .full_o      (fifo_full),
    .empty_o     (fifo_empty)
  );

  assign {fifo_out_side, fifo_out_last, fifo_out_dat} = fifo_out_data;

  // ------------------------------------------------------------------------------------------
  // Received-beat checks (on the in register)
  logic [NodeIdWidth-1:0] next_id;
  logic                   active, rx_done;
  logic                   in_par_ok, in_foreign, in_hold, in_final, in_check;
  logic [IdxWidth-1:0]    in_exp_seq;
  ring_err_e              in_err;

  assign next_id    = (node_id_i + NodeIdWidth'(1)) & NodeMask;
  assign active     = (state_q == StGather) || (state_q == StReduce);
  assign rx_done    = (rx_cnt_q == rx_exp_q);
  assign in_par_ok  = (ring_parity(in_data_q, in_last_q, in_side_q) == in_side_q.parity);
  assign in_foreign = (in_side_q.tag != tag_q);
  // a beat of the next operation that arrived after this node received everything: kept waiting
  assign in_hold    = in_valid_q && in_par_ok && in_foreign && rx_done;
  assign in_check   = in_valid_q && active && !in_hold;
  assign in_exp_seq = exp_seq_q[in_side_q.src];
  assign in_final   = (in_side_q.src == next_id);  // its circle ends here: not forwarded

  always_comb begin
    if (!in_par_ok) begin
      in_err = ErrParity;
    end else if (in_foreign || (in_side_q.op != op_q)) begin
      in_err = ErrBadOp;
    end else if ((32'(in_side_q.src) >= NumNodes) || (in_side_q.src == node_id_i)) begin
      in_err = ErrBadSrc;
    end else if (in_side_q.seq < in_exp_seq) begin
      in_err = ErrSeqDup;
    end else if (in_side_q.seq > in_exp_seq) begin
      in_err = ErrSeqGap;
    end else if (got_last_q[in_side_q.src]) begin
      in_err = ErrAfterLast;
    end else if (rx_done) begin
      in_err = ErrRxOverflow;
    end else if ((op_q == OpGather) && (in_side_q.addr >= vec_q)) begin
      in_err = ErrBadAddr;
    end else begin
      in_err = ErrNone;
    end
  end

  // ------------------------------------------------------------------------------------------
  // Handshakes
  logic out_free, wr_free, in_ok, in_accept, in_wr, in_take, in_bad, in_fwd, in_bypass;
  logic own_pending, own_slot, own_hs, own_last_exp, own_err;
  logic pair_hs, ring_in_hs, ring_out_hs, wr_hs, cmd_hs;

  assign out_free = !out_valid_q || ring_out_ready_i;
  assign wr_free  = !wr_valid_q || wr_ready_i;
  assign in_ok    = in_check && (in_err == ErrNone);
  assign in_bad   = in_check && (in_err != ErrNone);
  assign in_accept = in_ok && (in_final || !fifo_full) && ((op_q != OpGather) || wr_free);
  assign in_wr    = in_accept && (op_q == OpGather);
  assign in_take  = (state_q == StFault) ? in_valid_q : (in_accept || in_bad);
  // A beat to forward goes straight to the out register when the FIFO is empty and the out
  // register is free, else into the FIFO (whose room, not out_free, decides acceptance: no
  // combinational path from ring_out_ready_i to ring_in_ready_o, so none around the ring).
  assign in_fwd    = in_accept && !in_final;
  assign in_bypass = in_fwd && fifo_empty && out_free;

  // An own beat or pair enters the ring only when the forward FIFO is empty (bubble rule).
  assign own_slot     = (NumNodes == 1) || (out_free && fifo_empty && !in_bypass);
  assign own_pending  = (state_q == StGather) && (own_cnt_q != own_len_q);
  assign own_ready_o  = (state_q == StFault) ||
                        (own_pending && own_slot && wr_free && !in_wr);
  assign own_hs       = own_valid_i && own_ready_o && (state_q == StGather);
  assign own_last_exp = (own_cnt_q == own_len_q - IdxWidth'(1));
  assign own_err      = own_hs && (own_last_i != own_last_exp);

  assign pair_ready_o = (state_q == StFault) ||
                        ((state_q == StReduce) && (own_cnt_q == '0) && own_slot);
  assign pair_hs      = pair_valid_i && pair_ready_o && (state_q == StReduce);

  assign ring_in_ready_o = !in_valid_q || in_take;
  assign ring_in_hs      = ring_in_valid_i && ring_in_ready_o;
  assign ring_out_hs     = out_valid_q && ring_out_ready_i;
  assign wr_hs           = wr_valid_q && wr_ready_i;
  assign cmd_ready_o     = (state_q == StIdle) && (err_q == ErrNone) && fifo_empty;
  assign cmd_hs          = cmd_valid_i && cmd_ready_o;

  assign fifo_in_valid  = in_fwd && !in_bypass;
  assign fifo_in_data   = {in_side_q, in_last_q, in_data_q};
  assign fifo_out_ready = (state_q == StFault) || out_free;

  // ------------------------------------------------------------------------------------------
  // Own beat and pair as ring beats
  ring_side_t             own_side, pair_side;
  logic [DataWidth-1:0]   pair_data;
  logic [IdxWidth-1:0]    blk_last_off;

  assign blk_last_off = (IdxWidth'(1) << blk_log2_q) - IdxWidth'(1);

  always_comb begin
    own_side        = '0;
    own_side.src    = node_id_i;
    own_side.tag    = tag_q;
    own_side.op     = OpGather;
    own_side.seq    = own_cnt_q;
    own_side.addr   = own_addr_q;
    own_side.parity = ring_parity(own_data_i, own_last_exp, own_side);

    pair_data        = '0;
    pair_data[ValueWidth-1:0]            = pair_value_i;
    pair_data[2*ValueWidth-1:ValueWidth] = pair_index_i;
    pair_side        = '0;
    pair_side.src    = node_id_i;
    pair_side.tag    = tag_q;
    pair_side.op     = OpArgmax;
    pair_side.parity = ring_parity(pair_data, 1'b1, pair_side);
  end

  // Argmax merge (shared rule ll_argmax_pkg::take_b: larger value wins, a tie goes to the lower
  // index): running best + own pair, then + received pair.
  logic                  m1_valid, m2_valid, in_pair_valid;
  logic [ValueWidth-1:0] m1_value, m1_index, m2_value, m2_index;

  assign in_pair_valid = in_accept && (op_q == OpArgmax);

  ll_argmax_reduce #(
    .ValBits (ValueWidth),
    .IdxBits (ValueWidth)
  ) u_merge_own (
    .a_valid_i (best_valid_q),
    .a_val_i   (best_value_q),
    .a_idx_i   (best_index_q),
    .b_valid_i (pair_hs),
    .b_val_i   (pair_value_i),
    .b_idx_i   (pair_index_i),
    .valid_o   (m1_valid),
    .val_o     (m1_value),
    .idx_o     (m1_index)
  );

  ll_argmax_reduce #(
    .ValBits (ValueWidth),
    .IdxBits (ValueWidth)
  ) u_merge_in (
    .a_valid_i (m1_valid),
    .a_val_i   (m1_value),
    .a_idx_i   (m1_index),
    .b_valid_i (in_pair_valid),
    .b_val_i   (in_data_q[ValueWidth-1:0]),
    .b_idx_i   (in_data_q[2*ValueWidth-1:ValueWidth]),
    .valid_o   (m2_valid),
    .val_o     (m2_value),
    .idx_o     (m2_index)
  );

  // ------------------------------------------------------------------------------------------
  // Next state
  logic           gather_done, reduce_done, drained, missing_last, wd_on, wd_fire, progress;
  ring_err_e      err_new;

  assign drained = fifo_empty && !out_valid_q && !wr_valid_q && (!in_valid_q || in_hold);
  assign gather_done = (state_q == StGather) && (own_cnt_q == own_len_q) && rx_done && drained;
  assign reduce_done = (state_q == StReduce) && (own_cnt_q != '0) && rx_done && drained;

  always_comb begin
    missing_last = 1'b0;
    for (int unsigned s = 0; s < NumNodes; s++) begin
      if ((NodeIdWidth'(s) != node_id_i) && (exp_seq_q[s] != '0) && !got_last_q[s]) begin
        missing_last = 1'b1;
      end
    end
  end

  assign progress = ring_in_hs || ring_out_hs || own_hs || pair_hs || wr_hs || cmd_hs;
  assign wd_on    = (timeout_i != '0) && (active || ((state_q == StIdle) && in_valid_q));
  assign wd_fire  = wd_on && !progress && (wd_cnt_q == timeout_i - TimeoutWidth'(1));

  always_comb begin
    err_new = ErrNone;
    if (active) begin
      if (in_bad) begin
        err_new = in_err;
      end else if (own_err) begin
        err_new = ErrLocalLast;
      end else if ((gather_done || reduce_done) && missing_last) begin
        err_new = ErrMissingLast;
      end else if (wd_fire) begin
        err_new = ErrTimeout;
      end
    end else if (state_q == StIdle && wd_fire) begin
      err_new = ErrIdleBeat;
    end
  end

  always_comb begin
    state_d      = state_q;
    op_d         = op_q;
    layout_d     = layout_q;
    blk_log2_d   = blk_log2_q;
    vec_d        = vec_q;
    own_len_d    = own_len_q;
    rx_exp_d     = rx_exp_q;
    tag_d        = tag_q;
    own_cnt_d    = own_cnt_q;
    own_addr_d   = own_addr_q;
    own_off_d    = own_off_q;
    rx_cnt_d     = rx_cnt_q;
    exp_seq_d    = exp_seq_q;
    got_last_d   = got_last_q;
    best_valid_d = best_valid_q;
    best_value_d = best_value_q;
    best_index_d = best_index_q;
    red_valid_d  = red_valid_q;
    err_d        = err_q;
    done_d       = 1'b0;
    wd_cnt_d     = (!wd_on || progress) ? '0 : wd_cnt_q + TimeoutWidth'(1);

    // in register
    in_valid_d = in_valid_q && !in_take;
    if (ring_in_hs) begin
      in_valid_d = 1'b1;
    end

    // out register: forwarded beats first, then own beat or pair
    out_valid_d = out_valid_q && !ring_out_ready_i;
    out_data_d  = out_data_q;
    out_last_d  = out_last_q;
    out_side_d  = out_side_q;
    if (state_q != StFault && out_free && fifo_out_valid) begin
      out_valid_d = 1'b1;
      out_data_d  = fifo_out_dat;
      out_last_d  = fifo_out_last;
      out_side_d  = fifo_out_side;
    end else if (in_bypass) begin
      out_valid_d = 1'b1;
      out_data_d  = in_data_q;
      out_last_d  = in_last_q;
      out_side_d  = in_side_q;
    end else if (own_hs && (NumNodes > 1)) begin
      out_valid_d = 1'b1;
      out_data_d  = own_data_i;
      out_last_d  = own_last_exp;
      out_side_d  = own_side;
    end else if (pair_hs && (NumNodes > 1)) begin
      out_valid_d = 1'b1;
      out_data_d  = pair_data;
      out_last_d  = 1'b1;
      out_side_d  = pair_side;
    end

    // write register: received beats first, then own beats
    wr_valid_d = wr_valid_q && !wr_ready_i;
    wr_addr_d  = wr_addr_q;
    wr_data_d  = wr_data_q;
    if (in_wr) begin
      wr_valid_d = 1'b1;
      wr_addr_d  = in_side_q.addr;
      wr_data_d  = in_data_q;
    end else if (own_hs) begin
      wr_valid_d = 1'b1;
      wr_addr_d  = own_addr_q;
      wr_data_d  = own_data_i;
    end

    // own slice bookkeeping
    if (own_hs) begin
      own_cnt_d = own_cnt_q + IdxWidth'(1);
      if ((layout_q == LayoutStrided) && (own_off_q == blk_last_off)) begin
        own_addr_d = own_addr_q + (IdxWidth'(NumNodes - 1) << blk_log2_q) + IdxWidth'(1);
        own_off_d  = '0;
      end else begin
        own_addr_d = own_addr_q + IdxWidth'(1);
        own_off_d  = own_off_q + IdxWidth'(1);
      end
    end

    // argmax: the own pair and a received pair merged into the running best
    if (pair_hs) begin
      own_cnt_d = IdxWidth'(1);
    end
    if (pair_hs || in_pair_valid) begin
      best_valid_d = m2_valid;
      best_value_d = m2_value;
      best_index_d = m2_index;
    end

    // received-beat bookkeeping
    if (in_accept) begin
      rx_cnt_d = rx_cnt_q + IdxWidth'(1);
      exp_seq_d[in_side_q.src] = in_exp_seq + IdxWidth'(1);
      if (in_last_q) begin
        got_last_d[in_side_q.src] = 1'b1;
      end
    end

    // operation control
    unique case (state_q)  // all four encodings named: no default
      StIdle: begin
        if (err_new != ErrNone) begin
          err_d   = err_new;
          state_d = StFault;
        end else if (cmd_hs) begin
          tag_d        = tag_q + TagWidth'(1);
          op_d         = cmd_op_i;
          layout_d     = cmd_layout_i;
          blk_log2_d   = cmd_block_log2_i;
          vec_d        = cmd_vec_beats_i;
          own_cnt_d    = '0;
          own_off_d    = '0;
          rx_cnt_d     = '0;
          got_last_d   = '0;
          best_valid_d = 1'b0;
          red_valid_d  = 1'b0;
          for (int unsigned s = 0; s < MaxNodes; s++) begin
            exp_seq_d[s] = '0;
          end
          own_addr_d = IdxWidth'(c_own_start);
          if (cmd_op_i == OpGather) begin
            own_len_d = IdxWidth'(c_own_len);
            rx_exp_d  = IdxWidth'(c_vec - c_own_len);
          end else begin
            own_len_d = IdxWidth'(1);
            rx_exp_d  = IdxWidth'(NumNodes - 1);
          end
          if (c_bad) begin
            err_d   = ErrBadCmd;
            state_d = StFault;
            done_d  = 1'b1;
          end else begin
            state_d = (cmd_op_i == OpGather) ? StGather : StReduce;
          end
        end
      end
      StGather, StReduce: begin
        if (err_new != ErrNone) begin
          err_d   = err_new;
          state_d = StFault;
          done_d  = 1'b1;
        end else if (gather_done || reduce_done) begin
          state_d     = StIdle;
          done_d      = 1'b1;
          red_valid_d = reduce_done;
        end
      end
      StFault: begin
        if (clear_i) begin
          err_d   = ErrNone;
          state_d = StIdle;
        end
      end
    endcase
  end

  // ------------------------------------------------------------------------------------------
  // Flops
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q      <= StIdle;
      op_q         <= OpGather;
      layout_q     <= LayoutContig;
      blk_log2_q   <= '0;
      vec_q        <= '0;
      own_len_q    <= '0;
      rx_exp_q     <= '0;
      tag_q        <= '0;
      own_cnt_q    <= '0;
      own_addr_q   <= '0;
      own_off_q    <= '0;
      rx_cnt_q     <= '0;
      got_last_q   <= '0;
      in_valid_q   <= 1'b0;
      out_valid_q  <= 1'b0;
      wr_valid_q   <= 1'b0;
      best_valid_q <= 1'b0;
      best_value_q <= '0;
      best_index_q <= '0;
      red_valid_q  <= 1'b0;
      err_q        <= ErrNone;
      done_q       <= 1'b0;
      wd_cnt_q     <= '0;
      for (int unsigned s = 0; s < MaxNodes; s++) begin
        exp_seq_q[s] <= '0;
      end
    end else begin
      state_q      <= state_d;
      op_q         <= op_d;
      layout_q     <= layout_d;
      blk_log2_q   <= blk_log2_d;
      vec_q        <= vec_d;
      own_len_q    <= own_len_d;
      rx_exp_q     <= rx_exp_d;
      tag_q        <= tag_d;
      own_cnt_q    <= own_cnt_d;
      own_addr_q   <= own_addr_d;
      own_off_q    <= own_off_d;
      rx_cnt_q     <= rx_cnt_d;
      got_last_q   <= got_last_d;
      in_valid_q   <= in_valid_d;
      out_valid_q  <= out_valid_d;
      wr_valid_q   <= wr_valid_d;
      best_valid_q <= best_valid_d;
      best_value_q <= best_value_d;
      best_index_q <= best_index_d;
      red_valid_q  <= red_valid_d;
      err_q        <= err_d;
      done_q       <= done_d;
      wd_cnt_q     <= wd_cnt_d;
      exp_seq_q    <= exp_seq_d;
    end
  end

  // Datapath registers: no reset.
  always_ff @(posedge clk_i) begin
    if (ring_in_hs) begin
      in_data_q <= ring_in_data_i;
      in_last_q <= ring_in_last_i;
      in_side_q <= ring_in_side_i;
    end
    out_data_q <= out_data_d;
    out_last_q <= out_last_d;
    out_side_q <= out_side_d;
    wr_addr_q  <= wr_addr_d;
    wr_data_q  <= wr_data_d;
  end

  // ------------------------------------------------------------------------------------------
  // Outputs
  assign busy_o           = active;
  assign done_o           = done_q;
  assign error_o          = err_q;
  assign red_valid_o      = red_valid_q;
  assign red_value_o      = best_value_q;
  assign red_index_o      = best_index_q;
  assign wr_valid_o       = wr_valid_q;
  assign wr_addr_o        = wr_addr_q;
  assign wr_data_o        = wr_data_q;
  assign ring_out_valid_o = out_valid_q;
  assign ring_out_data_o  = out_data_q;
  assign ring_out_last_o  = out_last_q;
  assign ring_out_side_o  = out_side_q;

  // ------------------------------------------------------------------------------------------
  // Assertions
  `LL_ASSERT_STREAM(RingOutStable, ring_out_valid_o, ring_out_ready_i,
                    {ring_out_data_o, ring_out_last_o, ring_out_side_o})
  `LL_ASSERT_STREAM(WrStable, wr_valid_o, wr_ready_i, {wr_addr_o, wr_data_o})
  `LL_ASSERT(FifoNoOverflow, !(fifo_in_valid && !fifo_in_ready))
  `LL_ASSERT(OwnCountInRange, own_cnt_q <= own_len_q)
  `LL_ASSERT(RxCountInRange, rx_cnt_q <= rx_exp_q)
  `LL_ASSERT(OneWriterPerCycle, !(in_wr && own_hs))
  `LL_ASSERT(OneOutLoadPerCycle, !(own_hs && pair_hs) && !(in_bypass && (own_hs || pair_hs)))
  `LL_ASSERT(BypassOnlyWhenFifoEmpty, !in_bypass || (fifo_empty && out_free))
  `LL_ASSERT(SingleNodeNoRingTraffic, (NumNodes != 1) || !ring_out_valid_o)
  `LL_ASSERT(ErrorMeansNotBusy, (err_q == ErrNone) || !busy_o)
  `LL_ASSERT(FaultStateHasError, (state_q != StFault) || (err_q != ErrNone))
  `LL_ASSERT(OwnBeatNeedsRoom, !(own_hs || pair_hs) || (NumNodes == 1) || (fifo_empty && out_free))
  `LL_ASSERT_NEXT(ErrorSticky, (err_q != ErrNone) && !clear_i, err_q == $past(err_q))

endmodule
