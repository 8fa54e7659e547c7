//! `heard init [DIR]`: make a library, adding only what is missing.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::InitArgs;
use crate::library;

/// Run `heard init`.
pub fn run(args: InitArgs, library: Option<&Path>) -> anyhow::Result<ExitCode> {
    let dir = args
        .dir
        .or_else(|| library.map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    let report = library::init(&dir)?;
    if report.created.is_empty() {
        eprintln!(
            "`{}` is already a heard library; nothing to add.",
            dir.display()
        );
    } else {
        eprintln!("Made a heard library in `{}`.", dir.display());
        eprintln!("  created: {}", report.created.join(", "));
        if !report.kept.is_empty() {
            eprintln!("  kept as they were: {}", report.kept.join(", "));
        }
    }
    if report.existing_markdown > 0 {
        eprintln!(
            "  found {} Markdown files: they stay where they are (corpus = \".\" in heard.toml)",
            report.existing_markdown
        );
    }
    eprintln!("Next: put Markdown sources in the corpus, then run `heard index`.");
    Ok(ExitCode::SUCCESS)
}
