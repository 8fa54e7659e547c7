//! One module per subcommand, each with a `run(args, &Library)` that returns the exit code.
//! Shared here: opening the library, the progress bar, colours and exit codes.

pub mod access;
pub mod check;
pub mod consultation;
pub mod draft;
pub mod export;
pub mod import;
pub mod index;
pub mod init;
pub mod quote;
pub mod quotes;
pub mod recs;
pub mod search;
pub mod serve;
pub mod tags;
pub mod verify;

use std::io::IsTerminal;
use std::process::ExitCode;

use anstyle::{AnsiColor, Style};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Library;
use crate::cli::{Cli, Command};
use crate::index::{LibraryIndex, Progress, RefreshReport};

/// Exit code when problems were found (in files, or by a check).
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit code for a usage or input error.
pub const EXIT_USAGE: u8 = 2;

/// Run the command line: find the library (except for `init`) and run the subcommand.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Init(args) = cli.command {
        return init::run(args, cli.library.as_deref());
    }
    let lib = Library::discover(cli.library.as_deref())?;
    match cli.command {
        Command::Init(_) => unreachable!("handled above"),
        Command::Index(args) => index::run(args, &lib),
        Command::Search(args) => search::run(args, &lib),
        Command::Recs(args) => recs::run(args, &lib),
        Command::Quote(c) => quote::run(c, &lib),
        Command::Quotes(args) => quotes::run(args, &lib),
        Command::Tags(args) => tags::run(args, &lib),
        Command::Verify(args) => verify::run(args, &lib),
        Command::Import(args) => import::run(args, &lib),
        Command::Consultation(c) => consultation::run(c, &lib),
        Command::Draft(args) => draft::run(args, &lib),
        Command::Check(args) => check::run(args, &lib),
        Command::Export(args) => export::run(args, &lib),
        Command::Serve(args) => serve::run(args, lib),
        Command::Access(c) => access::run(c, &lib),
    }
}

/// Whether an error is a closed pipe (`heard search x | head`): not worth reporting.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || e.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// A progress bar on stderr when it is a terminal; nothing otherwise.
pub(crate) struct Bar(ProgressBar);

impl Bar {
    pub(crate) fn new() -> Bar {
        Bar::with("Indexing {bar:30} {pos}/{len} files {eta}")
    }

    /// A bar with its own template (e.g. "Importing …").
    pub(crate) fn with(template: &str) -> Bar {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        if !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_style(ProgressStyle::with_template(template).expect("progress template"));
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&self, total: usize) {
        self.0.set_length(total as u64);
    }
    fn tick(&self) {
        self.0.inc(1);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// A folder or file named on the command line: as given if it exists from here, else
/// relative to the library root (so `heard -C lib draft responses/x` works anywhere).
pub fn resolve(lib: &Library, path: &std::path::Path) -> std::path::PathBuf {
    if path.exists() || path.is_absolute() {
        path.to_path_buf()
    } else {
        lib.root().join(path)
    }
}

/// Refresh and open the index, with a progress bar on a terminal.
pub fn open_index(lib: &Library) -> anyhow::Result<(LibraryIndex, RefreshReport)> {
    LibraryIndex::refresh_and_open(lib, &Bar::new())
}

/// After a refresh done on the way to another command: say briefly what changed and
/// whether files have problems, on stderr.
pub fn note_refresh(report: &RefreshReport) {
    if report.changed_anything() {
        eprintln!(
            "Index updated in {:.1} s: {} added, {} changed, {} removed",
            report.elapsed.as_secs_f64(),
            report.added,
            report.changed,
            report.removed
        );
    }
    if !report.problems.is_empty() {
        eprintln!(
            "note: {} problem{} in the library (those files may be missing from results); run `heard index` to see them",
            report.problems.len(),
            if report.problems.len() == 1 { "" } else { "s" }
        );
    }
}

/// Styles for human output; `anstream` drops them when the output is not a terminal or
/// `NO_COLOR` is set.
pub mod style {
    use super::*;

    /// Titles.
    pub const TITLE: Style = Style::new().bold();
    /// File locations.
    pub const PATH: Style = AnsiColor::Cyan.on_default();
    /// Ids and quiet details.
    pub const DIM: Style = Style::new().dimmed();
    /// Matched words.
    pub const MATCH: Style = AnsiColor::Yellow.on_default().bold();
    /// Warnings.
    pub const WARN: Style = AnsiColor::Red.on_default().bold();
}

/// `text` with the byte ranges `highlights` styled as matches.
pub fn highlight(text: &str, highlights: &[[usize; 2]]) -> String {
    let mut out = String::with_capacity(text.len() + highlights.len() * 8);
    let mut pos = 0;
    for &[start, end] in highlights {
        if start < pos
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            continue;
        }
        out.push_str(&text[pos..start]);
        out.push_str(&format!(
            "{}{}{}",
            style::MATCH.render(),
            &text[start..end],
            style::MATCH.render_reset()
        ));
        pos = end;
    }
    out.push_str(&text[pos..]);
    out
}

/// Render `s` in `style`.
pub fn paint(s: &str, style: Style) -> String {
    format!("{}{s}{}", style.render(), style.render_reset())
}

/// "1 source" / "2 sources".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Lines `a`–`b` as `a-b`, or `a` when they are the same.
pub fn lines(a: u64, b: u64) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a}-{b}")
    }
}
