// Property huret_no_escalation (dvext.md §4 huret, §10.1) on dvext_trap_redirect.
//
// huret never produces privilege HS or M: the privilege it returns to (`huret_priv`) is never M
// (3, or the reserved 2), and it is S only together with V = 1 (`huret_virt`), i.e. VS. And huret
// is legal (neither `insn_illegal` nor `insn_virtual`) only when executed in HU, so the returns
// above are the only ones a core commits.
//
// The block is combinational: every input is free, including every hustatus value (UPV, UPVP
// and all other bits); no assumption. Proved for all inputs.
module huret_no_escalation (
    input wire [1:0] priv_lvl,
    input wire virt,
    input wire hstatus_hu,
    input wire [2:0] insn
);
    wire [1:0] huret_priv;
    wire huret_virt, insn_illegal, insn_virtual;

    dvext_trap_redirect dut (
        .priv_lvl(priv_lvl),
        .virt(virt),
        .hstatus_hu(hstatus_hu),
        .insn(insn),
        .huret_priv(huret_priv),
        .huret_virt(huret_virt),
        .insn_illegal(insn_illegal),
        .insn_virtual(insn_virtual)
    );

    localparam [2:0] HURET = 3'd1;
    wire in_hu = priv_lvl == 2'd0 && !virt && hstatus_hu;

    always @(*) begin
        assert (!huret_priv[1]);                       // never M (or reserved 2)
        assert (huret_virt || huret_priv == 2'd0);     // S only with V = 1: never HS
        if (insn == HURET && !insn_illegal && !insn_virtual) assert (in_hu);
    end
endmodule
