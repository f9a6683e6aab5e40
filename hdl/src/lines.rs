//! Source lines of DV-Ext, for `make area` (issue 11: the paper's extension is 481 lines of
//! Chisel on Rocket). Counted are code lines: not blank, not only a comment, and for Rust not in
//! a `#[cfg(test)]` module. Three parts: the generator's modules (what the paper's Chisel is the
//! counterpart of), the Verilog they emit, and the core's hooks, which are the generate blocks a
//! core opens for the extension (named `g_dvext*`, `g_vpmp`, `g_vipi`, `g_two`) plus files that
//! exist only for it.

use std::path::Path;

use anyhow::{Context, Result};

/// Whether `line` holds code, given the comment syntax of Rust and (System)Verilog alike.
fn is_code(line: &str, in_block: &mut bool) -> bool {
    let mut rest = line.trim();
    let mut code = false;
    while !rest.is_empty() {
        if *in_block {
            match rest.find("*/") {
                Some(i) => {
                    *in_block = false;
                    rest = rest[i + 2..].trim_start();
                }
                None => return code,
            }
        } else if rest.starts_with("//") {
            return code;
        } else if let Some(r) = rest.strip_prefix("/*") {
            *in_block = true;
            rest = r;
        } else {
            code = true;
            match (rest.find("//"), rest.find("/*")) {
                (None, None) => return true,
                (a, b) => {
                    let i = a.into_iter().chain(b).min().unwrap_or(rest.len());
                    rest = &rest[i..];
                }
            }
        }
    }
    code
}

/// Code lines of a Rust source, without its `#[cfg(test)]` module (which comes last in this
/// project's files, by convention).
pub fn rust_code_lines(text: &str) -> usize {
    let body = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut block = false;
    body.lines().filter(|l| is_code(l, &mut block)).count()
}

/// Code lines of a Verilog source.
pub fn verilog_code_lines(text: &str) -> usize {
    let mut block = false;
    text.lines().filter(|l| is_code(l, &mut block)).count()
}

/// Code lines inside the generate blocks of `text` whose label passes `hook` (`begin : label`
/// up to its matching `end`, both counted).
pub fn verilog_block_lines(text: &str, hook: impl Fn(&str) -> bool) -> usize {
    let mut block = false;
    let mut depth = 0usize;
    let mut n = 0;
    for line in text.lines() {
        let code = is_code(line, &mut block);
        let words: Vec<&str> = line
            .split("//")
            .next()
            .unwrap_or("")
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .collect();
        if depth == 0 {
            let opens = line.split_once("begin").and_then(|(_, r)| r.trim_start().strip_prefix(':'));
            match opens.map(|r| r.trim_start().split(|c: char| !(c.is_alphanumeric() || c == '_')).next()) {
                Some(Some(label)) if hook(label) => {
                    depth = 1;
                    n += usize::from(code);
                }
                _ => {}
            }
            continue;
        }
        n += usize::from(code);
        for w in words {
            match w {
                "begin" => depth += 1,
                "end" => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                break;
            }
        }
    }
    n
}

/// Whether a generate-block label is one of the extension's hooks in dvcore.
pub fn is_hook(label: &str) -> bool {
    label.starts_with("g_dvext") || matches!(label, "g_vpmp" | "g_vipi" | "g_two")
}

/// Files of the core that exist only for DV-Ext.
const HOOK_FILES: &[&str] = &["dvc_vpmp.sv"];

/// The three counts, and the whole core's code lines for scale.
pub struct DvLines {
    pub generator: usize,
    pub generated: usize,
    pub core_hooks: usize,
    pub core_total: usize,
}

/// Counts `modules` (the generator's DV-Ext module sources) and the core's file list `core`
/// (`core/core.f`): its Verilog from `generated/` (emitted) and its own SystemVerilog.
pub fn count(modules: &Path, core: &[std::path::PathBuf]) -> Result<DvLines> {
    let read = |p: &Path| std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()));
    let mut sources: Vec<_> = std::fs::read_dir(modules)
        .with_context(|| format!("cannot list {}", modules.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs") && p.file_name().is_some_and(|n| n != "mod.rs"))
        .collect();
    sources.sort();
    let mut generator = 0;
    for p in &sources {
        generator += rust_code_lines(&read(p)?);
    }
    let (mut generated, mut core_hooks, mut core_total) = (0, 0, 0);
    for p in core {
        let text = read(p)?;
        let all = verilog_code_lines(&text);
        if p.extension().is_some_and(|x| x == "v") {
            generated += all;
            continue;
        }
        core_total += all;
        let whole = p.file_name().and_then(|n| n.to_str()).is_some_and(|n| HOOK_FILES.contains(&n));
        core_hooks += if whole { all } else { verilog_block_lines(&text, is_hook) };
    }
    Ok(DvLines { generator, generated, core_hooks, core_total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_not_code() {
        let src = "a = 1; // x\n\n// only\n/* block\n still */ b = 2;\n  /* c */\nc\n";
        assert_eq!(verilog_code_lines(src), 3);
        assert_eq!(rust_code_lines("fn a() {}\n// c\n#[cfg(test)]\nmod tests { fn b() {} }\n"), 1);
    }

    #[test]
    fn generate_blocks_are_counted_to_their_matching_end() {
        let src = "\
module m;
  assign x = 1;
  if (HYP) begin : g_dvext
    always_comb begin
      y = 1;
    end
    // a comment
  end else begin : g_no_dvext
    assign y = 0;
  end
  if (HYP) begin : g_other
    assign z = 1;
  end
endmodule
";
        // `if (HYP) begin : g_dvext`, `always_comb begin`, `y = 1;`, `end`, and the closing
        // `end else begin : g_no_dvext` line.
        assert_eq!(verilog_block_lines(src, is_hook), 5);
        assert_eq!(verilog_block_lines(src, |l| l == "g_other"), 3);
    }

    /// On this repository: the hooks are a part of the core, and every part is there.
    #[test]
    fn the_repository_counts() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let list = std::fs::read_to_string(root.join("core/core.f")).unwrap();
        let core: Vec<_> = list
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| root.join("core").join(l))
            .collect();
        let l = count(&root.join("hdl/src/modules"), &core).unwrap();
        assert!(l.generator > 500 && l.generated > l.generator, "{} {}", l.generator, l.generated);
        assert!(l.core_hooks > 100 && l.core_hooks < l.core_total / 4, "{} of {}", l.core_hooks, l.core_total);
        eprintln!("generator {} generated {} hooks {} core {}", l.generator, l.generated, l.core_hooks, l.core_total);
    }
}
