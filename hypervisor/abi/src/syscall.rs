//! Syscall numbers (`a7`) and error codes (negative `a0`), docs/hypervisor.md.

/// Declares `Sys` and its `ALL` table from one list, so a number is never typed twice.
macro_rules! syscalls {
    ($($name:ident = $n:literal,)*) => {
        /// A syscall number: `ecall` from U with `a7` = the number.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u64)]
        pub enum Sys {
            $($name = $n,)*
        }

        impl Sys {
            /// Every syscall, in number order.
            pub const ALL: &'static [Sys] = &[$(Sys::$name,)*];
        }
    };
}

syscalls! {
    Version = 0,
    Delegate = 1,
    VcpuRegister = 2,
    MapMemory = 3,
    ConsoleWrite = 4,
    ConsoleRead = 5,
    Exit = 6,
    ThreadSpawn = 7,
    Yield = 8,
    Stats = 9,
    FileRead = 10,
    Args = 11,
    VcpuRun = 12,
    ThreadExit = 13,
    WaitInterrupt = 14,
}

impl Sys {
    pub fn from_number(n: u64) -> Option<Sys> {
        Sys::ALL.iter().copied().find(|s| *s as u64 == n)
    }
}

/// Errors, returned as `-(code)` in `a0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i64)]
pub enum Errno {
    /// Unknown syscall number.
    NoSys = 1,
    /// A bad argument (pointer outside the process, size, id, ...).
    Inval = 2,
    /// Out of memory.
    NoMem = 3,
    /// Not permitted in this state (e.g. `VCPU_REGISTER` before `DELEGATE`).
    Perm = 4,
}

impl Errno {
    /// The value in `a0`.
    pub fn ret(self) -> u64 {
        (-(self as i64)) as u64
    }

    /// Decodes a returned `a0`: `Err` for the negative codes above.
    pub fn check(a0: u64) -> Result<u64, Errno> {
        match a0 as i64 {
            -1 => Err(Errno::NoSys),
            -2 => Err(Errno::Inval),
            -3 => Err(Errno::NoMem),
            -4 => Err(Errno::Perm),
            _ => Ok(a0),
        }
    }
}

/// `MAP_MEMORY` kinds.
pub const MAP_GUEST_RAM: u64 = 0;
pub const MAP_PAGE_TABLES: u64 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_and_are_dense() {
        for (i, s) in Sys::ALL.iter().enumerate() {
            assert_eq!(*s as u64, i as u64);
            assert_eq!(Sys::from_number(i as u64), Some(*s));
        }
        assert_eq!(Sys::from_number(Sys::ALL.len() as u64), None);
    }

    #[test]
    fn errors_round_trip() {
        for e in [Errno::NoSys, Errno::Inval, Errno::NoMem, Errno::Perm] {
            assert_eq!(Errno::check(e.ret()), Err(e));
        }
        assert_eq!(Errno::check(0x8000_0000), Ok(0x8000_0000));
        assert_eq!(Errno::check(0), Ok(0));
    }
}
