//! The bar chart of `make bench-exits`: per operation, one bar per series — instructions on the
//! ISA model, clock cycles on the RTL core (when measured), and the paper's cycles on Rocket —
//! for DuVisor and the KVM-style baseline, and Linux 6.1's KVM on the ISA model (when measured)
//! (log scale: the costs span three orders of magnitude).

use anyhow::{anyhow, Context, Result};
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::bench::Row;

/// A TrueType font for the labels (Debian's fonts-dejavu-core, installed by `make setup`).
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// One bar series: its legend, colour, and value per operation (None: no bar).
pub struct Series {
    pub label: String,
    pub color: RGBColor,
    pub values: Vec<Option<f64>>,
}

/// DuVisor's colours are blues, the baseline's reds: dark for the core's cycles, mid for the
/// model's instructions, light for the paper.
pub const DUVISOR_RTL: RGBColor = RGBColor(8, 69, 148);
pub const DUVISOR_MODEL: RGBColor = RGBColor(49, 130, 189);
pub const DUVISOR_PAPER: RGBColor = RGBColor(158, 202, 225);
pub const KVM_RTL: RGBColor = RGBColor(165, 15, 21);
pub const KVM_MODEL: RGBColor = RGBColor(222, 45, 38);
pub const KVM_PAPER: RGBColor = RGBColor(252, 146, 114);
/// Linux KVM's bars are green.
pub const LINUX_MODEL: RGBColor = RGBColor(44, 160, 44);
pub const LINUX_RTL: RGBColor = RGBColor(0, 90, 50);

/// The model's series: instructions per operation under DuVisor and the KVM-style baseline.
pub fn model_series(rows: &[Row]) -> [Series; 2] {
    [
        Series {
            label: "DuVisor (ISA model, insns)".into(),
            color: DUVISOR_MODEL,
            values: rows.iter().map(|r| Some(r.duvisor.insns)).collect(),
        },
        Series {
            label: "KVM-style (ISA model, insns)".into(),
            color: KVM_MODEL,
            values: rows.iter().map(|r| Some(r.kvm.insns)).collect(),
        },
    ]
}

/// Linux KVM's instructions per operation on the ISA model, if it was measured.
pub fn linux_series(rows: &[Row]) -> Option<Series> {
    rows.iter().any(|r| r.linux.is_some()).then(|| Series {
        label: "Linux KVM (ISA model, insns)".into(),
        color: LINUX_MODEL,
        values: rows.iter().map(|r| r.linux.map(|l| l.insns)).collect(),
    })
}

/// The paper's cycles on Rocket (DuVisor, KVM) where it gives them.
pub fn paper_series(rows: &[Row]) -> [Series; 2] {
    [
        Series {
            label: "DuVisor (paper, cycles)".into(),
            color: DUVISOR_PAPER,
            values: rows.iter().map(|r| r.op.paper.map(|p| p.1 as f64)).collect(),
        },
        Series {
            label: "KVM (paper, cycles)".into(),
            color: KVM_PAPER,
            values: rows.iter().map(|r| r.op.paper.map(|p| p.0 as f64)).collect(),
        },
    ]
}

/// Draws `series` grouped by operation (`groups`, one name per value of each series).
pub fn write_png(title: &str, groups: &[&str], series: &[Series], path: &std::path::Path) -> Result<()> {
    if let Some(s) = series.iter().find(|s| s.values.len() != groups.len()) {
        return Err(anyhow!("series {:?} has {} values for {} operations", s.label, s.values.len(), groups.len()));
    }
    let font = std::fs::read(FONT).with_context(|| format!("cannot read {FONT} (run `make setup`)"))?;
    let font: &'static [u8] = Box::leak(font.into_boxed_slice());
    register_font("sans-serif", FontStyle::Normal, font).map_err(|_| anyhow!("{FONT} is not a usable font"))?;
    let root = BitMapBackend::new(path, (1200, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let top = series.iter().flat_map(|s| s.values.iter().flatten().copied()).fold(10.0, f64::max) * 3.0;
    let n = groups.len();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..n as f64, (10f64..top).log_scale())
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        // Key points every half unit: the group centres (i + 0.5) carry the operation's name.
        .x_labels(2 * n + 1)
        .x_label_formatter(&|x| {
            let centre = (x - x.floor() - 0.5).abs() < 0.01;
            groups.get(x.floor() as usize).filter(|_| centre).map(|g| g.to_string()).unwrap_or_default()
        })
        .y_desc("per operation (log scale)")
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    let w = 0.8 / series.len().max(1) as f64;
    for (k, Series { label, color, values }) in series.iter().enumerate() {
        let bars = values.iter().enumerate().filter_map(|(i, v)| {
            let v = (*v)?;
            let x0 = i as f64 + 0.1 + k as f64 * w;
            Some(Rectangle::new([(x0, 10.0), (x0 + w * 0.9, v.max(10.0))], color.filled()))
        });
        let color = *color;
        chart
            .draw_series(bars)
            .map_err(|e| anyhow!("{e}"))?
            .label(label.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_of_the_wrong_length_is_refused() {
        let s = Series { label: "x".into(), color: DUVISOR_RTL, values: vec![Some(1.0)] };
        let e = write_png("t", &["a", "b"], &[s], std::path::Path::new("/nonexistent/x.png")).unwrap_err();
        assert!(e.to_string().contains("1 values for 2 operations"), "{e}");
    }
}
