// dvc_dport: the hart's data-side memory port: it arbitrates between the load/store unit (first)
// and the page-table walker, charges the latency of the L1 data cache timing model
// (dvc_l1_timing) or of an uncached device access, and then performs the access on the SoC port.
//
// Latencies (docs/core.md "Memory system"), in cycles from the first request cycle to the cycle
// the access is performed, inclusive: HIT_CYCLES for a RAM access that hits, MISS_CYCLES for a
// miss (plus WB_CYCLES when the victim line is dirty), DEV_CYCLES for anything else. The second
// half of an AMO is performed at once (the line is held). A performed access is "granted": the
// client sees `gnt` (with `err` if the SoC refused it, no access made) in that cycle and the
// loaded data in `rsp_rdata` the cycle after. A client holds its request until granted; the
// walker may withdraw its request (walk cancelled) while it waits.
module dvc_dport #(
  parameter int DC_SETS = 64,
  parameter int DC_WAYS = 4,
  parameter int LINE = 64,
  parameter int HIT_CYCLES = 1,
  parameter int MISS_CYCLES = 20,
  parameter int WB_CYCLES = 10,
  parameter int DEV_CYCLES = 8
) (
  input  logic        clk,
  input  logic        rst,
  input  logic [63:0] ram_size,
  // client 0: the load/store unit
  input  logic        lsu_req,
  input  dvc_pkg::dop_e lsu_op,
  input  logic [63:0] lsu_addr,
  input  logic [1:0]  lsu_size,
  input  logic [63:0] lsu_wdata,
  output logic        lsu_gnt,
  // client 1: the page-table walker (8-byte DOP_WALK reads)
  input  logic        ptw_req,
  input  logic [63:0] ptw_addr,
  output logic        ptw_gnt,
  // the outcome of the granted access
  output logic        err,             // with gnt: refused, nothing accessed
  output logic [63:0] rsp_rdata,       // the cycle after the grant
  output logic        rsp_sc_fail,
  // the SoC port
  output logic        soc_req,
  output dvc_pkg::dop_e soc_op,
  output logic [63:0] soc_addr,
  output logic [1:0]  soc_size,
  output logic [63:0] soc_wdata,
  input  logic        soc_gnt,
  input  logic        soc_err,
  input  logic [63:0] soc_rdata,
  input  logic        soc_sc_fail
);
  typedef enum logic [1:0] { IDLE = 2'd0, WAIT = 2'd1, PERFORM = 2'd2 } state_e;
  state_e      state;
  logic        cur_ptw;          // the client being served (WAIT/PERFORM)
  logic [7:0]  count;

  // The request being considered this cycle.
  logic          sel_ptw, any_req;
  dvc_pkg::dop_e op;
  logic [63:0]   addr;
  logic          is_ram, writes;
  assign sel_ptw = state == IDLE ? !lsu_req : cur_ptw;
  assign any_req = sel_ptw ? ptw_req : lsu_req;
  assign op = sel_ptw ? dvc_pkg::DOP_WALK : lsu_op;
  assign addr = sel_ptw ? ptw_addr : lsu_addr;
  assign is_ram = addr >= dvc_pkg::RAM_BASE && addr - dvc_pkg::RAM_BASE < ram_size;
  assign writes = op == dvc_pkg::DOP_WRITE || op == dvc_pkg::DOP_SC || op == dvc_pkg::DOP_AMO_WR || op == dvc_pkg::DOP_AMO_RD;

  // The data cache's tags, looked up once per access, when it starts.
  logic lookup, hit, victim_dirty;
  assign lookup = state == IDLE && any_req && is_ram && op != dvc_pkg::DOP_AMO_WR;
  dvc_l1_timing #(.SETS(DC_SETS), .WAYS(DC_WAYS), .LINE(LINE)) dcache (
    .clk, .rst, .flush(1'b0), .lookup, .addr(addr[63:$clog2(LINE)]), .write(writes),
    .hit, .victim_dirty
  );

  logic [7:0] lat;
  always_comb begin
    if (op == dvc_pkg::DOP_AMO_WR) lat = 8'd1;
    else if (!is_ram) lat = 8'(DEV_CYCLES);
    else if (hit) lat = 8'(HIT_CYCLES);
    else lat = 8'(MISS_CYCLES + (victim_dirty ? WB_CYCLES : 0));
  end

  logic perform;
  assign perform = any_req && (state == PERFORM || (state == IDLE && lat <= 8'd1));
  assign soc_req = perform;
  assign soc_op = op;
  assign soc_addr = addr;
  assign soc_size = sel_ptw ? 2'd3 : lsu_size;
  assign soc_wdata = lsu_wdata;
  assign lsu_gnt = perform && soc_gnt && !sel_ptw;
  assign ptw_gnt = perform && soc_gnt && sel_ptw;
  assign err = soc_err;

  always_ff @(posedge clk) begin
    if (rst) begin
      state <= IDLE;
      count <= 8'd0;
      cur_ptw <= 1'b0;
    end else begin
      unique case (state)
        IDLE: if (any_req) begin
          cur_ptw <= sel_ptw;
          if (lat > 8'd2) begin
            state <= WAIT;
            count <= lat - 8'd3;
          end else if (lat == 8'd2 || !soc_gnt) begin
            state <= PERFORM;
          end
        end
        WAIT: begin
          if (!any_req) state <= IDLE;          // the walker withdrew
          else if (count == 8'd0) state <= PERFORM;
          else count <= count - 8'd1;
        end
        default: if (!any_req || soc_gnt) state <= IDLE;  // PERFORM
      endcase
    end
    if (perform && soc_gnt) begin
      rsp_rdata <= soc_rdata;
      rsp_sc_fail <= soc_sc_fail;
    end
  end
endmodule
