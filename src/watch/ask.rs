//! Asking the process that watches the library instead of opening the index again.
//!
//! A process that watches the library (`heard watch`, `heard serve`) keeps the index open
//! and fresh (see [`super::live`]). A `heard search` process started beside it sends its
//! arguments over a Unix socket, `.heard/ask/socket`, and prints what comes back: the
//! watcher makes the same barrier a command would (so a file saved just before is seen),
//! searches the index it holds, and renders the answer with the same code the command runs
//! on its own. A process spares exec-time work only: opening ~50 index files, reading the
//! taxonomy and the journal, and the caches a search warms (BENCHMARKS.md).
//!
//! Nothing changes for the user but the time: whenever the watcher cannot answer exactly as
//! the command would (another heard binary, `heard.toml` changed since it started, a search
//! by meaning, any failure), it refuses, and the command does the work itself.
//!
//! Who can ask, and who answers: the socket lives in a folder only its owner can open (mode
//! 0700); the watcher checks that the asking process runs as its own user, and the command
//! that the answering process does (a socket planted in a shared library by someone else
//! is not asked). Queries and results never leave the machine, and nothing of them is
//! logged.
//!
//! A watcher that hangs does not hang a command: while it works on an answer it sends a
//! space every half second, and a command that hears nothing for two seconds does
//! the work itself.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Library;

/// The folder of the socket, under `.heard/`.
const FOLDER: &str = "ask";

/// The socket, in [`FOLDER`].
const SOCKET: &str = "socket";

/// The longest request read (a command line).
const REQUEST_MAX: u64 = 1 << 20;

/// How long the watcher waits for a request to arrive whole.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How often a watcher at work on an answer tells the command it is (a refresh after a
/// checkout of thousands of files takes a while).
const ALIVE_EVERY: Duration = Duration::from_millis(500);

/// How long a command waits for a word from the watcher before it does the work itself (a
/// watcher that hangs, or is stopped, says nothing).
const SILENCE_MAX: Duration = super::BARRIER_TIMEOUT;

/// What a command sends.
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    /// Which binary the command runs ([`exe`]): only the same binary renders the same.
    exe: String,
    /// The command line, as the command was given it.
    argv: Vec<String>,
    /// The command's settings from the environment that change an answer ([`SHAPING`]).
    env: Vec<Option<String>>,
}

/// Settings from the environment that change what a search answers; a command whose
/// settings differ from the watcher's is refused.
const SHAPING: [&str; 1] = ["HEARD_EXACT_TOTAL_DOCS"];

fn shaping() -> Vec<Option<String>> {
    SHAPING.iter().map(|v| std::env::var(v).ok()).collect()
}

/// What the watcher answers.
#[derive(Debug, Serialize, Deserialize)]
pub enum Reply {
    /// The command's whole output and exit code.
    Answer(Answer),
    /// Why the watcher did not answer: the command does the work itself.
    Refused(String),
}

/// A command's output, as it would have printed it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Answer {
    /// The exit code.
    pub code: u8,
    /// What the command says on standard error before its output (what the refresh found).
    pub note: String,
    /// Standard output, styled (the asking process drops the styles where its own output
    /// would have none).
    pub out: String,
    /// Standard error, after the output.
    pub err: String,
}

/// How a watcher answers a command line (given the process's live index).
pub type Handler = fn(&super::live::Live, Vec<String>) -> Reply;

fn socket_path(lib: &Library) -> PathBuf {
    lib.state_dir().join(FOLDER).join(SOCKET)
}

/// This process's binary, as the system knows it (device, inode, size, time): a command
/// built or installed since the watcher started is another binary, even at the same path.
fn exe() -> &'static str {
    static EXE: OnceLock<String> = OnceLock::new();
    EXE.get_or_init(|| {
        use std::os::unix::fs::MetadataExt;
        let path = Path::new("/proc/self/exe");
        let meta = std::fs::metadata(path)
            .or_else(|_| std::env::current_exe().and_then(std::fs::metadata));
        match meta {
            Ok(m) => format!(
                "{}:{}:{}:{}.{}",
                m.dev(),
                m.ino(),
                m.size(),
                m.mtime(),
                m.mtime_nsec()
            ),
            // Unknown: never equal to anything, so nothing is asked or answered.
            Err(_) => String::new(),
        }
    })
}

/// Ask the library's watcher to run this command line. `None`: no watcher answers (none
/// runs, it refused, or the exchange failed); run the command here.
pub fn ask(lib: &Library, argv: Vec<String>) -> Option<Answer> {
    if exe().is_empty() {
        return None;
    }
    let debug = std::env::var_os("HEARD_DEBUG_WATCH").is_some();
    let mut stream = UnixStream::connect(socket_path(lib)).ok()?;
    // Only a process of this user answers: what it sends is printed as it is (with its
    // styles), and it learns what is searched.
    if !same_user(&stream) {
        if debug {
            eprintln!("watch: the socket belongs to another user's process; not asked");
        }
        return None;
    }
    stream.set_read_timeout(Some(SILENCE_MAX)).ok()?;
    stream.set_write_timeout(Some(SILENCE_MAX)).ok()?;
    let request = Request {
        exe: exe().to_string(),
        argv,
        env: shaping(),
    };
    let sent = serde_json::to_writer(&mut stream, &request)
        .ok()
        .and_then(|()| stream.shutdown(std::net::Shutdown::Write).ok());
    sent?;
    let mut bytes = Vec::new();
    if let Err(e) = stream.read_to_end(&mut bytes) {
        let why = match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                format!("within {} s", SILENCE_MAX.as_secs())
            }
            _ => format!("({e})"),
        };
        eprintln!("note: the file watcher did not answer {why}; searching without it");
        return None;
    }
    match serde_json::from_slice(&bytes) {
        Ok(Reply::Answer(a)) => {
            if debug {
                eprintln!("watch: answered by the watcher");
            }
            Some(a)
        }
        Ok(Reply::Refused(why)) => {
            if debug {
                eprintln!("watch: the watcher did not answer: {why}");
            }
            None
        }
        Err(e) => {
            if debug {
                eprintln!("watch: unreadable answer from the watcher: {e}");
            }
            None
        }
    }
}

/// A watcher's socket, answering commands until dropped.
pub struct Service {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the listener up so that it sees the stop.
        let _ = UnixStream::connect(&self.path);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Open the library's socket and answer each command on it with `handler`, given the
/// process's live index. Call only while holding the watcher's lock (the socket is then
/// ours: one left by a watcher that died is replaced).
pub fn serve(
    lib: &Library,
    live: std::sync::Weak<super::live::Live>,
    handler: Handler,
) -> anyhow::Result<Service> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let folder = lib.state_dir().join(FOLDER);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&folder)
        .map_err(|e| anyhow::anyhow!("failed to create `{}`: {e}", folder.display()))?;
    // A folder made earlier with other permissions is made private too.
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| anyhow::anyhow!("failed to make `{}` private: {e}", folder.display()))?;
    let path = folder.join(SOCKET);
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)
        .map_err(|e| anyhow::anyhow!("cannot open the socket `{}`: {e}", path.display()))?;
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = stop.clone();
    let thread = std::thread::Builder::new()
        .name("heard-ask".into())
        .spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let live = live.clone();
                // One thread per command: a slow one (a refresh of many changes) does not
                // hold up the others.
                let _ = std::thread::Builder::new()
                    .name("heard-answer".into())
                    .spawn(move || answer(stream, &live, handler));
            }
        })
        .map_err(|e| anyhow::anyhow!("cannot start answering commands: {e}"))?;
    Ok(Service {
        path,
        stop,
        thread: Some(thread),
    })
}

/// Whether the process at the other end of `stream` runs as this process's user.
fn same_user(stream: &UnixStream) -> bool {
    rustix::net::sockopt::socket_peercred(stream).is_ok_and(|c| c.uid == rustix::process::getuid())
}

/// Answer one command.
fn answer(mut stream: UnixStream, live: &std::sync::Weak<super::live::Live>, handler: Handler) {
    // Only this user's processes (the folder's permissions say the same).
    if !same_user(&stream) {
        return;
    }
    let _ = stream.set_read_timeout(Some(REQUEST_TIMEOUT));
    let mut bytes = Vec::new();
    if (&mut stream)
        .take(REQUEST_MAX)
        .read_to_end(&mut bytes)
        .is_err()
    {
        return;
    }
    let mut answered_by = None;
    let reply = match serde_json::from_slice::<Request>(&bytes) {
        Err(e) => Reply::Refused(format!("unreadable request: {e}")),
        Ok(r) if r.exe != exe() => Reply::Refused("another heard binary".into()),
        Ok(r) if r.env != shaping() => Reply::Refused(format!(
            "the environment differs in one of {}",
            SHAPING.join(", ")
        )),
        Ok(r) => match live.upgrade() {
            // What the answers are rendered with: a command reading another heard.toml
            // would answer otherwise.
            Some(live) if live.settings_changed() => {
                Reply::Refused("heard.toml changed since the watcher started".into())
            }
            Some(live) if live.watched() => {
                let reply = working(&mut stream, || handler(&live, r.argv));
                answered_by = Some(live);
                reply
            }
            _ => Reply::Refused("the watcher is starting or stopping".into()),
        },
    };
    if let Ok(json) = serde_json::to_vec(&reply) {
        let _ = stream.write_all(&json);
    }
    // The command has its answer; then the memory the search took is looked at.
    drop(stream);
    if let Some(live) = answered_by {
        live.trim();
    }
}

/// Run `work` (an answer), telling the command every [`ALIVE_EVERY`] that the watcher is
/// still at it with a space, which JSON ignores before the reply: the command gives up only
/// on a watcher that says nothing for [`SILENCE_MAX`].
fn working(stream: &mut UnixStream, work: impl FnOnce() -> Reply + Send) -> Reply {
    use std::sync::mpsc::{RecvTimeoutError, channel};
    std::thread::scope(|scope| {
        let (tx, rx) = channel();
        let worker = scope.spawn(move || {
            let _ = tx.send(work());
        });
        loop {
            match rx.recv_timeout(ALIVE_EVERY) {
                Ok(reply) => return reply,
                // (When the command is gone, the work is finished for nobody.)
                Err(RecvTimeoutError::Timeout) => {
                    let _ = stream.write_all(b" ");
                }
                Err(RecvTimeoutError::Disconnected) => {
                    // The work panicked: joined here, so the panic stops with it.
                    let _ = worker.join();
                    return Reply::Refused("the answer failed".into());
                }
            }
        }
    })
}
