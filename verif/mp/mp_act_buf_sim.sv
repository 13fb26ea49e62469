// Simulation-only activation buffer for the MP testbench: DepthBeats beats loaded with
// $readmemh("mp_act.hex") on a rising edge of load_i; read port with a fixed latency of Latency
// cycles (address in cycle c, data in cycle c + Latency), like an on-chip BRAM with output registers.
module mp_act_buf_sim #(
  parameter int unsigned DataBits   = 256,
  parameter int unsigned AddrBits   = 10,
  parameter int unsigned Latency    = 1
) (
  input  logic                clk_i,
  input  logic                load_i,
  input  logic                req_i,
  input  logic [AddrBits-1:0] addr_i,
  output logic [DataBits-1:0] data_o
);
  logic [DataBits-1:0] mem [1 << AddrBits];
  logic [DataBits-1:0] pipe_q [Latency];
  logic load_q;

  always_ff @(posedge clk_i) begin
    load_q <= load_i;
    if (load_i && !load_q) $readmemh("mp_act.hex", mem);
    // an unrequested read returns X (the kernel must only use data it asked for)
    pipe_q[0] <= req_i ? mem[addr_i] : 'x;
    for (int i = 1; i < Latency; i++) pipe_q[i] <= pipe_q[i-1];
  end
  assign data_o = pipe_q[Latency-1];
endmodule
