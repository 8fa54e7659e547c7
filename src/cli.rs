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
    /// List or search the recommendations made in our reports and submissions, and
    /// record what happened to them (`heard recs outcome`).
    Recs(RecsArgs),
    /// Make a quote, tag it, or record its speaker's consent.
    #[command(subcommand)]
    Quote(QuoteCommand),
    /// List quotes with their consent and anchor state.
    Quotes(QuotesArgs),
    /// List the tags in use, with counts, and those not in taxonomy.toml.
    Tags(TagsArgs),
    /// Bring in documents and survey exports: Word (.docx), OpenDocument (.odt), PDF, saved
    /// web pages (.html), plain text, and CSV/XLSX/ODS survey exports. A folder imports
    /// everything in it that heard can read.
    ///
    /// Each document becomes a Markdown source under corpus/imported/ (or --into), with
    /// front matter from the document and a record of the original, a copy of which is
    /// kept in corpus/originals/. Importing again skips unchanged originals, updates
    /// changed ones, and never overwrites Markdown edited since it was imported (the new
    /// version is written beside it as NAME.md.new). Exits 1 when any file has a problem
    /// (the rest are imported).
    Import(ImportArgs),
    /// Start a response: turn a call's question list into responses/SLUG/consultation.toml.
    #[command(subcommand)]
    Consultation(ConsultationCommand),
    /// Draft a response to the consultation in RESPONSE_DIR: response.md and
    /// provenance.json, every quote consented to and every claim footnoted.
    Draft(DraftArgs),
    /// Check a draft after editing: quotes word for word, consent, footnotes, word limits
    /// and personal data. Exits 1 with one line per problem.
    Check(CheckArgs),
    /// Export a draft that passes `check` as a Word document, an HTML page or plain text.
    Export(ExportArgs),
    /// Serve the web app for volunteers and officers (on 127.0.0.1 unless told otherwise).
    Serve(ServeArgs),
    /// Keep the index fresh from file events, in the foreground (Ctrl-C to stop): while it
    /// runs, other commands trust its journal instead of checking every file.
    /// `heard serve` does the same.
    Watch(WatchArgs),
    /// Give or take away access to the web app.
    #[command(subcommand)]
    Access(AccessCommand),
    /// Check the ledger has not been edited, reordered or cut, and that quote files agree
    /// with it. Exits 1 with one line per problem.
    Verify(VerifyArgs),
    /// Export the library as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA or
    /// QualCoder: sources as plain text with their metadata, the taxonomy as codes, quotes
    /// consented to for this use as coded selections, consent as notes, contributors as
    /// cases (never their contact details). Restricted sources never leave; internal ones
    /// only with --include internal.
    ExportProject(ExportProjectArgs),
    /// Import a REFI-QDA project (.qdpx): text sources become Markdown sources, codes
    /// become taxonomy tags, coded selections become quotes pending consent. Exits 1 when
    /// a selection could not be imported (the rest is), 2 when the project cannot be read
    /// (then nothing is written).
    ImportProject(ImportProjectArgs),
}

/// Project formats `export-project` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProjectFormat {
    /// REFI-QDA 1.0 project (.qdpx).
    Qdpx,
}

/// What `export-project --include` adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProjectInclude {
    /// Sources marked internal: for a project that stays inside the organisation (quotes
    /// are then judged for internal use).
    Internal,
    /// Testimonies and notes in full (with words someone said no to still cut out), for a
    /// partner whose agreement with the organisation covers people's whole accounts.
    /// Without it, a source of people's own words holds only their consented quotes.
    PeoplesWords,
}

/// Arguments of `heard export-project`.
#[derive(Debug, Args)]
pub struct ExportProjectArgs {
    /// Project format.
    #[arg(long = "to", value_enum)]
    pub format: ProjectFormat,
    /// Where to write (default: `<library folder>.qdpx` in the current folder).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also include sources marked internal, or people's words in full (repeatable).
    #[arg(long, value_enum, value_name = "WHAT")]
    pub include: Vec<ProjectInclude>,
}

/// Arguments of `heard import-project`.
#[derive(Debug, Args)]
pub struct ImportProjectArgs {
    /// The project file.
    #[arg(value_name = "FILE.qdpx")]
    pub path: PathBuf,
    /// Kind of the new sources, when the project does not say (testimony, report,
    /// submission, notes, other).
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    pub kind: Option<Kind>,
    /// Who may see the new sources: public, internal or restricted (default: what the
    /// project says, else the library's default).
    #[arg(long, value_name = "S", value_parser = parse_sensitivity)]
    pub sensitivity: Option<crate::corpus::Sensitivity>,
    /// Folder for the Markdown, inside the corpus (default: corpus/imported).
    #[arg(long, value_name = "DIR")]
    pub into: Option<PathBuf>,
    /// Who is importing, recorded with each new quote (default: $HEARD_USER, else your
    /// login name).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

/// Arguments of `heard import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files and folders to import.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Kind of the new sources: testimony, report, submission, notes, other.
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    pub kind: Option<Kind>,
    /// A tag for every new source (repeat for several).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Who may see the new sources: public, internal or restricted (default: the
    /// library's default).
    #[arg(long, value_name = "S", value_parser = parse_sensitivity)]
    pub sensitivity: Option<crate::corpus::Sensitivity>,
    /// Folder for the Markdown, inside the corpus (default: corpus/imported).
    #[arg(long, value_name = "DIR")]
    pub into: Option<PathBuf>,
    /// Survey exports: the header of the "may we quote you?" column. heard never guesses
    /// it; without this flag it points out a column that looks like one.
    #[arg(long, value_name = "HEADER")]
    pub consent_column: Option<String>,
    /// Survey exports: where a "yes" in the consent column lets quotes be used.
    #[arg(long, value_enum, default_value = "external", value_name = "S")]
    pub consent_scope: crate::quotes::Scope,
    /// Who is importing, recorded with survey consent (default: $HEARD_USER, else your
    /// login name).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Import a document even when the library already holds one with the same text (the
    /// PDF of a report already imported from Word is otherwise skipped, with a note).
    #[arg(long)]
    pub allow_duplicate: bool,
    /// Print one JSON document on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
}

/// `heard consultation ...`.
#[derive(Debug, Subcommand)]
pub enum ConsultationCommand {
    /// Make responses/SLUG/consultation.toml from a question list pasted into a file
    /// (Markdown or plain text: numbered questions, chapter headings, word limits).
    New(ConsultationNewArgs),
}

/// Arguments of `heard consultation new`.
#[derive(Debug, Args)]
pub struct ConsultationNewArgs {
    /// Short name for the response folder, e.g. crisis-care-2026.
    pub slug: String,
    /// The file with the questions: Markdown or plain text, a saved GOV.UK-style web page
    /// (.html), a PDF or a Word file (.docx).
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Title of the consultation (default: the file's first `#` heading, else the slug).
    #[arg(long)]
    pub title: Option<String>,
}

/// Arguments of `heard draft`.
#[derive(Debug, Args)]
pub struct DraftArgs {
    /// The response folder, e.g. responses/crisis-care-2026.
    #[arg(value_name = "RESPONSE_DIR")]
    pub dir: PathBuf,
}

/// Arguments of `heard check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A response folder (its response.md) or a response file.
    #[arg(value_name = "RESPONSE_DIR|FILE")]
    pub target: PathBuf,
}

/// Arguments of `heard export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A response folder (its response.md) or a response file.
    #[arg(value_name = "RESPONSE_DIR|FILE")]
    pub target: PathBuf,
    /// Output format.
    #[arg(long = "to", value_enum)]
    pub format: crate::export::Format,
    /// Where to write (default: beside the response, e.g. response.docx).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// The team's copy: keep file paths, line numbers, quote ids and consent records.
    #[arg(long)]
    pub internal: bool,
    /// Export even though `check` finds problems.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `heard serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Anything but 127.0.0.1 is reachable from other machines:
    /// put a TLS proxy in front.
    #[arg(long, default_value = "127.0.0.1:7878")]
    pub addr: std::net::SocketAddr,
}

/// Arguments of `heard watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {}

/// `heard access ...`.
#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Make a personal sign-in link for a contributor (volunteer) or an officer.
    Grant(GrantArgs),
    /// End someone's sign-in links and sessions.
    Revoke(RevokeArgs),
}

/// Arguments of `heard access grant`.
#[derive(Debug, Args)]
pub struct GrantArgs {
    /// A contributor id (volunteers) or an officer's name.
    pub who: String,
    /// What they may do.
    #[arg(long, value_enum, default_value = "volunteer")]
    pub role: crate::web::Role,
    /// Days the link works for.
    #[arg(long, default_value_t = 30)]
    pub days: i64,
    /// Address of the web app, for the link.
    #[arg(long, default_value = "http://127.0.0.1:7878")]
    pub base_url: String,
}

/// Arguments of `heard access revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The contributor id or officer name.
    pub who: String,
}

/// `heard quote ...`.
#[derive(Debug, Subcommand)]
pub enum QuoteCommand {
    /// Quote words of a source. They must be in the source word for word (curly or
    /// straight quotes, dashes and spacing may differ). Prints the new quote's id.
    Add(QuoteAddArgs),
    /// Add or remove tags of a quote.
    Tag(QuoteTagArgs),
    /// Record that the speaker agrees to the quote being used, for a scope.
    Approve(ConsentArgs),
    /// Record that the speaker does not agree to the quote being used.
    Decline(ConsentArgs),
    /// Record that the speaker takes back an agreement. Drafts that use it are listed.
    Withdraw(ConsentArgs),
    /// Name whose words a quote holds (officers only): words in notes with several
    /// contributors wait for this before anyone can consent. Refused once approved.
    Speaker(QuoteSpeakerArgs),
}

/// Arguments of `heard quote speaker`.
#[derive(Debug, Args)]
pub struct QuoteSpeakerArgs {
    /// The quote.
    pub id: String,
    /// Contributor id of the person whose words these are: one of the source's contributors.
    #[arg(long = "set", value_name = "C")]
    pub set: String,
    /// Who is naming them (default: $HEARD_USER, else your login name).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

/// Arguments of `heard quote add`.
#[derive(Debug, Args)]
pub struct QuoteAddArgs {
    /// Id of the source (see `heard search --type source`).
    #[arg(long, value_name = "ID")]
    pub source: String,
    /// The words to quote, copied from the source.
    #[arg(long, value_name = "TEXT")]
    pub exact: String,
    /// A theme (repeat for several).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Contributor id of the person whose words these are (default: the source's only
    /// contributor, if it has one).
    #[arg(long, value_name = "C")]
    pub speaker: Option<String>,
    /// When the words occur more than once: the line of the one you mean.
    #[arg(long, value_name = "N")]
    pub line: Option<usize>,
    /// Who is making the quote (default: $HEARD_USER, else your login name).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Print `{"id": ...}` on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `heard quote tag`.
#[derive(Debug, Args)]
pub struct QuoteTagArgs {
    /// The quote.
    pub id: String,
    /// Tags to add.
    #[arg(long = "add", value_name = "TAG")]
    pub add: Vec<String>,
    /// Tags to remove.
    #[arg(long = "remove", value_name = "TAG")]
    pub remove: Vec<String>,
    /// Who is tagging (default: $HEARD_USER, else your login name).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

/// Arguments of `heard quote approve|decline|withdraw`.
#[derive(Debug, Args)]
pub struct ConsentArgs {
    /// The quote.
    pub id: String,
    /// Who is deciding: the speaker's contributor id, or the person recording the decision
    /// for them (with --on-behalf-of).
    #[arg(long, value_name = "C")]
    pub by: String,
    /// The speaker, when someone else records their decision.
    #[arg(long, value_name = "C")]
    pub on_behalf_of: Option<String>,
    /// Where the quote may be used (approve only; default: internal).
    #[arg(long, value_enum)]
    pub scope: Option<crate::quotes::Scope>,
    /// Last day the approval lasts, YYYY-MM-DD (approve only).
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,
    /// A note kept with the decision.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

/// Arguments of `heard quotes`.
#[derive(Debug, Args)]
pub struct QuotesArgs {
    /// Only quotes with this consent status.
    #[arg(long, value_enum)]
    pub status: Option<crate::quotes::Status>,
    /// Only quotes with this tag.
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Only this contributor's words.
    #[arg(long, value_name = "C")]
    pub speaker: Option<String>,
    /// Only quotes whose anchor is ok, moved, drifted or orphaned.
    #[arg(long, value_name = "STATE")]
    pub anchor: Option<String>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub sheet: SheetArgs,
}

/// `--to csv|xlsx` of `heard quotes` and `heard recs`: write a spreadsheet.
#[derive(Debug, Args)]
pub struct SheetArgs {
    /// Write a spreadsheet instead of listing: csv (opens in Excel as it is) or xlsx.
    /// `heard quotes` writes the consent register; `heard recs` every recommendation that
    /// matches (--limit is for the listing).
    #[arg(
        long = "to",
        value_enum,
        value_name = "FORMAT",
        conflicts_with = "json"
    )]
    pub to: Option<crate::interop::sheets::SheetFormat>,
    /// Where to write the spreadsheet (default: here, named for what it holds and today).
    #[arg(long, value_name = "FILE", requires = "to")]
    pub out: Option<PathBuf>,
    /// Only public sources go in unless you ask: `internal` adds internal ones,
    /// `restricted` internal and restricted ones (quotes' words from restricted sources are
    /// withheld all the same).
    #[arg(long, value_enum, value_name = "SENSITIVITY", requires = "to")]
    pub include: Option<crate::interop::sheets::Include>,
}

/// Arguments of `heard tags`.
#[derive(Debug, Args)]
pub struct TagsArgs {
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `heard verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Rewrite quote files that disagree with the ledger from the ledger.
    #[arg(long)]
    pub repair: bool,
    /// Record that an officer has checked damage to the ledger that cannot be restored
    /// from a copy. Drafting works again afterwards, and every approval given before now
    /// must be asked for again.
    #[arg(long, requires = "by")]
    pub acknowledge: bool,
    /// The officer acknowledging the damage.
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Why, in a few words (kept in the ledger).
    #[arg(long, value_name = "TEXT", requires = "acknowledge")]
    pub note: Option<String>,
}

/// `heard recs outcome`.
#[derive(Debug, Subcommand)]
pub enum RecsCommand {
    /// Record what happened to a recommendation.
    Outcome(OutcomeArgs),
}

/// Arguments of `heard recs outcome`.
#[derive(Debug, Args)]
pub struct OutcomeArgs {
    /// The recommendation's id, e.g. r-sub-ics-2023-5.
    pub id: String,
    /// What happened.
    #[arg(value_parser = ["adopted", "partly", "not-adopted", "pending", "unknown"])]
    pub outcome: String,
    /// A note, e.g. where it was adopted.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// A link to the evidence.
    #[arg(long, value_name = "URL")]
    pub evidence: Option<String>,
    /// Who records it (default: $HEARD_USER, else your login name).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
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
    /// Find passages close in meaning as well as those with the words ("nowhere to live
    /// after hospital" finds "discharged homeless"). Slower: the first search after many
    /// new files waits for their meaning, and loading the model takes about a second.
    /// Phrases, AND/OR/NOT and field prefixes always match words only.
    #[arg(long)]
    pub meaning: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub filters: Filters,
}

/// Arguments of `heard recs`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RecsArgs {
    /// Record an outcome.
    #[command(subcommand)]
    pub command: Option<RecsCommand>,
    /// Only recommendations whose latest outcome is this.
    #[arg(long, value_parser = ["adopted", "partly", "not-adopted", "pending", "unknown"])]
    pub outcome: Option<String>,
    /// Words to look for in the recommendations; leave out to list them all, newest first.
    #[arg(value_name = "QUERY", num_args = 0..)]
    pub query: Vec<String>,
    /// Most recommendations to show.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub limit: usize,
    /// Say under each recommendation why it was taken (the heading, lead-in or words that
    /// made it one, with the line), so that it can be corrected in the front matter.
    #[arg(long)]
    pub explain: bool,
    /// Only our own organisation's recommendations.
    #[arg(long, conflicts_with = "theirs")]
    pub ours: bool,
    /// Only other organisations' recommendations (and those of documents that name none).
    #[arg(long)]
    pub theirs: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub filters: Filters,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub sheet: SheetArgs,
}

fn parse_date(s: &str) -> Result<PartialDate, String> {
    PartialDate::parse(s)
        .ok_or_else(|| format!("`{s}` is not a date; write YYYY-MM-DD, YYYY-MM or YYYY"))
}

fn parse_sensitivity(s: &str) -> Result<crate::corpus::Sensitivity, String> {
    crate::corpus::Sensitivity::parse(s)
        .ok_or_else(|| format!("`{s}` is not a sensitivity; use public, internal or restricted"))
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
