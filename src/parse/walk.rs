//! Files and directories into the letter files to read. A walk of a user's folder meets what
//! folders hold: symlink loops, FIFOs, devices, unreadable corners. Each is reported and skipped;
//! the walk goes on.

use super::kind_of;
use crate::error::{Error, Result};
use std::collections::HashSet;
use std::fs::Metadata;
use std::path::{Path, PathBuf};

/// What a walk found: letter files in a stable order, and what it could not use.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Letter files, sorted within each path given.
    pub files: Vec<PathBuf>,
    /// Entries that could not be used (unreadable directories, FIFOs named `.pdf`, dangling links):
    /// each is one bad input of the batch.
    pub problems: Vec<Error>,
    /// Directories reached a second time through a symlink, and not walked again.
    pub revisited: Vec<PathBuf>,
}

/// The identity of a directory, so that a symlink into one already walked is not followed again.
#[cfg(unix)]
type DirKey = (u64, u64);
#[cfg(not(unix))]
type DirKey = PathBuf;

#[cfg(unix)]
fn dir_key(meta: &Metadata, _path: &Path) -> DirKey {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn dir_key(_meta: &Metadata, path: &Path) -> DirKey {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// What a letter's path should name ([`Error::NotAFile`]).
pub(crate) const LETTER_FILE: &str = "a letter file";

/// Names what a non-regular file is, without opening it (opening a FIFO blocks, a device never
/// ends).
pub(crate) fn special_kind(meta: &Metadata) -> Option<&'static str> {
    if meta.is_file() || meta.is_dir() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_block_device() || t.is_char_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// Expands files and directories (recursively) into the letter files to read. Directories
/// contribute their `.pdf` and `.txt` files; a path given by name is kept whatever its extension,
/// so that reading it reports what is wrong with it. A path given by name that does not exist is an
/// error; trouble below it is a problem of the [`Discovery`].
pub fn discover_all(paths: &[PathBuf]) -> Result<Discovery> {
    let mut d = Discovery::default();
    let mut visited = HashSet::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
        if meta.is_dir() {
            let start = d.files.len();
            if visited.insert(dir_key(&meta, p)) {
                walk(p, &mut visited, &mut d);
            }
            d.files[start..].sort();
        } else if let Some(kind) = special_kind(&meta) {
            d.problems.push(Error::NotAFile {
                path: p.clone(),
                kind,
                wanted: LETTER_FILE,
            });
        } else {
            d.files.push(p.clone());
        }
    }
    Ok(d)
}

/// [`discover_all`] that fails on the first problem: for callers that want all or nothing.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut d = discover_all(paths)?;
    match d.problems.is_empty() {
        true => Ok(d.files),
        false => Err(d.problems.swap_remove(0)),
    }
}

/// Depth first with an explicit stack, so a deep tree cannot overflow ours; entries in name order.
fn walk(root: &Path, visited: &mut HashSet<DirKey>, d: &mut Discovery) {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                d.problems.push(Error::io(&dir, e));
                continue;
            }
        };
        let mut names = Vec::new();
        for entry in entries {
            match entry {
                Ok(e) => names.push(e),
                Err(e) => d.problems.push(Error::io(&dir, e)),
            }
        }
        names.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in names {
            let path = entry.path();
            let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
            // The entry's own metadata, or its target's for a symlink.
            let meta = if is_link {
                std::fs::metadata(&path)
            } else {
                entry.metadata()
            };
            let meta = match meta {
                Ok(m) => m,
                Err(e) => {
                    if kind_of(&path).is_some() || !is_link {
                        d.problems.push(Error::io(&path, e));
                    }
                    continue;
                }
            };
            if meta.is_dir() {
                if visited.insert(dir_key(&meta, &path)) {
                    subdirs.push(path);
                } else {
                    d.revisited.push(path);
                }
            } else if kind_of(&path).is_some() {
                match special_kind(&meta) {
                    Some(kind) => d.problems.push(Error::NotAFile {
                        path,
                        kind,
                        wanted: LETTER_FILE,
                    }),
                    None => d.files.push(path),
                }
            }
        }
        // Reversed onto the stack, so the first subdirectory is walked first.
        stack.extend(subdirs.into_iter().rev());
    }
}
