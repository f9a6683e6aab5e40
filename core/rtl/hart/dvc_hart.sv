// dvc_hart: one RV64IMAC hart of dvcore (docs/core.md): an in-order pipeline of the Rocket
// family with a decoupled front end.
//
//   F  fetch: predict, translate, read a 4-byte block into the instruction buffer  (dvc_fetch)
//   D  decode: align, expand RVC, decode, read registers (bypass from W)
//   X  execute: ALU, branch resolution and predictor training, address generation and data
//      translation (dvc_mmu), multiply/divide (dvc_muldiv); full bypass from M and W
//   M  commit: the one precise commit point. Interrupts and every exception are decided in an
//      instruction's first cycle here; a committing instruction then performs its memory
//      access (dvc_lsu through dvc_dport), CSR access, xRET, fence or WFI. Traps, xRET,
//      FENCE.I, SFENCE.VMA, WFI and CSR writes redirect fetch and flush X, D and F.
//   W  writeback: register write and the commit-trace port.
//
// Nothing before M has an architectural side effect (page walks only read, Svade), so a
// squashed instruction leaves no trace. Memory accesses are performed in the cycle M is
// granted the data port; the loaded value arrives in W.
module dvc_hart #(
  parameter bit HYP = 1,          // the H extension and DV-Ext (docs/core.md "Extensions")
  parameter int MUL_CYCLES = 4,
  parameter int ITLB_ENTRIES = 16,
  parameter int DTLB_ENTRIES = 16,
  parameter int BTB_ENTRIES = 64,
  parameter int BHT_ENTRIES = 512,
  parameter int L1_SETS = 64,
  parameter int L1_WAYS = 4,
  parameter int L1_LINE = 64,
  parameter int HIT_CYCLES = 1,
  parameter int MISS_CYCLES = 20,
  parameter int WB_CYCLES = 10,
  parameter int DEV_CYCLES = 8
) (
  input  logic        clk,
  input  logic        rst,
  input  logic [63:0] hartid,
  input  logic [63:0] ram_size,
  input  logic        skip,           // idle skip: mcycle advances by skip_cycles
  input  logic [63:0] skip_cycles,
  // platform interrupt lines and time
  input  logic        msip,
  input  logic        mtip,
  input  logic        meip,
  input  logic        seip,
  input  logic [63:0] mtime,
  // instruction port
  output logic        imem_req,
  output logic [63:0] imem_addr,
  input  logic        imem_gnt,
  input  logic        imem_err,
  input  logic [31:0] imem_rdata,
  // data port
  output logic        dmem_req,
  output dvc_pkg::dop_e dmem_op,
  output logic [63:0] dmem_addr,
  output logic [1:0]  dmem_size,
  output logic [63:0] dmem_wdata,
  input  logic        dmem_gnt,
  input  logic        dmem_err,
  input  logic [63:0] dmem_rdata,
  input  logic        dmem_sc_fail,
  output logic        sleeping,
  // the machine's vIPI bitmap (DV-Ext, in the SoC)
  output logic        vipi_en,
  output logic [1:0]  vipi_word,
  output logic [1:0]  vipi_op,
  output logic [63:0] vipi_operand,
  output logic        vipi_writes,
  output logic [7:0]  vcpuid,
  input  logic [63:0] vipi_rdata,
  input  logic        vipi_usip,
  // the CLINT mirror's port into this hart's DV-Ext CSR file (dvext.md §6.3)
  input  logic        mir_en,
  input  logic [1:0]  mir_reg,
  input  logic [63:0] mir_wdata,
  output logic [63:0] mir_rdata,
  // commit trace (docs/core.md "Commit trace"): one instruction per cycle, from W
  output logic        tr_valid,
  output logic [63:0] tr_pc,
  output logic [31:0] tr_insn,
  output logic [1:0]  tr_priv,
  output logic        tr_virt,
  output logic        tr_untranslated,
  output logic        tr_trap,
  output logic [63:0] tr_cause,
  output logic [63:0] tr_tval,
  output logic        tr_trap_s,
  output logic [1:0]  tr_trap_to,     // 0 M, 1 HS, 2 HU, 3 VS
  output logic [63:0] tr_status,
  output logic [63:0] tr_hstatus,
  output logic [63:0] tr_vsstatus,
  output logic [63:0] tr_hustatus,
  output logic [63:0] tr_tval2,
  output logic [63:0] tr_tinst,
  output logic        tr_rd_we,
  output logic [4:0]  tr_rd,
  output logic [63:0] tr_rd_wdata,
  output logic        tr_st_valid,
  output logic [63:0] tr_st_addr,
  output logic [1:0]  tr_st_size,
  output logic [63:0] tr_st_data,
  output logic        tr_ld_valid,
  output logic [63:0] tr_ld_addr,
  output logic [63:0] tr_ld_data,
  output logic        tr_csr_we,
  output logic [11:0] tr_csr_addr,
  output logic [63:0] tr_csr_wdata,
  output logic        tr_xret,
  output logic [4:0]  tr_lines,       // {usip, seip, meip, mtip, msip}
  output logic [63:0] tr_mtime,
  output logic [63:0] tr_mcycle
);
  // =============================================================================================
  // Signals shared across stages
  // =============================================================================================
  logic        m_redirect;           // M redirects fetch and flushes X, D, F this cycle
  logic [63:0] m_redirect_pc;
  logic        x_fire, x_mispredict;
  logic [63:0] x_npc;
  logic        m_can_accept;         // M is empty or finishes this cycle

  // CSR file outputs
  logic [1:0]  prv, st_mpp, trap_to;
  logic        virt, st_mprv, st_mpv, st_sum, st_mxr, tlb_flush, pmp_write, pmp_update;
  logic        vs_sum, vs_mxr, hstatus_hu, hyp_spvp;
  logic [63:0] satp, vsatp, hgatp, g_gatp, vpmpcfg, xret_pc, mstatus, mcycle;
  logic [8*64-1:0] vpmpaddr;
  logic [16*8-1:0]  pmpcfg;
  logic [16*54-1:0] pmpaddr;
  logic        irq_pending, wake, csr_illegal, csr_virtual, csr_flush, csr_wait, csr_dv;
  logic        sys_illegal, sys_virtual;
  logic [4:0]  ecall_cause;
  logic [11:0] csr_tr_addr;
  logic [5:0]  irq_cause;
  logic [63:0] trap_vector, csr_rdata, tr_csr_rdata;

  // =============================================================================================
  // F: the front end
  // =============================================================================================
  logic        sleep_q;
  logic        fd_valid, d_take;
  logic [63:0] fd_pc, fd_pred_npc, fd_tval, fd_gpa;
  logic        fd_implicit;
  logic [31:0] fd_raw;
  logic [1:0]  fd_fault;
  logic        i_req, i_cancel, i_ready, i_fault_page, i_fault_access, i_fault_gpage, i_fault_implicit;
  logic [63:0] i_va, i_pa, i_gpa;
  logic        fence_i_commit, sfence_commit;
  logic        bp_valid, bp_cfi, bp_cond, bp_taken;
  logic [63:1] bp_last, bp_target;

  dvc_fetch #(
    .IC_SETS(L1_SETS), .IC_WAYS(L1_WAYS), .LINE(L1_LINE), .HIT_CYCLES(HIT_CYCLES),
    .MISS_CYCLES(MISS_CYCLES), .BTB_ENTRIES(BTB_ENTRIES), .BHT_ENTRIES(BHT_ENTRIES)
  ) fetch (
    .clk, .rst, .ram_size,
    .redirect(m_redirect || (x_fire && x_mispredict)),
    .redirect_pc(m_redirect ? m_redirect_pc : x_npc),
    .sleep(sleep_q || pmp_update), .icache_flush(fence_i_commit),
    .bp_valid, .bp_last, .bp_cfi, .bp_cond, .bp_taken, .bp_target,
    .i_req, .i_va, .i_cancel, .i_ready, .i_pa, .i_fault_page, .i_fault_access,
    .i_fault_gpage, .i_fault_implicit, .i_gpa,
    .imem_req, .imem_addr, .imem_gnt, .imem_err, .imem_rdata,
    .d_valid(fd_valid), .d_pc(fd_pc), .d_raw(fd_raw), .d_pred_npc(fd_pred_npc),
    .d_fault(fd_fault), .d_tval(fd_tval), .d_gpa(fd_gpa), .d_implicit(fd_implicit), .d_take
  );

  // =============================================================================================
  // D: decode and register read
  // =============================================================================================
  logic [31:0] d_insn, rvc_insn;
  logic        rvc_illegal, d_len4;
  dvc_pkg::ctrl_t d_ctrl;
  logic [63:0] rf_a, rf_b, d_rs1v, d_rs2v;
  logic        d_exc;
  logic [4:0]  d_cause;
  logic [63:0] d_tval;

  assign d_len4 = fd_raw[1:0] == 2'b11;
  dvc_rvc rvc (.c(fd_raw[15:0]), .insn(rvc_insn), .illegal(rvc_illegal));
  assign d_insn = d_len4 ? fd_raw : rvc_insn;
  dvc_decode #(.HYP(HYP)) decode (.insn(d_insn), .ctrl(d_ctrl));

  // W stage (declared early for the bypass into D)
  logic        w_valid, w_trap, w_rd_en;
  logic [4:0]  w_rd;
  logic [63:0] w_wdata;

  dvc_regfile rf (
    .clk, .ra(d_ctrl.rs1), .rdata_a(rf_a), .rb(d_ctrl.rs2), .rdata_b(rf_b),
    .we(w_valid && !w_trap && w_rd_en), .wa(w_rd), .wdata(w_wdata)
  );
  assign d_rs1v = w_valid && !w_trap && w_rd_en && w_rd == d_ctrl.rs1 ? w_wdata : rf_a;
  assign d_rs2v = w_valid && !w_trap && w_rd_en && w_rd == d_ctrl.rs2 ? w_wdata : rf_b;

  always_comb begin
    d_exc = 1'b1;
    d_cause = dvc_pkg::EXC_ILLEGAL;
    d_tval = {32'd0, fd_raw};
    if (fd_fault == 2'd1) begin
      d_cause = dvc_pkg::EXC_INSN_PAGE;
      d_tval = fd_tval;
    end else if (fd_fault == 2'd2) begin
      d_cause = dvc_pkg::EXC_INSN_ACCESS;
      d_tval = fd_tval;
    end else if (fd_fault == 2'd3) begin
      d_cause = dvc_pkg::EXC_INSN_GPAGE;
      d_tval = fd_tval;
    end else if (d_len4 ? d_ctrl.legal : (!rvc_illegal && d_ctrl.legal)) begin
      d_exc = 1'b0;
    end
  end

  // =============================================================================================
  // X: execute
  // =============================================================================================
  logic           x_valid, x_len4, x_exc;
  logic [63:0]    x_pc, x_pred_npc, x_tval, x_rs1v, x_rs2v;
  logic [31:0]    x_raw, x_insn;
  dvc_pkg::ctrl_t x_ctrl;
  logic [4:0]     x_cause;
  logic [63:0]    x_gpa;       // a fetch guest-page fault's GPA
  logic           x_implicit;  // a fetch fault of an implicit page-table read

  // M stage registers used by the bypass network
  logic           m_valid, m_rd_en, m_late;
  logic [4:0]     m_rd;
  logic [63:0]    m_result;

  // Bypass: M (when its result is ready there), then W, then the value read in decode.
  logic [63:0] rs1, rs2;
  logic        hz1, hz2;
  always_comb begin
    rs1 = x_rs1v;
    rs2 = x_rs2v;
    if (w_valid && !w_trap && w_rd_en && w_rd == x_ctrl.rs1) rs1 = w_wdata;
    if (w_valid && !w_trap && w_rd_en && w_rd == x_ctrl.rs2) rs2 = w_wdata;
    if (m_valid && m_rd_en && m_rd == x_ctrl.rs1) rs1 = m_result;
    if (m_valid && m_rd_en && m_rd == x_ctrl.rs2) rs2 = m_result;
  end
  // A value M produces only in W (loads, LR/SC, AMOs, CSR reads) is not ready yet.
  assign hz1 = x_ctrl.rs1_en && m_valid && m_rd_en && m_late && m_rd == x_ctrl.rs1;
  assign hz2 = x_ctrl.rs2_en && m_valid && m_rd_en && m_late && m_rd == x_ctrl.rs2;

  // ALU, branches, jumps
  logic [63:0] alu_a, alu_b, alu_y, x_link, x_target;
  logic        br_taken, x_jump;
  assign alu_a = x_ctrl.a_pc ? x_pc : rs1;
  assign alu_b = x_ctrl.b_imm ? x_ctrl.imm : rs2;
  dvc_alu alu (.op(x_ctrl.alu), .w32(x_ctrl.w32), .a(alu_a), .b(alu_b), .y(alu_y));
  always_comb begin
    unique case (x_ctrl.funct3)
      3'd0: br_taken = rs1 == rs2;
      3'd1: br_taken = rs1 != rs2;
      3'd4: br_taken = $signed(rs1) < $signed(rs2);
      3'd5: br_taken = $signed(rs1) >= $signed(rs2);
      3'd6: br_taken = rs1 < rs2;
      default: br_taken = rs1 >= rs2;
    endcase
  end
  assign x_link = x_pc + (x_len4 ? 64'd4 : 64'd2);
  assign x_target = x_ctrl.fu == dvc_pkg::FU_JALR ? {alu_y[63:1], 1'b0} : x_pc + x_ctrl.imm;
  assign x_jump = x_ctrl.fu == dvc_pkg::FU_JAL || x_ctrl.fu == dvc_pkg::FU_JALR
               || (x_ctrl.fu == dvc_pkg::FU_BRANCH && br_taken);
  assign x_npc = x_jump ? x_target : x_link;
  assign x_mispredict = !x_exc && x_npc != x_pred_npc;

  // Multiply/divide
  logic        md_go, md_done;
  logic [63:0] md_result;
  assign md_go = x_valid && !x_exc && !hz1 && !hz2
              && (x_ctrl.fu == dvc_pkg::FU_MUL || x_ctrl.fu == dvc_pkg::FU_DIV);
  dvc_muldiv #(.MUL_CYCLES(MUL_CYCLES)) muldiv (
    .clk, .rst, .start(md_go), .advance(x_fire), .kill(m_redirect),
    .is_div(x_ctrl.fu == dvc_pkg::FU_DIV), .funct3(x_ctrl.funct3), .w32(x_ctrl.w32),
    .a(rs1), .b(rs2), .done(md_done), .result(md_result)
  );

  // Address generation and translation
  logic        x_mem, x_mread, x_mwrite, x_misaligned, d_ready, d_fault_page, d_fault_access;
  logic        d_fault_gpage, d_fault_implicit, d_virt;
  logic [63:0] x_va, d_pa, d_gpa;
  logic [1:0]  x_size;
  logic        ptw_mem_req, ptw_mem_gnt;
  logic [63:0] ptw_mem_addr;
  assign x_mem = x_ctrl.fu == dvc_pkg::FU_MEM;
  assign x_va = x_ctrl.hyp ? rs1 : rs1 + x_ctrl.imm;
  assign x_size = x_ctrl.funct3[1:0];
  assign x_mread = x_ctrl.mem != dvc_pkg::MEM_STORE;
  assign x_mwrite = x_ctrl.mem != dvc_pkg::MEM_LOAD && x_ctrl.mem != dvc_pkg::MEM_LR;
  always_comb begin
    unique case (x_size)
      2'd0: x_misaligned = 1'b0;
      2'd1: x_misaligned = x_va[0];
      2'd2: x_misaligned = x_va[1:0] != 2'd0;
      default: x_misaligned = x_va[2:0] != 3'd0;
    endcase
  end

  logic dport_err;
  logic [63:0] dport_rdata;
  dvc_mmu #(.HYP(HYP), .ITLB_ENTRIES(ITLB_ENTRIES), .DTLB_ENTRIES(DTLB_ENTRIES)) mmu (
    .clk, .rst,
    .prv, .virt, .mprv(st_mprv), .mpp(st_mpp), .mpv(st_mpv), .sum(st_sum), .mxr(st_mxr), .satp, .vsatp,
    .vs_sum, .vs_mxr, .hgatp, .g_gatp, .hu(hstatus_hu), .hyp_spvp, .vpmpcfg, .vpmpaddr, .pmpcfg, .pmpaddr,
    .pmp_update, .flush(sfence_commit || tlb_flush),
    .i_req, .i_va, .i_cancel, .i_ready, .i_pa, .i_fault_page, .i_fault_gpage, .i_fault_access,
    .i_fault_implicit, .i_gpa,
    .d_req(x_valid && x_mem && !x_exc && !hz1 && !x_misaligned), .d_va(x_va), .d_size(x_size),
    .d_read(x_mread), .d_write(x_mwrite), .d_hyp(x_ctrl.hyp), .d_lx(x_ctrl.hlvx), .d_cancel(m_redirect),
    .d_ready, .d_pa, .d_fault_page, .d_fault_gpage, .d_fault_access, .d_fault_implicit, .d_gpa, .d_virt,
    .ptw_mem_req, .ptw_mem_addr, .ptw_mem_gnt, .ptw_mem_err(dport_err), .ptw_mem_rdata(dport_rdata)
  );

  // The exception X hands to M (its own or one from F/D).
  // What the trap needs besides cause and tval (H spec 8.6.3; dvsim FaultExtra): the GPA of a
  // guest-page fault, whether the fault came from an implicit page-table read (htinst), and
  // whether the access was an HLV/HSV or translated with V=1 (GVA).
  logic        x_exc_out, x_exc_mem, x_implicit_out, x_hyp_out;
  logic [4:0]  x_cause_out;
  logic [63:0] x_tval_out, x_gpa_out;
  always_comb begin
    x_exc_out = x_exc;
    x_exc_mem = 1'b0;
    x_cause_out = x_cause;
    x_tval_out = x_tval;
    x_gpa_out = x_gpa;
    x_implicit_out = x_implicit;
    x_hyp_out = 1'b0;
    if (!x_exc && x_mem) begin
      x_tval_out = x_va;
      x_gpa_out = d_gpa;
      x_implicit_out = d_fault_implicit;
      x_exc_mem = 1'b1;
      x_hyp_out = x_ctrl.hyp || (d_virt && (d_fault_page || d_fault_gpage || d_fault_access));
      if (x_misaligned) begin
        x_exc_out = 1'b1;
        x_cause_out = x_mread && !x_mwrite ? dvc_pkg::EXC_LOAD_MISALIGNED : dvc_pkg::EXC_STORE_MISALIGNED;
        x_implicit_out = 1'b0;
      end else if (d_fault_page) begin
        x_exc_out = 1'b1;
        x_cause_out = x_mwrite ? dvc_pkg::EXC_STORE_PAGE : dvc_pkg::EXC_LOAD_PAGE;
      end else if (d_fault_gpage) begin
        x_exc_out = 1'b1;
        x_cause_out = x_mwrite ? dvc_pkg::EXC_STORE_GPAGE : dvc_pkg::EXC_LOAD_GPAGE;
      end else if (d_fault_access) begin
        x_exc_out = 1'b1;
        x_cause_out = x_mwrite ? dvc_pkg::EXC_STORE_ACCESS : dvc_pkg::EXC_LOAD_ACCESS;
      end
    end
  end

  logic x_ready;
  always_comb begin
    x_ready = m_can_accept && !hz1 && !hz2;
    if (!x_exc && x_mem && !x_misaligned && !d_ready) x_ready = 1'b0;
    if (!x_exc && (x_ctrl.fu == dvc_pkg::FU_MUL || x_ctrl.fu == dvc_pkg::FU_DIV) && !md_done) x_ready = 1'b0;
  end
  assign x_fire = x_valid && x_ready && !m_redirect;
  assign d_take = fd_valid && (!x_valid || x_fire) && !m_redirect && !(x_fire && x_mispredict);

  // Predictor training on every instruction leaving X (drops entries that mispredicted a
  // non-branch as taken).
  assign bp_valid = x_fire && !x_exc
    && (x_ctrl.fu == dvc_pkg::FU_JAL || x_ctrl.fu == dvc_pkg::FU_JALR || x_ctrl.fu == dvc_pkg::FU_BRANCH || x_mispredict);
  assign bp_last = x_len4 ? x_pc[63:1] + 63'd1 : x_pc[63:1];
  assign bp_cfi = x_ctrl.fu == dvc_pkg::FU_JAL || x_ctrl.fu == dvc_pkg::FU_JALR || x_ctrl.fu == dvc_pkg::FU_BRANCH;
  assign bp_cond = x_ctrl.fu == dvc_pkg::FU_BRANCH;
  assign bp_taken = x_jump;
  assign bp_target = x_target[63:1];

  // The X result M carries.
  logic [63:0] x_result;
  always_comb begin
    unique case (x_ctrl.fu)
      dvc_pkg::FU_JAL, dvc_pkg::FU_JALR: x_result = x_link;
      dvc_pkg::FU_MUL, dvc_pkg::FU_DIV:  x_result = md_result;
      dvc_pkg::FU_CSR: x_result = x_ctrl.funct3[2] ? x_ctrl.imm : rs1;   // CSR operand
      default: x_result = alu_y;
    endcase
  end

  always_ff @(posedge clk) begin
    if (rst || m_redirect) begin
      x_valid <= 1'b0;
    end else if (x_fire || !x_valid) begin
      x_valid <= d_take;
      if (d_take) begin
        x_pc <= fd_pc;
        x_raw <= fd_raw;
        x_insn <= d_insn;
        x_gpa <= fd_gpa;
        x_implicit <= fd_implicit;
        x_len4 <= d_len4;
        x_ctrl <= d_ctrl;
        x_rs1v <= d_rs1v;
        x_rs2v <= d_rs2v;
        x_pred_npc <= fd_pred_npc;
        x_exc <= d_exc;
        x_cause <= d_cause;
        x_tval <= d_tval;
      end
    end else begin
      // Holding: keep the operands current as their producers retire.
      x_rs1v <= rs1;
      x_rs2v <= rs2;
    end
  end

  // =============================================================================================
  // M: the commit point
  // =============================================================================================
  logic           m_first, m_len4, m_exc;
  logic [63:0]    m_pc, m_pa, m_wdata, m_tval;
  logic [31:0]    m_raw, m_insn;
  dvc_pkg::ctrl_t m_ctrl;
  logic [4:0]     m_cause;
  logic [63:0]    m_gpa;
  logic           m_exc_mem, m_implicit, m_hyp, m_two;

  logic        m_is_mem, m_is_csr, m_is_sys, m_sync, irq_take, lsu_done, lsu_err, m_trap, m_done, m_commit;
  logic [5:0]  m_trap_cause;
  logic [63:0] m_trap_tval, amo_old, amo_new;


  assign m_is_mem = m_ctrl.fu == dvc_pkg::FU_MEM;
  assign m_is_csr = m_ctrl.fu == dvc_pkg::FU_CSR;
  assign m_is_sys = m_ctrl.fu == dvc_pkg::FU_SYS;

  // Privilege checks of the system instructions and HLV/HSV are dvc_csr's (sys_illegal,
  // sys_virtual): they depend on the privilege, V and the trap-virtualization bits.

  // The synchronous exception of the instruction, if any, in its first cycle.
  logic [4:0]  m_sync_cause;
  logic [63:0] m_sync_tval;
  always_comb begin
    m_sync = 1'b1;
    m_sync_cause = m_cause;
    m_sync_tval = m_tval;
    // Priority (priv spec 3.7): the fetch's and decode's exceptions, then the instruction's
    // own (an HLV/HSV's illegal or virtual instruction before its memory access's faults).
    if (m_exc && !m_exc_mem) begin
      m_sync = 1'b1;
    end else if (m_is_sys && m_ctrl.sys == dvc_pkg::SYS_ECALL) begin
      m_sync_cause = ecall_cause;
      m_sync_tval = 64'd0;
    end else if (m_is_sys && m_ctrl.sys == dvc_pkg::SYS_EBREAK) begin
      m_sync_cause = dvc_pkg::EXC_BREAKPOINT;
      m_sync_tval = m_pc;
    end else if (sys_illegal || (m_is_csr && csr_illegal)) begin
      m_sync_cause = dvc_pkg::EXC_ILLEGAL;
      m_sync_tval = {32'd0, m_raw};
    end else if (sys_virtual || (m_is_csr && csr_virtual)) begin
      m_sync_cause = dvc_pkg::EXC_VIRTUAL;
      m_sync_tval = {32'd0, m_raw};
    end else if (m_exc) begin
      m_sync = 1'b1;
    end else begin
      m_sync = 1'b0;
    end
  end

  assign irq_take = m_valid && m_first && irq_pending;
  logic lsu_go;
  assign lsu_go = m_valid && m_is_mem && !(m_first && (irq_take || m_sync));
  dvc_lsu lsu (
    .clk, .rst, .go(lsu_go), .op(m_ctrl.mem), .amo(m_ctrl.amo), .size(m_ctrl.funct3[1:0]),
    .pa(m_pa), .wdata(m_wdata), .done(lsu_done), .bus_err(lsu_err), .amo_old, .amo_new,
    .req(lsu_req), .dop(lsu_op), .addr(lsu_addr), .req_size(lsu_size), .req_wdata(lsu_wdata),
    .gnt(lsu_gnt), .err(dport_err), .rsp_rdata(dport_rdata)
  );
  logic          lsu_req, lsu_gnt;
  dvc_pkg::dop_e lsu_op;
  logic [63:0]   lsu_addr, lsu_wdata;
  logic [1:0]    lsu_size;

  always_comb begin
    m_trap = 1'b0;
    m_trap_cause = {1'b0, m_sync_cause};
    m_trap_tval = m_sync_tval;
    if (irq_take) begin
      m_trap = 1'b1;
      m_trap_cause = irq_cause;
      m_trap_tval = 64'd0;
    end else if (m_valid && m_first && m_sync) begin
      m_trap = 1'b1;
    end else if (lsu_done && lsu_err) begin
      m_trap = 1'b1;
      m_trap_cause = {1'b0, m_ctrl.mem == dvc_pkg::MEM_LOAD || m_ctrl.mem == dvc_pkg::MEM_LR
                     ? dvc_pkg::EXC_LOAD_ACCESS : dvc_pkg::EXC_STORE_ACCESS};
      m_trap_tval = m_tval;
    end
  end
  // A write of a DV-Ext register takes a second cycle here (its read-back for the trace).
  assign m_done = m_valid && (m_trap || (m_is_mem ? lsu_done : !csr_wait));
  assign m_commit = m_done && !m_trap;
  assign m_can_accept = !m_valid || m_done;

  logic m_xret, m_mret, m_sret, m_huret, m_wfi;
  assign m_mret = m_commit && m_is_sys && m_ctrl.sys == dvc_pkg::SYS_MRET;
  assign m_sret = m_commit && m_is_sys && m_ctrl.sys == dvc_pkg::SYS_SRET;
  assign m_huret = m_commit && m_is_sys && m_ctrl.sys == dvc_pkg::SYS_HURET;
  assign m_xret = m_mret || m_sret || m_huret;
  assign m_wfi = m_commit && m_is_sys && m_ctrl.sys == dvc_pkg::SYS_WFI;
  assign fence_i_commit = m_commit && m_is_sys && m_ctrl.sys == dvc_pkg::SYS_FENCEI;
  // Every address-translation fence flushes both TLBs whole (as dvsim).
  assign sfence_commit = m_commit && m_is_sys && (m_ctrl.sys == dvc_pkg::SYS_SFENCE
    || m_ctrl.sys == dvc_pkg::SYS_HFENCEV || m_ctrl.sys == dvc_pkg::SYS_HFENCEG
    || m_ctrl.sys == dvc_pkg::SYS_HUFENCEV || m_ctrl.sys == dvc_pkg::SYS_HUFENCEG);

  logic m_csr_writes;
  assign m_csr_writes = m_ctrl.funct3[1:0] == 2'b01 || m_ctrl.rs1 != 5'd0;

  logic [63:0] m_next_pc;
  assign m_next_pc = m_pc + (m_len4 ? 64'd4 : 64'd2);
  always_comb begin
    m_redirect = 1'b1;
    m_redirect_pc = m_next_pc;
    if (m_trap) m_redirect_pc = trap_vector;
    else if (m_xret) m_redirect_pc = xret_pc;
    else if (!(m_commit && (fence_i_commit || sfence_commit || m_wfi || (m_is_csr && csr_flush)))) m_redirect = 1'b0;
  end

  // The trap's H values: htinst/mtinst/hutinst (H spec 8.6.3, dvsim insn_trap) is the
  // pseudoinstruction of an implicit VS-stage page-table read, 0 for another implicit read, else
  // for access and guest-page faults of loads/stores the transformed instruction.
  logic [63:0] m_tinst;
  logic        m_trap_hyp;
  always_comb begin
    logic [31:0] t;
    unique case (m_insn[6:0])
      7'h03: t = m_insn & 32'h0000_7fff;
      7'h23: t = m_insn & 32'h01f0_707f;
      7'h2f, 7'h73: t = m_insn & ~32'h000f_8000;
      default: t = 32'd0;
    endcase
    if (m_raw[1:0] != 2'b11) t[1] = 1'b0;
    m_tinst = 64'd0;
    if (m_exc && m_implicit) m_tinst = m_two ? dvc_pkg::PSEUDO_PTE_READ : 64'd0;
    else if (m_trap_cause == 6'd5 || m_trap_cause == 6'd7 || m_trap_cause == 6'd21 || m_trap_cause == 6'd23) m_tinst = {32'd0, t};
  end
  assign m_trap_hyp = (m_exc && m_exc_mem && m_hyp) || (lsu_done && lsu_err && m_ctrl.hyp);

  dvc_csr #(.HYP(HYP)) csr (
    .clk, .rst, .hartid, .msip, .mtip, .meip, .seip, .mtime, .skip, .skip_cycles,
    .csr_en(m_valid && m_is_csr), .csr_addr(m_raw[31:20]), .csr_op(m_ctrl.funct3[1:0]),
    .csr_operand(m_result), .csr_writes(m_csr_writes),
    .csr_commit(m_valid && m_first && m_is_csr && !m_trap), .csr_second(m_valid && !m_first && m_is_csr),
    .csr_wait, .csr_rdata, .csr_illegal, .csr_virtual, .csr_flush, .csr_dv, .csr_tr_addr,
    .sys_op(m_ctrl.sys), .sys_en(m_valid && m_is_sys), .hyp_en(m_valid && m_ctrl.hyp),
    .sys_illegal, .sys_virtual, .ecall_cause,
    .trap_commit(m_trap), .trap_irq(irq_take), .trap_cause(m_trap_cause), .trap_pc(m_pc),
    .trap_tval(m_trap_tval), .trap_gpa(m_gpa), .trap_tinst(m_tinst), .trap_hyp(m_trap_hyp),
    .trap_to, .trap_vector,
    .mret_commit(m_mret), .sret_commit(m_sret), .huret_commit(m_huret), .xret_pc,
    .retire(m_commit),
    .prv, .virt, .mstatus_mprv(st_mprv), .mstatus_mpp(st_mpp), .mstatus_mpv(st_mpv),
    .mstatus_sum(st_sum), .mstatus_mxr(st_mxr),
    .satp, .vsatp, .vsstatus_sum(vs_sum), .vsstatus_mxr(vs_mxr), .hgatp, .g_gatp, .hstatus_hu, .hyp_spvp,
    .vpmpcfg, .vpmpaddr, .tlb_flush, .pmp_write, .pmpcfg, .pmpaddr, .mstatus, .mcycle,
    .vipi_en, .vipi_word, .vipi_op, .vipi_operand, .vipi_writes, .vcpuid, .vipi_rdata, .vipi_usip,
    .mir_en, .mir_reg, .mir_wdata, .mir_rdata,
    .irq_pending, .irq_cause, .wake,
    .tr_en(w_valid && w_csr), .tr_addr(w_rb_addr), .tr_lines(tr_lines[3:0]), .tr_dv(w_valid && w_csr && w_csr_dv),
    .tr_rdata(tr_csr_rdata), .tr_hstatus, .tr_vsstatus, .tr_hustatus, .tr_tval2, .tr_tinst
  );


  // M keeps the whole control bundle; not every field is needed at this stage.
  logic unused_m_ctrl;
  assign unused_m_ctrl = ^m_ctrl;

  // The late-result marker and the M registers.
  assign m_late = m_is_mem || m_is_csr;
  logic [4:0]  m_lines;      // lines (and the vIPI USIP), mtime and mcycle of the instruction's first cycle
  logic [63:0] m_mtime, m_mcycle;
  logic [4:0]  lines_now;
  assign lines_now = {vipi_usip, seip, meip, mtip, msip};

  always_ff @(posedge clk) begin
    if (rst) begin
      m_valid <= 1'b0;
      m_first <= 1'b0;
    end else if (m_done || !m_valid) begin
      m_valid <= x_fire;
      m_first <= x_fire;
      if (x_fire) begin
        m_pc <= x_pc;
        m_raw <= x_raw;
        m_len4 <= x_len4;
        m_ctrl <= x_ctrl;
        m_rd <= x_ctrl.rd;
        m_rd_en <= x_ctrl.rd_en && !x_exc_out;
        m_result <= x_result;
        m_pa <= d_pa;
        m_wdata <= rs2;
        m_exc <= x_exc_out;
        m_cause <= x_cause_out;
        m_tval <= x_tval_out;
        m_insn <= x_insn;
        m_gpa <= x_gpa_out;
        m_exc_mem <= x_exc_mem;
        m_implicit <= x_implicit_out;
        m_hyp <= x_hyp_out;
        m_two <= x_exc_mem ? d_virt : virt;
      end
    end else begin
      m_first <= 1'b0;
    end
    if (m_first) begin
      m_lines <= lines_now;
      m_mtime <= mtime;
      m_mcycle <= mcycle;
    end
  end

  // =============================================================================================
  // W: writeback and the commit trace
  // =============================================================================================
  logic        w_from_mem, w_lsigned, w_is_sc, w_st_cand, w_ld, w_csr, w_csr_dv, w_xret, w_untr, w_virt;
  logic [1:0]  w_size, w_prv, w_trap_to;
  logic [11:0] w_rb_addr;
  logic [63:0] w_result, w_pc, w_cause, w_tval, w_pa, w_st_data;
  logic [31:0] w_raw;
  logic [11:0] w_csr_addr;
  logic [4:0]  w_lines;
  logic [63:0] w_mtime, w_mcycle;

  // Lines/mtime/mcycle of an instruction that finishes in its first M cycle are the current ones.
  logic [4:0]  lines_dec;
  logic [63:0] mtime_dec, mcycle_dec;
  assign lines_dec = m_first ? lines_now : m_lines;
  assign mtime_dec = m_first ? mtime : m_mtime;
  assign mcycle_dec = m_first ? mcycle : m_mcycle;

  function automatic logic [63:0] st_mask(input logic [1:0] size, input logic [63:0] v);
    unique case (size)
      2'd0: st_mask = {56'd0, v[7:0]};
      2'd1: st_mask = {48'd0, v[15:0]};
      2'd2: st_mask = {32'd0, v[31:0]};
      default: st_mask = v;
    endcase
  endfunction

  always_ff @(posedge clk) begin
    if (rst) begin
      w_valid <= 1'b0;
      sleep_q <= 1'b0;
      pmp_update <= 1'b1;  // decode the reset PMP state
    end else begin
      pmp_update <= pmp_write;
      w_valid <= m_done;
      if (m_done) begin
        w_trap <= m_trap;
        w_pc <= m_pc;
        w_raw <= m_raw;
        w_prv <= prv;
        w_virt <= virt;
        w_untr <= prv == dvc_pkg::PRV_M || (!virt && satp[63:60] == 4'd0);
        w_rd_en <= m_rd_en && !m_trap;
        w_rd <= m_rd;
        w_from_mem <= m_is_mem && m_ctrl.mem != dvc_pkg::MEM_AMO;
        w_is_sc <= m_ctrl.mem == dvc_pkg::MEM_SC;
        w_size <= m_ctrl.funct3[1:0];
        w_lsigned <= !m_ctrl.funct3[2];
        w_result <= m_is_csr ? csr_rdata : (m_is_mem ? amo_old : m_result);
        w_cause <= {irq_take, 57'd0, m_trap_cause};
        w_tval <= m_trap_tval;
        w_trap_to <= trap_to;
        w_pa <= m_pa;
        w_st_cand <= m_commit && m_is_mem && m_ctrl.mem != dvc_pkg::MEM_LOAD && m_ctrl.mem != dvc_pkg::MEM_LR;
        w_st_data <= st_mask(m_ctrl.funct3[1:0], m_ctrl.mem == dvc_pkg::MEM_AMO ? amo_new : m_wdata);
        w_ld <= m_commit && m_is_mem && m_ctrl.mem != dvc_pkg::MEM_STORE && m_ctrl.mem != dvc_pkg::MEM_SC;
        w_csr <= m_commit && m_is_csr && m_csr_writes;
        w_csr_dv <= csr_dv;
        w_csr_addr <= m_raw[31:20];
        w_rb_addr <= csr_tr_addr;
        w_xret <= m_xret;
        w_lines <= lines_dec;
        w_mtime <= mtime_dec;
        w_mcycle <= mcycle_dec;
      end
      // WFI (priv spec 3.3.3): wait until an interrupt is pending and locally enabled.
      if (m_wfi && !wake) sleep_q <= 1'b1;
      else if (wake || m_redirect && !m_wfi) sleep_q <= 1'b0;
    end
  end

  // The value written to rd.
  logic [63:0] ld_ext;
  always_comb begin
    unique case ({w_lsigned, w_size})
      3'b000: ld_ext = {56'd0, dport_rdata[7:0]};
      3'b001: ld_ext = {48'd0, dport_rdata[15:0]};
      3'b010: ld_ext = {32'd0, dport_rdata[31:0]};
      3'b100: ld_ext = {{56{dport_rdata[7]}}, dport_rdata[7:0]};
      3'b101: ld_ext = {{48{dport_rdata[15]}}, dport_rdata[15:0]};
      3'b110: ld_ext = dvc_pkg::sext32(dport_rdata[31:0]);
      default: ld_ext = dport_rdata;
    endcase
    if (w_is_sc) ld_ext = {63'd0, dport_sc_fail};
  end
  logic dport_sc_fail;
  assign w_wdata = w_from_mem ? ld_ext : w_result;

  assign sleeping = sleep_q;

  // ---- data port -------------------------------------------------------------------------------
  dvc_dport #(
    .DC_SETS(L1_SETS), .DC_WAYS(L1_WAYS), .LINE(L1_LINE), .HIT_CYCLES(HIT_CYCLES),
    .MISS_CYCLES(MISS_CYCLES), .WB_CYCLES(WB_CYCLES), .DEV_CYCLES(DEV_CYCLES)
  ) dport (
    .clk, .rst, .ram_size,
    .lsu_req, .lsu_op, .lsu_addr, .lsu_size, .lsu_wdata, .lsu_gnt,
    .ptw_req(ptw_mem_req), .ptw_addr(ptw_mem_addr), .ptw_gnt(ptw_mem_gnt),
    .err(dport_err), .rsp_rdata(dport_rdata), .rsp_sc_fail(dport_sc_fail),
    .soc_req(dmem_req), .soc_op(dmem_op), .soc_addr(dmem_addr), .soc_size(dmem_size), .soc_wdata(dmem_wdata),
    .soc_gnt(dmem_gnt), .soc_err(dmem_err), .soc_rdata(dmem_rdata), .soc_sc_fail(dmem_sc_fail)
  );

  // ---- the commit trace ----------------------------------------------------------------------
  assign tr_valid = w_valid;
  assign tr_pc = w_pc;
  assign tr_insn = w_raw;
  assign tr_priv = w_prv;
  assign tr_virt = w_virt;
  assign tr_untranslated = w_untr;
  assign tr_trap = w_trap;
  assign tr_cause = w_cause;
  assign tr_tval = w_tval;
  assign tr_trap_s = w_trap_to == 2'd1;
  assign tr_trap_to = w_trap_to;
  assign tr_status = mstatus;
  assign tr_rd_we = w_valid && !w_trap && w_rd_en;
  assign tr_rd = w_rd;
  assign tr_rd_wdata = w_wdata;
  assign tr_st_valid = w_valid && w_st_cand && !(w_is_sc && dport_sc_fail);
  assign tr_st_addr = w_pa;
  assign tr_st_size = w_size;
  assign tr_st_data = w_st_data;
  assign tr_ld_valid = w_valid && w_ld;
  assign tr_ld_addr = w_pa;
  assign tr_ld_data = dport_rdata;
  assign tr_csr_we = w_valid && w_csr;
  assign tr_csr_addr = w_csr_addr;
  assign tr_csr_wdata = tr_csr_rdata;
  assign tr_xret = w_valid && w_xret;
  assign tr_lines = w_lines;
  assign tr_mtime = w_mtime;
  assign tr_mcycle = w_mcycle;
endmodule
