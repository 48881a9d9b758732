//! Charts as inline SVG, drawn here so the report needs no script and
//! fetches nothing: stacked bars over hours, with axes, ticks and a legend.
//!
//! Every label passes through [`esc`]; colours and numbers are ours.

use std::fmt::Write;

/// Bars drawn at most (the latest are kept; the caller says so).
pub const MAX_BARS: usize = 24 * 45;

/// One stacked layer: a name for the legend and a value per bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// One value per bar (missing values are 0).
    pub values: Vec<f64>,
}

/// How tick labels read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A count (1, 250, 12k).
    Count,
    /// Bytes (KB, MB, GB; powers of 1000).
    Bytes,
}

/// Colour-blind-friendly palette (Okabe-Ito, then Tableau), cycled.
const COLOURS: [&str; 10] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
    "#8c564b", "#7f7f7f",
];

/// Full-width chart size.
pub const FULL: (f64, f64) = (900.0, 300.0);
/// A device's small chart.
pub const SMALL: (f64, f64) = (900.0, 150.0);
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 40.0;

/// Escapes text for HTML and XML (content and quoted attributes).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0.
            c if c.is_control() && c != '\n' && c != '\t' => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// `v` formatted for a tick or a tooltip.
pub fn human(v: f64, unit: Unit) -> String {
    let (units, base): (&[&str], f64) = match unit {
        Unit::Count => (&["", "k", "M", "G", "T"], 1000.0),
        Unit::Bytes => (&[" B", " KB", " MB", " GB", " TB"], 1000.0),
    };
    let mut v = v;
    let mut i = 0;
    while v.abs() >= base && i + 1 < units.len() {
        v /= base;
        i += 1;
    }
    let n = if v.fract() == 0.0 || v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    let n = if n.contains('.') {
        n.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        n
    };
    format!("{n}{}", units.get(i).copied().unwrap_or(""))
}

/// A tick step of 1, 2 or 5 × 10^k giving about `n` ticks up to `max`.
fn nice_step(max: f64, n: f64) -> f64 {
    let raw = (max / n).max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    (m * mag).max(1.0)
}

/// A stacked bar chart: one bar per label (hours), one layer per series.
/// `id` makes the element ids unique in the page.
pub fn stacked_bars(
    id: &str,
    title: &str,
    labels: &[String],
    series: &[Series],
    unit: Unit,
) -> String {
    stacked_bars_sized(id, title, labels, series, unit, FULL)
}

/// [`stacked_bars`] of a given (width, height).
pub fn stacked_bars_sized(
    id: &str,
    title: &str,
    labels: &[String],
    series: &[Series],
    unit: Unit,
    (w, h): (f64, f64),
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{}</title>"#,
        esc(title)
    );
    let n = labels.len();
    let totals: Vec<f64> = (0..n)
        .map(|i| {
            series
                .iter()
                .map(|se| se.values.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let max = totals.iter().copied().fold(0.0, f64::max);
    let _ = write!(
        s,
        r#"<text x="{LEFT}" y="18" class="chart-title" font-size="14" font-weight="bold">{}</text>"#,
        esc(title)
    );
    if n == 0 || max <= 0.0 {
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#666" font-size="13">no data</text></svg>"##,
            w / 2.0,
            h / 2.0
        );
        return s;
    }
    let pw = w - LEFT - RIGHT;
    let ph = h - TOP - BOTTOM;
    // Small charts: fewer ticks, so that labels do not collide.
    let ticks = if ph < 120.0 { 2.0 } else { 5.0 };
    let step = if unit == Unit::Count {
        nice_step(max, ticks).max(1.0)
    } else {
        nice_step(max, ticks)
    };
    let top = (max / step).ceil() * step;
    let y = |v: f64| TOP + ph - v / top * ph;
    // Grid and y ticks.
    let mut v = 0.0;
    while v <= top + step / 2.0 {
        let yy = y(v);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end" font-size="11" fill="#333">{}</text>"##,
            LEFT + pw,
            LEFT - 6.0,
            yy + 4.0,
            esc(&human(v, unit))
        );
        v += step;
    }
    // Axes.
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{}" stroke="#333"/><line x1="{LEFT}" x2="{}" y1="{}" y2="{}" stroke="#333"/>"##,
        TOP + ph,
        LEFT + pw,
        TOP + ph,
        TOP + ph
    );
    // Bars.
    let slot = pw / n as f64;
    let bw = (slot * 0.8).clamp(1.0, 60.0);
    for i in 0..n {
        let x = LEFT + slot * i as f64 + (slot - bw) / 2.0;
        let mut acc = 0.0;
        for (k, se) in series.iter().enumerate() {
            let val = se.values.get(i).copied().unwrap_or(0.0);
            if val <= 0.0 {
                continue;
            }
            let y0 = y(acc);
            let y1 = y(acc + val);
            acc += val;
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{y1:.1}" width="{bw:.1}" height="{:.1}" fill="{}"><title>{}</title></rect>"#,
                (y0 - y1).max(0.5),
                COLOURS[k % COLOURS.len()],
                esc(&format!(
                    "{} {}: {}",
                    labels.get(i).map_or("", String::as_str),
                    se.name,
                    human(val, unit)
                ))
            );
        }
    }
    // X labels: at most about 8, evenly spaced.
    let every = n.div_ceil(8).max(1);
    for (i, l) in labels.iter().enumerate().step_by(every) {
        let cx = LEFT + slot * (i as f64 + 0.5);
        let _ = write!(
            s,
            r##"<line x1="{cx:.1}" x2="{cx:.1}" y1="{}" y2="{}" stroke="#333"/><text x="{cx:.1}" y="{}" text-anchor="middle" font-size="11" fill="#333">{}</text>"##,
            TOP + ph,
            TOP + ph + 4.0,
            TOP + ph + 17.0,
            esc(l)
        );
    }
    // Legend, right-aligned along the top.
    let mut lx = w - RIGHT;
    for (k, se) in series.iter().enumerate().rev() {
        let label = esc(&se.name);
        let tw = se.name.chars().count() as f64 * 6.5 + 22.0;
        lx -= tw;
        let _ = write!(
            s,
            r##"<g class="legend"><rect x="{lx:.1}" y="24" width="10" height="10" fill="{}"/><text x="{:.1}" y="33" font-size="11" fill="#333">{label}</text></g>"##,
            COLOURS[k % COLOURS.len()],
            lx + 14.0
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(human(0.0, Unit::Count), "0");
        assert_eq!(human(250.0, Unit::Count), "250");
        assert_eq!(human(12_000.0, Unit::Count), "12k");
        assert_eq!(human(1_500_000.0, Unit::Bytes), "1.5 MB");
        assert_eq!(human(999.0, Unit::Bytes), "999 B");
        assert_eq!(nice_step(37.0, 5.0), 10.0);
        assert_eq!(nice_step(3.0, 5.0), 1.0);
        assert_eq!(nice_step(3_700_000.0, 5.0), 1_000_000.0);
    }

    #[test]
    fn labels_are_escaped_and_empty_charts_say_so() {
        let svg = stacked_bars(
            "c",
            "t<",
            &["h1".into()],
            &[Series {
                name: "<script>alert(1)</script>".into(),
                values: vec![3.0],
            }],
            Unit::Count,
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("<rect"));
        let empty = stacked_bars("e", "t", &[], &[], Unit::Bytes);
        assert!(empty.contains("no data"));
    }
}
