// AXI4 read-channel interconnect: NumMasters masters -> one slave (docs/node_glue.md).
//
// - AR: round-robin arbitration per burst among the masters with arvalid high. The AR channel is a
//   zero-latency pass-through (s_ar* = the granted master's ar*, m_arready_o = s_arready_i for the
//   granted master): combinational paths m_arvalid_i -> s_arvalid_o and s_arready_i -> m_arready_o.
//   Once s_arvalid_o is high the grant is locked until the handshake, so s_ar* stay stable even if
//   another master raises arvalid meanwhile (AXI rule). After a grant the round-robin pointer moves
//   past the granted master: a waiting master sees at most NumMasters-1 other grants (asserted).
// - The slave returns R beats in AR order (single ID, in-order). Each granted master index is pushed
//   into an in-order FIFO of MaxOutstanding entries (the bound on outstanding bursts: AR is held
//   while it is full); R beats go to the master at its head, which is popped on the rlast beat.
//   R is a pass-through too (s_r* -> m_r*, m_rready_i[head] -> s_rready_o): no added latency, and
//   back-to-back bursts of different masters follow each other with no bubble.
// - A master that withholds rready stalls the R channel for everyone behind it (in-order AXI).
// - The slave's ID fields are not used (tie arid to 0, ignore rid).
// - Assertions: slave AR stable while waiting, grant one-hot, FIFO never overflows, an R beat only
//   when the FIFO is non-empty, round-robin fairness bound, masters obey the AR stability rule.
module ll_axi_rd_mux #(
  parameter int unsigned NumMasters     = 2,
  parameter int unsigned AddrBits       = 32,
  parameter int unsigned DataBits       = 256,
  parameter int unsigned MaxOutstanding = 8,
  localparam int unsigned IdxBits = (NumMasters > 1) ? $clog2(NumMasters) : 1
) (
  input  logic                                  clk_i,
  input  logic                                  rst_ni,
  // masters (one AXI4 read interface each)
  input  logic [NumMasters-1:0][AddrBits-1:0]   m_araddr_i,
  input  logic [NumMasters-1:0][7:0]            m_arlen_i,
  input  logic [NumMasters-1:0][2:0]            m_arsize_i,
  input  logic [NumMasters-1:0][1:0]            m_arburst_i,
  input  logic [NumMasters-1:0]                 m_arvalid_i,
  output logic [NumMasters-1:0]                 m_arready_o,
  output logic [DataBits-1:0]                   m_rdata_o,   // shared by all masters
  output logic [1:0]                            m_rresp_o,   // shared
  output logic                                  m_rlast_o,   // shared
  output logic [NumMasters-1:0]                 m_rvalid_o,
  input  logic [NumMasters-1:0]                 m_rready_i,
  // slave
  output logic [AddrBits-1:0]                   s_araddr_o,
  output logic [7:0]                            s_arlen_o,
  output logic [2:0]                            s_arsize_o,
  output logic [1:0]                            s_arburst_o,
  output logic                                  s_arvalid_o,
  input  logic                                  s_arready_i,
  input  logic [DataBits-1:0]                   s_rdata_i,
  input  logic [1:0]                            s_rresp_i,
  input  logic                                  s_rlast_i,
  input  logic                                  s_rvalid_i,
  output logic                                  s_rready_o,
  // status
  output logic [$clog2(MaxOutstanding+1)-1:0]   outstanding_o  // bursts granted, rlast not yet seen
);

  `include "ll_assert.svh"
  `include "ll_registers.svh"

  `LL_ASSERT_INIT(AtLeastOneMaster, NumMasters >= 1)
  `LL_ASSERT_INIT(OutstandingAtLeastTwo, MaxOutstanding >= 2)

  localparam logic [IdxBits-1:0] LastIdx = IdxBits'(NumMasters - 1);

  // ------------------------------------------------------------------------------------------------
  // AR arbitration
  logic [IdxBits-1:0] rr_q, rr_d;          // highest-priority master this cycle
  logic               lock_q, lock_d;      // s_arvalid_o was high without handshake last cycle
  logic [IdxBits-1:0] lock_idx_q;
  logic [IdxBits-1:0] pick_idx;            // round-robin choice among m_arvalid_i
  logic               pick_any;
  logic [IdxBits-1:0] gnt_idx;
  logic               fifo_in_ready, fifo_out_valid;
  logic [IdxBits-1:0] head_idx;
  logic               ar_hs, r_hs;
  logic               fifo_full, fifo_empty;  // only used by assertions

  always_comb begin
    pick_idx = rr_q;
    pick_any = 1'b0;
    // scan NumMasters positions starting at rr_q; the first requesting one wins
    for (int unsigned k = 0; k < NumMasters; k++) begin
      logic [IdxBits:0]   sum;
      logic [IdxBits-1:0] cand;
      sum = {1'b0, rr_q} + (IdxBits + 1)'(k);
      if (32'(sum) >= NumMasters) begin
        sum = sum - (IdxBits + 1)'(NumMasters);
      end
      cand = sum[IdxBits-1:0];
      if (!pick_any && m_arvalid_i[cand]) begin
        pick_any = 1'b1;
        pick_idx = cand;
      end
    end
  end

  assign gnt_idx     = lock_q ? lock_idx_q : pick_idx;
  assign s_arvalid_o = (lock_q | pick_any) & fifo_in_ready;
  assign s_araddr_o  = m_araddr_i[gnt_idx];
  assign s_arlen_o   = m_arlen_i[gnt_idx];
  assign s_arsize_o  = m_arsize_i[gnt_idx];
  assign s_arburst_o = m_arburst_i[gnt_idx];
  assign ar_hs       = s_arvalid_o & s_arready_i;

  always_comb begin
    m_arready_o = '0;
    m_arready_o[gnt_idx] = s_arready_i & fifo_in_ready & (lock_q | pick_any);
  end

  assign lock_d = s_arvalid_o & ~s_arready_i;
  assign rr_d   = ar_hs ? ((gnt_idx == LastIdx) ? '0 : gnt_idx + 1'b1) : rr_q;

  `LL_FF(rr_q, rr_d, '0)
  `LL_FF(lock_q, lock_d, 1'b0)
  `LL_FF(lock_idx_q, gnt_idx, '0)

  // ------------------------------------------------------------------------------------------------
  // in-order FIFO of granted masters; R routing
  assign r_hs = s_rvalid_i & s_rready_o;

  ll_fifo #(
    .Width(IdxBits),
    .Depth(MaxOutstanding)
  ) u_order (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (ar_hs),
    .in_ready_o (fifo_in_ready),
    .in_data_i  (gnt_idx),
    .out_valid_o(fifo_out_valid),
    .out_ready_i(r_hs & s_rlast_i),
    .out_data_o (head_idx),
    .count_o    (outstanding_o),
    .full_o     (fifo_full),
    .empty_o    (fifo_empty)
  );

  assign m_rdata_o  = s_rdata_i;
  assign m_rresp_o  = s_rresp_i;
  assign m_rlast_o  = s_rlast_i;
  assign s_rready_o = fifo_out_valid & m_rready_i[head_idx];

  always_comb begin
    m_rvalid_o = '0;
    m_rvalid_o[head_idx] = s_rvalid_i & fifo_out_valid;
  end

  // ------------------------------------------------------------------------------------------------
  // assertions
  `LL_ASSERT_STREAM(SlaveArStable, s_arvalid_o, s_arready_i,
                    {s_araddr_o, s_arlen_o, s_arsize_o, s_arburst_o})
  `LL_ASSERT(GrantOneHot, $onehot0(m_arready_o))
  `LL_ASSERT(GrantedIsValid, !s_arvalid_o || m_arvalid_i[gnt_idx])
  `LL_ASSERT(NoOverflow, !(ar_hs && fifo_full))
  `LL_ASSERT(RBeatNeedsBurst, !s_rvalid_i || !fifo_empty)
  `LL_ASSERT(RValidOneHot, $onehot0(m_rvalid_o))

`ifndef SYNTHESIS
  // masters obey the AXI AR rule: arvalid stays high and ar* stable until arready
  for (genvar i = 0; i < NumMasters; i++) begin : g_master_chk
    `LL_ASSERT_STREAM(MasterArStable, m_arvalid_i[i], m_arready_o[i],
                      {m_araddr_i[i], m_arlen_i[i], m_arsize_i[i], m_arburst_i[i]})
    // fairness: while master i waits, at most NumMasters-1 other masters are granted
    int unsigned others_q;
    always_ff @(posedge clk_i) begin
      if (!rst_ni || !m_arvalid_i[i] || m_arready_o[i]) begin
        others_q <= 0;
      end else if (ar_hs) begin
        others_q <= others_q + 1;
      end
    end
    `LL_ASSERT(RoundRobinFair, others_q <= NumMasters - 1)
  end
`endif

endmodule
