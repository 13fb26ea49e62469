// Read DMA: streams `beats_i` 256-bit beats from byte address `addr_i` (beat aligned) of an AXI4
// memory as a valid/ready stream with last. INCR bursts of up to MaxBurst beats that never cross a
// 4 KiB boundary; a burst is only requested when the output FIFO has room for all of its beats
// (credits), so this master never holds the shared R channel with back-pressure. An SLVERR or
// DECERR response is reported in err_o (sticky until the next start) and the remaining data is
// dropped; done_o still pulses once every requested beat has come back, so nothing hangs.
module ll_axi_dma_rd #(
  parameter int unsigned AddrBits  = 32,
  parameter int unsigned LenBits   = 20,
  parameter int unsigned MaxBurst  = 16,
  parameter int unsigned FifoDepth = 64,
  localparam int unsigned DataBits = 256
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                start_i,
  input  logic [AddrBits-1:0] addr_i,
  input  logic [LenBits-1:0]  beats_i,
  output logic                busy_o,
  output logic                done_o,
  output logic [1:0]          err_o,     // 0 ok, 2 SLVERR, 3 DECERR (the AXI response code)
  // AXI4 read master
  output logic [AddrBits-1:0] araddr_o,
  output logic [7:0]          arlen_o,
  output logic [2:0]          arsize_o,
  output logic [1:0]          arburst_o,
  output logic                arvalid_o,
  input  logic                arready_i,
  input  logic [DataBits-1:0] rdata_i,
  input  logic [1:0]          rresp_i,
  input  logic                rlast_i,
  input  logic                rvalid_i,
  output logic                rready_o,
  // stream
  output logic                out_valid_o,
  input  logic                out_ready_i,
  output logic [DataBits-1:0] out_data_o,
  output logic                out_last_o
);
  `include "ll_assert.svh"

  localparam int unsigned CntBits = $clog2(FifoDepth + 1) + 1;

  logic [AddrBits-1:0] addr_q;
  logic [LenBits-1:0]  req_left_q;   // beats not yet requested
  logic [LenBits-1:0]  rcv_left_q;   // beats not yet received
  logic [LenBits-1:0]  out_left_q;   // beats not yet delivered downstream
  logic [CntBits-1:0]  credits_q;    // FIFO slots not promised to a requested burst
  logic                err_seen_q;
  logic                busy_q;

  // next burst: min(MaxBurst, beats left, beats to the 4 KiB boundary)
  logic [8:0] to_boundary, burst;
  always_comb begin
    to_boundary = 9'((13'h1000 - {1'b0, addr_q[11:0]}) >> 5);
    burst = 9'(MaxBurst);
    if (32'(req_left_q) < 32'(burst)) burst = 9'(req_left_q);
    if (to_boundary < burst) burst = to_boundary;
  end

  assign arvalid_o = (req_left_q != '0) && (32'(credits_q) >= 32'(burst));
  assign araddr_o  = addr_q;
  assign arlen_o   = 8'(burst - 9'd1);
  assign arsize_o  = 3'd5;
  assign arburst_o = 2'b01;
  assign busy_o    = (out_left_q != '0) || (rcv_left_q != '0);

  logic fifo_in_ready, fifo_full, fifo_empty;
  logic [$clog2(FifoDepth+1)-1:0] fifo_count;
  logic push, pop;
  assign rready_o = 1'b1;  // space was reserved before the burst was requested
  assign push     = rvalid_i && !err_seen_q && (rresp_i[1] == 1'b0);
  assign pop      = out_valid_o && out_ready_i;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      addr_q     <= '0;
      req_left_q <= '0;
      rcv_left_q <= '0;
      out_left_q <= '0;
      credits_q  <= CntBits'(FifoDepth);
      err_seen_q <= 1'b0;
      err_o      <= '0;
      done_o     <= 1'b0;
      busy_q     <= 1'b0;
    end else begin
      busy_q <= busy_o;
      done_o <= busy_q && !busy_o;
      if (start_i && !busy_o) begin
        addr_q     <= addr_i;
        req_left_q <= beats_i;
        rcv_left_q <= beats_i;
        out_left_q <= beats_i;
        err_seen_q <= 1'b0;
        err_o      <= '0;
        credits_q  <= CntBits'(FifoDepth);
      end else begin
        if (arvalid_o && arready_i) begin
          addr_q     <= addr_q + AddrBits'({burst, 5'b0});
          req_left_q <= req_left_q - LenBits'(burst);
        end
        if (rvalid_i) begin
          rcv_left_q <= rcv_left_q - 1'b1;
          if (rresp_i[1] && !err_seen_q) begin
            err_seen_q <= 1'b1;
            err_o      <= rresp_i;
          end
        end
        // credits: taken by a burst request, returned when a beat leaves the FIFO (or is dropped)
        credits_q <= credits_q - ((arvalid_o && arready_i) ? CntBits'(burst) : '0)
                               + (pop ? CntBits'(1) : '0)
                               + ((rvalid_i && !push) ? CntBits'(1) : '0);
        // a beat dropped after an error counts as delivered
        out_left_q <= out_left_q - (pop ? LenBits'(1) : '0) - ((rvalid_i && !push) ? LenBits'(1) : '0);
      end
    end
  end

  ll_fifo #(.Width(DataBits + 1), .Depth(FifoDepth)) u_fifo (
    .clk_i, .rst_ni,
    .in_valid_i (push),
    .in_ready_o (fifo_in_ready),
    .in_data_i  ({out_left_q == LenBits'(fifo_count) + LenBits'(1), rdata_i}),
    .out_valid_o(out_valid_o),
    .out_ready_i(out_ready_i),
    .out_data_o ({out_last_o, out_data_o}),
    .count_o    (fifo_count),
    .full_o     (fifo_full),
    .empty_o    (fifo_empty)
  );

  `LL_ASSERT_IMPL(FifoNeverFull, push, fifo_in_ready)
  `LL_ASSERT_IMPL(StartWhenIdle, start_i, !busy_o)
  `LL_ASSERT_IMPL(BeatOnlyWhenExpected, rvalid_i, rcv_left_q != '0)
  /* verilator lint_off UNUSEDSIGNAL */  // FIFO status and rlast are implied by the credit count
  logic unused;
  assign unused = fifo_full ^ fifo_empty ^ rlast_i;
  /* verilator lint_on UNUSEDSIGNAL */
endmodule
