// dvc_lsu: the memory operations of the instruction at the commit point (dvc_hart's M stage):
// loads, stores, LR/SC and AMOs (unprivileged spec ch. 2, 8), issued on the data port.
//
// An AMO is a read and a write performed back to back (DOP_AMO_RD then DOP_AMO_WR): the SoC
// keeps every other hart off RAM in between, so the read-modify-write is atomic; the ALU
// computing the new value is here. The SoC keeps the LR/SC reservations and tells whether an SC
// succeeded. The value for rd comes back through the data port's response register the cycle
// after the grant (loads, LR, SC), or is the AMO's old value kept here.
module dvc_lsu (
  input  logic        clk,
  input  logic        rst,
  input  logic        go,             // M holds a committing memory operation
  input  dvc_pkg::mem_e op,
  input  dvc_pkg::amo_e amo,
  input  logic [1:0]  size,           // log2 bytes
  input  logic [63:0] pa,
  input  logic [63:0] wdata,          // rs2
  output logic        done,           // the operation completes this cycle (M may advance)
  output logic        bus_err,        // with done: the access was refused (access fault)
  output logic [63:0] amo_old,        // an AMO's value for rd (sign-extended for .W), with done
  output logic [63:0] amo_new,        // what an AMO stores (for the commit trace), with done
  // data-port client
  output logic        req,
  output dvc_pkg::dop_e dop,
  output logic [63:0] addr,
  output logic [1:0]  req_size,
  output logic [63:0] req_wdata,
  input  logic        gnt,
  input  logic        err,
  input  logic [63:0] rsp_rdata
);
  logic second;  // the AMO's write half is next

  logic [63:0] old, a, b, sum;
  logic        lt, ltu;
  assign old = size == 2'd2 ? dvc_pkg::sext32(rsp_rdata[31:0]) : rsp_rdata;
  assign a = old;
  assign b = size == 2'd2 ? dvc_pkg::sext32(wdata[31:0]) : wdata;
  assign sum = a + b;
  assign lt = $signed(a) < $signed(b);
  assign ltu = a < b;
  always_comb begin
    unique case (amo)
      dvc_pkg::AMO_ADD:  amo_new = sum;
      dvc_pkg::AMO_XOR:  amo_new = a ^ b;
      dvc_pkg::AMO_AND:  amo_new = a & b;
      dvc_pkg::AMO_OR:   amo_new = a | b;
      dvc_pkg::AMO_MIN:  amo_new = lt ? a : b;
      dvc_pkg::AMO_MAX:  amo_new = lt ? b : a;
      dvc_pkg::AMO_MINU: amo_new = ltu ? a : b;
      dvc_pkg::AMO_MAXU: amo_new = ltu ? b : a;
      default:           amo_new = b;  // AMO_SWAP
    endcase
  end
  assign amo_old = old;

  always_comb begin
    unique case (op)
      dvc_pkg::MEM_STORE: dop = dvc_pkg::DOP_WRITE;
      dvc_pkg::MEM_LR:    dop = dvc_pkg::DOP_LR;
      dvc_pkg::MEM_SC:    dop = dvc_pkg::DOP_SC;
      dvc_pkg::MEM_AMO:   dop = second ? dvc_pkg::DOP_AMO_WR : dvc_pkg::DOP_AMO_RD;
      default:            dop = dvc_pkg::DOP_READ;
    endcase
  end
  assign req = go;
  assign addr = pa;
  assign req_size = size;
  assign req_wdata = second ? amo_new : wdata;
  assign done = go && gnt && (op != dvc_pkg::MEM_AMO || second || err);
  assign bus_err = err;

  always_ff @(posedge clk) begin
    if (rst || done || !go) second <= 1'b0;
    else if (op == dvc_pkg::MEM_AMO && gnt && !err) second <= 1'b1;
  end
endmodule
