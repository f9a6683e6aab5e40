// Property route_needs_delegation (dvext.md §3, §2 sedeleg/sideleg/mideleg) on
// dvext_trap_redirect.
//
// Routing sends cause c to HU only when both delegation levels of §3 delegate it: M's
// (`medeleg[c]` for an exception, `mideleg[c]` for an interrupt, where mideleg's U-level bits
// {0, 4, 8, 16} read one as §2 defines them) and S's (`sedeleg[c]` / `sideleg[c]`). An HS- or
// M-owned exception or interrupt never reaches HU, neither the trap presented (`trap_target`)
// nor the interrupt selected now (`irq_target`, `irq_cause`).
//
// The block is combinational: every input is free (including sedeleg/sideleg bits outside their
// WARL masks); no assumption. Proved for all inputs.
module route_needs_delegation (
    input wire [63:0] medeleg,
    input wire [63:0] mideleg,
    input wire [63:0] sedeleg,
    input wire [63:0] sideleg,
    input wire [5:0] trap_cause,
    input wire trap_intr
);
    wire [1:0] trap_target, irq_target;
    wire [5:0] irq_cause;
    wire irq_valid;

    dvext_trap_redirect dut (
        .medeleg(medeleg),
        .mideleg(mideleg),
        .sedeleg(sedeleg),
        .sideleg(sideleg),
        .trap_cause(trap_cause),
        .trap_intr(trap_intr),
        .trap_target(trap_target),
        .irq_valid(irq_valid),
        .irq_cause(irq_cause),
        .irq_target(irq_target)
    );

    localparam [1:0] T_HU = 2'd2;
    localparam [63:0] MIDELEG_RO_ONE = (64'd1 << 0) | (64'd1 << 4) | (64'd1 << 8) | (64'd1 << 16);
    wire [63:0] mideleg_arch = mideleg | MIDELEG_RO_ONE;
    wire m_deleg = trap_intr ? mideleg_arch[trap_cause] : medeleg[trap_cause];
    wire s_deleg = trap_intr ? sideleg[trap_cause] : sedeleg[trap_cause];

    always @(*) begin
        if (trap_target == T_HU) assert (m_deleg && s_deleg);
        if (irq_valid && irq_target == T_HU) assert (mideleg_arch[irq_cause] && sideleg[irq_cause]);
    end
endmodule
