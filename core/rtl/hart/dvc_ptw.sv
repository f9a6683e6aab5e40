// dvc_ptw: the hardware page-table walker (priv spec 1.12 section 4.3.2, Sv39 and Sv48; with
// HYP the two-stage walk of H spec 8.5 and dvext.md §5) shared by the instruction and data
// TLBs. Svade: A and D are never written, so a walk only reads.
//
// A walk reads one PTE per level through the hart's data port (op DOP_WALK: the SoC allows it
// to RAM and the boot ROM only), each PTE address checked by PMP as an S-mode 8-byte read.
//
// One stage (V=0): it ends with the leaf (PPN, level, permission bits) or a fault:
// `fault_access` when a PTE read is refused, else a page fault (invalid PTE, W without R,
// reserved bits 63:54 set, a pointer at level 0, a misaligned superpage). The requester turns it
// into the cause of its own access type.
//
// Two stages (V=1, `two`): the VS-stage walk rooted at vsatp, whose every PTE address is a guest
// physical address translated by the G stage first (as a read), then the G-stage translation of
// the final GPA with the access's own type. Each G-stage step is the generated
// `dvext_stage2_check` (docs/integration/stage2_check.md): the GPA range, the PTE address, the PTE
// verdict and the leaf address, and vPMP on every page-table read (G-stage PTEs and the VS PTEs'
// host addresses). vPMP on the final access is the MMU's, per access. The VS leaf's permission
// for the access is checked before its G stage (dvsim `translate_virt`). The result, one cycle
// after the last read (state FIN): the host page (4 KiB), the VS leaf's flags and which of
// R/W/X the G stage grants on the page (three more `dvext_stage2_check` on the G leaf), or a
// page fault, a guest-page fault (with the GPA) or an access fault, `implicit` when it came
// from a page-table read made for a VS-stage PTE (htinst gets the pseudoinstruction then).
// A request may be withdrawn (`cancel`) between memory accesses.
module dvc_ptw #(
  parameter bit HYP = 1
) (
  input  logic        clk,
  input  logic        rst,
  input  logic        satp_sv48,     // (vs)satp.MODE = Sv48 (else Sv39)
  input  logic [43:0] satp_ppn,
  // request (held until done or canceled)
  input  logic        req,
  input  logic [63:0] va,            // latched at `req`
  input  logic        two,           // a two-stage (V=1) walk, latched at `req`
  input  logic        vs_bare,       // vsatp.MODE = Bare: the VA is the GPA
  input  logic [63:0] gatp,          // the G-stage root (hgatp format)
  input  logic [1:0]  acc,           // access type, dvext_stage2_check encoding (0 X, 1 R, 2 W, 3 HLVX)
  input  logic [2:0]  need,          // {X, W, R} the access needs (VS leaf check)
  input  logic [1:0]  vs_prv,        // effective privilege of the access (VS leaf check)
  input  logic        vs_sum,
  input  logic        vs_mxr,        // vsstatus.MXR | mstatus.MXR
  input  logic        g_mxr,         // mstatus.MXR (the G stage)
  input  logic        vpmp_active,
  input  logic [63:0] vpmpcfg,
  input  logic [8*64-1:0] vpmpaddr,
  input  logic        cancel,
  output logic        busy,
  output logic        done,           // one cycle: result valid
  output logic        fault_page,
  output logic        fault_gpage,
  output logic        fault_access,
  output logic        fault_implicit, // a page-table read of a VS-stage PTE faulted (two stages)
  output logic [63:0] fault_gpa,      // the GPA of a guest-page fault, or of a two-stage result
  output logic [43:0] leaf_ppn,
  output logic [1:0]  leaf_level,
  output logic [5:0]  leaf_flags,     // {D, A, U, X, W, R}
  output logic [2:0]  g_perm,         // two stages: {X, W, R} the G stage grants on the page
  // PMP check of the PTE address
  output logic [63:0] pte_addr,
  input  logic        pte_pmp_ok,
  // data-port client
  output logic        mem_req,
  input  logic        mem_gnt,
  input  logic        mem_err,
  input  logic [63:0] mem_rdata       // the PTE, the cycle after the grant
);
  typedef enum logic [2:0] {
    IDLE = 3'd0, READ = 3'd1, WAIT = 3'd2, VS_G = 3'd3, G_READ = 3'd4, G_WAIT = 3'd5, FIN = 3'd6
  } state_e;
  state_e     state;
  logic [1:0] level;
  logic [43:0] table_ppn;
  logic [8:0] idx;
  logic [63:0] wva;
  logic        wtwo;

  always_comb begin
    unique case (level)
      2'd0: idx = wva[20:12];
      2'd1: idx = wva[29:21];
      2'd2: idx = wva[38:30];
      default: idx = wva[47:39];
    endcase
  end
  assign busy = state != IDLE;

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
  logic [5:0] pte_flags;
  assign pte_flags = {mem_rdata[7], mem_rdata[6], mem_rdata[4], pte_x, pte_w, pte_r};
  logic [2:0] unused_pte_bits;  // RSW and G: no meaning here (no ASIDs are kept)
  assign unused_pte_bits = {mem_rdata[9:8], mem_rdata[5]};

  // ---- one stage: the result in the cycle of the last read -------------------------------------
  logic        one_done, one_fault_page, one_fault_access;
  always_comb begin
    one_done = 1'b0;
    one_fault_page = 1'b0;
    one_fault_access = 1'b0;
    if (!cancel && !wtwo) begin
      if (state == READ && (!pte_pmp_ok || (mem_gnt && mem_err))) begin
        one_done = 1'b1;
        one_fault_access = 1'b1;
      end else if (state == WAIT) begin
        if (pte_bad || (!pte_leaf && level == 2'd0) || (pte_leaf && (pte_ppn & low_mask) != 44'd0)) begin
          one_done = 1'b1;
          one_fault_page = 1'b1;
        end else if (pte_leaf) begin
          one_done = 1'b1;
        end
      end
    end
  end

  // ---- two stages ----------------------------------------------------------------------------
  // FIN's registers: the result of a two-stage walk.
  logic [1:0]  fin_kind;    // 0 done, 1 page fault, 2 guest-page fault, 3 access fault
  logic        fin_implicit;
  logic [63:0] fin_gpa;
  logic [43:0] fin_ppn;
  logic [5:0]  fin_flags;
  logic [2:0]  fin_gperm;

  logic [63:0] vs_pa;        // host address of the VS PTE to read
  logic        g_final;      // the G stage translates the final GPA (else a VS PTE's)
  logic [63:0] gpa;
  logic [1:0]  g_level;
  logic [43:0] g_table;
  logic [63:0] s2_pte_addr, s2_leaf_pa;
  logic        s2_gpa_fault, s2_pte_fault, s2_pte_leaf, s2_vpmp_fault;
  logic [43:0] s2_next_ppn;
  logic [2:0]  probe;        // the G leaf grants {X, W, R}
  logic [63:0] vs_pte_gpa, final_gpa;
  logic        vs_leaf_ok;

  assign vs_pte_gpa = {8'd0, table_ppn, idx, 3'b000};
  assign final_gpa = {8'd0, (pte_ppn & ~low_mask) | (wva[55:12] & low_mask), wva[11:0]};
  assign vs_leaf_ok = dvc_pkg::perm_ok(pte_flags, vs_prv, vs_sum, vs_mxr, need);

  if (HYP) begin : g_two
    logic [63:0] pa;
    assign pa = state == G_READ ? s2_pte_addr : vs_pa;
    dvext_stage2_check step (
      .gatp_mode(gatp[63:60]), .gpa, .level(g_level), .table_ppn(g_table), .pte(mem_rdata),
      .access(g_final ? acc : 2'd1), .mxr(g_mxr), .pa, .pa_size(2'd3), .pa_is_pte(1'b1),
      .vpmp_active, .vpmpcfg,
      .vpmpaddr0(vpmpaddr[0*64 +: 64]), .vpmpaddr1(vpmpaddr[1*64 +: 64]), .vpmpaddr2(vpmpaddr[2*64 +: 64]),
      .vpmpaddr3(vpmpaddr[3*64 +: 64]), .vpmpaddr4(vpmpaddr[4*64 +: 64]), .vpmpaddr5(vpmpaddr[5*64 +: 64]),
      .vpmpaddr6(vpmpaddr[6*64 +: 64]), .vpmpaddr7(vpmpaddr[7*64 +: 64]),
      .gpa_fault(s2_gpa_fault), .pte_addr(s2_pte_addr), .pte_fault(s2_pte_fault), .pte_leaf(s2_pte_leaf),
      .pte_next_ppn(s2_next_ppn), .leaf_pa(s2_leaf_pa), .vpmp_fault(s2_vpmp_fault), .gpf_cause(nc_gpf),
      .af_cause(nc_af)
    );
    logic [4:0] nc_gpf, nc_af;
    logic unused_step;
    assign unused_step = ^{nc_gpf, nc_af};
    // Which kinds the G leaf grants on its page (the TLB keeps them; dvsim's whole-page rule).
    for (genvar k = 0; k < 3; k++) begin : g_probe
      logic [1:0] code;
      assign code = k == 0 ? 2'd1 : (k == 1 ? 2'd2 : 2'd0);  // R: load, W: store, X: fetch
      logic        p_gpa_fault, p_pte_fault, p_vpmp_fault;
      logic [63:0] p_pte_addr, p_leaf_pa;
      logic [43:0] p_next;
      logic [4:0]  p_gpf, p_af;
      dvext_stage2_check probe_k (
        .gatp_mode(gatp[63:60]), .gpa, .level(g_level), .table_ppn(g_table), .pte(mem_rdata),
        .access(code), .mxr(g_mxr), .pa(64'd0), .pa_size(2'd0), .pa_is_pte(1'b0),
        .vpmp_active(1'b0), .vpmpcfg(64'd0),
        .vpmpaddr0(64'd0), .vpmpaddr1(64'd0), .vpmpaddr2(64'd0), .vpmpaddr3(64'd0),
        .vpmpaddr4(64'd0), .vpmpaddr5(64'd0), .vpmpaddr6(64'd0), .vpmpaddr7(64'd0),
        .gpa_fault(p_gpa_fault), .pte_addr(p_pte_addr), .pte_fault(p_pte_fault), .pte_leaf(probe[k]),
        .pte_next_ppn(p_next), .leaf_pa(p_leaf_pa), .vpmp_fault(p_vpmp_fault), .gpf_cause(p_gpf), .af_cause(p_af)
      );
      logic unused_probe;
      assign unused_probe = ^{p_gpa_fault, p_pte_fault, p_vpmp_fault, p_pte_addr, p_leaf_pa, p_next, p_gpf, p_af};
    end
  end else begin : g_one
    assign {s2_pte_addr, s2_leaf_pa, s2_next_ppn} = '0;
    assign {s2_gpa_fault, s2_pte_fault, s2_pte_leaf, s2_vpmp_fault} = '0;
    assign probe = '0;
    logic unused_two;
    assign unused_two = ^{gatp, acc, g_mxr, vpmp_active, vpmpcfg, vpmpaddr, vs_pa, g_table};
  end

  assign pte_addr = state == G_READ ? s2_pte_addr : (wtwo ? vs_pa : {8'd0, table_ppn, idx, 3'b000});
  assign mem_req = (state == READ && pte_pmp_ok && !(wtwo && s2_vpmp_fault))
                || (state == G_READ && pte_pmp_ok && !s2_vpmp_fault && !s2_gpa_fault);

  assign done = one_done || (state == FIN && !cancel);
  assign fault_page = one_fault_page || (state == FIN && fin_kind == 2'd1);
  assign fault_gpage = state == FIN && fin_kind == 2'd2;
  assign fault_access = one_fault_access || (state == FIN && fin_kind == 2'd3);
  assign fault_implicit = one_fault_access || (state == FIN && fin_kind != 2'd0 && fin_implicit);
  assign fault_gpa = fin_gpa;
  assign leaf_ppn = wtwo ? fin_ppn : pte_ppn;
  assign leaf_level = wtwo ? 2'd0 : level;
  assign leaf_flags = wtwo ? fin_flags : pte_flags;
  assign g_perm = fin_gperm;

  // Entering the G stage this cycle (from IDLE, WAIT or VS_G): translate `ge_x` for a VS PTE
  // (`ge_fin` = 0) or as the final GPA; and a two-stage walk ending this cycle (`fi_go`).
  logic        ge_go, ge_fin, fi_go, fi_implicit;
  logic [63:0] ge_x;
  logic [1:0]  fi_kind;
  always_comb begin
    ge_go = 1'b0;
    ge_fin = 1'b1;
    ge_x = final_gpa;
    fi_go = 1'b0;
    fi_kind = 2'd3;
    fi_implicit = 1'b0;
    if (HYP) unique case (state)
      IDLE: if (req && two && vs_bare) begin ge_go = 1'b1; ge_x = va; end
      READ: if (wtwo && (!pte_pmp_ok || s2_vpmp_fault || (mem_gnt && mem_err))) begin
        fi_go = 1'b1; fi_implicit = 1'b1;
      end
      WAIT: if (wtwo) begin
        if (pte_bad || (!pte_leaf && level == 2'd0) || (pte_leaf && (pte_ppn & low_mask) != 44'd0)
            || (pte_leaf && !vs_leaf_ok)) begin
          fi_go = 1'b1; fi_kind = 2'd1;
        end else if (pte_leaf) begin
          ge_go = 1'b1;
        end
      end
      VS_G: begin ge_go = 1'b1; ge_fin = 1'b0; ge_x = vs_pte_gpa; end
      G_READ: if (s2_gpa_fault) begin
        fi_go = 1'b1; fi_kind = 2'd2; fi_implicit = !g_final;
      end else if (!pte_pmp_ok || s2_vpmp_fault || (mem_gnt && mem_err)) begin
        fi_go = 1'b1; fi_implicit = !g_final;
      end
      G_WAIT: if (s2_pte_fault) begin
        fi_go = 1'b1; fi_kind = 2'd2; fi_implicit = !g_final;
      end
      default: ;
    endcase
  end

  always_ff @(posedge clk) begin
    if (rst || cancel) begin
      state <= IDLE;
    end else if (fi_go) begin
      state <= FIN;
      fin_kind <= fi_kind;
      fin_implicit <= fi_implicit;
      fin_gpa <= gpa;
    end else if (ge_go) begin
      if (state == WAIT) fin_flags <= pte_flags;
      if (gatp[63:60] == 4'd0) begin
        // Bare: the GPA is the address (vPMP checks it: the VS PTE's in READ, the final
        // access's in the MMU).
        if (ge_fin) begin
          state <= FIN;
          fin_kind <= 2'd0;
          fin_gpa <= ge_x;
          fin_ppn <= ge_x[55:12];
          fin_gperm <= 3'b111;
        end else begin
          vs_pa <= ge_x;
          state <= READ;
        end
      end else begin
        gpa <= ge_x;
        g_final <= ge_fin;
        g_level <= gatp[63:60] == 4'd9 ? 2'd3 : 2'd2;
        g_table <= gatp[43:0];
        state <= G_READ;
      end
      if (state == IDLE) begin
        wva <= va;
        wtwo <= 1'b1;
        fin_flags <= 6'h3f;
      end
    end else begin
      unique case (state)
        IDLE: if (req) begin
          wva <= va;
          wtwo <= HYP && two;
          fin_flags <= 6'h3f;
          level <= satp_sv48 ? 2'd3 : 2'd2;
          table_ppn <= satp_ppn;
          state <= HYP && two ? VS_G : READ;
        end
        READ: if (!wtwo && one_done) state <= IDLE;
              else if (mem_gnt) state <= WAIT;
        WAIT: begin
          if (!wtwo && one_done) begin
            state <= IDLE;
          end else begin
            // A pointer: the next level (two stages: its PTE's GPA through the G stage first).
            state <= wtwo ? VS_G : READ;
            level <= level - 2'd1;
            table_ppn <= pte_ppn;
          end
        end
        G_READ: if (mem_gnt) state <= G_WAIT;
        G_WAIT: begin
          if (!s2_pte_leaf) begin
            g_table <= s2_next_ppn;
            g_level <= g_level - 2'd1;
            state <= G_READ;
          end else if (g_final) begin
            state <= FIN;
            fin_kind <= 2'd0;
            fin_gpa <= gpa;
            fin_ppn <= s2_leaf_pa[55:12];
            fin_gperm <= {probe[2], probe[1], probe[0]};
          end else begin
            vs_pa <= s2_leaf_pa;
            state <= READ;
          end
        end
        default: state <= IDLE;  // VS_G (handled above), FIN
      endcase
    end
  end
  logic unused_ptw;
  assign unused_ptw = ^{gatp[59:44], wva[63:56], s2_leaf_pa[63:56], s2_leaf_pa[11:0]};
endmodule
