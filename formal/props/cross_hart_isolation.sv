// Property cross_hart_isolation (dvext.md §6.2: the vIPI bitmap is the only machine-wide DV-Ext
// state; every other DV-Ext register is per hart, §2) on dvext_top (two harts).
//
// One hart's activity never changes another hart's DV-Ext state except through the vIPI bitmap:
// in a cycle where hart `victim` commits nothing itself (no CSR instruction, trap or huret
// commit) and receives no CLINT mirror write (`mir_en`: the M-mode bus path to its vtimecmp,
// vtimectl and vcpuid, §6.3, which PMP keeps from everyone else) and there is no reset, every register of its CSR file keeps its value, whatever the
// other hart does (CSR instructions of any kind, including vipi0..3 and vcpuid writes, trap
// entries, huret) and whatever the victim presents on its other inputs.
//
// `victim` is free in every cycle, so both directions are checked. Every other input is free;
// the only assumption is the definition of "the victim commits nothing" above.
module cross_hart_isolation (
    input wire clock,
    input wire reset,
    input wire victim,
    input wire h0_csr_en,
    input wire h0_mir_en,
    input wire h0_trap_commit,
    input wire h0_insn_commit,
    input wire h1_csr_en,
    input wire h1_mir_en,
    input wire h1_trap_commit,
    input wire h1_insn_commit
);
    dvext_top dut (
        .clock(clock),
        .reset(reset),
        .h0_csr_en(h0_csr_en),
        .h0_mir_en(h0_mir_en),
        .h0_trap_commit(h0_trap_commit),
        .h0_insn_commit(h0_insn_commit),
        .h1_csr_en(h1_csr_en),
        .h1_mir_en(h1_mir_en),
        .h1_trap_commit(h1_trap_commit),
        .h1_insn_commit(h1_insn_commit)
    );

`include "top_state.svh"

    wire h0_idle = !h0_csr_en && !h0_trap_commit && !h0_insn_commit && !h0_mir_en;
    wire h1_idle = !h1_csr_en && !h1_trap_commit && !h1_insn_commit && !h1_mir_en;
    always @(*) assume (victim ? h1_idle : h0_idle);

    reg past_valid = 1'b0;
    always @(posedge clock) begin
        past_valid <= 1'b1;
        if (past_valid && !$past(reset)) begin
            if ($past(victim)) assert (h1_state == $past(h1_state));
            else assert (h0_state == $past(h0_state));
        end
    end
endmodule
