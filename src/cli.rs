//! The command line, declared with clap's derive: the doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::corpus::{Kind, PartialDate};
use crate::index::DocType;

/// heard keeps your evidence library — testimonies, reports, workshop notes and past
/// submissions — searchable to the paragraph, and drafts consultation responses from it.
#[derive(Debug, Parser)]
#[command(name = "heard", version, max_term_width = 100)]
pub struct Cli {
    /// The library folder (default: the nearest folder upwards that has a heard.toml).
    #[arg(short = 'C', long = "library", global = true, value_name = "DIR")]
    pub library: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a library in DIR (default: here): heard.toml, corpus/, responses/ and a
    /// .gitignore for .heard/. Adds only what is missing; never overwrites or moves files.
    Init(InitArgs),
    /// Bring the search index up to date with the corpus, and report files with problems.
    ///
    /// Only files whose content changed are read again. Exits 1 when any file has a
    /// problem (the rest of the library is still indexed).
    Index(IndexArgs),
    /// Search the library. The index is refreshed first, so results are never stale.
    ///
    /// Words must all match (stemmed, any case or accent, British or American spelling).
    /// Use "double quotes" for a phrase, OR and NOT (in capitals), brackets, and field
    /// prefixes such as title:discharge or tag:housing.
    Search(SearchArgs),
    /// List or search the recommendations made in our reports and submissions.
    Recs(RecsArgs),
}

/// Arguments of `heard init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder to make a library of (default: the -C folder, else the current folder).
    pub dir: Option<PathBuf>,
}

/// Arguments of `heard index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Print one JSON document on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
}

/// Filters shared by `search` and `recs`.
#[derive(Debug, Args)]
pub struct Filters {
    /// Only sources with this tag (repeat for several: all must match).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only sources dated on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub since: Option<PartialDate>,
    /// Only sources dated on or before DATE (a year or month includes all of it).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub until: Option<PartialDate>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `heard search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query. Leave it out to list everything that matches the filters, newest first.
    #[arg(value_name = "QUERY", num_args = 0..)]
    pub query: Vec<String>,
    /// What to return: passages, recommendations and quotes by default; `source` for
    /// whole files. Repeat for several.
    #[arg(long = "type", value_name = "TYPE", value_enum)]
    pub types: Vec<DocType>,
    /// Only sources of this kind: testimony, report, submission, notes, other (repeat for
    /// several).
    #[arg(long = "kind", value_name = "KIND", value_parser = parse_kind)]
    pub kinds: Vec<Kind>,
    /// Most results to show.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub limit: usize,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub filters: Filters,
}

/// Arguments of `heard recs`.
#[derive(Debug, Args)]
pub struct RecsArgs {
    /// Words to look for in the recommendations; leave out to list them all, newest first.
    #[arg(value_name = "QUERY", num_args = 0..)]
    pub query: Vec<String>,
    /// Most recommendations to show.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub limit: usize,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub filters: Filters,
}

fn parse_date(s: &str) -> Result<PartialDate, String> {
    PartialDate::parse(s)
        .ok_or_else(|| format!("`{s}` is not a date; write YYYY-MM-DD, YYYY-MM or YYYY"))
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    Kind::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        format!(
            "`{s}` is not a kind of source; use one of {}",
            names.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
