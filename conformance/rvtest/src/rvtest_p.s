# A program in the style of riscv-tests' `p` environment (our own code): the entry `_start` at
# 0x8000_0000 (.text.init, link.x) installs `trap_vector` in mtvec, resets the machine state
# (integer registers, satp, PMP, delegation), drops to U-mode with mret and runs self-checking
# tests with the test number (TESTNUM) in gp. The end is reported the riscv-tests way:
#
#   pass (RVTEST_PASS): fence; gp = 1; a7 = 93; a0 = 0; ecall
#   fail (RVTEST_FAIL): fence; gp = (TESTNUM << 1) | 1; a7 = 93; a0 = gp; ecall
#
# and the trap handler, seeing an ecall, stores gp to `tohost` (.tohost) and keeps storing
# (write_tohost loops: the host ends the run). dvsim exits 0 on 1, TESTNUM on (TESTNUM << 1) | 1.
# Any other trap stores gp | 1337.
#
# The including Rust file defines INJECT_FAIL first: 0 for the real program, or the number of a
# test whose expected value is then off by one (the failing variant, exit status = that number).
# No braces in this file: it is a `global_asm!` template.

# The assembler state of a `global_asm!` comes from its codegen unit, which need not carry the
# target's features when it holds no function (seen with several codegen units: "mul requires
# Zmmul"), so state the extensions used here.
.option arch, +m

.equ CAUSE_USER_ECALL, 8
.equ CAUSE_SUPERVISOR_ECALL, 9
.equ CAUSE_MACHINE_ECALL, 11
.equ PMP_R, 0x01
.equ PMP_W, 0x02
.equ PMP_X, 0x04
.equ PMP_NAPOT, 0x18
.equ SYS_EXIT, 93

# Compares `reg` with `expected` (x7 is scratch) and branches to `fail` when they differ. The
# failing variant's test compares against expected + 1.
.macro CHECK testnum, reg, expected
  .if INJECT_FAIL == \testnum
    li x7, (\expected) + 1
  .else
    li x7, \expected
  .endif
    bne \reg, x7, fail
.endm

# rd = val1 <inst> val2 (registers), then check.
.macro TEST_RR testnum, inst, result, val1, val2
test_\testnum:
    li gp, \testnum
    li x1, \val1
    li x2, \val2
    \inst x14, x1, x2
    CHECK \testnum, x14, \result
.endm

# rd = val1 <inst> imm, then check.
.macro TEST_IMM testnum, inst, result, val1, imm
test_\testnum:
    li gp, \testnum
    li x1, \val1
    \inst x14, x1, \imm
    CHECK \testnum, x14, \result
.endm

# ---------------------------------------------------------------------------------------------
# The environment: entry, trap vector, reset, tohost.

    .section .text.init, "ax", @progbits
    .globl _start
_start:
    j reset_vector

    .align 2
trap_vector:
    # An ecall from any mode is the end of the test: gp holds the result.
    csrr t5, mcause
    li t6, CAUSE_USER_ECALL
    beq t5, t6, write_tohost
    li t6, CAUSE_SUPERVISOR_ECALL
    beq t5, t6, write_tohost
    li t6, CAUSE_MACHINE_ECALL
    beq t5, t6, write_tohost
    # Anything else was not expected.
    ori gp, gp, 1337
write_tohost:
    lla t5, tohost
    sw gp, 0(t5)
    sw zero, 4(t5)
    j write_tohost

reset_vector:
    .irp r, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    li x\r, 0
    .endr
    # Only hart 0 runs the test.
    csrr a0, mhartid
1:  bnez a0, 1b
    # Each of the next steps may trap on a machine without the feature: mtvec points past it.
    lla t0, 1f
    csrw mtvec, t0
    csrwi satp, 0
    .align 2
1:  lla t0, 1f
    csrw mtvec, t0
    # PMP entry 0 grants U-mode everything (with PMP present and no entry, U can touch nothing).
    li t0, -1
    csrw pmpaddr0, t0
    li t0, PMP_NAPOT | PMP_R | PMP_W | PMP_X
    csrw pmpcfg0, t0
    .align 2
1:  csrwi mie, 0
    lla t0, 1f
    csrw mtvec, t0
    csrwi medeleg, 0
    csrwi mideleg, 0
    .align 2
1:  li gp, 0
    lla t0, trap_vector
    csrw mtvec, t0
    # mstatus = 0: MPP = U, interrupts off. mret enters the tests in U-mode.
    csrwi mstatus, 0
    lla t0, test_start
    csrw mepc, t0
    csrr a0, mhartid
    mret

    .section .tohost, "aw", @progbits
    .align 6
    .globl tohost
tohost:
    .dword 0
    .align 6
    .globl fromhost
fromhost:
    .dword 0

# ---------------------------------------------------------------------------------------------
# The tests (U-mode).

    .text
test_start:
    # Integer arithmetic: wrap-around, sign extension of the W forms.
    TEST_IMM 2, addi, -1, 0, -1
    TEST_RR  3, add, 0x8000000000000000, 0x7fffffffffffffff, 1
    TEST_RR  4, subw, 0x7fffffff, 0xffffffff80000000, 1
    TEST_RR  5, mul, 0x0000000200000001, 0x100000001, 0x100000001

    # Branches: -1 < 1 signed (taken), -1 >= 1 unsigned (not taken).
test_6:
    li gp, 6
    li x1, -1
    li x2, 1
    li x14, 0
    blt x1, x2, 1f
    j fail
1:  bltu x1, x2, fail
    addi x14, x14, 1
    CHECK 6, x14, 1

    # Loads and stores: LW sign-extends, LBU zero-extends, SB writes one byte, little-endian.
test_7:
    li gp, 7
    lla x1, tdat
    li x2, 0x80706050deadbeef
    sd x2, 0(x1)
    lw x14, 0(x1)
    CHECK 7, x14, 0xffffffffdeadbeef
test_8:
    li gp, 8
    lbu x14, 7(x1)
    CHECK 8, x14, 0x80
test_9:
    li gp, 9
    sb zero, 4(x1)
    ld x14, 0(x1)
    CHECK 9, x14, 0x80706000deadbeef

    # JAL links the address of the next instruction.
test_10:
    li gp, 10
    jal x14, 1f
2:  j fail
1:  lla x15, 2b
    sub x14, x14, x15
    CHECK 10, x14, 0

    # TEST_PASSFAIL
    bne x0, gp, pass
fail:
    fence
1:  beqz gp, 1b
    slli gp, gp, 1
    ori gp, gp, 1
    li a7, SYS_EXIT
    addi a0, gp, 0
    ecall
pass:
    fence
    li gp, 1
    li a7, SYS_EXIT
    li a0, 0
    ecall
    # Not reached: the trap handler loops on write_tohost.
1:  j 1b

    .data
    .align 3
tdat:
    .dword 0
