//! Evaluation plots, each as SVG and PNG: ROC and precision-recall curves (AUC in the legend), a
//! calibration diagram with the Brier score, the confusion matrix, and per-theme F1.
//!
//! Every chart is drawn by one function generic over the plotters backend, so the SVG and the PNG
//! show the same thing. PNG text needs a font file: DejaVu Sans is compiled in (the `dejavu`
//! crate), so no system fonts are needed on a server or in CI.

use crate::error::{Error, Result};
use crate::metrics::{self, average_precision, brier, pr_curve, roc_auc, roc_curve};
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::RangedCoordi32;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// Out-of-fold (or held-out) predictions of one run: labels, P(Overturned), and the decision of the
/// model that scored each item (in cross-validation each fold's model has its own threshold).
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
    /// The one model's decision threshold, for the confusion matrix's subtitle (None: each fold's
    /// own).
    pub threshold: Option<f64>,
    /// F1 per theme, where themes were evaluated.
    pub theme_f1: Option<BTreeMap<String, ThemeF1>>,
}

/// One theme's bar: its F1, the spread over folds (None for one held-out run), and how many gold
/// items have it (a count per repeat in cross-validation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThemeF1 {
    pub f1: f64,
    pub sd: Option<f64>,
    pub gold: usize,
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
        // The bytes are a valid TrueType file shipped by the crate; failure would leave PNG text
        // blank, and the drawing then reports the missing font as an error.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

type DrawResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Writes every plot as `<name>.svg` and `<name>.png` in `dir` (created if needed); returns the
/// files written. Without both decisions among the labels ([`PlotData::ranks`]), there is no ROC or
/// precision-recall plot.
pub fn write_plots(dir: &Path, data: &PlotData) -> Result<Vec<PathBuf>> {
    register_font();
    std::fs::create_dir_all(dir).map_err(|e| Error::Write {
        path: dir.into(),
        cause: e,
    })?;
    if data.runs.is_empty() || data.runs.iter().all(|r| r.y.is_empty()) {
        return Err(Error::NothingToFit {
            stage: "plots",
            what: "predictions to plot",
        });
    }
    // A ROC or precision-recall curve ranks one decision against the other: items of one decision
    // have none.
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
    // Every file drawn first, then each written whole and renamed onto its name (crate::output):
    // a chart that cannot be drawn leaves the folder as it was, and a write that fails (a full
    // disk) says which plots are this run's.
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for (name, chart) in charts {
        let path = dir.join(format!("{name}.svg"));
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            draw(chart, &area, data)
                .and_then(|_| area.present().map_err(Into::into))
                .map_err(|e| fail(&path, e))?;
        }
        files.push((path, svg.into_bytes()));
        let path = dir.join(format!("{name}.png"));
        let png = super::png::png_of(SIZE, |area| draw(chart, area, data)).map_err(|reason| {
            Error::Plot {
                path: path.clone(),
                reason,
            }
        })?;
        files.push((path, png));
    }
    let mut written = Vec::new();
    for (path, bytes) in files {
        if let Err(e) = crate::output::write_file(&path, &bytes) {
            let names = written.iter().filter_map(|p: &PathBuf| p.file_name());
            return Err(Error::PlotsPartly {
                error: Box::new(e),
                written: names.map(|n| n.to_string_lossy().into_owned()).collect(),
            });
        }
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
    square_chart(area, x_desc, y_desc, 1.0)
}

/// A chart from 0 to `top` on both axes.
fn square_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x_desc: &str,
    y_desc: &str,
    top: f64,
) -> DrawResult<UnitChart<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..top, 0.0..top)?;
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

/// One bin of the calibration diagram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    /// The mean predicted P(Overturned) of its items.
    pub predicted: f64,
    /// The share of them overturned, with its Wilson 95% interval.
    pub observed: f64,
    pub low: f64,
    pub high: f64,
    pub items: usize,
}

/// The predictions of every run, pooled, sorted by P(Overturned) and cut into `bins` bins of equal
/// count (the first ones one larger where it does not divide): most predictions are near 0, and
/// bins of equal width would leave most of the range with one or two items each.
pub fn reliability(runs: &[Run], bins: usize) -> Vec<Bin> {
    let (y, p) = pooled(runs);
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let bins = bins.clamp(1, order.len().max(1));
    let (size, extra) = (order.len() / bins, order.len() % bins);
    let mut out = Vec::with_capacity(bins);
    let mut at = 0;
    for b in 0..bins {
        let n = size + usize::from(b < extra);
        let idx = &order[at..at + n];
        at += n;
        if n == 0 {
            continue;
        }
        let over = idx.iter().filter(|&&i| y[i]).count();
        let (low, high) = crate::model::base_rates::wilson(over, n);
        out.push(Bin {
            predicted: idx.iter().map(|&i| p[i]).sum::<f64>() / n as f64,
            observed: over as f64 / n as f64,
            low,
            high,
            items: n,
        });
    }
    out
}

/// Every run's predictions in one list (the calibration and confusion charts pool the runs).
fn pooled(runs: &[Run]) -> (Vec<bool>, Vec<f64>) {
    runs.iter()
        .flat_map(|r| r.y.iter().copied().zip(r.p.iter().copied()))
        .unzip()
}

/// Bins of the calibration diagram: enough items in each to read a rate.
const CALIBRATION_BINS: usize = 10;

fn calibration<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &PlotData) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let (y, p) = pooled(&d.runs);
    let title = format!("Calibration: Brier score {:.4}", brier(&y, &p));
    let bins = reliability(&d.runs, CALIBRATION_BINS);
    let pooled = if d.runs.len() > 1 {
        ", runs pooled"
    } else {
        ""
    };
    let sub = format!(
        "{} ({} bins of ~{}{pooled}; bars: 95% interval)",
        d.subtitle,
        bins.len(),
        bins.first().map_or(0, |b| b.items)
    );
    let area = caption(area, &title, &sub)?;
    // Up to the highest bin and its interval (a forecast's P rarely nears 1), in tenths.
    let highest = bins
        .iter()
        .map(|b| b.high.max(b.predicted))
        .fold(0.0, f64::max);
    let top = ((highest * 1.1 * 10.0).ceil() / 10.0).clamp(0.1, 1.0);
    let mut chart = square_chart(
        &area,
        "Mean predicted P(Overturned)",
        "Observed fraction Overturned",
        top,
    )?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (top, top)], BLACK.mix(0.3)))?
        .label("perfectly calibrated")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.3)));
    let color = PALETTE[0];
    chart
        .draw_series(bins.iter().map(|b| {
            PathElement::new(
                [(b.predicted, b.low), (b.predicted, b.high)],
                color.stroke_width(2),
            )
        }))?
        .label("model (bin mean, 95% interval)")
        .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
    chart.draw_series(
        bins.iter()
            .map(|b| Circle::new((b.predicted, b.observed), 4, color.filled())),
    )?;
    // Each bin's count beside its marker; bins whose labels would overlap (a label is wider
    // than it is tall) share one.
    let (near_x, near_y) = (0.14 * top, 0.05 * top);
    let mut labels: Vec<(f64, f64, usize, usize)> = Vec::new();
    for b in &bins {
        match labels.last_mut() {
            Some(l) if (b.predicted - l.0).abs() < near_x && (b.observed - l.1).abs() < near_y => {
                l.2 += 1;
                l.3 += b.items;
            }
            _ => labels.push((b.predicted, b.observed, 1, b.items)),
        }
    }
    chart.draw_series(labels.iter().map(|&(x, y, k, n)| {
        let text = if k == 1 {
            format!("n={n}")
        } else {
            format!("{k} bins, n={n}")
        };
        // Near the right edge the label goes to the marker's left, so it is not cut off.
        let style = ("sans-serif", 13).into_font().color(&BLACK.mix(0.7));
        if x > 0.85 * top {
            let left = Pos::new(HPos::Right, VPos::Top);
            Text::new(text, (x - 0.012 * top, y + 0.015 * top), style.pos(left))
        } else {
            Text::new(text, (x + 0.012 * top, y + 0.015 * top), style)
        }
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
    let area = caption(area, "Confusion matrix", &confusion_subtitle(d))?;
    let mut chart = matrix_chart(&area)?;
    for (actual, row) in m.iter().enumerate() {
        let in_row: usize = row.iter().sum();
        for (pred, &n) in row.iter().enumerate() {
            matrix_cell(&mut chart, actual, pred, n, in_row)?;
        }
    }
    Ok(())
}

fn confusion_subtitle(d: &PlotData) -> String {
    let threshold = d
        .threshold
        .map_or("each fold's threshold".to_string(), |t| {
            format!("threshold {t:.2}")
        });
    format!(
        "{} ({threshold}{})",
        d.subtitle,
        if d.runs.len() > 1 {
            format!(", summed over {} runs", d.runs.len())
        } else {
            String::new()
        }
    )
}

/// Two classes on each axis, a segment each.
type MatrixChart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<SegmentedCoord<RangedCoordi32>, SegmentedCoord<RangedCoordi32>>,
>;

/// The confusion matrix's axes: predicted across, actual down.
fn matrix_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
) -> DrawResult<MatrixChart<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
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
        // The usual layout: the actual Upheld row on top, so the correct cells are the diagonal.
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names
                .get(1 - *i as usize)
                .map_or(String::new(), |s| s.to_string()),
            _ => String::new(),
        })
        .draw()?;
    Ok(chart)
}

/// The cell of `n` items of class `actual` predicted `pred`, of `in_row` items of that class.
fn matrix_cell<DB: DrawingBackend>(
    chart: &mut MatrixChart<'_, DB>,
    actual: usize,
    pred: usize,
    n: usize,
    in_row: usize,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    // Shaded by the share of the actual class: each row reads as that class's recall.
    let share = n as f64 / in_row.max(1) as f64;
    let shade = 1.0 - 0.75 * share;
    let fill = RGBColor(
        (255.0 * shade) as u8,
        (255.0 * shade + 30.0 * (1.0 - shade)) as u8,
        255,
    );
    let (a, p) = (1 - actual as i32, pred as i32);
    chart.draw_series([Rectangle::new(
        [
            (SegmentValue::Exact(p), SegmentValue::Exact(a)),
            (SegmentValue::Exact(p + 1), SegmentValue::Exact(a + 1)),
        ],
        fill.filled(),
    )])?;
    let text_color = if shade < 0.5 { WHITE } else { BLACK };
    // A row without items has no shares (0 of 0): its count alone.
    let label = match in_row {
        0 => format!("{n} (no items)"),
        _ => format!("{n} ({:.1}% of row)", 100.0 * share),
    };
    chart.draw_series([Text::new(
        label,
        (SegmentValue::CenterOf(p), SegmentValue::CenterOf(a)),
        ("sans-serif", 22).into_font().color(&text_color).pos(
            plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            ),
        ),
    )])?;
    Ok(())
}

fn theme_f1<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &PlotData) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let per = d.theme_f1.as_ref().expect("checked by the caller");
    let mut rows: Vec<(&String, ThemeF1)> = per.iter().map(|(k, v)| (k, *v)).collect();
    rows.sort_by(|a, b| b.1.f1.total_cmp(&a.1.f1).then(a.0.cmp(b.0)));
    let spread = rows.iter().any(|r| r.1.sd.is_some());
    let sub = if spread {
        format!("{} (bars: 1 sd over folds; n: gold items)", d.subtitle)
    } else {
        format!("{} (n: gold items)", d.subtitle)
    };
    let area = caption(area, "F1 per rationale theme", &sub)?;
    let n = rows.len() as i32;
    let mut chart = ChartBuilder::on(&area)
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(260)
        .build_cartesian_2d(0.0..1.15, (0..n - 1).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc(if spread { "F1 (mean over folds)" } else { "F1" })
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 15))
        .x_label_formatter(&|x| {
            if *x <= 1.0 {
                format!("{x:.1}")
            } else {
                String::new()
            }
        })
        .y_labels(rows.len())
        .y_label_formatter(&|v| match v {
            // Row 0 at the bottom: the best theme on top.
            SegmentValue::CenterOf(i) => rows
                .get((n - 1 - *i) as usize)
                .map_or(String::new(), |r| format!("{} (n={})", r.0, r.1.gold)),
            _ => String::new(),
        })
        .draw()?;
    for (k, (_, t)) in rows.iter().enumerate() {
        let y = n - 1 - k as i32;
        let f1 = if t.f1.is_finite() { t.f1 } else { 0.0 };
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(y)),
                (f1, SegmentValue::Exact(y + 1)),
            ],
            PALETTE[0].mix(0.85).filled(),
        );
        bar.set_margin(5, 5, 0, 0);
        chart.draw_series([bar])?;
        let mut end = f1;
        if let Some(sd) = t.sd.filter(|s| s.is_finite() && *s > 0.0) {
            let (lo, hi) = ((f1 - sd).max(0.0), (f1 + sd).min(1.0));
            end = hi;
            chart.draw_series([PathElement::new(
                [
                    (lo, SegmentValue::CenterOf(y)),
                    (hi, SegmentValue::CenterOf(y)),
                ],
                BLACK.stroke_width(2),
            )])?;
        }
        chart.draw_series([Text::new(
            format!("{f1:.2}"),
            (end + 0.01, SegmentValue::CenterOf(y)),
            ("sans-serif", 15).into_font(),
        )])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reliability_bins_hold_equal_counts_and_pool_runs() {
        let run = |label: &str, y: Vec<bool>, p: Vec<f64>| Run {
            label: label.into(),
            predicted: p.iter().map(|&p| p > 0.5).collect(),
            y,
            p,
        };
        let runs = vec![
            run("a", vec![false, true, false], vec![0.05, 0.95, 0.01]),
            run("b", vec![false, false, true], vec![0.15, 0.91, 0.02]),
        ];
        let b = reliability(&runs, 4);
        // Six predictions in four bins: 2, 2, 1, 1.
        assert_eq!(b.iter().map(|b| b.items).collect::<Vec<_>>(), [2, 2, 1, 1]);
        assert!((b[0].predicted - 0.015).abs() < 1e-12 && b[0].observed == 0.5);
        assert!((b[1].predicted - 0.10).abs() < 1e-12 && b[1].observed == 0.0);
        assert!(b
            .iter()
            .all(|b| b.low <= b.observed && b.observed <= b.high));
        assert!(b.windows(2).all(|w| w[0].predicted <= w[1].predicted));
        assert_eq!(reliability(&runs, 100).len(), 6);
        let (y, p) = pooled(&runs);
        assert_eq!((y.len(), p.len()), (6, 6));
    }

    /// A confusion matrix's row without items (letters of one decision) gives counts, not shares
    /// of nothing; a row with items gives its shares.
    #[test]
    fn an_empty_confusion_row_has_no_shares() {
        let run = Run {
            label: "held out".into(),
            y: vec![false, false, false],
            p: vec![0.1, 0.2, 0.7],
            predicted: vec![false, false, true],
        };
        let data = PlotData {
            subtitle: "letters of one decision".into(),
            runs: vec![run],
            threshold: Some(0.5),
            theme_f1: None,
        };
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            draw(Chart::Confusion, &area, &data).unwrap();
            area.present().unwrap();
        }
        assert_eq!(svg.matches("(no items)").count(), 2, "{svg}");
        assert!(
            svg.contains("2 (66.7% of row)") && svg.contains("1 (33.3% of row)"),
            "{svg}"
        );
    }
}
