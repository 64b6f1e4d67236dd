//! `imr serve`: the decision database as a web page and a JSON API.

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Serve the decision database as a web page (search, letters, statistics, forecasts) and a JSON
/// API under /api/ (docs/api.md), until Ctrl-C.
///
/// The database (made by `imr index`) is opened read-only. Only this machine can connect unless
/// --addr names another interface. Uploaded letters are read as `imr parse` reads files: PDFs in
/// isolated workers, within --max-file-size.
///
/// Exit status: 0 when stopped, 2 on error.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The database file (made by `imr index`).
    #[arg(long, default_value = imr::store::DEFAULT_PATH)]
    pub db: PathBuf,
    #[arg(long, value_name = "FILE|NAME", help = super::data::MODEL_HELP)]
    pub model: Option<PathBuf>,
    /// The case-view model that forecasts requests (a file, or a built-in name).
    #[arg(long, value_name = "FILE|NAME", default_value = "case")]
    pub forecast_model: PathBuf,
    /// Where to listen. Anything but a loopback address lets other machines in: put it behind
    /// a proxy with TLS and access control.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080", value_parser = socket_addr)]
    pub addr: SocketAddr,
    /// Seconds a request may take before it is answered 408.
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,
    /// Requests that read the database or score text at once (the others wait).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = super::counts(1, 256))]
    pub workers: usize,
}

pub fn run(a: ServeArgs) -> Result<ExitCode> {
    let model = super::data::load_model(a.model.as_deref())?;
    // As named on the command line, so that the command the note gives works.
    let given = a
        .model
        .as_deref()
        .map_or(imr::model::BUILTIN_MODELS[0].0.into(), |m| {
            m.display().to_string()
        });
    note_other_scores(&a.db, &model.0, &model.1, &given)?;
    let forecast_model = super::data::load_model(Some(&a.forecast_model))?;
    let reader = super::read_limits()
        .reader()
        .context("cannot find this program to start PDF workers")?;
    let limits = imr::serve::Limits {
        upload: (super::read_limits().max_file_size * 1_000_000) as usize,
        request_time: std::time::Duration::from_secs(a.request_timeout),
        workers: a.workers,
        ..Default::default()
    };
    let config = imr::serve::service::AppConfig {
        db: a.db.clone(),
        model,
        forecast_model,
        reader,
        limits,
    };
    let mut bar = super::progress::Precedents::default();
    let app = imr::serve::App::new_reporting(config, &mut |done, of| bar.tell(done, of));
    bar.finish();
    let app = Arc::new(app?);
    if !imr::serve::is_loopback(&a.addr) {
        say!(
            "imr: warning: --addr {}: other machines can reach this server; it has no TLS \
             and no login (put it behind a proxy that has them)",
            a.addr
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(a.addr)
            .await
            .with_context(|| format!("cannot listen on {}", a.addr))?;
        let about = app.about();
        say!(
            "imr: serving {} ({}, {}) on http://{} (Ctrl-C stops)",
            a.db.display(),
            super::count(about.letters, "letter", "letters"),
            super::count(about.items, "item", "items"),
            listener.local_addr()?
        );
        imr::serve::serve(listener, app).await?;
        anyhow::Ok(())
    })?;
    // Work a request gave up on (answered 408) may still run on a blocking thread: the server
    // stops without waiting for it, as its answer is gone.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    Ok(ExitCode::SUCCESS)
}

/// Says when the database's stored scores (what searches sort and filter by, and their
/// `p_overturned`) are another model's than the one the page scores letters with: one item would
/// show two numbers with nothing to say why.
fn note_other_scores(
    db: &std::path::Path,
    model: &imr::model::ModelFile,
    label: &str,
    given: &str,
) -> Result<()> {
    let Ok(store) = imr::store::Store::open_read_only(db) else {
        // The server's own opening says what is wrong with the file.
        return Ok(());
    };
    if let Some(stored) = store.scoring_model()? {
        if stored.digest != super::index::model_info(model, given)?.digest {
            say!(
                "imr: note: {}: its stored scores (searches' p_overturned, --sort overturned, \
                 theme filters) are of {} ({}); letters' pages and the API's letters score with \
                 {label} (`imr index --db {} --model {given}` stores its scores instead)",
                db.display(),
                stored.name,
                stored.digest,
                db.display()
            );
        }
    }
    Ok(())
}

/// `--addr`: an address, or a host name and port (`localhost:8080`), resolved to its first address
/// (IPv4 first, as a browser given `localhost` most often tries).
fn socket_addr(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse() {
        return Ok(a);
    }
    use std::net::ToSocketAddrs;
    let addrs: Vec<SocketAddr> = s
        .to_socket_addrs()
        .map_err(|e| format!("not an address or a known host name with a port ({e})"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("{s}: the name has no address"))
}
