//! Splitting rust-hdl's combinational `always @(*)` block into independent always blocks.
//!
//! rust-hdl emits all of a module's combinational logic, its `Local` temporaries included, as one
//! `always @(*)` block. Verilator orders logic per always block, and it does not split a block that
//! has temporaries, so any path that leaves a module and comes back into it (legal per-bit, as in
//! the stitched top: the CSR file feeds the trap redirect, whose result commits into the CSR file)
//! looks circular to it (UNOPTFLAT) and simulates by iteration. Synthesis analyses per bit and
//! never minds.
//!
//! We split the block the way a designer would write it: top-level statements are grouped so that
//! every variable is written in exactly one group, in the original order; a statement that reads a
//! variable which is (also) written at or after that statement joins the writers' group, so it
//! still sees the same intermediate value; a reader after the last writer sees the final value,
//! which is what a separate block sees. Each group becomes its own `always @(*)` block. The
//! testbenches compare the result against the reference semantics, so a wrong split cannot pass.

use std::collections::{HashMap, HashSet};

const KEYWORDS: &[&str] = &["if", "else", "begin", "end", "for", "case", "endcase", "default"];

/// Identifiers in a line, skipping the base-and-digits part of sized literals (`32'h1f`).
fn identifiers(line: &str) -> Vec<&str> {
    let b = line.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$') {
                i += 1;
            }
            let literal = start > 0 && b[start - 1] == b'\'';
            let word = &line[start..i];
            if !literal && !KEYWORDS.contains(&word) {
                out.push(word);
            }
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The variable a line assigns (`name = …;` or `name[…] = …;`), if it is an assignment.
fn assigned(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let name_len = t.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))?;
    let (name, rest) = t.split_at(name_len);
    let rest = rest.trim_start();
    let rest = if rest.starts_with('[') { rest[rest.find(']')? + 1..].trim_start() } else { rest };
    (rest.starts_with('=') && !rest.starts_with("==") && !name.is_empty()).then_some(name)
}

fn depth_change(line: &str) -> i32 {
    identifiers_and_keywords(line)
        .map(|w| match w {
            "begin" => 1,
            "end" => -1,
            _ => 0,
        })
        .sum()
}

fn identifiers_and_keywords(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$')).filter(|w| !w.is_empty())
}

/// A top-level statement of the block: its lines, what it writes and what it reads.
struct Statement<'a> {
    lines: Vec<&'a str>,
    writes: HashSet<&'a str>,
    reads: HashSet<&'a str>,
}

fn statements<'a>(body: &[&'a str]) -> Vec<Statement<'a>> {
    let mut out: Vec<Statement<'a>> = vec![];
    let mut depth = 0;
    for &line in body {
        let continues = depth > 0 || line.trim_start().starts_with("else");
        if !continues || out.is_empty() {
            out.push(Statement { lines: vec![], writes: HashSet::new(), reads: HashSet::new() });
        }
        let st = out.last_mut().expect("pushed above");
        st.lines.push(line);
        let lhs = assigned(line);
        if let Some(v) = lhs {
            st.writes.insert(v);
        }
        let rhs = match lhs {
            Some(_) => &line[line.find('=').map_or(0, |i| i + 1)..],
            None => line,
        };
        st.reads.extend(identifiers(rhs));
        // The index expression of a partial assignment is read too.
        if let (Some(_), Some(open), Some(eq)) = (lhs, line.find('['), line.find('=')) {
            if open < eq {
                st.reads.extend(identifiers(&line[open..eq]));
            }
        }
        depth += depth_change(line);
    }
    out
}

fn find(parent: &mut [usize], i: usize) -> usize {
    let mut r = i;
    while parent[r] != r {
        r = parent[r];
    }
    parent[i] = r;
    r
}

/// Groups statement indices: one group per always block, in order of first statement.
fn groups(sts: &[Statement]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..sts.len()).collect();
    let mut writers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in sts.iter().enumerate() {
        for w in &s.writes {
            writers.entry(w).or_default().push(i);
        }
    }
    let union = |parent: &mut Vec<usize>, a: usize, b: usize| {
        let (ra, rb) = (find(parent, a), find(parent, b));
        parent[ra.max(rb)] = ra.min(rb);
    };
    for ws in writers.values() {
        for &w in &ws[1..] {
            union(&mut parent, ws[0], w);
        }
    }
    for (i, s) in sts.iter().enumerate() {
        for r in &s.reads {
            if let Some(ws) = writers.get(r) {
                if ws.iter().any(|&w| w >= i) {
                    union(&mut parent, i, ws[0]);
                }
            }
        }
    }
    // Blocks that feed each other would form a cycle at block granularity: merge every strongly
    // connected set of groups, which leaves the blocks a DAG.
    let mut g: petgraph::graph::DiGraph<usize, ()> = petgraph::graph::DiGraph::new();
    let nodes: Vec<_> = (0..sts.len()).map(|i| g.add_node(i)).collect();
    for (i, s) in sts.iter().enumerate() {
        for r in &s.reads {
            for &w in writers.get(r).map(|v| v.as_slice()).unwrap_or(&[]) {
                let (rw, ri) = (find(&mut parent, w), find(&mut parent, i));
                if rw != ri {
                    g.update_edge(nodes[rw], nodes[ri], ());
                }
            }
        }
    }
    for scc in petgraph::algo::tarjan_scc(&g) {
        for n in &scc[1..] {
            union(&mut parent, g[scc[0]], g[*n]);
        }
    }
    let mut by_root: Vec<(usize, Vec<usize>)> = vec![];
    for i in 0..sts.len() {
        let r = find(&mut parent, i);
        match by_root.iter_mut().find(|(root, _)| *root == r) {
            Some((_, g)) => g.push(i),
            None => by_root.push((r, vec![i])),
        }
    }
    by_root.into_iter().map(|(_, g)| g).collect()
}

/// Rewrites every `always @(*) begin … end` block of `verilog` as independent always blocks.
pub fn split(verilog: &str) -> String {
    let lines: Vec<&str> = verilog.lines().collect();
    let mut out = String::with_capacity(verilog.len() + verilog.len() / 8);
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim() != "always @(*) begin" {
            out.push_str(line);
            out.push('\n');
            i += 1;
            continue;
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        // The body runs to the matching `end`.
        let mut depth = 1;
        let mut j = i + 1;
        while j < lines.len() {
            depth += depth_change(lines[j]);
            if depth == 0 {
                break;
            }
            j += 1;
        }
        let body = &lines[i + 1..j.min(lines.len())];
        let sts = statements(body);
        for (n, g) in groups(&sts).iter().enumerate() {
            if n > 0 {
                out.push('\n');
            }
            out.push_str(line);
            out.push('\n');
            for &k in g {
                for l in &sts[k].lines {
                    out.push_str(l);
                    out.push('\n');
                }
            }
            out.push_str(indent);
            out.push_str("end\n");
        }
        i = j + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn independent_statements_get_their_own_blocks() {
        let v = "    always @(*) begin\n        t = x ^ 8'h5;\n        y = t[1:0];\n        z = fb + t;\n    end\n";
        let s = split(v);
        assert_eq!(s.matches("always @(*) begin").count(), 3, "{s}");
    }

    #[test]
    fn defaults_and_overrides_stay_together() {
        let v = "    always @(*) begin\n        y = 2'd0;\n        q = a;\n        if (c) begin\n            y = 2'd1;\n        end\n        else begin\n            y = b;\n        end\n    end\n";
        let s = split(v);
        assert_eq!(s.matches("always @(*) begin").count(), 2, "{s}");
        let y_block = s.split("always @(*) begin").find(|b| b.contains("y = 2'd0")).unwrap();
        assert!(y_block.contains("y = 2'd1") && y_block.contains("y = b"), "{s}");
    }

    #[test]
    fn readers_of_multiply_written_variables_keep_their_place() {
        // `r0` reads `cur` between its writers: it stays in their block. `r1` reads the final
        // value and may have its own.
        let v = "    always @(*) begin\n        cur = w;\n        r0 = cur;\n        cur = cur | a;\n        r1 = cur;\n        other = k;\n    end\n";
        let s = split(v);
        assert_eq!(s.matches("always @(*) begin").count(), 3, "{s}");
        let first = s.split("always @(*) begin").nth(1).unwrap();
        assert!(first.contains("cur = w;\n        r0 = cur;\n        cur = cur | a;"), "{s}");
    }

    #[test]
    fn blocks_that_feed_each_other_are_merged() {
        // `m` joins w's group (w has two writers); `r` reads m; a later write of w reads r:
        // the groups {w, m} and {r} would feed each other.
        let v = "    always @(*) begin\n        w = a;\n        if (c) begin\n            w = b;\n        end\n        m = w;\n        r = m + 1;\n        if (e) begin\n            w = r;\n        end\n        k = a;\n    end\n";
        let s = split(v);
        assert_eq!(s.matches("always @(*) begin").count(), 2, "{s}");
    }

    #[test]
    fn literals_are_not_identifiers() {
        assert_eq!(identifiers("x = 32'h1f + y[3'b1] + h1;"), vec!["x", "y", "h1"]);
        assert_eq!(assigned("        a[3] = b;"), Some("a"));
        assert_eq!(assigned("        if (a == b) begin"), None);
    }
}
