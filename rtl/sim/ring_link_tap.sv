// Simulation-only ring link tap: a combinational pass-through between a router's ring_out and the
// next router's ring_in (the plain wires of the system testbench, zero latency, no cycle added or
// lost) that can inject one fault on one beat, for system-level fault tests.
//
// Beats are counted at the sender side (handshakes with the sender) since reset. The beat with index
// fault_beat_i gets the fault selected by fault_kind_i, once per reset:
//   0 none (pure wires: out = in, in_ready = out_ready),
//   1 corrupt: bit fault_bit_i of {side, last, data} is flipped while the beat is presented,
//   2 drop: the beat is taken from the sender (ready high) and never presented to the receiver,
//   3 duplicate: the beat is presented to the receiver while the sender is held (ready low) for that
//     handshake, so the receiver accepts it twice.
// Both sides keep the AXI-Stream rule: the sender holds its beat until ready, and a beat presented
// to the receiver stays valid and stable until accepted (the fault is decided by the beat counter,
// which changes only at a sender handshake, and the duplicate's first copy ends with a receiver
// handshake). fault_done_o rises after the fault was applied; fault_src_o / fault_seq_o are the
// sideband source and sequence number of the beat that got it.
module ring_link_tap
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

  input  logic [1:0]             fault_kind_i,
  input  logic [31:0]            fault_beat_i,
  input  logic [8:0]             fault_bit_i,
  output logic                   fault_done_o,
  output logic [NodeIdWidth-1:0] fault_src_o,
  output logic [IdxWidth-1:0]    fault_seq_o,
  output logic [31:0]            beats_o       // beats taken from the sender since reset
);

  localparam int unsigned BeatWidth = SideWidth + 1 + DataWidth;

  logic                   faulted_q;
  logic [31:0]            cnt_q;
  logic [NodeIdWidth-1:0] fsrc_q;
  logic [IdxWidth-1:0]    fseq_q;
  logic                   hit, corrupt, drop, dup;
  logic [BeatWidth-1:0]   beat_in, beat_out;

  assign hit     = in_valid_i && !faulted_q && (fault_kind_i != 2'd0) && (cnt_q == fault_beat_i);
  assign corrupt = hit && (fault_kind_i == 2'd1);
  assign drop    = hit && (fault_kind_i == 2'd2);
  assign dup     = hit && (fault_kind_i == 2'd3);

  assign beat_in = {in_side_i, in_last_i, in_data_i};
  always_comb begin
    beat_out = beat_in;
    if (corrupt) beat_out[fault_bit_i] = ~beat_in[fault_bit_i];
  end
  assign {out_side_o, out_last_o, out_data_o} = beat_out;

  assign out_valid_o = in_valid_i && !drop;
  assign in_ready_o  = drop || (out_ready_i && !dup);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      faulted_q <= 1'b0;
      cnt_q     <= '0;
      fsrc_q    <= '0;
      fseq_q    <= '0;
    end else begin
      if (in_valid_i && in_ready_o) cnt_q <= cnt_q + 32'd1;
      if ((corrupt && out_ready_i) || drop || (dup && out_ready_i)) begin
        faulted_q <= 1'b1;
        fsrc_q    <= in_side_i.src;
        fseq_q    <= in_side_i.seq;
      end
    end
  end

  assign fault_done_o = faulted_q;
  assign fault_src_o  = fsrc_q;
  assign fault_seq_o  = fseq_q;
  assign beats_o      = cnt_q;

endmodule
