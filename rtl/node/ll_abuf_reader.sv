// Streams `beats_i` consecutive beats of the activation buffer, from beat address `addr_i`, as a
// valid/ready stream (last on the final beat). The buffer read port has a fixed latency of one cycle;
// a read is only issued when the output FIFO has a slot for it, so back-pressure never loses a beat
// and an unstalled consumer gets one beat per cycle.
module ll_abuf_reader #(
  parameter int unsigned AddrBits = 16,
  parameter int unsigned LenBits  = 16,
  parameter int unsigned DataBits = 256
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                start_i,
  input  logic [AddrBits-1:0] addr_i,
  input  logic [LenBits-1:0]  beats_i,
  output logic                busy_o,
  output logic                done_o,    // pulse when the last beat has been accepted downstream
  // buffer read port, data one cycle after req
  output logic                rd_req_o,
  output logic [AddrBits-1:0] rd_addr_o,
  input  logic [DataBits-1:0] rd_data_i,
  // stream
  output logic                out_valid_o,
  input  logic                out_ready_i,
  output logic [DataBits-1:0] out_data_o,
  output logic                out_last_o
);
  `include "ll_assert.svh"

  localparam int unsigned Depth = 4;

  logic [AddrBits-1:0] addr_q;
  logic [LenBits-1:0]  left_q;      // beats still to read
  logic [LenBits-1:0]  out_left_q;  // beats still to deliver
  logic                pending_q;   // a read issued last cycle lands in the FIFO now
  logic                last_pending_q;
  logic [2:0]          count;
  logic                fifo_in_ready, fifo_out_valid, fifo_out_last;
  logic [DataBits-1:0] fifo_out_data;
  /* verilator lint_off UNUSEDSIGNAL */  // status outputs of the FIFO this reader does not need
  logic                fifo_full, fifo_empty;
  /* verilator lint_on UNUSEDSIGNAL */

  // a slot is free for a new read when (entries + read in flight) < Depth
  assign rd_req_o  = (left_q != '0) && ((32'(count) + 32'(pending_q)) < Depth);
  assign rd_addr_o = addr_q;
  assign busy_o    = (out_left_q != '0);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      addr_q         <= '0;
      left_q         <= '0;
      out_left_q     <= '0;
      pending_q      <= 1'b0;
      last_pending_q <= 1'b0;
      done_o         <= 1'b0;
    end else begin
      done_o    <= 1'b0;
      pending_q <= rd_req_o;
      last_pending_q <= rd_req_o && (left_q == LenBits'(1));
      if (start_i && !busy_o) begin
        addr_q     <= addr_i;
        left_q     <= beats_i;
        out_left_q <= beats_i;
      end else if (rd_req_o) begin
        addr_q <= addr_q + 1'b1;
        left_q <= left_q - 1'b1;
      end
      if (out_valid_o && out_ready_i) begin
        out_left_q <= out_left_q - 1'b1;
        if (out_left_q == LenBits'(1)) done_o <= 1'b1;
      end
    end
  end

  ll_fifo #(.Width(DataBits + 1), .Depth(Depth)) u_fifo (
    .clk_i, .rst_ni,
    .in_valid_i (pending_q),
    .in_ready_o (fifo_in_ready),
    .in_data_i  ({last_pending_q, rd_data_i}),
    .out_valid_o(fifo_out_valid),
    .out_ready_i(out_ready_i),
    .out_data_o ({fifo_out_last, fifo_out_data}),
    .count_o    (count),
    .full_o     (fifo_full),
    .empty_o    (fifo_empty)
  );

  assign out_valid_o = fifo_out_valid;
  assign out_data_o  = fifo_out_data;
  assign out_last_o  = fifo_out_last;

  `LL_ASSERT_IMPL(NoOverflow, pending_q, fifo_in_ready)
  `LL_ASSERT_IMPL(StartWhenIdle, start_i, !busy_o)
endmodule
