//! Which outputs of a block depend combinationally on which inputs: what the cycle check needs.
//!
//! A block declares the inputs that only feed registers and the outputs that come only from
//! registers; every other (input, output) pair is taken as a combinational path, which errs on
//! the side of reporting a cycle. `paths` narrows outputs further where a block's documented
//! timing says so.

/// The combinational-path declaration of one module.
#[derive(Clone, Debug, Default)]
pub struct Timing {
    /// Inputs with no combinational path to any output (clock, reset, commit strobes, write data).
    pub state_inputs: Vec<String>,
    /// Outputs driven only by registers.
    pub state_outputs: Vec<String>,
    /// Outputs whose combinational inputs are exactly the listed ones.
    pub paths: Vec<(String, Vec<String>)>,
}

/// Port-name pattern: exact, or a prefix ending in `*`.
pub fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

impl Timing {
    /// Whether `output` may change combinationally with `input`.
    pub fn comb(&self, input: &str, output: &str) -> bool {
        if input == "clock" || self.state_inputs.iter().any(|p| matches(p, input)) {
            return false;
        }
        if self.state_outputs.iter().any(|p| matches(p, output)) {
            return false;
        }
        match self.paths.iter().find(|(o, _)| matches(o, output)) {
            Some((_, ins)) => ins.iter().any(|p| matches(p, input)),
            None => true,
        }
    }
}
