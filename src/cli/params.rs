//! `imr params`: the training settings, as a params file (`--params` of `imr train` and `imr
//! evaluate`).

use anyhow::{Context, Result};
use imr::model::{OutcomeValidParams, ParamsFile, ResolvedParams, ThemeValidParams, View};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Print the training settings of the outcome and theme models as JSON: the shipped ones, or with
/// --params FILE that file's changes merged over them and checked. A starting point for a params
/// file, and a check of one before a long run (`imr inspect --settings` prints those a model file
/// was trained with).
///
/// A params file holds only what it changes, in the shape printed here, e.g.
/// {"outcome": {"logistic": {"c": 3}}, "themes": {"threshold_shrink": 0}}.
/// Exit status: 0 on success, 2 when the file is not valid.
#[derive(Debug, clap::Args)]
pub struct ParamsArgs {
    /// The outcome model's view [default: rationale, or the params file's outcome.view].
    #[arg(long, value_enum)]
    pub view: Option<View>,
    /// A params file to check and show merged over the shipped settings.
    #[arg(long, value_name = "FILE")]
    pub params: Option<PathBuf>,
}

pub fn run(a: ParamsArgs) -> Result<ExitCode> {
    let (_, outcome, themes) = settings(a.params.as_deref(), a.view)?;
    let mut out = super::stdout();
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&ResolvedParams {
            outcome,
            themes: Some(themes)
        })?
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The params file (none: the shipped settings), read and checked whole: both models' settings.
fn settings(
    path: Option<&Path>,
    view: Option<View>,
) -> Result<(ParamsFile, OutcomeValidParams, ThemeValidParams)> {
    let file = path.map(ParamsFile::load).transpose()?.unwrap_or_default();
    let outcome = file.outcome(view).context("--params")?;
    let themes = file.themes().context("--params")?;
    Ok((file, outcome, themes))
}

/// The settings `imr train` and `imr evaluate` fit with: the outcome model's, and the theme models'
/// when there is a gold file. A params file is read and checked whole (its themes section too),
/// before any letter.
pub fn resolve(
    path: Option<&Path>,
    view: Option<View>,
    gold: bool,
) -> Result<(OutcomeValidParams, Option<ThemeValidParams>)> {
    let (file, outcome, themes) = settings(path, view)?;
    if file.has_themes() && !gold {
        say!("imr: warning: --params: the themes section is not used without --gold");
    }
    // Themes are the rationale's reasons: a case model, which reads the request before any
    // rationale exists, would give them from a title alone.
    if gold && outcome.view() == View::Case {
        say!(
            "imr: note: --gold: no theme models for the case view (themes are the reasons a \
             rationale gives, and it reads none)"
        );
        return Ok((outcome, None));
    }
    Ok((outcome, gold.then_some(themes)))
}
