//! The machine-wide vIPI pending bitmap (spec §6.2).

/// 256 pending bits, words `vipi0..vipi3`. vIPI id k is bit k % 64 of word k / 64.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VipiBitmap {
    pub words: [u64; 4],
}

impl VipiBitmap {
    /// `mip.USIP` of a hart whose `vcpuid` is `vcpuid`: the bitmap bit, or nothing for id 0.
    pub fn usip(&self, vcpuid: u8) -> bool {
        vcpuid != 0 && self.words[usize::from(vcpuid / 64)] >> (vcpuid % 64) & 1 == 1
    }

    /// Atomic read-modify-write of one word (csrrw/csrrs/csrrc); returns the old value.
    pub fn rmw(&mut self, word: u8, op: crate::csr::CsrOp, operand: u64, writes: bool) -> u64 {
        let w = &mut self.words[usize::from(word & 3)];
        let old = *w;
        if writes {
            *w = op.apply(old, operand);
        }
        old
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::CsrOp;

    #[test]
    fn bitmap_and_usip() {
        let mut b = VipiBitmap::default();
        assert_eq!(b.rmw(2, CsrOp::Rs, 1 << 5, true), 0);
        assert!(b.usip(133));
        assert!(!b.usip(132));
        assert_eq!(b.rmw(2, CsrOp::Rc, 1 << 5, true), 1 << 5);
        assert!(!b.usip(133));
        b.rmw(0, CsrOp::Rw, 1, true);
        assert!(!b.usip(0), "vcpuid 0 means no vCPU");
        assert_eq!(b.rmw(0, CsrOp::Rs, 2, false), 1, "a read-only csrrs leaves the word");
        assert_eq!(b.words[0], 1);
    }
}
