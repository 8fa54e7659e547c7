//! A survey export read into one table: a header row and one row per respondent, every
//! cell as text. CSV is decoded whatever its encoding (UTF-8 with or without a byte-order
//! mark, UTF-16, else Windows-1252) and its separator is sniffed (`,` `;` tab `|`);
//! workbooks (XLSX, ODS) are read with calamine, first sheet with data.
//!
//! Every failure is one line that names the file and says what to do.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Sheets};

use super::super::Format;

/// A survey export as a table of text.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// One header per column, never empty, never repeated.
    pub headers: Vec<String>,
    /// `(1-based row in the file, cells)`; every row has one cell per header. Rows with
    /// nothing in them are left out.
    pub rows: Vec<(usize, Vec<String>)>,
    /// What the user should know about how the file was read.
    pub notes: Vec<String>,
}

/// Read a CSV, XLSX or ODS export.
pub fn read(path: &Path, format: Format) -> Result<Table, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("`{shown}` cannot be read: {e}"))?;
    match format {
        Format::Csv => read_csv(&bytes, &shown.to_string()),
        _ => read_workbook(&bytes, &shown.to_string(), format),
    }
}

fn empty(shown: &str) -> String {
    format!(
        "`{shown}` is an empty export: it holds no header row and no responses; export the survey again with its responses"
    )
}

/// The text of a CSV file and, when it was not plain UTF-8, a note saying how it was read.
pub fn decode(bytes: &[u8], shown: &str) -> (String, Option<String>) {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        let note = (encoding != encoding_rs::UTF_8)
            .then(|| format!("`{shown}` is in {}: read as such", encoding.name()));
        if !had_errors {
            return (text.into_owned(), note);
        }
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_string(), None);
    }
    let body = match encoding_rs::Encoding::for_bom(bytes) {
        Some((_, bom)) => &bytes[bom..],
        None => bytes,
    };
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(body);
    (
        text.into_owned(),
        Some(format!(
            "`{shown}` is not UTF-8: read as Windows-1252, the encoding Excel uses when it saves CSV; check that letters such as é and symbols such as £ came through"
        )),
    )
}

/// Records of `text` split on `sep`, at most `limit` of them.
fn records(text: &str, sep: u8, limit: usize) -> Vec<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(sep)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    rdr.records()
        .take(limit)
        .filter_map(Result::ok)
        .map(|r| r.iter().map(String::from).collect())
        .collect()
}

/// The separator that splits the header and the rows below it into the same number of
/// fields, preferring the one that gives the most fields.
pub fn sniff(text: &str) -> u8 {
    let mut best = (false, 0usize, b',');
    for sep in [b',', b';', b'\t', b'|'] {
        let recs = records(text, sep, 50);
        let Some(first) = recs.first() else { continue };
        let width = first.len();
        let rows: Vec<&Vec<String>> = recs[1..]
            .iter()
            .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
            .collect();
        let same = rows.iter().filter(|r| r.len() == width).count();
        let consistent = width > 1 && (rows.is_empty() || same * 10 >= rows.len() * 9);
        let key = (consistent, width, sep);
        if (key.0, key.1) > (best.0, best.1) {
            best = key;
        }
    }
    best.2
}

fn read_csv(bytes: &[u8], shown: &str) -> Result<Table, String> {
    let (text, note) = decode(bytes, shown);
    if text.trim().is_empty() {
        return Err(empty(shown));
    }
    let sep = sniff(&text);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(sep)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut all = Vec::new();
    for (i, r) in rdr.records().enumerate() {
        let r = r.map_err(|e| {
            format!(
                "`{shown}` row {}: {e}; open it in a spreadsheet and save it again as CSV",
                i + 1
            )
        })?;
        all.push(r.iter().map(|c| c.to_string()).collect::<Vec<_>>());
    }
    let mut table = table_of(all, shown, 1)?;
    table.notes.extend(note);
    match sep {
        b';' => table.notes.push(format!(
            "`{shown}` separates fields with `;` (as Excel does where a comma is the decimal mark): read that way"
        )),
        b'\t' => table
            .notes
            .push(format!("`{shown}` separates fields with tabs: read that way")),
        b'|' => table
            .notes
            .push(format!("`{shown}` separates fields with `|`: read that way")),
        _ => {}
    }
    Ok(table)
}

/// A table from raw rows, the first `header_rows` of which are the header (joined).
fn table_of(mut all: Vec<Vec<String>>, shown: &str, header_rows: usize) -> Result<Table, String> {
    // Trailing rows with nothing in them are not respondents.
    while all
        .last()
        .is_some_and(|r| r.iter().all(|c| c.trim().is_empty()))
    {
        all.pop();
    }
    if all.is_empty() {
        return Err(empty(shown));
    }
    let raw_headers = all[0].clone();
    let width = all.iter().map(Vec::len).max().unwrap_or(0);
    let mut notes = Vec::new();
    let mut headers: Vec<String> = Vec::with_capacity(width);
    for c in 0..width {
        let h = raw_headers
            .get(c)
            .map(|h| h.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        let mut h = if h.is_empty() {
            format!("Column {}", column_letters(c))
        } else {
            h
        };
        if headers.contains(&h) {
            let mut n = 2;
            while headers.contains(&format!("{h} ({n})")) {
                n += 1;
            }
            h = format!("{h} ({n})");
        }
        headers.push(h);
    }
    let unnamed: Vec<&String> = headers
        .iter()
        .enumerate()
        .filter(|(c, _)| raw_headers.get(*c).is_none_or(|h| h.trim().is_empty()))
        .map(|(_, h)| h)
        .collect();
    let mut rows = Vec::new();
    for (i, r) in all.into_iter().enumerate().skip(header_rows) {
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut cells = r;
        cells.resize(width, String::new());
        rows.push((i + 1, cells));
    }
    let unnamed: Vec<String> = unnamed
        .into_iter()
        .filter(|h| {
            let c = headers.iter().position(|x| x == *h).unwrap_or(0);
            rows.iter().any(|(_, r)| !r[c].trim().is_empty())
        })
        .cloned()
        .collect();
    if !unnamed.is_empty() {
        notes.push(format!(
            "`{shown}`: {} {} no header: named by {} letter",
            unnamed.join(", "),
            if unnamed.len() == 1 { "has" } else { "have" },
            if unnamed.len() == 1 { "its" } else { "their" }
        ));
    }
    if rows.is_empty() {
        return Err(format!(
            "`{shown}` has a header row but no responses: export the survey again with its responses"
        ));
    }
    Ok(Table {
        headers,
        rows,
        notes,
    })
}

/// `A`, `B`, … `Z`, `AA`… for a 0-based column.
pub fn column_letters(mut c: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn password(shown: &str) -> String {
    format!(
        "`{shown}` is protected with a password, so heard cannot read it: open it, remove the password (Excel: File › Info › Protect Workbook › Encrypt with Password, then clear it), save, and import again, or export the survey as CSV"
    )
}

fn corrupt(shown: &str, why: impl std::fmt::Display) -> String {
    format!(
        "`{shown}` cannot be read as a workbook ({why}): it may be damaged or not a spreadsheet; open it in Excel or LibreOffice and save it again, or export the survey as CSV"
    )
}

fn read_workbook(bytes: &[u8], shown: &str, format: Format) -> Result<Table, String> {
    if bytes.is_empty() {
        return Err(empty(shown));
    }
    if bytes.starts_with(&CFB_MAGIC) {
        // Office keeps an encrypted workbook inside an OLE compound file, whatever its name.
        let encrypted = [utf16("EncryptedPackage"), utf16("EncryptionInfo")]
            .iter()
            .any(|n| bytes.windows(n.len()).any(|w| w == n.as_slice()));
        if encrypted {
            return Err(password(shown));
        }
    }
    let opened = match format {
        Format::Ods => calamine::open_workbook_from_rs::<calamine::Ods<_>, _>(Cursor::new(bytes))
            .map(Sheets::Ods)
            .map_err(calamine::Error::Ods),
        _ => calamine::open_workbook_auto_from_rs(Cursor::new(bytes)),
    };
    let mut book = opened.map_err(|e| {
        if e.to_string().to_lowercase().contains("password") {
            password(shown)
        } else {
            corrupt(shown, e)
        }
    })?;
    let names = book.sheet_names().to_vec();
    let mut chosen = None;
    let mut others = Vec::new();
    for name in &names {
        let range = book.worksheet_range(name).map_err(|e| corrupt(shown, e))?;
        if range.used_cells().next().is_none() {
            continue;
        }
        if chosen.is_none() {
            chosen = Some((name.clone(), range));
        } else {
            others.push(name.clone());
        }
    }
    let Some((sheet, range)) = chosen else {
        return Err(empty(shown));
    };
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let mut all: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    let mut header_rows = 1;
    if let Sheets::Xlsx(x) = &mut book {
        let merged = x
            .merge_cells_by_sheet_name(&sheet)
            .map_err(|e| corrupt(shown, e))?;
        header_rows = merged_header(&mut all, &merged, (r0, c0), shown)?;
    }
    if header_rows == 2 {
        let second = all.remove(1);
        for (c, sub) in second.into_iter().enumerate() {
            if c >= all[0].len() {
                all[0].resize(c + 1, String::new());
            }
            let top = all[0][c].trim().to_string();
            let sub = sub.trim().to_string();
            all[0][c] = match (top.is_empty(), sub.is_empty()) {
                (_, true) => top,
                (true, false) => sub,
                (false, false) => format!("{top}: {sub}"),
            };
        }
    }
    let mut table = table_of(all, shown, 1)?;
    if header_rows == 2 {
        // Rows below the second header row are one further down the sheet.
        for (row, _) in &mut table.rows {
            *row += 1;
        }
        table.notes.push(format!(
            "`{shown}` has merged header cells over a second header row: each question is named by both, e.g. \"{}\"",
            table
                .headers
                .iter()
                .find(|h| h.contains(": "))
                .cloned()
                .unwrap_or_default()
        ));
    }
    if r0 > 0 {
        for (row, _) in &mut table.rows {
            *row += r0 as usize;
        }
    }
    if !others.is_empty() {
        table.notes.push(format!(
            "`{shown}`: read the sheet \"{sheet}\"; other sheets were not imported ({})",
            others
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(table)
}

/// Header cells merged across columns leave the columns after the first without a
/// question. When the row below names every one of those columns, the header is two rows
/// (a group and its questions): returns 2 and fills the group across the merge. Otherwise
/// the columns cannot be named and the file is refused.
fn merged_header(
    all: &mut [Vec<String>],
    merged: &[calamine::Dimensions],
    (r0, c0): (u32, u32),
    shown: &str,
) -> Result<usize, String> {
    let across: Vec<&calamine::Dimensions> = merged
        .iter()
        .filter(|d| d.start.0 <= r0 && r0 <= d.end.0 && d.end.1 > d.start.1)
        .collect();
    if across.is_empty() || all.is_empty() {
        return Ok(1);
    }
    let col = |c: u32| c.saturating_sub(c0) as usize;
    let second_names_all = all.len() > 2
        && across.iter().all(|d| {
            (d.start.1..=d.end.1).all(|c| all[1].get(col(c)).is_some_and(|s| !s.trim().is_empty()))
        });
    if !second_names_all {
        let d = across[0];
        return Err(format!(
            "`{shown}` has merged header cells ({}{}:{}{}), so some columns have no question above them: unmerge the header cells and give each column its own header, then import again",
            column_letters(d.start.1 as usize),
            d.start.0 + 1,
            column_letters(d.end.1 as usize),
            d.end.0 + 1
        ));
    }
    let top = &mut all[0];
    for d in &across {
        let text = top.get(col(d.start.1)).cloned().unwrap_or_default();
        for c in d.start.1..=d.end.1 {
            let i = col(c);
            if i >= top.len() {
                top.resize(i + 1, String::new());
            }
            top[i] = text.clone();
        }
    }
    Ok(2)
}

/// A cell as text: whole numbers without `.0`, dates as `YYYY-MM-DD HH:MM:SS`.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => excel_date(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
    }
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD HH:MM:SS`.
fn excel_date(serial: f64) -> String {
    let days = serial.floor();
    let secs = ((serial - days) * 86_400.0).round() as i64;
    let base = jiff::civil::date(1899, 12, 30);
    match base.checked_add(jiff::Span::new().days(days as i64)) {
        Ok(d) => format!(
            "{d} {:02}:{:02}:{:02}",
            secs / 3600 % 24,
            secs / 60 % 60,
            secs % 60
        ),
        Err(_) => serial.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_separator_is_sniffed() {
        assert_eq!(sniff("a;b;c\n1;2,5;3\n4;5;6\n"), b';');
        assert_eq!(sniff("a,b,c\n\"1;2\",2,3\n"), b',');
        assert_eq!(sniff("a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff("only\none\n"), b',');
    }

    #[test]
    fn encodings_are_decoded() {
        let (t, note) = decode(b"\xEF\xBB\xBFTimestamp,Q\n", "x.csv");
        assert!(t.starts_with("Timestamp"));
        assert!(note.is_none());
        let (t, note) = decode(b"Caf\xe9 \xa35\n", "x.csv");
        assert_eq!(t, "Café £5\n");
        assert!(note.unwrap().contains("Windows-1252"));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Q\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let (t, note) = decode(&utf16, "x.csv");
        assert_eq!(t, "Q\n");
        assert!(note.unwrap().contains("UTF-16"));
    }

    #[test]
    fn columns_are_lettered_like_a_spreadsheet() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
    }

    #[test]
    fn excel_dates_are_read() {
        assert_eq!(excel_date(45356.5), "2024-03-05 12:00:00");
    }
}
