//! `vms.conf`, the VM bundle's manifest (docs/hypervisor.md, "Boot and the VM bundle"): one VM
//! process per line, `name hv=<file> guest=<file> [initrd=<file>] [mode=duvisor|kvm] [vcpus=N]
//! [mem=MiB] [args="..."]`, `#` comments (outside quotes), at most [`MAX_LINE`] bytes per VM line. Parsed
//! without allocation: entries borrow the text. The packer, the control plane and the hypervisor
//! all parse with [`entries`], so they agree on every line.

use core::fmt;

/// How a VM process's exits are delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Exits go to the hypervisor in HU (sedeleg/sideleg set): the DuVisor configuration.
    DuVisor,
    /// Exits trap to HS, which hands them to the hypervisor (sedeleg = sideleg = 0).
    Kvm,
}

/// One VM process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmEntry<'a> {
    pub name: &'a str,
    pub hv: &'a str,
    pub guest: &'a str,
    /// A file the hypervisor loads into guest RAM next to the guest and describes in the guest
    /// FDT's `/chosen` (`linux,initrd-start`/`-end`): a Linux initramfs. Empty when none.
    pub initrd: &'a str,
    pub mode: Mode,
    pub vcpus: u32,
    pub mem_mib: u32,
    pub args: &'a str,
}

/// The manifest's file name in a VM bundle.
pub const MANIFEST: &str = "vms.conf";

/// The longest line that defines a VM, in bytes, without the whitespace around it (comment
/// included: the control plane hands the whole trimmed line to the hypervisor, whose `ARGS`
/// buffer has this size). Longer VM lines are an error ([`LINE_TOO_LONG`]) for every reader,
/// never cut. Lines holding only a comment may be longer.
pub const MAX_LINE: usize = 512;
/// The error for a VM line over [`MAX_LINE`] bytes.
pub const LINE_TOO_LONG: &str = "longer than 512 bytes";

pub const MAX_VCPUS: u32 = 8;
pub const DEFAULT_MEM_MIB: u32 = 64;

/// A manifest error, with the 1-based line number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ManifestError<'a> {
    pub line: usize,
    pub what: &'static str,
    pub near: &'a str,
}

impl fmt::Display for ManifestError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vms.conf line {}: {} (near `{}`)", self.line, self.what, self.near)
    }
}

/// Splits `line` into words; a value may be double-quoted (`args="a b"`), quotes removed.
struct Words<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Words<'a> {
    type Item = Result<(&'a str, Option<&'a str>), &'a str>;

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.rest.trim_start();
        if s.is_empty() {
            return None;
        }
        let key_end = s.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(s.len());
        let key = &s[..key_end];
        if !s[key_end..].starts_with('=') {
            self.rest = &s[key_end..];
            return Some(Ok((key, None)));
        }
        let v = &s[key_end + 1..];
        if let Some(q) = v.strip_prefix('"') {
            let Some(end) = q.find('"') else {
                self.rest = "";
                return Some(Err(s));
            };
            self.rest = &q[end + 1..];
            Some(Ok((key, Some(&q[..end]))))
        } else {
            let end = v.find(char::is_whitespace).unwrap_or(v.len());
            self.rest = &v[end..];
            Some(Ok((key, Some(&v[..end]))))
        }
    }
}

/// `line` up to its comment: the first `#` outside double quotes (a quoted value such as
/// `args="--title #1"` may hold one).
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

fn parse_line(line: &str, n: usize) -> Result<Option<VmEntry<'_>>, ManifestError<'_>> {
    let text = strip_comment(line).trim();
    if text.is_empty() {
        return Ok(None);
    }
    let err = |what, near| ManifestError { line: n, what, near };
    if line.trim().len() > MAX_LINE {
        return Err(err(LINE_TOO_LONG, text.split_whitespace().next().unwrap_or(text)));
    }
    let mut words = Words { rest: text };
    let name = match words.next() {
        Some(Ok((name, None))) => name,
        _ => return Err(err("a line starts with the VM name", text)),
    };
    let mut e = VmEntry {
        name,
        hv: "",
        guest: "",
        initrd: "",
        mode: Mode::DuVisor,
        vcpus: 1,
        mem_mib: DEFAULT_MEM_MIB,
        args: "",
    };
    for w in words {
        let (k, v) = w.map_err(|near| err("unterminated quote", near))?;
        let Some(v) = v else { return Err(err("expected key=value", k)) };
        match k {
            "hv" => e.hv = v,
            "guest" => e.guest = v,
            "initrd" if v.is_empty() => return Err(err("initrd= names a file", k)),
            "initrd" => e.initrd = v,
            "args" => e.args = v,
            "mode" => {
                e.mode = match v {
                    "duvisor" => Mode::DuVisor,
                    "kvm" => Mode::Kvm,
                    _ => return Err(err("mode is duvisor or kvm", v)),
                }
            }
            "vcpus" => match v.parse::<u32>() {
                Ok(c) if (1..=MAX_VCPUS).contains(&c) => e.vcpus = c,
                _ => return Err(err("vcpus is 1..=8", v)),
            },
            "mem" => match v.parse::<u32>() {
                Ok(m) if (1..=4096).contains(&m) => e.mem_mib = m,
                _ => return Err(err("mem is 1..=4096 (MiB)", v)),
            },
            _ => return Err(err("unknown key", k)),
        }
    }
    if e.hv.is_empty() || e.guest.is_empty() {
        return Err(err("hv= and guest= are required", name));
    }
    Ok(Some(e))
}

/// The VM entries of `text`, in order; the first malformed line is an error.
pub fn entries(text: &str) -> impl Iterator<Item = Result<VmEntry<'_>, ManifestError<'_>>> {
    text.lines().enumerate().filter_map(|(i, l)| parse_line(l, i + 1).transpose())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn parses_entries_with_defaults_quotes_and_comments() {
        let text = "# bench\n\nhc hv=duvisor guest=hypercall.bin\n\
                    k hv=duvisor guest=g.bin mode=kvm vcpus=4 mem=16 args=\"--bench mmio --n 10\" # c\n";
        let v: Vec<_> = entries(text).collect::<Result<_, _>>().unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].name, "hc");
        assert_eq!((v[0].mode, v[0].vcpus, v[0].mem_mib, v[0].args), (Mode::DuVisor, 1, DEFAULT_MEM_MIB, ""));
        assert_eq!((v[1].mode, v[1].vcpus, v[1].mem_mib), (Mode::Kvm, 4, 16));
        assert_eq!(v[1].args, "--bench mmio --n 10");
        assert_eq!(v[1].guest, "g.bin");
        assert_eq!((v[0].initrd, v[1].initrd), ("", ""));
    }

    #[test]
    fn an_initrd_is_optional() {
        let e = entries("lx hv=duvisor guest=Image initrd=initramfs.cpio vcpus=2 mem=128\n").next().unwrap().unwrap();
        assert_eq!((e.guest, e.initrd, e.vcpus, e.mem_mib), ("Image", "initramfs.cpio", 2, 128));
        let e = entries("lx hv=duvisor guest=Image initrd=\n").next().unwrap().unwrap_err();
        assert_eq!(e.what, "initrd= names a file");
    }

    #[test]
    fn a_hash_inside_quotes_is_not_a_comment() {
        let text = "a hv=x guest=y args=\"--title #1 --n 2\" mode=kvm # the comment \"quoted\"\n";
        let e = entries(text).next().unwrap().unwrap();
        assert_eq!((e.args, e.mode), ("--title #1 --n 2", Mode::Kvm));
        let e = entries("a hv=x guest=y#comment\n").next().unwrap().unwrap();
        assert_eq!(e.guest, "y");
        let open = entries("a hv=x guest=y args=\"# still open\n").next().unwrap().unwrap_err();
        assert_eq!(open.what, "unterminated quote");
    }

    #[test]
    fn malformed_lines_name_their_line() {
        for (text, what) in [
            ("a hv=x", "hv= and guest= are required"),
            ("a hv=x guest=y vcpus=9", "vcpus is 1..=8"),
            ("a hv=x guest=y vcpus=", "vcpus is 1..=8"),
            ("a hv=x guest=y mode=xen", "mode is duvisor or kvm"),
            ("a hv=x guest=y args=\"open", "unterminated quote"),
            ("a hv=x guest=y color=red", "unknown key"),
            ("a hv=x guest=y flag", "expected key=value"),
            ("hv=x guest=y", "a line starts with the VM name"),
            ("a hv=x guest=y mem=0", "mem is 1..=4096 (MiB)"),
            (&std::format!("long hv=x guest=y args=\"{}\" mode=kvm", "x".repeat(MAX_LINE)), LINE_TOO_LONG),
            (&std::format!("long hv=x guest=y # {}", "x".repeat(MAX_LINE)), LINE_TOO_LONG),
        ] {
            let full = std::format!("ok hv=a guest=b\n{text}\n");
            let e = entries(&full).find_map(|r| r.err()).unwrap();
            assert_eq!((e.line, e.what), (2, what), "{text}");
        }
    }

    #[test]
    fn vm_lines_up_to_the_limit_parse() {
        assert!(LINE_TOO_LONG.contains(&std::format!("{MAX_LINE}")));
        let head = "a hv=x guest=y args=\"";
        let fits = std::format!("  {head}{}\"  ", "x".repeat(MAX_LINE - head.len() - 1));
        assert_eq!(fits.trim().len(), MAX_LINE);
        assert_eq!(entries(&fits).next().unwrap().unwrap().args.len(), MAX_LINE - head.len() - 1);
        let over = std::format!("{head}{}\"", "x".repeat(MAX_LINE - head.len()));
        let e = entries(&over).next().unwrap().unwrap_err();
        assert_eq!((e.what, e.near), (LINE_TOO_LONG, "a"), "named by its first word");
        let comment = std::format!("# {}\na hv=x guest=y", "x".repeat(2 * MAX_LINE));
        assert_eq!(entries(&comment).collect::<Vec<_>>().len(), 1, "a long comment line is fine");
    }
}
