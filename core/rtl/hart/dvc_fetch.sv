// dvc_fetch: the front end. Each cycle it may fetch one 4-byte block (two 16-bit parcels) at
// the fetch PC: translate it (dvc_mmu's fetch side), charge the instruction cache timing model
// (dvc_l1_timing), read it from the SoC's instruction port, and push its parcels into a
// 4-parcel instruction buffer. The next fetch PC comes from the branch predictor (dvc_bpred)
// or is the next block. Decode takes one instruction a cycle from the buffer's head, 16 or 32
// bits, a 32-bit one possibly spanning two blocks (C extension, IALIGN = 16).
//
// A fetch fault (page fault, PMP or PMA access fault) enters the buffer as faulting parcels
// and fetching stops until the next redirect; decode reports it on the instruction that needs
// the parcel (tval = the parcel's address, as dvsim). A predicted-taken transfer at the first
// parcel of a 32-bit instruction would split it: the entry is dropped and the block refetched.
module dvc_fetch #(
  parameter int IC_SETS = 64,
  parameter int IC_WAYS = 4,
  parameter int LINE = 64,
  parameter int HIT_CYCLES = 1,
  parameter int MISS_CYCLES = 20,
  parameter int BTB_ENTRIES = 64,
  parameter int BHT_ENTRIES = 512
) (
  input  logic        clk,
  input  logic        rst,
  input  logic [63:0] ram_size,
  // redirect (traps, xRET, flushes, mispredictions): highest priority
  input  logic        redirect,
  input  logic [63:0] redirect_pc,
  input  logic        sleep,          // WFI: fetch nothing
  input  logic        icache_flush,   // FENCE.I
  // branch predictor training (execute)
  input  logic        bp_valid,
  input  logic [63:1] bp_last,
  input  logic        bp_cfi,
  input  logic        bp_cond,
  input  logic        bp_taken,
  input  logic [63:1] bp_target,
  // translation (dvc_mmu fetch side)
  output logic        i_req,
  output logic [63:0] i_va,
  output logic        i_cancel,
  input  logic        i_ready,
  input  logic [63:0] i_pa,
  input  logic        i_fault_page,
  input  logic        i_fault_access,
  input  logic        i_fault_gpage,     // H: a guest-page fault ...
  input  logic        i_fault_implicit,  // ... or a fault of an implicit page-table read (htinst)
  input  logic [63:0] i_gpa,             // ... and its guest physical address (htval)
  // the SoC's instruction port
  output logic        imem_req,
  output logic [63:0] imem_addr,
  input  logic        imem_gnt,
  input  logic        imem_err,
  input  logic [31:0] imem_rdata,
  // decode: the instruction at the head of the buffer
  output logic        d_valid,
  output logic [63:0] d_pc,
  output logic [31:0] d_raw,          // as fetched: 16 bits zero-extended, or 32
  output logic [63:0] d_pred_npc,
  output logic [1:0]  d_fault,        // 0 none, 1 page fault, 2 access fault, 3 guest-page fault
  output logic [63:0] d_tval,
  output logic [63:0] d_gpa,          // of a guest-page fault
  output logic        d_implicit,     // the fault came from a page-table read
  input  logic        d_take          // decode takes it this cycle
);
  localparam logic [1:0] F_NONE = 2'd0;
  localparam logic [1:0] F_PAGE = 2'd1;
  localparam logic [1:0] F_ACCESS = 2'd2;
  localparam logic [1:0] F_GPAGE = 2'd3;

  // ---- instruction buffer: 4 parcels ---------------------------------------------------------
  logic [15:0] b_bits   [4];
  logic [63:0] b_pc     [4];
  logic [1:0]  b_fault  [4];
  logic        b_taken  [4];
  logic [63:1] b_target [4];
  logic [1:0]  head;
  logic [2:0]  count;

  // ---- fetch state -------------------------------------------------------------------------------
  typedef enum logic [1:0] { F_IDLE = 2'd0, F_WAIT = 2'd1, F_READ = 2'd2 } fstate_e;
  fstate_e     fstate;
  logic [63:0] fpc;            // next fetch address (2-byte aligned)
  logic        halt;           // after a fetch fault, until a redirect
  logic [63:0] held_pa;        // F_WAIT/F_READ: the block's physical address
  logic [7:0]  wait_count;
  logic [63:0] fault_gpa;      // the fetch fault's GPA and origin (one at a time: fetch halts)
  logic        fault_implicit;
  assign d_gpa = fault_gpa;
  assign d_implicit = fault_implicit;

  logic [63:2] block;
  assign block = fpc[63:2];
  assign i_va = {block, 2'b00};

  // Prediction for the block being fetched.
  logic        bp_hit, bp_parcel, misfetch, taken0, taken1;
  logic [63:1] bp_tgt;
  dvc_bpred #(.BTB_ENTRIES(BTB_ENTRIES), .BHT_ENTRIES(BHT_ENTRIES)) bpred (
    .clk, .rst, .block, .hit(bp_hit), .parcel(bp_parcel), .target(bp_tgt),
    .upd_valid(bp_valid), .upd_last(bp_last), .upd_cfi(bp_cfi), .upd_cond(bp_cond),
    .upd_taken(bp_taken), .upd_target(bp_target),
    .inval(misfetch), .inval_block(b_pc[head][63:2])
  );
  // A prediction at parcel 0 counts only if that parcel is fetched (not skipped).
  assign taken0 = bp_hit && !bp_parcel && !fpc[1];
  assign taken1 = bp_hit && bp_parcel;

  // Instruction cache timing: looked up when a block's fetch starts.
  logic ic_lookup, ic_hit, ic_dirty, pa_ram;
  logic [63:0] start_pa;
  assign start_pa = i_pa;
  assign pa_ram = start_pa >= dvc_pkg::RAM_BASE && start_pa - dvc_pkg::RAM_BASE < ram_size;
  dvc_l1_timing #(.SETS(IC_SETS), .WAYS(IC_WAYS), .LINE(LINE)) icache (
    .clk, .rst, .flush(icache_flush), .lookup(ic_lookup), .addr(start_pa[63:$clog2(LINE)]), .write(1'b0),
    .hit(ic_hit), .victim_dirty(ic_dirty)
  );

  // Decode side (computed below): how many parcels the head instruction takes, whether decode
  // takes it, and whether the head would split an instruction.
  logic [1:0] avail, pop;

  logic can_start, start_ok, start_fault;
  assign can_start = fstate == F_IDLE && !halt && !sleep && !redirect && count <= 3'd2 && !misfetch;
  assign i_req = can_start;
  assign i_cancel = redirect || misfetch;
  assign start_fault = can_start && i_ready && (i_fault_page || i_fault_access || i_fault_gpage);
  assign start_ok = can_start && i_ready && !i_fault_page && !i_fault_access && !i_fault_gpage;
  assign ic_lookup = start_ok && pa_ram && MISS_CYCLES > HIT_CYCLES;

  logic [7:0] lat;
  assign lat = !pa_ram || ic_hit ? 8'(HIT_CYCLES) : 8'(MISS_CYCLES);

  // The memory read happens in the cycle the block starts (latency 1) or after waiting.
  logic read_now;
  assign read_now = !redirect && !misfetch && !sleep
    && ((start_ok && lat <= 8'd1) || fstate == F_READ);
  assign imem_req = read_now;
  assign imem_addr = fstate == F_READ ? held_pa : start_pa;

  logic push, push_fault;
  logic [1:0] fault_kind;
  assign push = read_now && imem_gnt;
  assign push_fault = start_fault || (push && imem_err);
  assign fault_kind = start_fault ? (i_fault_page ? F_PAGE : (i_fault_gpage ? F_GPAGE : F_ACCESS)) : F_ACCESS;

  // ---- decode side: align the head instruction ------------------------------------------------
  logic [1:0] h1;
  assign h1 = head + 2'd1;
  always_comb begin
    d_valid = 1'b0;
    d_pc = b_pc[head];
    d_raw = {16'd0, b_bits[head]};
    d_fault = F_NONE;
    d_tval = b_pc[head];
    d_pred_npc = b_pc[head] + 64'd2;
    misfetch = 1'b0;
    avail = 2'd0;
    if (count != 3'd0) begin
      if (b_fault[head] != F_NONE) begin
        d_valid = 1'b1;
        d_fault = b_fault[head];
        avail = 2'd1;
      end else if (b_bits[head][1:0] != 2'b11) begin
        d_valid = 1'b1;
        if (b_taken[head]) d_pred_npc = {b_target[head], 1'b0};
        avail = 2'd1;
      end else if (b_taken[head]) begin
        misfetch = !redirect;
      end else if (count >= 3'd2) begin
        d_valid = 1'b1;
        d_raw = {b_bits[h1], b_bits[head]};
        d_pred_npc = b_taken[h1] ? {b_target[h1], 1'b0} : b_pc[head] + 64'd4;
        avail = 2'd2;
        if (b_fault[h1] != F_NONE) begin
          d_fault = b_fault[h1];
          d_tval = b_pc[h1];
        end
      end
    end
  end
  assign pop = d_take ? avail : 2'd0;

  // ---- state update --------------------------------------------------------------------------
  logic [63:0] next_fpc;
  always_comb begin
    if (taken0 || taken1) next_fpc = {bp_tgt, 1'b0};
    else next_fpc = {block + 62'd1, 2'b00};
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      fpc <= dvc_pkg::RESET_PC;
      fstate <= F_IDLE;
      halt <= 1'b0;
      head <= 2'd0;
      count <= 3'd0;
    end else if (redirect || misfetch) begin
      fpc <= redirect ? redirect_pc : b_pc[head];
      fstate <= F_IDLE;
      halt <= 1'b0;
      head <= 2'd0;
      count <= 3'd0;
    end else begin
      // Pop what decode took, then append what was fetched.
      logic [1:0] tail;
      logic [2:0] n;
      head <= head + pop;
      tail = head + 2'(count);
      n = count - 3'(pop);
      if (push_fault) begin
        // Faulting parcels: the one at fpc, and the next one of the block if fpc is aligned.
        for (int k = 0; k < 2; k++) begin
          if (k == 1 || !fpc[1]) begin
            b_bits[tail] <= 16'd0;
            b_pc[tail] <= {block, k[0], 1'b0};
            b_fault[tail] <= fault_kind;
            b_taken[tail] <= 1'b0;
            tail = tail + 2'd1;
            n = n + 3'd1;
          end
        end
        halt <= 1'b1;
        fstate <= F_IDLE;
        fault_gpa <= i_gpa;
        fault_implicit <= start_fault && i_fault_implicit;
      end else if (push) begin
        if (!fpc[1]) begin
          b_bits[tail] <= imem_rdata[15:0];
          b_pc[tail] <= {block, 2'b00};
          b_fault[tail] <= F_NONE;
          b_taken[tail] <= taken0;
          b_target[tail] <= bp_tgt;
          tail = tail + 2'd1;
          n = n + 3'd1;
        end
        if (!taken0) begin
          b_bits[tail] <= imem_rdata[31:16];
          b_pc[tail] <= {block, 2'b10};
          b_fault[tail] <= F_NONE;
          b_taken[tail] <= taken1;
          b_target[tail] <= bp_tgt;
          n = n + 3'd1;
        end
        fpc <= next_fpc;
        fstate <= F_IDLE;
      end else if (start_ok && lat > 8'd1) begin
        held_pa <= start_pa;
        wait_count <= lat - 8'd2;
        fstate <= lat == 8'd2 ? F_READ : F_WAIT;
      end else if (fstate == F_WAIT) begin
        if (wait_count <= 8'd1) fstate <= F_READ;
        wait_count <= wait_count - 8'd1;
      end
      count <= n;
    end
  end

  logic unused_fetch;
  assign unused_fetch = ^{ic_dirty, fpc[0]};
endmodule
