// dvc_ptw: the hardware page-table walker (priv spec 1.12 section 4.3.2, Sv39 and Sv48) shared
// by the instruction and data TLBs. Svade: A and D are never written, so a walk only reads.
//
// A walk reads one PTE per level through the hart's data port (op DOP_WALK: the SoC allows it
// to RAM and the boot ROM only), each PTE address checked by PMP as an S-mode 8-byte read.
// It ends with the leaf (PPN, level, permission bits) or a fault: `fault_access` when a PTE
// read is refused, else a page fault (invalid PTE, W without R, reserved bits 63:54 set, a
// pointer at level 0, a misaligned superpage). The requester turns it into the cause of its own
// access type. A request may be withdrawn (`cancel`) between memory accesses.
module dvc_ptw (
  input  logic        clk,
  input  logic        rst,
  input  logic        satp_sv48,     // satp.MODE = Sv48 (else Sv39)
  input  logic [43:0] satp_ppn,
  // request (held until done or canceled)
  input  logic        req,
  input  logic [47:12] vpn,           // VA[47:12]; Sv39 uses bits 38:12
  input  logic        cancel,
  output logic        busy,
  output logic        done,           // one cycle: result valid
  output logic        fault_page,
  output logic        fault_access,
  output logic [43:0] leaf_ppn,
  output logic [1:0]  leaf_level,
  output logic [5:0]  leaf_flags,     // {D, A, U, X, W, R}
  // PMP check of the PTE address
  output logic [63:0] pte_addr,
  input  logic        pte_pmp_ok,
  // data-port client
  output logic        mem_req,
  input  logic        mem_gnt,
  input  logic        mem_err,
  input  logic [63:0] mem_rdata       // the PTE, the cycle after the grant
);
  typedef enum logic [1:0] { IDLE = 2'd0, READ = 2'd1, WAIT = 2'd2 } state_e;
  state_e     state;
  logic [1:0] level;
  logic [43:0] table_ppn;
  logic [8:0] idx;

  always_comb begin
    unique case (level)
      2'd0: idx = vpn[20:12];
      2'd1: idx = vpn[29:21];
      2'd2: idx = vpn[38:30];
      default: idx = vpn[47:39];
    endcase
  end
  assign pte_addr = {8'd0, table_ppn, idx, 3'b000};
  assign busy = state != IDLE;
  // Not gated by `cancel`: a read of a cancelled walk is harmless (walks only read) and this
  // keeps the port request free of the pipeline's flush logic.
  assign mem_req = state == READ && pte_pmp_ok;

  // The PTE just read (valid in WAIT).
  logic        pte_v, pte_r, pte_w, pte_x, pte_bad, pte_leaf;
  logic [43:0] pte_ppn;
  logic [43:0] low_mask;
  assign pte_v = mem_rdata[0];
  assign pte_r = mem_rdata[1];
  assign pte_w = mem_rdata[2];
  assign pte_x = mem_rdata[3];
  assign pte_ppn = mem_rdata[53:10];
  assign pte_bad = !pte_v || (!pte_r && pte_w) || mem_rdata[63:54] != 10'd0;
  assign pte_leaf = pte_r || pte_x;
  always_comb begin
    unique case (level)
      2'd0: low_mask = 44'd0;
      2'd1: low_mask = {35'd0, 9'h1ff};
      2'd2: low_mask = {26'd0, 18'h3ffff};
      default: low_mask = {17'd0, 27'h7ffffff};
    endcase
  end

  always_comb begin
    done = 1'b0;
    fault_page = 1'b0;
    fault_access = 1'b0;
    if (!cancel) begin
      if (state == READ && (!pte_pmp_ok || (mem_gnt && mem_err))) begin
        done = 1'b1;
        fault_access = 1'b1;
      end else if (state == WAIT) begin
        if (pte_bad || (!pte_leaf && level == 2'd0) || (pte_leaf && (pte_ppn & low_mask) != 44'd0)) begin
          done = 1'b1;
          fault_page = 1'b1;
        end else if (pte_leaf) begin
          done = 1'b1;
        end
      end
    end
  end
  assign leaf_ppn = pte_ppn;
  assign leaf_level = level;
  assign leaf_flags = {mem_rdata[7], mem_rdata[6], mem_rdata[4], pte_x, pte_w, pte_r};
  logic [2:0] unused_pte_bits;  // RSW and G: no meaning here (no ASIDs are kept)
  assign unused_pte_bits = {mem_rdata[9:8], mem_rdata[5]};

  always_ff @(posedge clk) begin
    if (rst || cancel) begin
      state <= IDLE;
    end else begin
      unique case (state)
        IDLE: if (req) begin
          state <= READ;
          level <= satp_sv48 ? 2'd3 : 2'd2;
          table_ppn <= satp_ppn;
        end
        READ: if (done) state <= IDLE;
              else if (mem_gnt) state <= WAIT;
        default: begin  // WAIT
          if (done) begin
            state <= IDLE;
          end else begin
            state <= READ;
            level <= level - 2'd1;
            table_ppn <= pte_ppn;
          end
        end
      endcase
    end
  end
endmodule
