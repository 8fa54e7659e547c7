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
pub mod project;
pub mod quote;
pub mod quotes;
pub mod recs;
pub mod search;
pub mod serve;
pub mod tags;
pub mod verify;
pub mod watch;

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
        Command::Watch(args) => watch::run(args, &lib),
        Command::Access(c) => access::run(c, &lib),
        Command::ExportProject(args) => project::export(args, &lib),
        Command::ImportProject(args) => project::import(args, &lib),
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
    fn embedding(&self) {
        self.0.reset();
        self.0.set_style(
            ProgressStyle::with_template("Reading for meaning {bar:30} {pos}/{len} texts {eta}")
                .expect("progress template"),
        );
    }
}

/// A folder or file named on the command line: as given if it exists from here, else
/// relative to the library root (so `heard -C lib draft responses/x` works anywhere).
/// When both exist and are different places — `heard -C other-lib draft responses/x` run
/// where this folder has its own `responses/x` — it is an error rather than a guess: the
/// draft would otherwise be written into the wrong library's folder.
pub fn resolve(lib: &Library, path: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let inside = lib.root().join(path);
    if path.is_absolute() || !inside.exists() {
        return Ok(path.to_path_buf());
    }
    if !path.exists() {
        return Ok(inside);
    }
    let same = match (path.canonicalize(), inside.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same {
        let here = std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf());
        anyhow::bail!(
            "`{}` names two places: `{}` (from the current folder) and `{}` (in the library); pass the one you mean as a full path",
            path.display(),
            here.display(),
            inside.display()
        );
    }
    Ok(path.to_path_buf())
}

/// Refresh and open the index, with a progress bar on a terminal.
pub fn open_index(lib: &Library) -> anyhow::Result<(LibraryIndex, RefreshReport)> {
    LibraryIndex::refresh_and_open(lib, &Bar::new())
}

/// After a refresh done on the way to another command: say briefly what changed and
/// whether files have problems, on stderr.
pub fn note_refresh(report: &RefreshReport) {
    let _ = note_refresh_to(report, &mut std::io::stderr());
}

/// [`note_refresh`], written to `err`.
pub fn note_refresh_to(
    report: &RefreshReport,
    err: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    if report.changed_anything() {
        writeln!(
            err,
            "Index updated in {:.1} s: {} added, {} changed, {} removed",
            report.elapsed.as_secs_f64(),
            report.added,
            report.changed,
            report.removed
        )?;
    }
    if !report.problems.is_empty() {
        writeln!(
            err,
            "note: {} problem{} in the library (those files may be missing from results); run `heard index` to see them",
            report.problems.len(),
            if report.problems.len() == 1 { "" } else { "s" }
        )?;
    }
    Ok(())
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

/// Text from the library or its user (titles, tags, ids, file names, messages that quote
/// them) made safe to print on a terminal: escape sequences and other control characters
/// (C0, DEL, C1) and bidi overrides are shown as `\u{1b}` rather than obeyed, so a file
/// cannot clear the screen, retitle the window or reverse the text around it. Every human
/// output of heard goes through here (directly, or through [`paint`] and [`highlight`]);
/// JSON output does its own escaping.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    escape(text, false)
}

/// [`shown`] for text of several lines, such as an error with its causes: line breaks
/// stay line breaks.
pub fn shown_lines(text: &str) -> std::borrow::Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\t' && !(keep_newlines && c == '\n'))
            || matches!(
                c,
                '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
            )
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A problem line, `path:line: message`, safe to print.
pub fn problem_line(p: &crate::Problem) -> String {
    shown(&p.to_string()).into_owned()
}

/// `text` with the byte ranges `highlights` styled as matches (and the text [`shown`]).
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
        out.push_str(&shown(&text[pos..start]));
        out.push_str(&format!(
            "{}{}{}",
            style::MATCH.render(),
            shown(&text[start..end]),
            style::MATCH.render_reset()
        ));
        pos = end;
    }
    out.push_str(&shown(&text[pos..]));
    out
}

/// Render `s` ([`shown`]) in `style`.
pub fn paint(s: &str, style: Style) -> String {
    format!("{}{}{}", style.render(), shown(s), style.render_reset())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_escapes_controls_and_bidi_overrides_and_nothing_else() {
        assert_eq!(shown("plain – text “ok”\t"), "plain – text “ok”\t");
        assert_eq!(shown("a\u{1b}[2Jb\u{7}"), "a\\u{1b}[2Jb\\u{7}");
        assert_eq!(
            shown("x\u{9b}31m\u{202e}y\nz"),
            "x\\u{9b}31m\\u{202e}y\\u{a}z"
        );
        assert_eq!(shown_lines("one\ntwo\u{1b}"), "one\ntwo\\u{1b}");
        let painted = paint("\u{1b}]0;title\u{7}", style::TITLE);
        assert_eq!(
            painted.matches('\u{1b}').count(),
            2,
            "only our own style codes: {painted:?}"
        );
    }
}
