// Property csr_hso_isolation (dvext.md §2 access classes, §10.2, §10.3) on dvext_csr_file.
//
// sedeleg, sideleg, hvpmpcfg0, hvpmpaddr0..7 (class HSO) and vcpuid (HU read, HSO write) change
// only at a reset, at a CSR write committed in M or HS, or at a write through the CLINT mirror
// (`mir_en`, vcpuid only: a bus path that M-mode's PMP keeps from everyone else, §6.3): no CSR
// instruction executed in U, HU, VS or VU, and no HU trap entry or huret commit, ever changes
// them, whatever came before.
//
// Every input of the CSR file is free in every cycle (inputs left unconnected here are made free
// by the runner's `setundef -anyseq`); no assumption.
module csr_hso_isolation (
    input wire clock,
    input wire reset,
    input wire csr_en,
    input wire mir_en,
    input wire [1:0] priv_lvl,
    input wire virt
);
    wire [63:0] sedeleg, sideleg, hvpmpcfg0;
    wire [63:0] hvpmpaddr0, hvpmpaddr1, hvpmpaddr2, hvpmpaddr3;
    wire [63:0] hvpmpaddr4, hvpmpaddr5, hvpmpaddr6, hvpmpaddr7;
    wire [7:0] vcpuid;

    dvext_csr_file dut (
        .clock(clock),
        .reset(reset),
        .csr_en(csr_en),
        .mir_en(mir_en),
        .priv_lvl(priv_lvl),
        .virt(virt),
        .sedeleg(sedeleg),
        .sideleg(sideleg),
        .hvpmpcfg0(hvpmpcfg0),
        .hvpmpaddr0(hvpmpaddr0),
        .hvpmpaddr1(hvpmpaddr1),
        .hvpmpaddr2(hvpmpaddr2),
        .hvpmpaddr3(hvpmpaddr3),
        .hvpmpaddr4(hvpmpaddr4),
        .hvpmpaddr5(hvpmpaddr5),
        .hvpmpaddr6(hvpmpaddr6),
        .hvpmpaddr7(hvpmpaddr7),
        .vcpuid(vcpuid)
    );

    // M is priv_lvl[1] (the reserved value 2 reads as M, docs/integration/csr_file.md).
    wire m_or_hs = priv_lvl[1] || (priv_lvl == 2'd1 && !virt);
    wire [775:0] hso = {sedeleg, sideleg, hvpmpcfg0, hvpmpaddr0, hvpmpaddr1, hvpmpaddr2, hvpmpaddr3,
                        hvpmpaddr4, hvpmpaddr5, hvpmpaddr6, hvpmpaddr7, vcpuid};

    reg past_valid = 1'b0;
    always @(posedge clock) begin
        past_valid <= 1'b1;
        if (past_valid && !$past(reset) && !($past(csr_en) && $past(m_or_hs)) && !$past(mir_en))
            assert (hso == $past(hso));
    end
endmodule
