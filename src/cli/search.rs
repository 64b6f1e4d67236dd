//! `imr search` and `imr stats`: the decision database's items found and counted.

use anyhow::Result;
use imr::store::{DateRange, Filters, Hit, Naming, Search, Sort, StatsKey, StatsRow, Store};
use imr::treatment::{Category, DrugClass};
use imr::Decision;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Which items: the filters `search` and `stats` share. Values are matched as given, never read
/// as SQL.
#[derive(Debug, Clone, clap::Args)]
pub struct FilterArgs {
    /// The database file (made by `imr index`).
    #[arg(long, default_value = imr::store::DEFAULT_PATH)]
    pub db: PathBuf,
    /// Only items with this decision.
    #[arg(
        long,
        visible_alias = "decision",
        value_parser = parse_outcome,
        value_name = "upheld|overturned"
    )]
    pub outcome: Option<Decision>,
    /// Only items of this service category (pharmaceuticals, rehabilitation, ...).
    #[arg(long)]
    pub category: Option<Category>,
    /// Only pharmaceuticals of this drug class (opioids, muscle_relaxants, ...).
    #[arg(long)]
    pub drug_class: Option<DrugClass>,
    /// Only items whose treatment name has these whole words, in order, any case: "MRI" (every
    /// MRI), "hydrocodone" (hydrocodone/acetaminophen too), "MRI lumbar spine".
    #[arg(long)]
    pub treatment: Option<String>,
    /// Only letters whose reviewer specialty contains this ("orthop"), any case.
    #[arg(long, alias = "reviewer-specialty")]
    pub specialty: Option<String>,
    /// Only items given this theme by the model the database was scored with (`index --model`):
    /// `criteria_met`, `Criteria met` or `criteria-met`. A theme no model has is an error.
    #[arg(long)]
    pub theme: Option<String>,
    /// Only items citing a guideline with these words in its name ("low back", "MTUS", "ODG"),
    /// any case. "Outside the MTUS" is found only by a filter with "outside".
    #[arg(long)]
    pub guideline: Option<String>,
    /// Decided in FROM..TO (YYYY, YYYY-MM or YYYY-MM-DD, or a day as 12/09/2016; both included;
    /// either side may be left out), or in one period ("2016").
    #[arg(long, alias = "decision-date", value_name = "FROM..TO")]
    pub decided: Option<DateRange>,
    /// Injured in FROM..TO, as --decided.
    #[arg(long, alias = "date-of-injury", value_name = "FROM..TO")]
    pub injured: Option<DateRange>,
    /// Only the letter with this case number.
    #[arg(long = "case", alias = "case-number")]
    pub case_number: Option<String>,
}

fn parse_outcome(s: &str) -> Result<Decision, String> {
    s.parse().map_err(|e: imr::Error| e.to_string())
}

impl FilterArgs {
    fn filters(&self, words: &[String]) -> Result<Filters> {
        let given = !words.is_empty();
        let words = words.join(" ");
        // Words given blank (a script's unset variable) are not no words: said, as blank filters.
        anyhow::ensure!(
            !given || !words.trim().is_empty(),
            "words: an empty value; give words to search for, or leave them out"
        );
        Ok(Filters {
            words: if words.trim().is_empty() {
                None
            } else {
                Some(words.parse()?)
            },
            outcome: self.outcome,
            category: self.category,
            drug_class: self.drug_class,
            treatment: self.treatment.clone(),
            specialty: self.specialty.clone(),
            theme: self.theme.clone(),
            guideline: self.guideline.clone(),
            decided: self.decided.unwrap_or_default(),
            injured: self.injured.unwrap_or_default(),
            case_number: self.case_number.clone(),
        })
    }
}

/// Search the decision database: items matching words (BM25 order) and filters.
///
/// WORDS: `physical therapy` (both words), `"functional restoration"` (the phrase), `acupunct*`
/// (a prefix), `opioid OR opiate`, `-surgery` or `NOT surgery` (without it; `AND` joins words,
/// as a space does); matched in the title, the clinical
/// summary and the rationale, word stems alike ("therapies" finds "therapy"); a word that ends in
/// a number also as a word's start (`10/325` finds `10/325mg`). Without words, newest decisions
/// first.
///
/// Exit status: 0 (also when nothing matches), 2 on error.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// Words to match (none: every item that passes the filters); put `--` before words that
    /// start with `-` (`imr search -- mri -surgery`).
    pub words: Vec<String>,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// The most items to show, 1 to 10000.
    #[arg(long, default_value_t = 20, value_parser = super::counts(1, 10_000))]
    pub limit: usize,
    /// Items to skip first (the next page).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// The order: best (best match first with words, else newest), newest, oldest (undated
    /// letters last), overturned (highest P(Overturned) of `index --model` first).
    #[arg(long, default_value = "best", value_name = "ORDER")]
    pub sort: Sort,
    /// One JSON object per item, one per line.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV with a header row; lists (themes, specialties) joined by " | ".
    #[arg(long)]
    pub csv: bool,
}

const HIT_HEADER: [&str; 14] = [
    "case_number",
    "item",
    "title",
    "category",
    "drug_class",
    "treatment",
    "decision",
    "decision_date",
    "date_of_injury",
    "reviewer_specialty",
    "relevance",
    "p_overturned",
    "themes",
    "source",
];

/// Says on stderr which items have no scores, where some have none.
fn scores_note(store: &Store, db: &std::path::Path, themes: bool) -> Result<()> {
    if let Some(note) = store.scores_note(&db.display().to_string(), themes, Naming::AsGiven)? {
        say!("imr: note: {note}");
    }
    Ok(())
}

pub fn run_search(a: SearchArgs) -> Result<ExitCode> {
    let filters = a.filters.filters(&a.words)?;
    let store = Store::open_read_only(&a.filters.db)?;
    let search = Search {
        filters,
        sort: a.sort,
        limit: a.limit,
        offset: a.offset,
    };
    let needs_model = search.filters.theme.is_some() || search.sort == Sort::Overturned;
    // Said once the search ran: a theme it refuses is its error alone.
    // One more than the page, for machine outputs: whether more match is then known without
    // counting every match (the table counts them in its last line).
    let machine = a.json || a.csv;
    // The page and the table's count of one state of the database, though an index run writes.
    let (mut hits, matches) = store.reading(|s| {
        let hits = s.search(&Search {
            limit: search.limit.saturating_add(usize::from(machine)),
            ..search.clone()
        })?;
        let matches = match machine {
            true => None,
            false => Some(s.matches(&search.filters)?),
        };
        Ok((hits, matches))
    })?;
    let more = hits.len() > search.limit;
    hits.truncate(search.limit);
    if needs_model {
        scores_note(&store, &a.filters.db, search.filters.theme.is_some())?;
    }
    let mut out = BufWriter::new(super::stdout());
    if a.json || a.csv {
        if a.json {
            for h in &hits {
                imr::schema::write_json_line(&mut out, h)?;
            }
        } else {
            super::csv_record(&mut out, HIT_HEADER)?;
            for h in &hits {
                super::csv_record(&mut out, hit_row(h))?;
            }
        }
        out.flush()?;
        if more {
            note_more(&search, hits.len());
        }
    } else if let Some(m) = matches {
        write_hits(&mut out, &hits, a.offset, m)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Says on stderr, where a machine output holds one page of more matches, how to have the rest
/// (the table says how many there are in its own last line).
fn note_more(search: &Search, written: usize) {
    let shown_to = search.offset + written;
    say!(
        "imr: note: items {} to {shown_to} written, and more match; --limit (up to 10000) and \
         --offset {shown_to} give the next (the table, without --json/--csv, counts them)",
        search.offset + 1,
    );
}

fn hit_row(h: &Hit) -> [String; HIT_HEADER.len()] {
    // Full (shortest round-trip) precision, as in every CSV imr writes.
    let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    [
        h.case_number.clone(),
        h.item.to_string(),
        h.title.clone(),
        h.category.clone(),
        h.drug_class.clone().unwrap_or_default(),
        h.treatment.clone(),
        h.decision.clone(),
        h.decision_date.clone().unwrap_or_default(),
        h.date_of_injury.clone().unwrap_or_default(),
        imr::schema::csv_list(&h.reviewer_specialty),
        num(h.relevance),
        num(h.p_overturned),
        imr::schema::csv_list(&h.themes),
        h.source.clone(),
    ]
}

fn write_hits(
    out: &mut impl Write,
    hits: &[Hit],
    offset: usize,
    m: imr::store::Matches,
) -> std::io::Result<()> {
    let case_w = hits
        .iter()
        .map(|h| imr::report::width(&h.case_number))
        .max()
        .unwrap_or(0)
        .max(11);
    writeln!(
        out,
        "{:<case_w$}  {:>4}  {:<10}  {:<21}  {:<10}  title",
        "case_number", "item", "decision", "category", "decided"
    )?;
    for h in hits {
        writeln!(
            out,
            "{}  {:>4}  {:<10}  {:<21}  {:<10}  {}",
            imr::report::fit(&h.case_number, case_w),
            h.item,
            h.decision,
            h.category,
            h.decision_date.as_deref().unwrap_or("-"),
            imr::report::clip(&h.title, 60)
        )?;
    }
    let rate = if m.items > 0 {
        format!(
            " ({} Overturned, {:.1}%)",
            m.overturned,
            100.0 * m.overturned as f64 / m.items as f64
        )
    } else {
        String::new()
    };
    match (hits.is_empty(), m.items) {
        (true, 0) => writeln!(out, "no item matches"),
        // A page past the last match.
        (true, n) => writeln!(out, "no items past {offset} of {n} matching{rate}"),
        (false, n) => writeln!(
            out,
            "items {} to {} of {n} matching{rate}",
            offset + 1,
            offset + hits.len()
        ),
    }
}

/// Count the decision database's items by treatment kind, reviewer, theme, guideline or time: the
/// items, their share, and the Overturned count and rate with a Wilson 95% interval.
///
/// An item with several themes, cited guidelines or reviewer specialties counts in each, so those
/// shares add up to more than 100%.
///
/// Exit status: 0 on success, 1 when --plot has nothing to draw (the table is still printed), 2
/// on error.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// What to count by: category, drug-class, treatment, specialty, theme, guideline, month or
    /// year; twice for a cross table (`--by year --by category`).
    #[arg(long = "by", required = true, value_name = "KEY")]
    pub by: Vec<StatsKey>,
    /// Words to match first, as `imr search` takes them (`-word` included).
    #[arg(long, value_name = "WORDS", allow_hyphen_values = true)]
    pub words: Option<String>,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// One JSON object per group, one per line.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV with a header row.
    #[arg(long)]
    pub csv: bool,
    /// Also draw the groups (.svg or .png): rates with their intervals, or volume over time for
    /// month and year; by the first --by key where two are given.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
}

pub fn run_stats(a: StatsArgs) -> Result<ExitCode> {
    let words: Vec<String> = a.words.iter().cloned().collect();
    let filters = a.filters.filters(&words)?;
    let keys = a.by.clone();
    check_stats_args(&a)?;
    let store = Store::open_read_only(&a.filters.db)?;
    let rows = store.stats(&keys, &filters)?;
    if keys.contains(&StatsKey::Theme) || filters.theme.is_some() {
        scores_note(&store, &a.filters.db, true)?;
    }
    // A plot draws the first key (as the web page's chart does), counted by it alone.
    let plotted = match (&a.plot, keys.len()) {
        (Some(_), 2) => store.stats(&keys[..1], &filters)?,
        _ => rows.clone(),
    };
    let groups: Vec<imr::report::Group> = plotted.iter().map(Into::into).collect();
    // A plot with nothing to draw is not written; the table is still the answer (exit 1: not
    // all that was asked for was done).
    let nothing_to_draw = !groups
        .iter()
        .any(|g| g.label.is_some() || !keys[0].is_time());
    let mut out = BufWriter::new(super::stdout());
    if a.json {
        for r in &rows {
            imr::schema::write_json_line(&mut out, &r.to_json(&keys))?;
        }
    } else if a.csv {
        write_stats_csv(&mut out, &keys, &rows)?;
    } else {
        write_stats(&mut out, &keys, &rows)?;
    }
    out.flush()?;
    match &a.plot {
        Some(p) if nothing_to_draw => {
            say!(
                "imr: {}: not written: no matching item has a {} to draw",
                p.display(),
                keys[0].column()
            );
            return Ok(ExitCode::from(super::EXIT_SOME_FAILED));
        }
        Some(p) => {
            imr::report::write_group_plot(p, keys[0].column(), keys[0].is_time(), &groups)?;
            match keys.get(1) {
                Some(k) => say!(
                    "imr: wrote {} (by {} alone: a plot draws the first key, not by {})",
                    p.display(),
                    keys[0].column(),
                    k.column()
                ),
                None => say!("imr: wrote {}", p.display()),
            }
        }
        None => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// One key, or two different ones; a plot's file is SVG or PNG.
fn check_stats_args(a: &StatsArgs) -> Result<()> {
    match a.by[..] {
        [_] => {}
        [x, y] if x == y => anyhow::bail!("--by {x} is given twice"),
        [_, _] => {}
        _ => anyhow::bail!("--by takes one key, or two for a cross table"),
    }
    if let Some(p) = &a.plot {
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
        if !matches!(ext, "svg" | "png") {
            anyhow::bail!("{}: --plot writes .svg or .png files", p.display());
        }
        super::data::refuse_output_over_input(p, "--plot", &[("--db", &a.filters.db)])?;
    }
    Ok(())
}

/// `--csv`: the keys' columns, then the counts; numbers at full precision, as in every CSV.
fn write_stats_csv(out: &mut impl Write, keys: &[StatsKey], rows: &[StatsRow]) -> Result<()> {
    let mut header: Vec<&str> = keys.iter().map(|k| k.column()).collect();
    header.extend(STATS_COLUMNS);
    super::csv_record(&mut *out, &header)?;
    for r in rows {
        let mut cells: Vec<String> = r
            .values
            .iter()
            .map(|v| v.clone().unwrap_or_default())
            .collect();
        cells.extend([
            r.items.to_string(),
            r.share.to_string(),
            r.overturned.to_string(),
            r.rate.to_string(),
            r.rate_low.to_string(),
            r.rate_high.to_string(),
        ]);
        super::csv_record(&mut *out, &cells)?;
    }
    Ok(())
}

const STATS_COLUMNS: [&str; 6] = [
    "items",
    "share",
    "overturned",
    "rate",
    "rate_low",
    "rate_high",
];

/// A group's value for people: "(none)" for items without one.
fn label(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "(none)".into())
}

fn write_stats(out: &mut impl Write, keys: &[StatsKey], rows: &[StatsRow]) -> std::io::Result<()> {
    let widths: Vec<usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            rows.iter()
                .map(|r| imr::report::width(&label(&r.values[i])).min(48))
                .max()
                .unwrap_or(0)
                .max(k.column().len())
        })
        .collect();
    for (k, w) in keys.iter().zip(&widths) {
        write!(out, "{:<w$}  ", k.column())?;
    }
    writeln!(
        out,
        "{:>7}  {:>6}  {:>10}  {:>6}  95% interval",
        "items", "share", "overturned", "rate"
    )?;
    let (mut items, mut over) = (0, 0);
    for r in rows {
        for (v, w) in r.values.iter().zip(&widths) {
            write!(out, "{}  ", imr::report::fit(&label(v), *w))?;
        }
        writeln!(
            out,
            "{:>7}  {:>5.1}%  {:>10}  {:>5.1}%  {:.1}-{:.1}%",
            r.items,
            100.0 * r.share,
            r.overturned,
            100.0 * r.rate,
            100.0 * r.rate_low,
            100.0 * r.rate_high
        )?;
        items += r.items;
        over += r.overturned;
    }
    // A multi-valued key counts an item once per value: no total that would count it twice.
    if !keys.iter().any(|k| k.is_multi()) {
        let pad: usize = widths.iter().map(|w| w + 2).sum();
        // No rate or share of no items (null in the web API too).
        let (share, rate) = match items {
            0 => ("-", "-".to_string()),
            n => ("100%", format!("{:.1}%", 100.0 * over as f64 / n as f64)),
        };
        writeln!(
            out,
            "{:<pad$}{:>7}  {:>6}  {:>10}  {:>6}",
            "total", items, share, over, rate
        )?;
    }
    Ok(())
}
