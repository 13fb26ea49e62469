// MP: the fused matrix-processing kernel (docs/mp.md). y = epilogue(W x + bias) for one int8 matrix
// W [rows, d_in] streamed from NumPe AXI4 read ports and one int8 vector x from an on-chip buffer.
//
// - Output row j lives on port/PE j % NumPe as local row j / NumPe. Every port holds the same number
//   of local rows, rows_pp = ceil(rows / NumPe) (the packer pads with zero rows), so the PEs run in
//   lockstep: one beat is popped from every port's prefetch FIFO in the same cycle, and one
//   activation beat, read once from the buffer, is broadcast to all PEs.
// - A port's stream (refmodel/mp_layout.py): for every group of G = Lanes/8 local rows one parameter
//   beat (G x {int32 bias, rq word}) then the G rows, each din_beats weight beats (d_in zero-padded).
// - Pipeline after the pop (never stalls): ActLatency cycles activation read, 3 cycles dot product,
//   the accumulate (into the first epilogue register), 8 epilogue, then the output FIFO. A row's
//   last beat is only popped when the output FIFO has a slot reserved for its result (credit
//   counter), so output back-pressure stalls the pops and never overflows anything.
// - Output: one beat per local row i: NumPe results (rows i*NumPe + p, 32-bit containers), a mask
//   of the rows that exist (< rows), and last on the final beat.
// - Errors (err_o, sticky until the next start): 1 illegal descriptor (nothing is read), 2 SLVERR,
//   3 DECERR on any port; an AXI error aborts the matrix: in-flight results and the output FIFO are
//   discarded, the ports drain their outstanding bursts, then done_o pulses.
// - Two-phase start: start_i launches the matrix and the ports start streaming weights into their
//   prefetch FIFOs at once; the dot products (activation buffer reads, i.e. the pops) only begin once
//   go_i has been seen (in the start cycle or any later one). Until then each port requests at most
//   PrefetchBeats beats (enough to hide the memory latency; the rest of a shared channel's bandwidth is
//   left to the other masters), then the full FIFO depth. With go_i tied high the kernel behaves as
//   a one-phase kernel. abort_i (a soft reset request) aborts a busy matrix like an AXI error, without
//   an error code: ports drained, results discarded, done_o.
module ll_mp #(
  parameter int unsigned NumPe       = 8,
  parameter int unsigned Lanes       = 32,
  parameter int unsigned AddrBits    = 32,
  parameter int unsigned BurstLen    = 16,
  parameter int unsigned FifoDepth   = 128,
  parameter int unsigned OutDepth    = 32,
  parameter int unsigned ActLatency  = 1,
  parameter int unsigned ActAddrBits = 10,
  parameter int unsigned RowBits     = 16,
  parameter int unsigned PrefetchBeats = 2 * BurstLen,   // beats per port requested before go
  localparam int unsigned DataBits   = Lanes * 8,
  localparam int unsigned DinBits    = 13
) (
  input  logic                                 clk_i,
  input  logic                                 rst_ni,
  // command / descriptor (sampled with start_i)
  input  logic                                 start_i,
  input  logic                                 go_i,       // the activation vector is complete
  input  logic                                 abort_i,    // abort a busy matrix (no error code)
  input  logic [NumPe-1:0][AddrBits-1:0]       base_i,
  input  logic [RowBits-1:0]                   rows_i,
  input  logic [DinBits-1:0]                   din_beats_i,
  input  logic [1:0]                           mode_i,
  input  logic [ll_pkg::MBits-1:0]             gelu_m_i,
  input  logic [ll_pkg::SBits-1:0]             gelu_s_i,
  input  logic [ActAddrBits-1:0]               act_base_i,
  output logic                                 busy_o,
  output logic                                 done_o,
  output logic [1:0]                           err_o,
  // activation buffer read port (fixed latency ActLatency)
  output logic                                 act_req_o,
  output logic [ActAddrBits-1:0]               act_addr_o,
  input  logic [DataBits-1:0]                  act_data_i,
  // AXI4 read masters, one per PE
  output logic [NumPe-1:0][AddrBits-1:0]       araddr_o,
  output logic [NumPe-1:0][7:0]                arlen_o,
  output logic [NumPe-1:0][2:0]                arsize_o,
  output logic [NumPe-1:0][1:0]                arburst_o,
  output logic [NumPe-1:0]                     arvalid_o,
  input  logic [NumPe-1:0]                     arready_i,
  input  logic [NumPe-1:0][DataBits-1:0]       rdata_i,
  input  logic [NumPe-1:0][1:0]                rresp_i,
  input  logic [NumPe-1:0]                     rlast_i,
  input  logic [NumPe-1:0]                     rvalid_i,
  output logic [NumPe-1:0]                     rready_o,
  // results
  output logic                                 out_valid_o,
  input  logic                                 out_ready_i,
  output logic [RowBits-1:0]                   out_row_o,
  output logic [NumPe-1:0][31:0]               out_data_o,
  output logic [NumPe-1:0]                     out_mask_o,
  output logic                                 out_last_o
);

  `include "ll_assert.svh"

  localparam int unsigned G          = Lanes / 8;               // rows per parameter beat
  localparam int unsigned GBits      = (G > 1) ? $clog2(G) : 1;
  localparam int unsigned PeLog2     = $clog2(NumPe);
  localparam int unsigned GLog2      = $clog2(G);
  localparam int unsigned SizeLog2   = $clog2(Lanes);
  localparam int unsigned MaxDin     = 4096 / Lanes;            // d_in <= 4096
  localparam int unsigned BeatCntBits = 32;
  localparam int unsigned OutCntBits = $clog2(OutDepth + 1) + 1;
  localparam int unsigned AccStage   = ActLatency + 3;          // pop -> accumulate
  localparam int unsigned EpiLatency = 8;
  localparam int unsigned OutWidth   = RowBits + 1 + NumPe + NumPe * 32;

  localparam logic [1:0] ErrNone = 2'd0, ErrDesc = 2'd1;

  `LL_ASSERT_INIT(NumPePow2, NumPe >= 2 && (1 << PeLog2) == NumPe)
  `LL_ASSERT_INIT(LanesPow2, Lanes >= 8 && Lanes <= 128 && (1 << SizeLog2) == Lanes)
  `LL_ASSERT_INIT(ActLatencyMin, ActLatency >= 1)
  `LL_ASSERT_INIT(OutDepthMin, OutDepth >= 2)

  typedef enum logic [1:0] {StIdle, StRun, StDrain, StAbort} state_e;

  // ------------------------------------------------------------------ descriptor check and launch
  logic [RowBits-1:0]     rows_pp_in;
  logic [RowBits-1:0]     groups_in;
  logic [BeatCntBits-1:0] nbeats_in;
  logic                   desc_ok;
  logic                   launch;
  logic                   go_q;           // go_i seen for the current matrix

  always_comb begin
    rows_pp_in = RowBits'(({1'b0, rows_i} + (RowBits + 1)'(NumPe - 1)) >> PeLog2);
    groups_in  = RowBits'(({1'b0, rows_pp_in} + (RowBits + 1)'(G - 1)) >> GLog2);
    nbeats_in  = BeatCntBits'(groups_in) + BeatCntBits'(rows_pp_in) * BeatCntBits'(din_beats_i);
    desc_ok    = (rows_i != '0) && (din_beats_i != '0) && (din_beats_i <= DinBits'(MaxDin))
                 && (mode_i != 2'd3)
                 && ({1'b0, act_base_i} + (ActAddrBits + 1)'(din_beats_i)
                     <= (ActAddrBits + 1)'(1 << ActAddrBits));
    for (int p = 0; p < NumPe; p++) begin
      if (base_i[p][SizeLog2-1:0] != '0) desc_ok = 1'b0;
    end
  end

  state_e                 state_q;
  logic [RowBits-1:0]     rows_q, rows_pp_q;
  logic [DinBits-1:0]     din_q;
  logic [1:0]             mode_q;
  logic [ll_pkg::MBits-1:0] gm_q;
  logic [ll_pkg::SBits-1:0] gs_q;
  logic [ActAddrBits-1:0] act_base_q;
  logic [1:0]             err_q;
  logic                   done_q;

  assign launch = (state_q == StIdle) && start_i && desc_ok;

  // ------------------------------------------------------------------ read ports
  logic [NumPe-1:0]                beat_valid;
  logic [NumPe-1:0][DataBits-1:0]  beat_data;
  logic [NumPe-1:0]                port_idle, port_err;
  logic [NumPe-1:0][1:0]           port_resp;
  logic                            pop;
  logic                            flush;

  for (genvar p = 0; p < NumPe; p++) begin : g_port
    ll_mp_rd_port #(
      .AddrBits(AddrBits), .DataBits(DataBits), .BurstLen(BurstLen), .FifoDepth(FifoDepth),
      .BeatCntBits(BeatCntBits), .HoldBeats(PrefetchBeats)
    ) u_port (
      .clk_i, .rst_ni,
      .start_i     (launch),
      .base_i      (base_i[p]),
      .nbeats_i    (nbeats_in),
      .flush_i     (flush),
      .hold_i      (!go_q),
      .idle_o      (port_idle[p]),
      .err_o       (port_err[p]),
      .err_resp_o  (port_resp[p]),
      .araddr_o    (araddr_o[p]),
      .arlen_o     (arlen_o[p]),
      .arsize_o    (arsize_o[p]),
      .arburst_o   (arburst_o[p]),
      .arvalid_o   (arvalid_o[p]),
      .arready_i   (arready_i[p]),
      .rdata_i     (rdata_i[p]),
      .rresp_i     (rresp_i[p]),
      .rlast_i     (rlast_i[p]),
      .rvalid_i    (rvalid_i[p]),
      .rready_o    (rready_o[p]),
      .beat_valid_o(beat_valid[p]),
      .beat_pop_i  (pop),
      .beat_data_o (beat_data[p])
    );
  end

  // ------------------------------------------------------------------ stream position counters
  logic               param_next_q;   // the next beat of every port is a parameter beat
  logic [DinBits-1:0] k_q;            // weight beat inside the row
  logic [RowBits-1:0] i_q;            // local row
  logic [GBits-1:0]   rig_q;          // row inside its parameter group
  logic               row_last_beat;
  logic               last_row;
  logic [OutCntBits-1:0] credit_q;    // output FIFO slots not yet reserved
  logic               out_hs;
  logic               any_err;

  assign row_last_beat = !param_next_q && (k_q == din_q - 1'b1);
  assign last_row      = (i_q == rows_pp_q - 1'b1);
  assign any_err       = |port_err;
  assign pop = (state_q == StRun) && go_q && !any_err && (&beat_valid)
               && (!row_last_beat || credit_q != '0);
  assign flush = (state_q == StAbort);

  // parameter beats: kept per PE until the next one
  logic [NumPe-1:0][DataBits-1:0] param_q;
  always_ff @(posedge clk_i) begin
    if (pop && param_next_q) param_q <= beat_data;
  end

  // ------------------------------------------------------------------ control
  logic pipe_busy;
  logic epi_push;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q      <= StIdle;
      rows_q       <= '0;
      rows_pp_q    <= '0;
      din_q        <= '0;
      mode_q       <= '0;
      gm_q         <= '0;
      gs_q         <= '0;
      act_base_q   <= '0;
      err_q        <= ErrNone;
      done_q       <= 1'b0;
      param_next_q <= 1'b1;
      k_q          <= '0;
      i_q          <= '0;
      rig_q        <= '0;
      credit_q     <= OutCntBits'(OutDepth);
      go_q         <= 1'b0;
    end else begin
      done_q <= 1'b0;
      if (launch) go_q <= go_i;
      else if (go_i) go_q <= 1'b1;
      credit_q <= credit_q - OutCntBits'(pop && row_last_beat) + OutCntBits'(out_hs);
      unique case (state_q)
        StIdle: begin
          if (start_i) begin
            err_q <= desc_ok ? ErrNone : ErrDesc;
            if (desc_ok) begin
              state_q      <= StRun;
              rows_q       <= rows_i;
              rows_pp_q    <= rows_pp_in;
              din_q        <= din_beats_i;
              mode_q       <= mode_i;
              gm_q         <= gelu_m_i;
              gs_q         <= gelu_s_i;
              act_base_q   <= act_base_i;
              param_next_q <= 1'b1;
              k_q          <= '0;
              i_q          <= '0;
              rig_q        <= '0;
            end else begin
              done_q <= 1'b1;
            end
          end
        end
        StRun: begin
          if (any_err || abort_i) begin
            state_q <= StAbort;
          end else if (pop) begin
            if (param_next_q) begin
              param_next_q <= 1'b0;
            end else if (row_last_beat) begin
              k_q   <= '0;
              i_q   <= i_q + 1'b1;
              rig_q <= (G == 1) ? '0 : rig_q + 1'b1;
              param_next_q <= (G == 1) || (rig_q == GBits'(G - 1));
              if (last_row) state_q <= StDrain;
            end else begin
              k_q <= k_q + 1'b1;
            end
          end
        end
        StDrain: begin
          if (abort_i) begin
            state_q <= StAbort;
          end else if (!pipe_busy && !out_valid_o && (&port_idle)) begin
            state_q <= StIdle;
            done_q  <= 1'b1;
          end
        end
        StAbort: begin
          if (&port_idle) begin
            state_q <= StIdle;
            done_q  <= 1'b1;
            credit_q <= OutCntBits'(OutDepth);
          end
        end
      endcase
      // first AXI error of the matrix (lowest port index wins if several report at once)
      if (state_q == StRun && any_err) begin
        for (int p = NumPe - 1; p >= 0; p--) begin
          if (port_err[p]) err_q <= port_resp[p];
        end
      end
    end
  end

  assign busy_o = (state_q != StIdle);
  assign done_o = done_q;
  assign err_o  = err_q;

  // ------------------------------------------------------------------ activation read
  assign act_req_o  = pop && !param_next_q;
  assign act_addr_o = act_base_q + ActAddrBits'(k_q);

  // ------------------------------------------------------------------ pipeline tags (shared)
  typedef struct packed {
    logic               first;
    logic               last;
    logic [RowBits-1:0] row;
  } tag_t;

  logic [AccStage+EpiLatency:0] v_q;   // v_q[s]: valid in stage s (s = 0: the popped beat)
  tag_t                         tag_q [AccStage+EpiLatency+1];
  tag_t                         tag0;
  logic                         kill;

  assign kill = (state_q == StAbort);
  assign tag0 = '{first: (k_q == '0), last: row_last_beat, row: i_q};

  always_ff @(posedge clk_i) begin
    if (!rst_ni || kill) v_q <= '0;
    else v_q <= {v_q[AccStage+EpiLatency-1:0], act_req_o};
  end
  always_ff @(posedge clk_i) begin
    tag_q[0] <= tag0;
    for (int s = 1; s <= AccStage + EpiLatency; s++) tag_q[s] <= tag_q[s-1];
  end
  // v_q[s-1]/tag_q[s-1] describe the beat that is s cycles past its pop.
  assign pipe_busy = |v_q;

  // ------------------------------------------------------------------ processing elements
  logic                          acc_fire;   // a row's sum is complete at the accumulate stage
  logic [NumPe-1:0][31:0]        pe_y;

  assign acc_fire = v_q[AccStage-1] && tag_q[AccStage-1].last;

  for (genvar p = 0; p < NumPe; p++) begin : g_pe
    // per-row parameters selected at the pop: {rq word, bias}
    logic [63:0] prm0;
    logic [63:0] prm_q [AccStage];
    logic [DataBits-1:0] w_q [ActLatency];
    logic signed [31:0] dot;
    logic signed [31:0] acc_q, acc_sum;
    ll_pkg::rq_word_t   rq;

    assign prm0 = param_q[p][64 * rig_q +: 64];

    always_ff @(posedge clk_i) begin
      prm_q[0] <= prm0;
      for (int s = 1; s < AccStage; s++) prm_q[s] <= prm_q[s-1];
      w_q[0] <= beat_data[p];
      for (int s = 1; s < ActLatency; s++) w_q[s] <= w_q[s-1];
    end

    ll_mp_dot #(.Lanes(Lanes)) u_dot (
      .clk_i,
      .w_i  (w_q[ActLatency-1]),
      .x_i  (act_data_i),
      .dot_o(dot)
    );

    // accumulate stage: the bias is the initial value of every row
    assign acc_sum = (tag_q[AccStage-1].first ? $signed(prm_q[AccStage-1][31:0]) : acc_q) + dot;
    always_ff @(posedge clk_i) begin
      if (v_q[AccStage-1]) acc_q <= acc_sum;
    end
    assign rq = prm_q[AccStage-1][63:32];

    ll_mp_epilogue u_epi (
      .clk_i, .rst_ni,
      .mode_i  (mode_q),
      .gelu_m_i(gm_q),
      .gelu_s_i(gs_q),
      .acc_i   (acc_sum),
      .m_i     (rq.m),
      .s_i     (rq.s),
      .y_o     (pe_y[p])
    );

    logic unused_rq;
    assign unused_rq = ^{rq.rsvd, rq.rsvd_m};
  end

  // ------------------------------------------------------------------ output FIFO
  localparam int unsigned OutStage = AccStage + EpiLatency;  // v_q index of a finished result
  logic [NumPe-1:0] mask;
  logic [RowBits-1:0] orow;
  logic             olast;
  logic [OutWidth-1:0] out_word;
  logic             of_ready, of_rst_n;
  logic [$clog2(OutDepth + 1)-1:0] of_count;
  logic             of_full, of_empty;

  assign epi_push = v_q[OutStage-1] && tag_q[OutStage-1].last;
  assign orow     = tag_q[OutStage-1].row;
  assign olast    = (orow == rows_pp_q - 1'b1);
  always_comb begin
    for (int p = 0; p < NumPe; p++) begin
      mask[p] = ({orow, PeLog2'(0)} | (RowBits + PeLog2)'(p)) < (RowBits + PeLog2)'(rows_q);
    end
  end

  assign of_rst_n = rst_ni && !kill;
  ll_fifo #(.Width(OutWidth), .Depth(OutDepth)) u_out_fifo (
    .clk_i,
    .rst_ni     (of_rst_n),
    .in_valid_i (epi_push),
    .in_ready_o (of_ready),
    .in_data_i  ({orow, olast, mask, pe_y}),
    .out_valid_o(out_valid_o),
    .out_ready_i(out_ready_i),
    .out_data_o (out_word),
    .count_o    (of_count),
    .full_o     (of_full),
    .empty_o    (of_empty)
  );
  assign {out_row_o, out_last_o, out_mask_o, out_data_o} = out_word;
  assign out_hs = out_valid_o && out_ready_i;

  logic unused;
  assign unused = ^{of_count, of_full, of_empty, rlast_i, acc_fire};

  `LL_ASSERT(OutCreditNoOverflow, !(epi_push && !of_ready))
  `LL_ASSERT(CreditInRange, credit_q <= OutCntBits'(OutDepth))
  `LL_ASSERT(PopOnlyWhenAllValid, !pop || (&beat_valid))

endmodule
