// Synchronous FIFO with valid/ready on both sides.
//
// - Depth entries of Width bits; Depth is any value >= 2 (not only powers of two).
// - in_ready_o, out_valid_o, count_o, full_o, empty_o all come straight from registers: no
//   combinational path from in_valid_i to in_ready_o, nor from out_ready_i to out_valid_o.
// - out_data_o is the head entry of the storage array (a register read through a mux): it is stable
//   while out_valid_o && !out_ready_i.
// - Latency: a beat written in cycle t is visible at the output in cycle t+1. With both sides always
//   ready the FIFO passes one beat per cycle.
// - A write is refused when full, even if a read happens in the same cycle (keeps in_ready_o
//   registered). Full throughput therefore needs Depth >= 2.
// - Assertions: no write when full, no read when empty, count within [0, Depth], output stable while
//   stalled, and the upstream obeys the AXI-Stream rule (in_valid_i/in_data_i stable while not ready).
module ll_fifo #(
  parameter int unsigned Width = 8,
  parameter int unsigned Depth = 4,
  localparam int unsigned CountWidth = $clog2(Depth + 1),
  localparam int unsigned PtrWidth = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // write side
  input  logic                  in_valid_i,
  output logic                  in_ready_o,
  input  logic [Width-1:0]      in_data_i,
  // read side
  output logic                  out_valid_o,
  input  logic                  out_ready_i,
  output logic [Width-1:0]      out_data_o,
  // fill level
  output logic [CountWidth-1:0] count_o,
  output logic                  full_o,
  output logic                  empty_o
);

  `include "ll_assert.svh"

  `LL_ASSERT_INIT(DepthAtLeastTwo, Depth >= 2)
  `LL_ASSERT_INIT(WidthNonZero, Width >= 1)

  localparam logic [PtrWidth-1:0] LastPtr = PtrWidth'(Depth - 1);
  localparam logic [CountWidth-1:0] DepthCount = CountWidth'(Depth);

  logic [Width-1:0]      mem_q [Depth];
  logic [PtrWidth-1:0]   wr_ptr_q, wr_ptr_d;
  logic [PtrWidth-1:0]   rd_ptr_q, rd_ptr_d;
  logic [CountWidth-1:0] count_q, count_d;
  logic                  full_q, full_d;
  logic                  empty_q, empty_d;
  logic                  push, pop;

  assign in_ready_o  = ~full_q;
  assign out_valid_o = ~empty_q;
  assign out_data_o  = mem_q[rd_ptr_q];
  assign count_o     = count_q;
  assign full_o      = full_q;
  assign empty_o     = empty_q;

  assign push = in_valid_i & in_ready_o;
  assign pop  = out_valid_o & out_ready_i;

  always_comb begin
    wr_ptr_d = wr_ptr_q;
    rd_ptr_d = rd_ptr_q;
    count_d  = count_q;
    if (push) begin
      wr_ptr_d = (wr_ptr_q == LastPtr) ? '0 : wr_ptr_q + 1'b1;
    end
    if (pop) begin
      rd_ptr_d = (rd_ptr_q == LastPtr) ? '0 : rd_ptr_q + 1'b1;
    end
    unique case ({push, pop})
      2'b10:   count_d = count_q + 1'b1;
      2'b01:   count_d = count_q - 1'b1;
      default: count_d = count_q;
    endcase
    full_d  = (count_d == DepthCount);
    empty_d = (count_d == '0);
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      wr_ptr_q <= '0;
      rd_ptr_q <= '0;
      count_q  <= '0;
      full_q   <= 1'b0;
      empty_q  <= 1'b1;
    end else begin
      wr_ptr_q <= wr_ptr_d;
      rd_ptr_q <= rd_ptr_d;
      count_q  <= count_d;
      full_q   <= full_d;
      empty_q  <= empty_d;
    end
  end

  // Storage: no reset (datapath).
  always_ff @(posedge clk_i) begin
    if (push) begin
      mem_q[wr_ptr_q] <= in_data_i;
    end
  end

  `LL_ASSERT(NoWriteWhenFull, !(push && full_q))
  `LL_ASSERT(NoReadWhenEmpty, !(pop && empty_q))
  `LL_ASSERT(CountInRange, count_q <= DepthCount)
  `LL_ASSERT(FlagsMatchCount, (full_q == (count_q == DepthCount)) && (empty_q == (count_q == '0)))
  `LL_ASSERT_STREAM(OutStable, out_valid_o, out_ready_i, out_data_o)
  `LL_ASSERT_STREAM(InProtocol, in_valid_i, in_ready_o, in_data_i)

endmodule
