//! Counts by group (`imr stats --plot`): overturn rates with their Wilson intervals, or the volume
//! of decisions over time.

use super::plots::register_font;
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// One group of items: its label, volume, Overturned count and 95% interval of the rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// None: the items without a value (no decision date, no specialty).
    pub label: Option<String>,
    pub items: usize,
    pub overturned: usize,
    pub rate_low: f64,
    pub rate_high: f64,
}

impl From<&crate::store::StatsRow> for Group {
    /// The group of a counted row's first key, as charts draw it.
    fn from(r: &crate::store::StatsRow) -> Self {
        Group {
            label: r.values[0].clone(),
            items: r.items,
            overturned: r.overturned,
            rate_low: r.rate_low,
            rate_high: r.rate_high,
        }
    }
}

/// The most groups a rate chart shows (the largest): more would not be read.
const MAX_GROUPS: usize = 30;

/// The most periods a time chart fills in between its first and last (fifty years of months).
const MAX_PERIODS: i64 = 600;

type DrawResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Draws `groups` into `path` (.svg or .png): over time (`time`) as stacked bars of Upheld and
/// Overturned items, else the overturn rate of each group with its interval.
pub fn write_group_plot(path: &Path, key: &str, time: bool, groups: &[Group]) -> Result<()> {
    register_font();
    let fail = |e: Box<dyn std::error::Error>| Error::Plot {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let filled = shown_groups(time, groups);
    let shown: Vec<&Group> = filled.iter().collect();
    if shown.is_empty() {
        return Err(Error::Plot {
            path: path.into(),
            reason: "no groups to draw".into(),
        });
    }
    let size = plot_size(time, shown.len());
    let all = groups.len();
    match path.extension().and_then(|e| e.to_str()) {
        Some("svg") => {
            let svg = svg_of(key, time, &shown, all).map_err(fail)?;
            crate::output::write_file(path, svg.as_bytes())
        }
        Some("png") => super::png::write_png(path, size, |area| draw(area, key, time, &shown, all)),
        _ => Err(Error::Plot {
            path: path.into(),
            reason: "the file name must end in .svg or .png".into(),
        }),
    }
}

/// [`write_group_plot`]'s SVG as a string (the web page's charts); None when there is no group to
/// draw.
pub fn group_plot_svg(key: &str, time: bool, groups: &[Group]) -> Result<Option<String>> {
    register_font();
    let filled = shown_groups(time, groups);
    let shown: Vec<&Group> = filled.iter().collect();
    if shown.is_empty() {
        return Ok(None);
    }
    svg_of(key, time, &shown, groups.len())
        .map(Some)
        .map_err(|e| Error::Plot {
            path: format!("the {key} chart").into(),
            reason: e.to_string(),
        })
}

/// The groups a chart draws: over time, every period from the first to the last, those without
/// items as zeros (a month without decisions is a gap on the axis, not left out); otherwise the
/// largest groups.
fn shown_groups(time: bool, groups: &[Group]) -> Vec<Group> {
    if !time {
        return groups.iter().take(MAX_GROUPS).cloned().collect();
    }
    let mut dated: Vec<(Period, &Group)> = Vec::new();
    for g in groups {
        let Some(label) = &g.label else { continue };
        match period(label) {
            Some(p) => dated.push((p, g)),
            // A label that is no month or year: drawn as counted, nothing filled in.
            None => {
                return groups
                    .iter()
                    .filter(|g| g.label.is_some())
                    .cloned()
                    .collect()
            }
        }
    }
    dated.sort_by_key(|&(p, _)| p.at);
    let (Some(&(first, _)), Some(&(last, _))) = (dated.first(), dated.last()) else {
        return Vec::new();
    };
    // Months and years mixed cannot share an axis; a stray date (a year misread) would stretch it
    // over centuries of empty bars.
    let mixed = dated.iter().any(|(p, _)| p.monthly != first.monthly);
    if mixed || last.at - first.at >= MAX_PERIODS {
        return dated.into_iter().map(|(_, g)| g.clone()).collect();
    }
    let mut shown = Vec::new();
    let mut next = dated.into_iter().peekable();
    for at in first.at..=last.at {
        match next.next_if(|&(q, _)| q.at == at) {
            Some((_, g)) => shown.push(g.clone()),
            None => shown.push(Group {
                label: Some(period_label(at, first.monthly)),
                items: 0,
                overturned: 0,
                rate_low: 0.0,
                rate_high: 1.0,
            }),
        }
    }
    shown
}

/// A place on the time axis: a month's (`at` counted in months) or a year's.
#[derive(Debug, Clone, Copy)]
struct Period {
    monthly: bool,
    at: i64,
}

/// A label's period: `YYYY-MM` a month, `YYYY` a year; None for another label.
fn period(label: &str) -> Option<Period> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match label.split_once('-') {
        Some((y, m)) if y.len() == 4 && m.len() == 2 && digits(y) && digits(m) => {
            let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
            let at = y * 12 + m - 1;
            (1..=12)
                .contains(&m)
                .then_some(Period { monthly: true, at })
        }
        None if label.len() == 4 && digits(label) => Some(Period {
            monthly: false,
            at: label.parse().ok()?,
        }),
        _ => None,
    }
}

fn period_label(p: i64, monthly: bool) -> String {
    match monthly {
        true => format!("{:04}-{:02}", p.div_euclid(12), p.rem_euclid(12) + 1),
        false => format!("{p:04}"),
    }
}

fn plot_size(time: bool, rows: usize) -> (u32, u32) {
    if time {
        (900, 500)
    } else {
        (900, 120 + 26 * rows as u32)
    }
}

fn svg_of(key: &str, time: bool, shown: &[&Group], all: usize) -> DrawResult<String> {
    let mut svg = String::new();
    {
        let size = plot_size(time, shown.len());
        let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&area, key, time, shown, all)?;
        area.present()?;
    }
    Ok(svg)
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    key: &str,
    time: bool,
    groups: &[&Group],
    all: usize,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    if time {
        volume(area, key, groups)
    } else {
        rates(area, key, groups, all)
    }
}

fn rates<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    key: &str,
    groups: &[&Group],
    all: usize,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE)?;
    let n = groups.len();
    let subtitle = if all > n {
        format!("the {n} largest of {all} groups; bars: Wilson 95% interval")
    } else {
        "bars: Wilson 95% interval".to_string()
    };
    let labels: Vec<String> = groups
        .iter()
        .map(|g| {
            format!(
                "{} ({})",
                clip(g.label.as_deref().unwrap_or("(none)"), 40),
                g.items
            )
        })
        .collect();
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("Overturn rate by {key} ({subtitle})"),
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(330)
        // An integer range's segments include its end: 0..n-1 is n of them.
        .build_cartesian_2d(0.0..1.0, (0..n.saturating_sub(1)).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc("share of items overturned")
        .x_label_formatter(&|x| format!("{:.0}%", x * 100.0))
        .y_labels(n)
        // Row 0 at the top, as the table lists it: the y axis counts from the bottom.
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => (n.checked_sub(i + 1))
                .and_then(|r| labels.get(r).cloned())
                .unwrap_or_default(),
            _ => String::new(),
        })
        .label_style(("sans-serif", 13))
        .draw()?;
    let blue = RGBColor(31, 119, 180);
    for (i, g) in groups.iter().enumerate() {
        let rate = g.overturned as f64 / g.items.max(1) as f64;
        let y = SegmentValue::CenterOf(n - 1 - i);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(g.rate_low, y.clone()), (g.rate_high, y.clone())],
            blue.stroke_width(2),
        )))?;
        chart.draw_series(std::iter::once(Circle::new((rate, y), 4, blue.filled())))?;
    }
    Ok(())
}

fn volume<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    key: &str,
    groups: &[&Group],
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE)?;
    let n = groups.len();
    let top = groups.iter().map(|g| g.items).max().unwrap_or(1).max(1) as f64 * 1.1;
    let labels: Vec<String> = groups
        .iter()
        .map(|g| g.label.clone().unwrap_or_default())
        .collect();
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("Items decided by {key} (dark: Overturned)"),
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(60)
        // An integer range's segments include its end: 0..n-1 is n of them.
        .build_cartesian_2d((0..n.saturating_sub(1)).into_segmented(), 0.0..top)?;
    let every = n.div_ceil(12).max(1);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc("items")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_labels(n)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if i % every == 0 => {
                labels.get(*i).cloned().unwrap_or_default()
            }
            _ => String::new(),
        })
        .label_style(("sans-serif", 13))
        .draw()?;
    let (light, dark) = (RGBColor(158, 202, 225), RGBColor(31, 119, 180));
    for (i, g) in groups.iter().enumerate() {
        let (x0, x1) = (SegmentValue::Exact(i), SegmentValue::Exact(i + 1));
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x0.clone(), 0.0), (x1.clone(), g.items as f64)],
            light.filled(),
        )))?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x0, 0.0), (x1, g.overturned as f64)],
            dark.filled(),
        )))?;
    }
    Ok(())
}

/// `s` cut to `n` columns of a terminal (`n` >= 1), its last one an ellipsis when cut: a table's
/// or a chart's label. A line break or another control character becomes a space, so that a
/// title with one keeps the table's rows one line each; a wide character (CJK, full-width) takes
/// two columns, a combining mark none.
pub fn clip(s: &str, n: usize) -> String {
    let one_line = s.chars().map(|c| if c.is_control() { ' ' } else { c });
    if width(s) <= n {
        return one_line.collect();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in one_line {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > n {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// How many terminal columns `s` takes, a control character (shown as a space) one.
pub fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c.is_control() {
            true => 1,
            false => unicode_width::UnicodeWidthChar::width(c).unwrap_or(0),
        })
        .sum()
}

/// `s` clipped to `n` columns ([`clip`]) and padded with spaces to `n`: a table's cell, aligned
/// whatever characters it holds (Rust's `{:<n}` counts characters, not columns).
pub fn fit(s: &str, n: usize) -> String {
    let mut cell = clip(s, n);
    let w = width(&cell);
    cell.extend(std::iter::repeat_n(' ', n.saturating_sub(w)));
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipped_labels_are_one_line() {
        assert_eq!(clip("MRI\nknee\tleft", 20), "MRI knee left");
        assert_eq!(clip("MRI\r\nof the knee", 6), "MRI  …");
        assert_eq!(clip("ab", 2), "ab");
    }

    /// Wide characters take two columns, combining marks none: cells line up in a terminal.
    #[test]
    fn cells_fit_their_columns() {
        assert_eq!(width("文字ab"), 6);
        assert_eq!(width("e\u{301}"), 1);
        assert_eq!(fit("文字ab", 8), "文字ab  ");
        assert_eq!(fit("文字文字文字", 7), "文字文…");
        assert_eq!(width(&fit("文字文字文字", 8)), 8);
        assert_eq!(fit("a\tb", 4), "a b ");
        for s in [
            "ünïcödé_文字.txt",
            "MRI knee",
            "ｆｕｌｌ",
            "e\u{301}e\u{301}",
        ] {
            for n in 1..20 {
                assert_eq!(width(&fit(s, n)), n, "{s:?} {n}");
            }
        }
    }

    /// Labels come from letters (a reviewer's specialty): in the SVG they are text, never markup.
    #[test]
    fn periods_without_items_are_drawn_as_zeros() {
        let g = |label: Option<&str>, items| Group {
            label: label.map(String::from),
            items,
            overturned: 1,
            rate_low: 0.1,
            rate_high: 0.6,
        };
        let labels = |groups: &[Group]| -> Vec<(String, usize)> {
            let label = |g: &Group| g.label.clone().unwrap_or_default();
            groups.iter().map(|g| (label(g), g.items)).collect()
        };
        let months = [g(Some("2017-02"), 17), g(None, 3), g(Some("2016-11"), 1)];
        let want = [
            ("2016-11", 1),
            ("2016-12", 0),
            ("2017-01", 0),
            ("2017-02", 17),
        ];
        let want: Vec<(String, usize)> = want.iter().map(|&(l, n)| (l.into(), n)).collect();
        assert_eq!(labels(&shown_groups(true, &months)), want);
        let years = [g(Some("2013"), 2), g(Some("2015"), 5)];
        let want: Vec<(String, usize)> =
            vec![("2013".into(), 2), ("2014".into(), 0), ("2015".into(), 5)];
        assert_eq!(labels(&shown_groups(true, &years)), want);
        // Labels that are no periods are drawn as they come, without the undated.
        let other = [g(Some("spring"), 2), g(None, 1)];
        assert_eq!(
            labels(&shown_groups(true, &other)),
            [("spring".to_string(), 2)]
        );
        // Rates: the largest groups, as counted.
        assert_eq!(shown_groups(false, &months).len(), 3);
    }

    #[test]
    fn svg_labels_are_escaped() {
        let g = |label: &str, items| Group {
            label: Some(label.into()),
            items,
            overturned: 1,
            rate_low: 0.1,
            rate_high: 0.6,
        };
        let groups = [g("<script>alert(1)</script>", 4), g("a & \"b\"", 3)];
        let svg = group_plot_svg("reviewer_specialty", false, &groups)
            .unwrap()
            .unwrap();
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"), "{svg}");
        roxmltree::Document::parse(&svg).expect("well-formed SVG");
        assert_eq!(group_plot_svg("month", true, &[]).unwrap(), None);
    }
}
