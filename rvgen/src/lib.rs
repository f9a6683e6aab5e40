//! `rvgen`: a riscv-dv-style random program generator for RV64IMAC + Zicsr + Zifencei with the
//! privileged architecture (M/S/U, Sv39/Sv48, PMP, delegation, interrupts), for running the RTL
//! core in lockstep with dvsim. See `docs/rvgen.md`.

pub mod asm;
