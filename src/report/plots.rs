//! Evaluation plots, each as SVG and PNG: ROC and precision-recall curves (AUC in the legend), a calibration
//! diagram with the Brier score, the confusion matrix, and per-theme F1.
//!
//! Every chart is drawn by one function generic over the plotters backend, so the SVG and the PNG show the same
//! thing. PNG text needs a font file: DejaVu Sans is compiled in (the `dejavu` crate), so no system fonts are
//! needed on a server or in CI.

use crate::error::{Error, Result};
use crate::eval::metrics::{self, average_precision, brier, pr_curve, roc_auc, roc_curve};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// Out-of-fold (or held-out) predictions of one run: labels, P(Overturned), and the decision of the model that
/// scored each item (in cross-validation each fold's model has its own threshold).
#[derive(Debug, Clone)]
pub struct Run {
    pub label: String,
    pub y: Vec<bool>,
    pub p: Vec<f64>,
    pub predicted: Vec<bool>,
}

/// What the plots show.
#[derive(Debug, Clone)]
pub struct PlotData {
    /// Printed under each title, e.g. "rationale view, 5-fold x 3 grouped CV, 356 items".
    pub subtitle: String,
    /// One run per CV repeat, or one for a held-out evaluation.
    pub runs: Vec<Run>,
    /// The one model's decision threshold, for the confusion matrix's subtitle (None: each fold's own).
    pub threshold: Option<f64>,
    /// Mean F1 per theme, where themes were evaluated.
    pub theme_f1: Option<BTreeMap<String, f64>>,
}

impl PlotData {
    /// Whether some run holds both decisions, so that the ROC and precision-recall curves exist.
    pub fn ranks(&self) -> bool {
        self.runs
            .iter()
            .any(|r| r.y.iter().any(|&b| b) && r.y.iter().any(|&b| !b))
    }
}

const SIZE: (u32, u32) = (800, 600);
const PALETTE: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
];

static FONT: Once = Once::new();

pub(crate) fn register_font() {
    FONT.call_once(|| {
        // The bytes are a valid TrueType file shipped by the crate; failure would leave PNG text blank, and the
        // drawing then reports the missing font as an error.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

type DrawResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Writes every plot as `<name>.svg` and `<name>.png` in `dir` (created if needed); returns the files written.
/// Without both decisions among the labels ([`PlotData::ranks`]), there is no ROC or precision-recall plot.
pub fn write_plots(dir: &Path, data: &PlotData) -> Result<Vec<PathBuf>> {
    register_font();
    std::fs::create_dir_all(dir).map_err(|e| Error::Write {
        path: dir.into(),
        cause: e,
    })?;
    if data.runs.is_empty() || data.runs.iter().all(|r| r.y.is_empty()) {
        return Err(Error::Data {
            context: "plots".into(),
            message: "no predictions to plot".into(),
        });
    }
    // A ROC or precision-recall curve ranks one decision against the other: items of one decision have none.
    let mut charts = if data.ranks() {
        vec![("roc", Chart::Roc), ("pr", Chart::Pr)]
    } else {
        Vec::new()
    };
    charts.extend([
        ("calibration", Chart::Calibration),
        ("confusion", Chart::Confusion),
    ]);
    if data.theme_f1.as_ref().is_some_and(|t| !t.is_empty()) {
        charts.push(("theme_f1", Chart::ThemeF1));
    }
    let fail = |p: &Path, e: Box<dyn std::error::Error>| Error::Plot {
        path: p.to_path_buf(),
        reason: e.to_string(),
    };
    let mut written = Vec::new();
    for (name, chart) in charts {
        // Each file drawn whole, then renamed onto its name (crate::output): an old plot stays
        // until its replacement is complete.
        let path = dir.join(format!("{name}.svg"));
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            draw(chart, &area, data)
                .and_then(|_| area.present().map_err(Into::into))
                .map_err(|e| fail(&path, e))?;
        }
        crate::output::write_file(&path, svg.as_bytes())?;
        written.push(path);
        let path = dir.join(format!("{name}.png"));
        // The bitmap backend picks its encoder by the file's extension: the temporary file ends in
        // .png.
        crate::output::write_through(&path, ".tmp.png", |tmp| {
            let area = BitMapBackend::new(tmp, SIZE).into_drawing_area();
            draw(chart, &area, data)
                .and_then(|_| area.present().map_err(Into::into))
                .map_err(|e| e.to_string())
        })?
        .map_err(|reason| Error::Plot {
            path: path.clone(),
            reason,
        })?;
        written.push(path);
    }
    Ok(written)
}

#[derive(Debug, Clone, Copy)]
enum Chart {
    Roc,
    Pr,
    Calibration,
    Confusion,
    ThemeF1,
}

fn draw<DB: DrawingBackend>(
    chart: Chart,
    area: &DrawingArea<DB, Shift>,
    d: &PlotData,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    match chart {
        Chart::Roc => roc(area, d),
        Chart::Pr => pr(area, d),
        Chart::Calibration => calibration(area, d),
        Chart::Confusion => confusion(area, d),
        Chart::ThemeF1 => theme_f1(area, d),
    }
}

fn caption<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> DrawResult<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE)?;
    let (top, rest) = area.split_vertically(56);
    top.draw(&Text::new(
        title.to_string(),
        (20, 8),
        ("sans-serif", 24).into_font(),
    ))?;
    top.draw(&Text::new(
        subtitle.to_string(),
        (20, 36),
        ("sans-serif", 15).into_font().color(&RGBColor(90, 90, 90)),
    ))?;
    Ok(rest)
}

fn unit_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x_desc: &str,
    y_desc: &str,
) -> DrawResult<UnitChart<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    Ok(chart)
}

type UnitChart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut UnitChart<'a, DB>,
    pos: SeriesLabelPosition,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(pos)
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

fn roc<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &PlotData) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let area = caption(area, "ROC curve: P(Overturned)", &d.subtitle)?;
    let mut chart = unit_chart(
        &area,
        "False positive rate (Upheld items scored Overturned)",
        "True positive rate (recall of Overturned)",
    )?;
    chart
        .draw_series(LineSeries::new(
            [(0.0, 0.0), (1.0, 1.0)],
            BLACK.mix(0.3).stroke_width(1),
        ))?
        .label("chance (AUC 0.5)")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.3)));
    for (k, r) in d.runs.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(
                roc_curve(&r.y, &r.p),
                color.stroke_width(2),
            ))?
            .label(format!(
                "{} (pooled AUC {:.3})",
                r.label,
                roc_auc(&r.y, &r.p)
            ))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}

fn pr<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &PlotData) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let area = caption(area, "Precision-recall curve: Overturned", &d.subtitle)?;
    let mut chart = unit_chart(
        &area,
        "Recall (Overturned items found)",
        "Precision (predicted Overturned that were)",
    )?;
    let prevalence =
        d.runs[0].y.iter().filter(|&&b| b).count() as f64 / d.runs[0].y.len().max(1) as f64;
    chart
        .draw_series(LineSeries::new(
            [(0.0, prevalence), (1.0, prevalence)],
            BLACK.mix(0.3),
        ))?
        .label(format!("chance (precision {prevalence:.3})"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.3)));
    for (k, r) in d.runs.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        // A step curve from recall 0, as average precision integrates it.
        let mut pts = vec![(0.0, 1.0)];
        for (rec, prec, _) in pr_curve(&r.y, &r.p) {
            pts.push((rec, pts.last().expect("non-empty").1));
            pts.push((rec, prec));
        }
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))?
            .label(format!(
                "{} (pooled AP {:.3})",
                r.label,
                average_precision(&r.y, &r.p)
            ))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    legend(&mut chart, SeriesLabelPosition::LowerLeft)
}

/// (mean predicted, observed frequency, count) of ten equal-width bins, pooled over the runs.
pub fn reliability(runs: &[Run], bins: usize) -> Vec<(f64, f64, usize)> {
    let mut acc = vec![(0.0, 0.0, 0usize); bins];
    for r in runs {
        for (&y, &p) in r.y.iter().zip(&r.p) {
            let b = ((p * bins as f64) as usize).min(bins - 1);
            acc[b].0 += p;
            acc[b].1 += f64::from(u8::from(y));
            acc[b].2 += 1;
        }
    }
    acc.into_iter()
        .filter(|b| b.2 > 0)
        .map(|(sp, sy, n)| (sp / n as f64, sy / n as f64, n))
        .collect()
}

/// Every run's predictions in one list (the calibration and confusion charts pool the runs).
fn pooled(runs: &[Run]) -> (Vec<bool>, Vec<f64>) {
    runs.iter()
        .flat_map(|r| r.y.iter().copied().zip(r.p.iter().copied()))
        .unzip()
}

fn calibration<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &PlotData) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let (y, p) = pooled(&d.runs);
    let title = format!("Calibration: Brier score {:.4}", brier(&y, &p));
    let area = caption(
        area,
        &title,
        &format!("{} (10 bins, runs pooled; marker area ~ items)", d.subtitle),
    )?;
    let mut chart = unit_chart(
        &area,
        "Mean predicted P(Overturned)",
        "Observed fraction Overturned",
    )?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))?
        .label("perfectly calibrated")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.3)));
    let bins = reliability(&d.runs, 10);
    let most = bins.iter().map(|b| b.2).max().unwrap_or(1) as f64;
    let color = PALETTE[0];
    chart
        .draw_series(LineSeries::new(
            bins.iter().map(|b| (b.0, b.1)),
            color.stroke_width(2),
        ))?
        .label("model")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    chart.draw_series(bins.iter().map(|b| {
        Circle::new(
            (b.0, b.1),
            (3.0 + 9.0 * (b.2 as f64 / most).sqrt()) as i32,
            color.filled(),
        )
    }))?;
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

fn confusion<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &PlotData) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    // Summed over the runs.
    let m = metrics::confusion_of(
        d.runs
            .iter()
            .flat_map(|r| r.y.iter().copied().zip(r.predicted.iter().copied())),
    );
    let threshold = d
        .threshold
        .map_or("each fold's threshold".to_string(), |t| {
            format!("threshold {t:.2}")
        });
    let sub = format!(
        "{} ({threshold}{})",
        d.subtitle,
        if d.runs.len() > 1 {
            format!(", summed over {} runs", d.runs.len())
        } else {
            String::new()
        }
    );
    let area = caption(area, "Confusion matrix", &sub)?;
    let mut chart = ChartBuilder::on(&area)
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(110)
        // A segmented a..b has a segment for b too: 0..1 is the two classes.
        .build_cartesian_2d((0..1).into_segmented(), (0..1).into_segmented())?;
    let names = ["Upheld", "Overturned"];
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("Predicted")
        .y_desc("Actual (the letter's decision)")
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 16))
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names
                .get(*i as usize)
                .map_or(String::new(), |s| s.to_string()),
            _ => String::new(),
        })
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names
                .get(*i as usize)
                .map_or(String::new(), |s| s.to_string()),
            _ => String::new(),
        })
        .draw()?;
    let total: usize = m.iter().flatten().sum();
    let most = m.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    for (actual, row) in m.iter().enumerate() {
        for (pred, &n) in row.iter().enumerate() {
            let shade = 1.0 - 0.75 * (n as f64 / most);
            let fill = RGBColor(
                (255.0 * shade) as u8,
                (255.0 * shade + 30.0 * (1.0 - shade)) as u8,
                255,
            );
            let (a, p) = (actual as i32, pred as i32);
            chart.draw_series([Rectangle::new(
                [
                    (SegmentValue::Exact(p), SegmentValue::Exact(a)),
                    (SegmentValue::Exact(p + 1), SegmentValue::Exact(a + 1)),
                ],
                fill.filled(),
            )])?;
            let text_color = if shade < 0.5 { WHITE } else { BLACK };
            chart.draw_series([Text::new(
                format!("{n} ({:.1}%)", 100.0 * n as f64 / total.max(1) as f64),
                (SegmentValue::CenterOf(p), SegmentValue::CenterOf(a)),
                ("sans-serif", 22).into_font().color(&text_color).pos(
                    plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Center,
                        plotters::style::text_anchor::VPos::Center,
                    ),
                ),
            )])?;
        }
    }
    Ok(())
}

fn theme_f1<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &PlotData) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let per = d.theme_f1.as_ref().expect("checked by the caller");
    let mut rows: Vec<(&String, f64)> = per.iter().map(|(k, v)| (k, *v)).collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let area = caption(area, "F1 per rationale theme", &d.subtitle)?;
    let n = rows.len() as i32;
    let mut chart = ChartBuilder::on(&area)
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(230)
        .build_cartesian_2d(0.0..1.0, (0..n - 1).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc("F1 (mean over folds)")
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 15))
        .y_labels(rows.len())
        .y_label_formatter(&|v| match v {
            // Row 0 at the bottom: the best theme on top.
            SegmentValue::CenterOf(i) => rows
                .get((n - 1 - *i) as usize)
                .map_or(String::new(), |r| r.0.clone()),
            _ => String::new(),
        })
        .draw()?;
    for (k, (_, f1)) in rows.iter().enumerate() {
        let y = n - 1 - k as i32;
        let f1 = if f1.is_finite() { *f1 } else { 0.0 };
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(y)),
                (f1, SegmentValue::Exact(y + 1)),
            ],
            PALETTE[0].mix(0.85).filled(),
        );
        bar.set_margin(5, 5, 0, 0);
        chart.draw_series([bar])?;
        chart.draw_series([Text::new(
            format!("{f1:.2}"),
            (f1.min(0.9) + 0.01, SegmentValue::CenterOf(y)),
            ("sans-serif", 15).into_font(),
        )])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reliability_bins_pool_runs() {
        let runs = vec![
            Run {
                label: "a".into(),
                y: vec![false, true],
                p: vec![0.05, 0.95],
                predicted: vec![false, true],
            },
            Run {
                label: "b".into(),
                y: vec![false, false],
                p: vec![0.15, 0.91],
                predicted: vec![false, true],
            },
        ];
        let b = reliability(&runs, 10);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0], (0.05, 0.0, 1));
        assert!((b[2].0 - 0.93).abs() < 1e-12 && b[2].1 == 0.5 && b[2].2 == 2);
        let (y, p) = pooled(&runs);
        assert!((brier(&y, &p) - (0.0025 + 0.0025 + 0.0225 + 0.8281) / 4.0).abs() < 1e-12);
    }
}
