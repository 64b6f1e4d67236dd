//! Output files written whole or not at all: each goes to a uniquely named temporary file beside
//! it, is synced, and is renamed onto its name. An existing output is untouched until its
//! replacement is complete; two processes writing one name each rename a complete file of their own
//! (the last rename stays); a reader never sees half a file. A process killed mid-write leaves its
//! temporary file: any write into that directory removes ones older than [`STALE`], and nothing
//! reads them as inputs (letters are `.pdf` and `.txt`, these are dotfiles ending `.tmp`, or
//! `.tmp.png` from earlier versions, removed by their prefix all the same). A path that is
//! neither a file nor a directory (`/dev/null`, a FIFO) is written as it stands: a rename would
//! replace the device with a file.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::NamedTempFile;

/// The start of every temporary file name.
pub const TEMP_PREFIX: &str = ".imr-tmp-";

/// A temporary file this old is a killed run's, not a write under way: writes take seconds.
pub const STALE: Duration = Duration::from_secs(3600);

/// Writes `bytes` to `path` (its directory made if needed).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with(path, |w| w.write_all(bytes))
}

/// Writes `path` with `write`, buffered.
pub fn write_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let fail = |e| Error::Write {
        path: path.into(),
        cause: e,
    };
    if is_special(path) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(fail)?;
        let mut w = std::io::BufWriter::new(file);
        write(&mut w).map_err(fail)?;
        return w.flush().map_err(fail);
    }
    // A link is written through: its target is the output, the link stays.
    let path = &through_links(path);
    let tmp = temp_for(path, ".tmp")?;
    keep_permissions(tmp.as_file(), path);
    let mut w = std::io::BufWriter::new(tmp.as_file());
    write(&mut w).map_err(fail)?;
    w.flush().map_err(fail)?;
    drop(w);
    finish(tmp, path)
}

/// The file a symbolic link at `path` leads to, followed link by link (a dangling one's target
/// is where the file goes), where each link is the user's own: a link another user planted (in
/// a shared folder such as /tmp) is replaced, not followed, so that it cannot send the write to
/// a file of the user's choosing. `path` otherwise.
fn through_links(path: &Path) -> PathBuf {
    let mut at = path.to_path_buf();
    // As many links as the system follows in a path.
    for _ in 0..40 {
        let Ok(meta) = std::fs::symlink_metadata(&at) else {
            break;
        };
        if !meta.file_type().is_symlink() || !own(&meta) {
            break;
        }
        let Ok(target) = std::fs::read_link(&at) else {
            break;
        };
        at = directory(&at).join(target);
    }
    at
}

/// Whether a file is the running user's.
#[cfg(unix)]
fn own(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid reads this process's effective user id.
    meta.uid() == unsafe { libc::geteuid() }
}

#[cfg(not(unix))]
fn own(_: &std::fs::Metadata) -> bool {
    true
}

/// An output replaced keeps its permissions and, where the user may set it, its group (a file
/// made private stays private), set before anything is written into it; a new one has the mode a
/// plain `File::create` gives. Best effort: the write goes on where it cannot.
fn keep_permissions(tmp: &std::fs::File, path: &Path) {
    let Some(old) = std::fs::metadata(path).ok().filter(|m| m.is_file()) else {
        return;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = std::os::unix::fs::fchown(tmp, None, Some(old.gid()));
    }
    let _ = tmp.set_permissions(old.permissions());
}

/// Whether `path` exists as something other than a file or a directory (a device, a FIFO).
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Whether `path` can be written as [`write_file`] writes it (its directory made, a file created
/// there), checked before a long run rather than after it; `path` itself is not touched.
pub fn check_writable(path: &Path) -> Result<()> {
    if is_special(path) {
        // Opening a FIFO to check it would wait for its reader.
        return Ok(());
    }
    temp_for(&through_links(path), ".tmp").map(drop)
}

/// Synced and renamed onto `path`; on failure the temporary file is removed (by its drop).
fn finish(tmp: NamedTempFile, path: &Path) -> Result<()> {
    tmp.as_file().sync_all().map_err(|e| Error::Write {
        path: path.into(),
        cause: e,
    })?;
    tmp.persist(path).map_err(|e| Error::Write {
        path: path.into(),
        cause: e.error,
    })?;
    Ok(())
}

/// A new temporary file beside `path`, after making `path`'s directory and removing stale temporary
/// files there.
fn temp_for(path: &Path, suffix: &str) -> Result<NamedTempFile> {
    if path.as_os_str() == "-" {
        return Err(Error::Dash {
            wanted: "a file to write",
        });
    }
    if path.file_name().is_none() || path.is_dir() {
        return Err(Error::IsDirectory { path: path.into() });
    }
    let dir = directory(path);
    std::fs::create_dir_all(&dir).map_err(|e| {
        // A file (or a device) where a folder of the path should be: named, rather than "File
        // exists".
        match dir.ancestors().find(|a| a.exists() && !a.is_dir()) {
            Some(file) => Error::Write {
                path: file.into(),
                cause: std::io::ErrorKind::NotADirectory.into(),
            },
            None => Error::Write {
                path: dir.clone(),
                cause: e,
            },
        }
    })?;
    remove_stale(&dir);
    let mut b = tempfile::Builder::new();
    b.prefix(TEMP_PREFIX).suffix(suffix);
    // Created with the mode a plain File::create gives (0666 less the umask), not tempfile's
    // private 0600: the output is an ordinary file once renamed.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    b.tempfile_in(&dir).map_err(|e| Error::Write {
        path: path.into(),
        // The error alone: tempfile's names the temporary file, which is no name of the user's.
        cause: match e.raw_os_error() {
            Some(code) => std::io::Error::from_raw_os_error(code),
            // tempfile's own error: its words ("No such file or directory (os error 2)"), not the
            // kind's ("entity not found"), without the temporary path it ends with.
            None => {
                let text = e.to_string();
                let words = text.split(" at path ").next().unwrap_or(&text).to_string();
                std::io::Error::new(e.kind(), words)
            }
        },
    })
}

fn directory(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// Removes this crate's temporary files in `dir` older than [`STALE`] (a killed run's). Best
/// effort: a file that cannot be removed is left for the next write.
pub fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE);
        if old
            && e.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
            && e.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory, removed with its guard.
    fn dir(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("imr-unit-output-{name}-"))
            .tempdir()
            .unwrap()
    }

    /// A FIFO (as `/dev/null`, neither file nor directory) is written into, not replaced.
    #[cfg(unix)]
    #[test]
    fn a_special_file_is_written_in_place() {
        use std::os::unix::fs::FileTypeExt;
        let tmp = dir("special");
        let d = tmp.path().to_path_buf();
        let fifo = d.join("out.json");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("SKIP: mkfifo is not available");
            return;
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        check_writable(&fifo).unwrap();
        write_file(&fifo, b"model").unwrap();
        assert_eq!(reader.join().unwrap(), b"model");
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "{kind:?}");
        assert_eq!(names(&d), vec!["out.json".to_string()]);
    }

    fn names(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// Where no file can be made beside the output, the system's words say why, not the error's
    /// kind ("entity not found") or the temporary file's name.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_folder_that_takes_no_file_is_said_in_the_system_s_words() {
        let e = write_file(Path::new("/proc/imr-output-test.svg"), b"x")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("/proc/imr-output-test.svg: cannot write: "),
            "{e}"
        );
        assert!(e.contains("(os error") && !e.contains(TEMP_PREFIX), "{e}");
    }

    /// A failed write leaves the existing file as it was and no temporary file.
    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let tmp = dir("failed");
        let d = tmp.path().to_path_buf();
        let out = d.join("out.json");
        write_file(&out, b"old").unwrap();
        let e = write_with(&out, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("disk on fire"))
        });
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("out.json: cannot write: disk on fire"));
        assert_eq!(std::fs::read(&out).unwrap(), b"old");
        assert_eq!(names(&d), ["out.json"]);
        assert!(check_writable(&d)
            .unwrap_err()
            .to_string()
            .contains("is a directory"));
        let _ = std::fs::remove_dir_all(&d);
    }

    /// A file replaced keeps its permissions; a link is written through, and stays a link.
    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_link_its_target() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = dir("mode");
        let d = tmp.path().to_path_buf();
        let out = d.join("private.json");
        write_file(&out, b"old").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_file(&out, b"new").unwrap();
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        assert_eq!(std::fs::read(&out).unwrap(), b"new");
        let link = d.join("link.json");
        std::os::unix::fs::symlink("private.json", &link).unwrap();
        write_file(&link, b"through").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&out).unwrap(), b"through");
        // A dangling link: its target is made.
        let dangling = d.join("dangling.json");
        std::os::unix::fs::symlink("sub/target.json", &dangling).unwrap();
        std::fs::create_dir(d.join("sub")).unwrap();
        write_file(&dangling, b"made").unwrap();
        assert_eq!(std::fs::read(d.join("sub/target.json")).unwrap(), b"made");
        assert!(std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink());
        // Another user's link is replaced, not followed (it could lead anywhere).
        let planted = d.join("planted.json");
        std::os::unix::fs::symlink("private.json", &planted).unwrap();
        if std::os::unix::fs::lchown(&planted, Some(65534), None).is_err() {
            eprintln!("SKIP: another user's link needs root to make");
            return;
        }
        write_file(&planted, b"replaced").unwrap();
        assert!(std::fs::symlink_metadata(&planted).unwrap().is_file());
        assert_eq!(std::fs::read(&out).unwrap(), b"through");
    }

    /// A killed run's temporary file is removed by the next write there once stale, a fresh one (a
    /// write under way) is not; neither is a letter a directory walk would read.
    #[test]
    fn stale_temporary_files_are_removed() {
        let tmp = dir("stale");
        let d = tmp.path().to_path_buf();
        let stale = d.join(format!("{TEMP_PREFIX}killed.tmp"));
        let fresh = d.join(format!("{TEMP_PREFIX}running.tmp"));
        for p in [&stale, &fresh] {
            std::fs::write(p, b"half a model").unwrap();
        }
        let f = std::fs::File::options().write(true).open(&stale).unwrap();
        f.set_modified(std::time::SystemTime::now() - STALE - Duration::from_secs(60))
            .unwrap();
        drop(f);
        let files = crate::parse::discover(std::slice::from_ref(&d)).unwrap();
        assert!(
            files.is_empty(),
            "temporary files are not letters: {files:?}"
        );
        write_file(&d.join("m.json"), b"{}").unwrap();
        assert_eq!(
            names(&d),
            [format!("{TEMP_PREFIX}running.tmp"), "m.json".to_string()]
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
