//! The bar chart of `make bench-exits`: instructions per operation, DuVisor vs KVM-style vs Linux
//! KVM (when it was measured), with the paper's cycle figures beside them (log scale: the costs span two orders of magnitude).

use anyhow::{anyhow, Context, Result};
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::bench::Row;

/// A TrueType font for the labels (Debian's fonts-dejavu-core, installed by `make setup`).
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// One bar series: its legend, colour, and value per row (None: no bar).
struct Series {
    label: &'static str,
    color: RGBColor,
    value: fn(&Row) -> Option<f64>,
}

const SERIES: [Series; 5] = [
    Series { label: "DuVisor (this model, insns)", color: RGBColor(31, 119, 180), value: |r| Some(r.duvisor.insns) },
    Series { label: "KVM-style (this model, insns)", color: RGBColor(214, 39, 40), value: |r| Some(r.kvm.insns) },
    Series {
        label: "Linux KVM (this model, insns)",
        color: RGBColor(44, 160, 44),
        value: |r| r.linux.map(|l| l.insns),
    },
    Series {
        label: "DuVisor (paper, cycles)",
        color: RGBColor(158, 202, 225),
        value: |r| r.op.paper.map(|p| p.1 as f64),
    },
    Series { label: "KVM (paper, cycles)", color: RGBColor(252, 146, 114), value: |r| r.op.paper.map(|p| p.0 as f64) },
];

pub fn write_png(rows: &[Row], path: &std::path::Path) -> Result<()> {
    let font = std::fs::read(FONT).with_context(|| format!("cannot read {FONT} (run `make setup`)"))?;
    let font: &'static [u8] = Box::leak(font.into_boxed_slice());
    register_font("sans-serif", FontStyle::Normal, font).map_err(|_| anyhow!("{FONT} is not a usable font"))?;
    let root = BitMapBackend::new(path, (1100, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let top = rows.iter().flat_map(|r| SERIES.iter().filter_map(|s| (s.value)(r))).fold(10.0, f64::max) * 2.0;
    let n = rows.len();
    let mut chart = ChartBuilder::on(&root)
        .caption("VM exit cost: DuVisor vs KVM-style vs Linux KVM (make bench-exits)", ("sans-serif", 24))
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
            rows.get(x.floor() as usize).filter(|_| centre).map(|r| r.op.name.to_string()).unwrap_or_default()
        })
        .y_desc("per operation (log scale)")
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    let w = 0.8 / SERIES.len() as f64;
    for (k, Series { label, color, value }) in SERIES.iter().enumerate() {
        let bars = rows.iter().enumerate().filter_map(|(i, r)| {
            let v = value(r)?;
            let x0 = i as f64 + 0.1 + k as f64 * w;
            Some(Rectangle::new([(x0, 10.0), (x0 + w * 0.9, v.max(10.0))], color.filled()))
        });
        chart
            .draw_series(bars)
            .map_err(|e| anyhow!("{e}"))?
            .label(*label)
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
