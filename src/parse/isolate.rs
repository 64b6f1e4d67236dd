//! PDF extraction in supervised worker processes, as Apache Tika's forked parser shields its host:
//! a crash (a stack overflow included), a hang or a memory blow-up in the PDF reader costs that one
//! file, never the batch. Each worker is the `imr` binary re-invoked in its hidden worker mode; it
//! caps its own address space, reads requests on stdin and answers on stdout. The supervisor gives
//! each file a wall-clock limit, kills a worker that overruns it, names the cause from how the
//! worker ended, and starts a fresh one.
//!
//! The protocol, both ways a tag byte and a length-prefixed payload: request `P` + PDF bytes;
//! answer `T` + UTF-8 text, or `E` + the reason there is none.

use crate::error::Error;
use std::ffi::OsString;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How to start a worker: a program and its arguments (the CLI passes its own binary and hidden
/// mode).
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
}

/// What one file may cost a worker.
#[derive(Debug, Clone, Copy)]
pub struct WorkerLimits {
    pub timeout: Duration,
    /// Address-space cap of a worker process, in bytes.
    pub memory: u64,
}

/// The longest answer or request a side accepts: a letter's text is far smaller; a longer frame is
/// a broken peer, not data.
const MAX_FRAME: u64 = 1 << 30;

/// How much of a worker's stderr is kept to name the cause of its death.
const STDERR_TAIL: usize = 16 * 1024;

enum Answer {
    Text(String),
    NoText(String),
    /// The worker closed its stdout: it died, or the frame was broken.
    Gone,
}

/// One live worker process and the threads that read its two output pipes.
pub(crate) struct Worker {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    answers: Receiver<Answer>,
    stderr: Arc<Mutex<Vec<u8>>>,
    threads: Vec<JoinHandle<()>>,
    limits: WorkerLimits,
}

impl Worker {
    pub(crate) fn start(cmd: &WorkerCommand, limits: WorkerLimits) -> io::Result<Worker> {
        let mut child = Command::new(&cmd.program)
            .env(PARENT_VAR, std::process::id().to_string())
            .args(&cmd.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (stdin, stdout, stderr_pipe) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => return Err(io::Error::other("worker pipes missing")),
            };
        let (tx, answers) = mpsc::channel();
        // A thread the system will not start is the worker's failure to start, said per file.
        let threads = std::thread::Builder::new;
        let reader = threads().spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let answer = match read_frame(&mut r) {
                    Ok(Some((b'T', body))) => match String::from_utf8(body) {
                        Ok(t) => Answer::Text(t),
                        Err(_) => Answer::NoText("the PDF reader returned invalid UTF-8".into()),
                    },
                    Ok(Some((b'E', body))) => {
                        Answer::NoText(String::from_utf8_lossy(&body).into_owned())
                    }
                    _ => Answer::Gone,
                };
                let gone = matches!(answer, Answer::Gone);
                if tx.send(answer).is_err() || gone {
                    return;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let tail = Arc::clone(&stderr);
        let err_reader = threads().spawn(move || {
            let mut pipe = stderr_pipe;
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
                t.extend_from_slice(&buf[..n]);
                if t.len() > STDERR_TAIL {
                    let cut = t.len() - STDERR_TAIL;
                    t.drain(..cut);
                }
            }
        });
        let (reader, err_reader) = match (reader, err_reader) {
            (Ok(r), Ok(e)) => (r, e),
            (Err(e), _) | (_, Err(e)) => {
                // Its pipes close as this returns: the worker ends, and is reaped here.
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        Ok(Worker {
            child,
            stdin: BufWriter::new(stdin),
            answers,
            stderr,
            threads: vec![reader, err_reader],
            limits,
        })
    }

    /// The text of one PDF. On `Err` the worker is gone (dead, or killed for overrunning): drop it
    /// and start another for the next file.
    pub(crate) fn extract(
        &mut self,
        bytes: &[u8],
        path: &Path,
    ) -> Result<Result<String, Error>, Error> {
        let sent = write_frame(&mut self.stdin, b'P', bytes).and_then(|()| self.stdin.flush());
        let answer = match sent {
            Ok(()) => self.answer_unless_cancelled(),
            Err(_) => Ok(Answer::Gone),
        };
        match answer {
            Ok(Answer::Text(t)) => Ok(Ok(t)),
            Ok(Answer::NoText(reason)) => Ok(Err(Error::Pdf {
                path: path.into(),
                reason,
            })),
            Ok(Answer::Gone) | Err(RecvTimeoutError::Disconnected) => Err(self.death(path)),
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                self.reap();
                Err(Error::TimedOut {
                    path: path.into(),
                    seconds: self.limits.timeout.as_secs_f64(),
                })
            }
        }
    }

    /// The worker's answer within the time limit; a timeout where the work was given up
    /// meanwhile ([`cancel_on`]: a web request whose client went away), so that the worker is
    /// stopped then, not at the limit.
    fn answer_unless_cancelled(&self) -> Result<Answer, RecvTimeoutError> {
        let cancel = CANCEL.with(|c| c.borrow().clone());
        let Some(cancel) = cancel else {
            return self.answers.recv_timeout(self.limits.timeout);
        };
        let until = std::time::Instant::now() + self.limits.timeout;
        loop {
            let left = until.saturating_duration_since(std::time::Instant::now());
            match self.answers.recv_timeout(left.min(CANCEL_POLL)) {
                Err(RecvTimeoutError::Timeout)
                    if !left.is_zero() && !cancel.load(std::sync::atomic::Ordering::Relaxed) => {}
                answer => return answer,
            }
        }
    }

    /// Waits for the child and its pipe readers.
    fn reap(&mut self) -> Option<std::process::ExitStatus> {
        let status = self.child.wait().ok();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        status
    }

    /// Why the worker ended, from its exit status and the last of its stderr.
    fn death(&mut self, path: &Path) -> Error {
        let status = self.reap();
        let tail = String::from_utf8_lossy(&self.stderr.lock().unwrap_or_else(|e| e.into_inner()))
            .into_owned();
        if tail.contains("has overflowed its stack") {
            return Error::ReaderCrashed {
                path: path.into(),
                cause: "stack overflow".into(),
            };
        }
        if tail.contains("memory allocation of") || tail.contains("capacity overflow") {
            return Error::OutOfMemory {
                path: path.into(),
                limit: self.limits.memory,
            };
        }
        let cause = match status {
            Some(s) => describe_status(s),
            None => "the worker could not be waited for".into(),
        };
        Error::ReaderCrashed {
            path: path.into(),
            cause,
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Between files a worker holds nothing worth finishing: kill it rather than wait for it.
        let _ = self.child.kill();
        self.reap();
    }
}

#[cfg(unix)]
fn describe_status(s: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (s.signal(), s.code()) {
        (Some(6), _) => "aborted (SIGABRT)".into(),
        (Some(9), _) => "killed (SIGKILL: out of memory?)".into(),
        (Some(11), _) => "segmentation fault".into(),
        (Some(sig), _) => format!("killed by signal {sig}"),
        (None, Some(c)) => format!("exit status {c}"),
        (None, None) => "ended without a status".into(),
    }
}

#[cfg(not(unix))]
fn describe_status(s: std::process::ExitStatus) -> String {
    format!("{s}")
}

fn write_frame(w: &mut impl Write, tag: u8, body: &[u8]) -> io::Result<()> {
    w.write_all(&[tag])?;
    w.write_all(&(body.len() as u64).to_le_bytes())?;
    w.write_all(body)
}

/// A frame, or None at a clean end of stream.
fn read_frame(r: &mut impl Read) -> io::Result<Option<(u8, Vec<u8>)>> {
    let mut tag = [0u8; 1];
    match r.read_exact(&mut tag) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut len = [0u8; 8];
    r.read_exact(&mut len)?;
    let len = u64::from_le_bytes(len);
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes"),
        ));
    }
    let mut body = Vec::new();
    r.take(len).read_to_end(&mut body)?;
    if body.len() as u64 != len {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
    }
    Ok(Some((tag[0], body)))
}

/// The worker's side: caps this process's address space, then answers requests on stdin until it
/// closes. Called by the CLI's hidden worker mode; nothing else should run in the process.
pub fn worker_main(memory: u64) -> io::Result<()> {
    die_with_parent();
    cap_address_space(memory)?;
    let mut input = BufReader::new(io::stdin().lock());
    let mut output = BufWriter::new(io::stdout().lock());
    while let Some((tag, body)) = read_frame(&mut input)? {
        if tag != b'P' {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "unknown request",
            ));
        }
        match super::pdf::pdf_text(&body) {
            Ok(text) => write_frame(&mut output, b'T', text.as_bytes())?,
            Err(reason) => write_frame(&mut output, b'E', reason.as_bytes())?,
        }
        output.flush()?;
    }
    Ok(())
}

/// The worker ends when the process that started it does: its time limit is kept by that
/// process, so a worker left behind (its `imr` killed, as a supervisor kills it) would read a
/// hostile file without end.
#[cfg(target_os = "linux")]
fn die_with_parent() {
    // SAFETY: PR_SET_PDEATHSIG sets the signal this process gets when its parent thread ends
    // (the thread that started it owns it, and drops it before ending); getppid reads its parent.
    let parent = unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        libc::getppid()
    };
    // Orphaned before the call: its parent is another process than the one that started it
    // (told by its id: an imr that is PID 1 in a container is a parent like any other).
    let started_by = std::env::var(PARENT_VAR)
        .ok()
        .and_then(|p| p.parse::<i32>().ok());
    if started_by.is_some_and(|p| p != parent) {
        std::process::exit(1);
    }
}

/// How often a worker's wait looks whether its work was given up.
const CANCEL_POLL: Duration = Duration::from_millis(100);

thread_local! {
    static CANCEL: std::cell::RefCell<Option<Arc<std::sync::atomic::AtomicBool>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` on this thread with `cancelled` as the sign that its work was given up: a PDF being
/// read meanwhile has its worker stopped within a tenth of a second of it, and is reported as
/// timed out.
pub fn cancel_on<T>(cancelled: Arc<std::sync::atomic::AtomicBool>, f: impl FnOnce() -> T) -> T {
    CANCEL.with(|c| *c.borrow_mut() = Some(cancelled));
    let out = f();
    CANCEL.with(|c| *c.borrow_mut() = None);
    out
}

/// The variable that tells a worker the id of the process that started it.
const PARENT_VAR: &str = "IMR_PDF_WORKER_PARENT";

#[cfg(not(target_os = "linux"))]
fn die_with_parent() {}

/// Caps the address space at what the process has reserved so far plus `bytes`: an allocator
/// that reserves its arenas up front (the binary's) has that room already, and the cap is then
/// what one file may add. A stack that cannot grow under the cap would die by a plain segmentation
/// fault, not as a stack overflow.
#[cfg(unix)]
fn cap_address_space(bytes: u64) -> io::Result<()> {
    let bytes = reserved_bytes().saturating_add(bytes);
    let lim = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: setrlimit reads the struct we pass and changes only this process's limits.
    if unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The process's address space now, in bytes (0 where `/proc` does not say).
#[cfg(unix)]
fn reserved_bytes() -> u64 {
    // SAFETY: sysconf only reads a configuration value.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok());
    match (pages, u64::try_from(page)) {
        (Some(pages), Ok(page)) => pages.saturating_mul(page),
        _ => 0,
    }
}

#[cfg(not(unix))]
fn cap_address_space(_bytes: u64) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_bad_lengths_are_errors() {
        let mut buf = Vec::new();
        write_frame(&mut buf, b'T', b"hello").unwrap();
        write_frame(&mut buf, b'E', b"").unwrap();
        let mut r = &buf[..];
        assert_eq!(read_frame(&mut r).unwrap(), Some((b'T', b"hello".to_vec())));
        assert_eq!(read_frame(&mut r).unwrap(), Some((b'E', Vec::new())));
        assert_eq!(read_frame(&mut r).unwrap(), None);
        let mut huge = vec![b'T'];
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(read_frame(&mut &huge[..]).is_err());
        let short = [b'T', 5, 0, 0, 0, 0, 0, 0, 0, b'a'];
        assert!(read_frame(&mut &short[..]).is_err());
    }
}
