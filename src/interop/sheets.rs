//! Spreadsheets out: the consent register and the recommendations, as CSV or XLSX.
//!
//! One table model, two writers. A [`Table`] is a title, typed columns and rows of text;
//! the column's [`ColumnKind`] says how a cell is written: a date column writes real dates
//! (a partial date such as `2024` stays text), a number column numbers, a link column
//! hyperlinks (http, https and mailto only). CSV follows RFC 4180 with CRLF line ends and a
//! UTF-8 byte order mark, so Excel opens "Zoë" and "–" unmangled; XLSX has a bold, frozen
//! header row, an autofilter and widths fitted to the content.
//!
//! A cell that a spreadsheet could take for a formula (text starting with `=`, `+`, `-`,
//! `@`, a tab or a carriage return) is never evaluated: in CSV it gets a leading `'`, in
//! XLSX it is a text cell with Excel's "quote prefix", which keeps it text even when edited.
//!
//! The builders — [`consent_register`] and [`recommendations`] — are plain functions of the
//! library, so the command line and the web app make the same tables.

use std::collections::{BTreeSet, HashMap};

use anyhow::Context;

use crate::Library;
use crate::corpus::Sensitivity;
use crate::draft::CitationKind;
use crate::index::Hit;
use crate::quotes::{Quote, Scope, Sources};

/// What a column holds, which decides how its cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Words.
    Text,
    /// A date, `YYYY-MM-DD` (a partial date is written as text).
    Date,
    /// A number.
    Number,
    /// A web address (or an email address with `mailto:`), written as a link.
    Url,
}

/// A column: its header and kind.
#[derive(Debug, Clone)]
pub struct Column {
    /// The header.
    pub name: String,
    /// What it holds.
    pub kind: ColumnKind,
}

/// A table to write as CSV or XLSX.
#[derive(Debug, Clone)]
pub struct Table {
    /// The sheet's name (XLSX).
    pub title: String,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, one cell per column; an empty string is an empty cell.
    pub rows: Vec<Vec<String>>,
}

/// Spreadsheet formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SheetFormat {
    /// Comma-separated values (RFC 4180, UTF-8 with a byte order mark, CRLF).
    Csv,
    /// An Excel workbook.
    Xlsx,
}

impl SheetFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            SheetFormat::Csv => "csv",
            SheetFormat::Xlsx => "xlsx",
        }
    }
}

/// Sources beyond public ones to include in a spreadsheet (`--include`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Include {
    /// Public and internal sources.
    Internal,
    /// Public, internal and restricted sources.
    Restricted,
}

/// Whether a source of this sensitivity goes in: public always, internal and restricted
/// only when asked for.
pub fn admits(include: Option<Include>, sensitivity: &str) -> bool {
    match Sensitivity::parse(sensitivity) {
        Some(Sensitivity::Public) => true,
        Some(Sensitivity::Internal) => include.is_some(),
        Some(Sensitivity::Restricted) | None => include == Some(Include::Restricted),
    }
}

/// The line that says what `--include` left out: "Left out 3 quotes from sources not
/// marked public; --include internal (or restricted) adds them."
pub fn left_out(what: &str, include: Option<Include>) -> String {
    match include {
        None => format!(
            "Left out {what} from sources not marked public; --include internal (or restricted) adds them."
        ),
        Some(_) => {
            format!("Left out {what} from restricted sources; --include restricted adds them.")
        }
    }
}

impl Table {
    fn new(title: &str, columns: &[(&str, ColumnKind)]) -> Table {
        Table {
            title: title.into(),
            columns: columns
                .iter()
                .map(|(name, kind)| Column {
                    name: (*name).into(),
                    kind: *kind,
                })
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Write in a format.
    pub fn write(&self, format: SheetFormat) -> anyhow::Result<Vec<u8>> {
        match format {
            SheetFormat::Csv => self.to_csv(),
            SheetFormat::Xlsx => self.to_xlsx(),
        }
    }

    /// RFC 4180 CSV: UTF-8 with a byte order mark, CRLF line ends, fields quoted when
    /// needed, formula-like text defused with a leading `'`.
    pub fn to_csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        {
            let mut w = csv_start(&mut out, &self.columns)?;
            for row in &self.rows {
                w.write_record(csv_cells(&self.columns, row))?;
            }
            w.flush()?;
        }
        Ok(out)
    }

    /// An XLSX workbook of one sheet: bold frozen header, autofilter, real dates and
    /// numbers, links, fitted widths.
    pub fn to_xlsx(&self) -> anyhow::Result<Vec<u8>> {
        let mut sheet = XlsxSheet::new(&self.title, &self.columns)?;
        for row in &self.rows {
            sheet.row(row)?;
        }
        sheet.finish_to_buffer()
    }
}

/// Write a table to `out` (default: `STEM-YYYY-MM-DD.EXT` in the current folder),
/// atomically, and return the path written.
pub fn save(
    table: &Table,
    format: SheetFormat,
    out: Option<&std::path::Path>,
    stem: &str,
) -> anyhow::Result<std::path::PathBuf> {
    let out = target(format, out, stem)?;
    let bytes = table.write(format)?;
    crate::fsutil::write_atomic(&out, &bytes)?;
    Ok(out)
}

/// Where a spreadsheet goes: `out`, or `STEM-YYYY-MM-DD.EXT` in the current folder.
fn target(
    format: SheetFormat,
    out: Option<&std::path::Path>,
    stem: &str,
) -> anyhow::Result<std::path::PathBuf> {
    let out = out.map_or_else(
        || {
            std::path::PathBuf::from(format!(
                "{stem}-{}.{}",
                crate::quotes::today(),
                format.extension()
            ))
        },
        std::path::Path::to_path_buf,
    );
    if out.is_dir() {
        anyhow::bail!(
            "`{}` is a folder: give a file name with --out, e.g. {}/{stem}.{}",
            out.display(),
            out.display(),
            format.extension()
        );
    }
    Ok(out)
}

/// A CSV writer on `out` as heard writes CSV (RFC 4180, CRLF, fields quoted when needed),
/// with the byte order mark and the header row already written.
fn csv_start<W: std::io::Write>(mut out: W, columns: &[Column]) -> anyhow::Result<csv::Writer<W>> {
    out.write_all("\u{feff}".as_bytes())?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out);
    w.write_record(columns.iter().map(|c| defused(&c.name).into_owned()))?;
    Ok(w)
}

/// The cells of a CSV record: numbers and dates as they are, text cleaned and defused.
fn csv_cells<'r>(columns: &'r [Column], row: &'r [String]) -> impl Iterator<Item = String> + 'r {
    columns.iter().enumerate().map(|(i, c)| {
        let v = row.get(i).map_or("", String::as_str);
        match typed(c.kind, v) {
            Typed::Number(_) | Typed::Date(..) => v.to_string(),
            _ => defused(&text(v)).into_owned(),
        }
    })
}

/// A spreadsheet written a row at a time, for tables as long as the library: CSV rows go
/// straight to a temporary file beside the target (put in its place by
/// [`SheetWriter::finish`], so a reader never sees half a file), and none is held once
/// written. XLSX rows go to rust_xlsxwriter's own temporary file as they come (see
/// [`XlsxSheet`]); the workbook is written beside the target at the end and put in its place
/// the same way.
pub struct SheetWriter {
    out: std::path::PathBuf,
    columns: Vec<Column>,
    to: Sink,
    rows: usize,
}

/// Where a [`SheetWriter`]'s rows go.
enum Sink {
    Csv(Box<csv::Writer<std::io::BufWriter<tempfile::NamedTempFile>>>),
    Xlsx(Box<XlsxSheet>),
}

impl SheetWriter {
    /// Start a spreadsheet of `table`'s columns (and its rows, if any) at `out` (default:
    /// `STEM-YYYY-MM-DD.EXT` in the current folder).
    pub fn create(
        table: Table,
        format: SheetFormat,
        out: Option<&std::path::Path>,
        stem: &str,
    ) -> anyhow::Result<SheetWriter> {
        let out = target(format, out, stem)?;
        let Table {
            title,
            columns,
            rows,
        } = table;
        let to = match format {
            SheetFormat::Csv => {
                let file = std::io::BufWriter::new(crate::fsutil::temporary_for(&out)?);
                let w = csv_start(file, &columns)
                    .with_context(|| format!("failed to write `{}`", out.display()))?;
                Sink::Csv(Box::new(w))
            }
            SheetFormat::Xlsx => Sink::Xlsx(Box::new(XlsxSheet::new(&title, &columns)?)),
        };
        let mut writer = SheetWriter {
            out,
            columns,
            to,
            rows: 0,
        };
        for row in rows {
            writer.row(row)?;
        }
        Ok(writer)
    }

    /// Write one row, one cell per column.
    pub fn row(&mut self, row: Vec<String>) -> anyhow::Result<()> {
        self.rows += 1;
        match &mut self.to {
            Sink::Csv(w) => w
                .write_record(csv_cells(&self.columns, &row))
                .with_context(|| format!("failed to write `{}`", self.out.display())),
            Sink::Xlsx(sheet) => sheet.row(&row),
        }
    }

    /// How many rows were written.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Finish the file and put it in its place; return its path.
    pub fn finish(self) -> anyhow::Result<std::path::PathBuf> {
        let failed = |e: &dyn std::fmt::Display| {
            anyhow::anyhow!("failed to write `{}`: {e}", self.out.display())
        };
        let file = match self.to {
            Sink::Csv(w) => (*w)
                .into_inner()
                .map_err(|e| failed(e.error()))?
                .into_inner()
                .map_err(|e| failed(e.error()))?,
            Sink::Xlsx(sheet) => {
                let file = crate::fsutil::temporary_for(&self.out)?;
                sheet.finish_to(file.as_file()).map_err(|e| failed(&e))?;
                file
            }
        };
        crate::fsutil::replace_with(file, &self.out)?;
        Ok(self.out)
    }
}

/// An XLSX workbook of one sheet written a row at a time: bold frozen header, autofilter,
/// real dates and numbers, links, widths fitted to the content. Each row goes to a
/// temporary file as it is written (rust_xlsxwriter's constant-memory worksheet) and the
/// widths are worked out as the rows pass, so nothing of a long table is held.
pub(crate) struct XlsxSheet {
    book: rust_xlsxwriter::Workbook,
    kinds: Vec<ColumnKind>,
    /// The longest cell of each column so far, in characters.
    longest: Vec<usize>,
    rows: u32,
    date: rust_xlsxwriter::Format,
    plain: rust_xlsxwriter::Format,
    wrap: rust_xlsxwriter::Format,
}

impl XlsxSheet {
    fn new(title: &str, columns: &[Column]) -> anyhow::Result<XlsxSheet> {
        use rust_xlsxwriter::{Format, FormatAlign, Workbook};
        let mut book = Workbook::new();
        let sheet = book
            .add_worksheet_with_constant_memory()
            .context("failed to start a workbook (its rows go to a temporary file)")?;
        sheet.set_name(sheet_name(title))?;
        let header = Format::new().set_bold().set_align(FormatAlign::Top);
        for (c, col) in columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, &col.name, &header)?;
        }
        Ok(XlsxSheet {
            book,
            kinds: columns.iter().map(|c| c.kind).collect(),
            longest: columns.iter().map(|c| c.name.chars().count()).collect(),
            rows: 0,
            date: Format::new()
                .set_num_format("yyyy-mm-dd")
                .set_align(FormatAlign::Top)
                .set_align(FormatAlign::Left),
            plain: Format::new().set_align(FormatAlign::Top),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        })
    }

    /// Write one row, one cell per column.
    fn row(&mut self, row: &[String]) -> anyhow::Result<()> {
        use rust_xlsxwriter::ExcelDateTime;
        self.rows += 1;
        let r = self.rows;
        let sheet = self.book.worksheet_from_index(0)?;
        for (c, kind) in self.kinds.iter().enumerate() {
            let c16 = c as u16;
            let v = row.get(c).map_or("", String::as_str);
            let typed = typed(*kind, v);
            let chars = match typed {
                Typed::Date(..) => 10,
                _ => v.chars().count(),
            };
            self.longest[c] = self.longest[c].max(chars);
            // Text longer than the widest column wraps within it.
            let text_format = if chars as f64 + 2.0 > MAX_WIDTH {
                &self.wrap
            } else {
                &self.plain
            };
            match typed {
                Typed::Empty => {}
                Typed::Number(n) => {
                    sheet.write_number_with_format(r, c16, n, &self.plain)?;
                }
                Typed::Date(y, m, d) => {
                    let when = ExcelDateTime::from_ymd(y, m, d)?;
                    sheet.write_datetime_with_format(r, c16, &when, &self.date)?;
                }
                Typed::Url(u) => {
                    if sheet
                        .write_url_with_format(r, c16, u.as_str(), text_format)
                        .is_err()
                    {
                        // Too long or odd for Excel: keep it as text.
                        sheet.write_string_with_format(r, c16, text(v), text_format)?;
                    }
                }
                Typed::Text => {
                    let t = text(v);
                    if formula_like(&t) {
                        let quoted = text_format.clone().set_quote_prefix();
                        sheet.write_string_with_format(r, c16, t, &quoted)?;
                    } else {
                        sheet.write_string_with_format(r, c16, t, text_format)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Widths, frozen header and filter, once every row is in.
    fn close(&mut self) -> anyhow::Result<()> {
        let rows = self.rows;
        let last_col = self.kinds.len().saturating_sub(1) as u16;
        let sheet = self.book.worksheet_from_index(0)?;
        for (c, longest) in self.longest.iter().enumerate() {
            sheet.set_column_width(c as u16, (*longest as f64 + 2.0).clamp(8.0, MAX_WIDTH))?;
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, rows, last_col)?;
        Ok(())
    }

    /// The workbook, written to `out`.
    fn finish_to(mut self, out: &std::fs::File) -> anyhow::Result<()> {
        self.close()?;
        self.book
            .save_to_writer(std::io::BufWriter::new(out))
            .context("failed to write the workbook")
    }

    /// The workbook, in memory.
    fn finish_to_buffer(mut self) -> anyhow::Result<Vec<u8>> {
        self.close()?;
        self.book
            .save_to_buffer()
            .context("failed to write the workbook")
    }
}

/// Widest column, in characters; longer text wraps.
const MAX_WIDTH: f64 = 60.0;

/// Most characters Excel keeps in a cell.
const MAX_CELL: usize = 32_000;

#[derive(Debug, PartialEq)]
enum Typed {
    Empty,
    Text,
    Number(f64),
    Date(u16, u8, u8),
    Url(String),
}

/// How a cell of a column is written.
fn typed(kind: ColumnKind, v: &str) -> Typed {
    if v.is_empty() {
        return Typed::Empty;
    }
    match kind {
        ColumnKind::Text => Typed::Text,
        ColumnKind::Number => v.parse::<f64>().map_or(Typed::Text, |n| {
            if n.is_finite() {
                Typed::Number(n)
            } else {
                Typed::Text
            }
        }),
        ColumnKind::Date => match crate::corpus::PartialDate::parse(v) {
            Some(d) => match (d.month, d.day) {
                (Some(m), Some(day)) if v.len() == 10 => {
                    Typed::Date(d.year as u16, m as u8, day as u8)
                }
                _ => Typed::Text,
            },
            None => Typed::Text,
        },
        ColumnKind::Url => {
            let lower = v.to_ascii_lowercase();
            if ["http://", "https://", "mailto:"]
                .iter()
                .any(|p| lower.starts_with(p))
                && !v.contains(char::is_whitespace)
            {
                Typed::Url(v.to_string())
            } else {
                Typed::Text
            }
        }
    }
}

/// Text as a cell can hold it: no control characters, within Excel's length.
fn text(v: &str) -> String {
    let clean = crate::export::sanitize(v);
    if clean.chars().count() <= MAX_CELL {
        return clean.into_owned();
    }
    let mut cut: String = clean.chars().take(MAX_CELL - 1).collect();
    cut.push('…');
    cut
}

/// Whether a spreadsheet would take this text for a formula.
pub fn formula_like(v: &str) -> bool {
    v.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Text a spreadsheet opening a CSV file will not evaluate.
fn defused(v: &str) -> std::borrow::Cow<'_, str> {
    if formula_like(v) {
        format!("'{v}").into()
    } else {
        v.into()
    }
}

/// A name Excel accepts for a sheet: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    let name: String = title
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c })
        .filter(|c| !c.is_control())
        .take(31)
        .collect();
    let name = name.trim().trim_matches('\'').to_string();
    if name.is_empty() {
        "Sheet1".into()
    } else {
        name
    }
}

/// Where each quote and recommendation is used: response folder names by cited id, from
/// each response's `provenance.json`, counting a citation only while its footnote is still
/// in the response.
pub fn uses(lib: &Library) -> HashMap<String, BTreeSet<String>> {
    let mut found: HashMap<String, BTreeSet<String>> = HashMap::new();
    let Ok(dirs) = std::fs::read_dir(lib.responses_dir()) else {
        return found;
    };
    for d in dirs.filter_map(Result::ok) {
        let (file, prov) = crate::draft::response_paths(&d.path());
        let Ok(Some(p)) = crate::draft::load_provenance(&prov) else {
            continue;
        };
        let body = std::fs::read_to_string(&file).ok();
        let name = d.file_name().to_string_lossy().into_owned();
        for c in p.citations {
            let still = body
                .as_ref()
                .is_none_or(|b| b.contains(&format!("[^{}]", c.label)));
            let counted = matches!(c.kind, CitationKind::Quote | CitationKind::Recommendation);
            if still && counted {
                found.entry(c.id).or_default().insert(name.clone());
            }
        }
    }
    found
}

fn used_in(uses: &HashMap<String, BTreeSet<String>>, id: &str) -> String {
    uses.get(id)
        .map(|s| s.iter().cloned().collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}

fn day(time: &str) -> String {
    time.get(..10).unwrap_or(time).to_string()
}

/// The consent register: one row per quote, with its speaker (as they chose to be
/// credited, never contact details), source, consent, scope, expiry, last decision, the
/// responses that use it, and its words — only when its consent lets them be used at all;
/// otherwise the cell says why they are withheld.
pub fn consent_register(
    lib: &Library,
    quotes: &[&Quote],
    sources: &mut Sources,
) -> anyhow::Result<Table> {
    use ColumnKind::{Date, Text};
    let people = crate::contributors::load(lib).unwrap_or_default();
    let uses = uses(lib);
    let today = crate::quotes::today();
    let mut table = Table::new(
        "Consent register",
        &[
            ("quote", Text),
            ("speaker", Text),
            ("credited as", Text),
            ("source", Text),
            ("source title", Text),
            ("sensitivity", Text),
            ("consent", Text),
            ("scope", Text),
            ("expires", Date),
            ("last decision", Text),
            ("decided on", Date),
            ("decided by", Text),
            ("anchor", Text),
            ("place", Text),
            ("tags", Text),
            ("used in", Text),
            ("words", Text),
        ],
    );
    for q in quotes {
        let loc = sources.locate(q);
        let source = sources.get(&q.source);
        let words = match source {
            // Whether it was restricted cannot be told any more.
            None => "(withheld: source not found)".to_string(),
            Some(s) => match crate::consent::quote_may_leave(q, Some(s), Scope::Internal, &today) {
                Ok(()) => q.anchor.exact.clone(),
                Err(refusal) => format!("(withheld: {})", withheld(&refusal)),
            },
        };
        let decision = q.history.iter().rev().find(|h| {
            matches!(
                h.action.as_str(),
                "quote.approve" | "quote.decline" | "quote.withdraw" | "quote.expire"
            )
        });
        let place = match loc.lines {
            Some((a, b)) if a == b => format!("{}:{a}", loc.path),
            Some((a, b)) => format!("{}:{a}-{b}", loc.path),
            None => loc.path.clone(),
        };
        table.rows.push(vec![
            q.id.clone(),
            q.speaker.clone().unwrap_or_default(),
            q.speaker
                .as_deref()
                .and_then(|s| people.get(s))
                .map(|c| c.attribution())
                .unwrap_or_default(),
            q.source.clone(),
            source.map(|s| s.title.clone()).unwrap_or_default(),
            source
                .map(|s| s.sensitivity.as_str().to_string())
                .unwrap_or_default(),
            q.status_on(&today).as_str().into(),
            q.scope.map(|s| s.as_str().to_string()).unwrap_or_default(),
            q.expires.clone().unwrap_or_default(),
            decision
                .map(|h| decision_name(&h.action, h.details.text("on_behalf_of")))
                .unwrap_or_default(),
            decision.map(|h| day(&h.time)).unwrap_or_default(),
            decision.map(|h| h.actor.clone()).unwrap_or_default(),
            loc.state.as_str().into(),
            place,
            q.tags.iter().cloned().collect::<Vec<_>>().join(", "),
            used_in(&uses, &q.id),
            words,
        ]);
    }
    Ok(table)
}

fn decision_name(action: &str, on_behalf_of: Option<String>) -> String {
    let name = match action {
        "quote.approve" => "approved",
        "quote.decline" => "declined",
        "quote.withdraw" => "withdrawn",
        "quote.expire" => "expired",
        other => other,
    };
    match on_behalf_of {
        Some(who) => format!("{name} (for {who})"),
        None => name.to_string(),
    }
}

/// Why a quote's words are not in the register, in a few words ("withdrawn 2026-03-02").
fn withheld(r: &crate::consent::Refusal) -> String {
    use crate::consent::Refusal;
    match r {
        Refusal::Restricted => "restricted source".into(),
        Refusal::Unknown => "consent unknown, the ledger is damaged".into(),
        Refusal::Pending => "consent not yet given".into(),
        Refusal::AskAgain => "consent must be asked for again".into(),
        Refusal::NoSpeaker => "no speaker named yet".into(),
        Refusal::Declined => "declined".into(),
        Refusal::Withdrawn(on) => match on {
            Some(d) => format!("withdrawn {d}"),
            None => "withdrawn".into(),
        },
        Refusal::Expired(until) => match until {
            Some(d) => format!("consent expired {d}"),
            None => "consent expired".into(),
        },
        other => other.summary(),
    }
}

/// The recommendations: text, source, organisation, date, consultation, tags, the latest
/// outcome with its note, evidence and date, and the responses that cite each.
pub fn recommendations(
    lib: &Library,
    hits: &[&Hit],
    outcomes: &crate::recs::Outcomes,
    about: &crate::recs::About,
) -> anyhow::Result<Table> {
    let mut table = recommendations_table();
    let rows = RecommendationRows::new(lib, outcomes, about);
    for h in hits {
        table.rows.push(rows.row(h));
    }
    Ok(table)
}

/// The recommendations' table with no rows yet: its title and columns.
pub fn recommendations_table() -> Table {
    use ColumnKind::{Date, Number, Text, Url};
    Table::new(
        "Recommendations",
        &[
            ("id", Text),
            ("recommendation", Text),
            ("introduced by", Text),
            ("source", Text),
            ("source title", Text),
            ("kind", Text),
            ("organisation", Text),
            ("date", Date),
            ("year", Number),
            ("consultation", Text),
            ("tags", Text),
            ("outcome", Text),
            ("outcome note", Text),
            ("evidence", Url),
            ("outcome recorded", Date),
            ("used in", Text),
            ("place", Text),
        ],
    )
}

/// What the rows of [`recommendations_table`] are made from, besides each hit: made once,
/// then a row at a time.
pub struct RecommendationRows<'a> {
    lib: &'a Library,
    outcomes: &'a crate::recs::Outcomes,
    about: &'a crate::recs::About,
    uses: HashMap<String, BTreeSet<String>>,
}

impl<'a> RecommendationRows<'a> {
    /// Read where each recommendation is used (the responses' provenance).
    pub fn new(
        lib: &'a Library,
        outcomes: &'a crate::recs::Outcomes,
        about: &'a crate::recs::About,
    ) -> RecommendationRows<'a> {
        RecommendationRows {
            lib,
            outcomes,
            about,
            uses: uses(lib),
        }
    }

    /// One recommendation's row.
    pub fn row(&self, h: &Hit) -> Vec<String> {
        let (lib, outcomes, about) = (self.lib, self.outcomes, self.about);
        // The organisation the source names; else ours only when the source is ours by the
        // rule the draft and `heard recs` use (an imported document that names nobody is not).
        let organisation = match (about.named(&h.source), about.whose(&h.source)) {
            (Some(o), _) => o.to_string(),
            (None, crate::recs::Whose::Ours) => lib.config.organisation.trim().to_string(),
            _ => String::new(),
        };
        let outcome = outcomes.latest(&h.id);
        let place = if h.line_start == h.line_end {
            format!("{}:{}", h.path, h.line_start)
        } else {
            format!("{}:{}-{}", h.path, h.line_start, h.line_end)
        };
        vec![
            h.id.clone(),
            h.text.clone(),
            // A list item often reads on from its lead-in ("We would ask that the new
            // framework:"): without it the row would not say what is asked of whom.
            h.lead_in.clone().unwrap_or_default(),
            h.source.clone(),
            h.title.clone(),
            h.kind.clone(),
            organisation,
            h.date.clone().unwrap_or_default(),
            h.date
                .as_deref()
                .and_then(|d| d.get(..4))
                .unwrap_or_default()
                .to_string(),
            h.consultation.clone().unwrap_or_default(),
            h.tags.join(", "),
            outcome.map_or("unknown".into(), |o| o.outcome.clone()),
            outcome.and_then(|o| o.note.clone()).unwrap_or_default(),
            outcome.and_then(|o| o.evidence.clone()).unwrap_or_default(),
            outcome.map(|o| day(&o.recorded)).unwrap_or_default(),
            used_in(&self.uses, &h.id),
            place,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut t = Table::new(
            "Test: one/two",
            &[
                ("name", ColumnKind::Text),
                ("when", ColumnKind::Date),
                ("n", ColumnKind::Number),
                ("link", ColumnKind::Url),
            ],
        );
        t.rows.push(vec![
            "=HYPERLINK(\"http://x\")".into(),
            "2024-06-12".into(),
            "3".into(),
            "https://example.org/a".into(),
        ]);
        t.rows.push(vec![
            "Zoë said “no”, twice\nthen left".into(),
            "2024".into(),
            "-2".into(),
            "javascript:alert(1)".into(),
        ]);
        t
    }

    #[test]
    fn csv_is_rfc4180_with_bom_and_crlf_and_defuses_formulas() {
        let bytes = table().to_csv().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert_eq!(
            text.trim_start_matches('\u{feff}'),
            "name,when,n,link\r\n\
             \"'=HYPERLINK(\"\"http://x\"\")\",2024-06-12,3,https://example.org/a\r\n\
             \"Zoë said “no”, twice\nthen left\",2024,-2,javascript:alert(1)\r\n"
        );
    }

    #[test]
    fn an_xlsx_fits_its_widths_and_wraps_only_text_longer_than_the_widest_column() {
        use std::io::Read;
        let mut t = Table::new(
            "Widths",
            &[("words", ColumnKind::Text), ("n", ColumnKind::Number)],
        );
        t.rows.push(vec!["short".into(), "1".into()]);
        t.rows.push(vec!["long ".repeat(30), "22".into()]);
        let bytes = t.to_xlsx().unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        let widths: Vec<f64> = xml
            .split("<col ")
            .skip(1)
            .map(|c| {
                let w = c.split("width=\"").nth(1).unwrap();
                w[..w.find('"').unwrap()].parse().unwrap()
            })
            .collect();
        // The long text makes its column the widest allowed; the numbers' column is the
        // narrowest (both as Excel pads them).
        assert_eq!(widths.len(), 2, "{xml}");
        assert!(widths[0] > 59.0 && widths[0] < 62.0, "{widths:?}");
        assert!(widths[1] > 7.0 && widths[1] < 10.0, "{widths:?}");
        // Only the long cell wraps: its style differs from the short one's.
        let style = |at: &str| {
            let c = xml.split(&format!("<c r=\"{at}\"")).nth(1).unwrap();
            c.split("s=\"")
                .nth(1)
                .map(|s| s[..s.find('"').unwrap()].to_string())
        };
        assert_ne!(style("A2"), style("A3"), "{xml}");
        let mut styles = String::new();
        zip.by_name("xl/styles.xml")
            .unwrap()
            .read_to_string(&mut styles)
            .unwrap();
        assert_eq!(styles.matches("wrapText=\"1\"").count(), 1, "{styles}");
        assert!(xml.contains("<autoFilter ref=\"A1:B3\""), "{xml}");
    }

    #[test]
    fn sheet_names_are_what_excel_accepts() {
        assert_eq!(sheet_name("Test: one/two"), "Test  one two");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
        assert_eq!(sheet_name("[]"), "Sheet1");
    }

    #[test]
    fn only_web_and_mail_addresses_become_links() {
        assert!(matches!(
            typed(ColumnKind::Url, "https://a.org"),
            Typed::Url(_)
        ));
        assert_eq!(typed(ColumnKind::Url, "javascript:alert(1)"), Typed::Text);
        assert_eq!(typed(ColumnKind::Date, "2024-06"), Typed::Text);
        assert_eq!(
            typed(ColumnKind::Date, "2024-06-12"),
            Typed::Date(2024, 6, 12)
        );
    }
}
