// Property huret_fault_no_state (dvext.md §4 huret, §9.4; docs/integration/top.md glue
// `huret_commit`) on dvext_top (two harts).
//
// A huret that faults (illegal or virtual instruction: executed anywhere but HU) changes no
// DV-Ext state of its hart, even when the core asserts `insn_commit` for it: in a cycle where a
// hart commits such a huret and nothing else (no CSR instruction, no trap commit, no CLINT
// mirror write) and there is no reset, every register of that hart's CSR file keeps its value.
// The trap the fault raises is a later commit (`trap_commit`), routed like any other.
//
// Every other input of the top is free in every cycle, including the other hart's; no
// assumption.
module huret_fault_no_state (
    input wire clock,
    input wire reset,
    input wire h0_csr_en,
    input wire h0_mir_en,
    input wire h0_trap_commit,
    input wire h0_insn_commit,
    input wire [2:0] h0_insn,
    input wire h1_csr_en,
    input wire h1_mir_en,
    input wire h1_trap_commit,
    input wire h1_insn_commit,
    input wire [2:0] h1_insn
);
    wire h0_insn_illegal, h0_insn_virtual, h1_insn_illegal, h1_insn_virtual;

    dvext_top dut (
        .clock(clock),
        .reset(reset),
        .h0_csr_en(h0_csr_en),
        .h0_mir_en(h0_mir_en),
        .h0_trap_commit(h0_trap_commit),
        .h0_insn_commit(h0_insn_commit),
        .h0_insn(h0_insn),
        .h0_insn_illegal(h0_insn_illegal),
        .h0_insn_virtual(h0_insn_virtual),
        .h1_csr_en(h1_csr_en),
        .h1_mir_en(h1_mir_en),
        .h1_trap_commit(h1_trap_commit),
        .h1_insn_commit(h1_insn_commit),
        .h1_insn(h1_insn),
        .h1_insn_illegal(h1_insn_illegal),
        .h1_insn_virtual(h1_insn_virtual)
    );

`include "top_state.svh"

    localparam [2:0] HURET = 3'd1;  // `insn` code of huret (docs/integration/trap_redirect.md)
    wire h0_bad_huret = h0_insn_commit && h0_insn == HURET && (h0_insn_illegal || h0_insn_virtual)
                        && !h0_csr_en && !h0_trap_commit && !h0_mir_en;
    wire h1_bad_huret = h1_insn_commit && h1_insn == HURET && (h1_insn_illegal || h1_insn_virtual)
                        && !h1_csr_en && !h1_trap_commit && !h1_mir_en;

    reg past_valid = 1'b0;
    always @(posedge clock) begin
        past_valid <= 1'b1;
        if (past_valid && !$past(reset)) begin
            if ($past(h0_bad_huret)) assert (h0_state == $past(h0_state));
            if ($past(h1_bad_huret)) assert (h1_state == $past(h1_state));
        end
    end
endmodule
