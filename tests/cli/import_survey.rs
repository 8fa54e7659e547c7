//! Survey exports (CSV, XLSX): each respondent becomes a pseudonymous contributor and a
//! source of their free-text answers; contact columns never reach the corpus; consent is
//! taken only from the column the user names, and a "yes" there approves that respondent's
//! quotes with the survey shown as where consent came from.
//!
//! `heard import` is built elsewhere: these tests call the survey reader and recorder
//! through the library, write the documents as the importer does (Markdown with front
//! matter), then use the real binary to make and list quotes.

use std::path::{Path, PathBuf};

use heard::Library;
use heard::import::survey::{self, Answer, SurveyRead};
use heard::import::{Format, ImportOptions};
use heard::quotes::Scope;
use serde_json::Value;

use crate::util::{OFFICER, TestLibrary};

fn options(consent_column: Option<&str>, scope: Scope) -> ImportOptions {
    ImportOptions {
        kind: None,
        tags: Vec::new(),
        sensitivity: None,
        into: None,
        consent_column: consent_column.map(String::from),
        consent_scope: scope,
        actor: OFFICER.into(),
        allow_duplicate: false,
    }
}

/// Write an export outside the library (as a user's download would be).
fn export(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn read(path: &Path, consent_column: Option<&str>) -> Result<SurveyRead, String> {
    let format = Format::of(path).expect("a survey format");
    survey::read(path, format, &options(consent_column, Scope::External))
}

fn yaml(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Write each document as the importer does, under `corpus/imported/`, and record the
/// respondents and their consent. Returns the source ids.
fn import(lib: &TestLibrary, read: &SurveyRead, opts: &ImportOptions) -> Vec<String> {
    let mut ids = Vec::new();
    for d in &read.documents {
        let mut fm = String::from("---\n");
        if let Some(t) = &d.title {
            fm.push_str(&format!("title: {}\n", yaml(t)));
        }
        if let Some(date) = &d.date {
            fm.push_str(&format!("date: {}\n", yaml(date)));
        }
        fm.push_str("kind: testimony\n");
        let list = |v: &[String]| v.iter().map(|s| yaml(s)).collect::<Vec<_>>().join(", ");
        fm.push_str(&format!("contributors: [{}]\n", list(&d.contributors)));
        if !d.tags.is_empty() {
            fm.push_str(&format!("tags: [{}]\n", list(&d.tags)));
        }
        for (k, v) in &d.extra {
            fm.push_str(&format!("{k}: {}\n", yaml(v)));
        }
        fm.push_str("---\n\n");
        lib.write(&format!("corpus/imported/{}.md", d.stem), &(fm + &d.body));
        ids.push(format!("imported/{}", d.stem));
    }
    let library = Library::open(lib.root()).unwrap();
    survey::record(&library, read, &ids, opts).unwrap();
    ids
}

fn has_note(read: &SurveyRead, want: &str) -> bool {
    read.notes.iter().any(|n| n.contains(want))
}

/// Everything the import puts in the corpus: Markdown bodies and front matter.
fn corpus_text(read: &SurveyRead) -> String {
    read.documents
        .iter()
        .map(|d| format!("{:?}\n{:?}\n{:?}\n{}", d.title, d.extra, d.tags, d.body))
        .collect()
}

const GOOGLE: &str = "Timestamp,Email address,What has made the biggest difference to you?,Is there anything else you want to tell us?,Are you a carer?,Which services have you used?,May we quote your words in our response?\n\
2024/03/05 10:23:45 AM GMT,sam.jones@example.org,\"Having one worker who knew my story, so I did not have to repeat it every single time.\",The waiting list for counselling was eleven months long.,Yes,\"Housing, Food bank\",\"Yes, anonymously\"\n\
2024/03/05 11:02:10 AM GMT,ali@example.net,The drop-in on Tuesdays where nobody rushed me out of the door.,,No,Housing,No thanks\n\
2024/03/06 09:15:00 AM GMT,kim@example.com,\"Honestly, nothing yet: I am still waiting for someone to call me back.\",\"I had to ring 14 times, call me on 07700 900123 if you want.\",No,\"GP, Housing, Other\",\n";

#[test]
fn a_google_forms_export_becomes_pseudonymous_sources_without_contact_details() {
    let dir = tempfile::tempdir().unwrap();
    let path = export(&dir, "spring-survey.csv", GOOGLE.as_bytes());
    let read = read(&path, None).unwrap();

    assert_eq!(read.respondents, ["r-0001", "r-0002", "r-0003"]);
    assert_eq!(
        read.questions,
        [
            "What has made the biggest difference to you?",
            "Is there anything else you want to tell us?"
        ]
    );
    assert_eq!(read.dropped_columns, ["Email address"]);
    assert!(
        has_note(
            &read,
            "3 respondents → 3 pseudonymous contributors (r-0001 … r-0003); 2 free-text questions"
        ),
        "{:#?}",
        read.notes
    );
    assert!(
        has_note(&read, "Not imported: \"Email address\" (contact details)"),
        "{:#?}",
        read.notes
    );
    // Without --consent-column heard guesses nothing, but points at the likely column.
    assert!(read.consents.is_empty());
    assert!(
        has_note(
            &read,
            "--consent-column \"May we quote your words in our response?\""
        ),
        "{:#?}",
        read.notes
    );

    // No email address anywhere in what reaches the corpus, nor in the copy kept of it.
    let text = corpus_text(&read);
    for email in [
        "sam.jones@example.org",
        "ali@example.net",
        "kim@example.com",
    ] {
        assert!(!text.contains(email), "{email} reached the corpus:\n{text}");
        assert!(!read.safe_copy.contains(email), "{}", read.safe_copy);
    }
    assert!(read.safe_copy.contains("The drop-in on Tuesdays"));

    // One document per respondent: each answer under its question, with file and row.
    let first = &read.documents[0];
    assert_eq!(first.contributors, ["r-0001"]);
    assert_eq!(first.date.as_deref(), Some("2024-03-05"));
    assert!(
        first.body.contains(
            "## What has made the biggest difference to you?\n\nHaving one worker who knew my story"
        ),
        "{}",
        first.body
    );
    for (k, v) in [
        ("survey", "spring-survey.csv"),
        ("respondent", "r-0001"),
        ("row", "2"),
        ("are-you-a-carer", "Yes"),
    ] {
        assert!(
            first.extra.contains(&(k.to_string(), v.to_string())),
            "{k}: {v} not in {:?}",
            first.extra
        );
    }
    // Choice columns are front matter (and lists of options tags), never passages.
    assert!(!first.body.contains("Are you a carer?"));
    assert!(!first.body.contains("Which services"));
    assert_eq!(first.tags, ["food-bank", "housing"]);
    // "Other" says nothing of a theme: not a tag.
    assert_eq!(read.documents[2].tags, ["gp", "housing"]);
    // The second respondent left a question blank: only the answered one is a passage.
    assert!(!read.documents[1].body.contains("anything else"));
    // A phone number written in an answer is pointed out, not silently imported.
    assert!(
        read.documents[2]
            .warnings
            .iter()
            .any(|w| w.contains("row 4") && w.contains("phone")),
        "{:?}",
        read.documents[2].warnings
    );

    // In the library: passages are searchable, the respondents are contributors, and
    // nothing of the contact column is in the index.
    let lib = TestLibrary::new();
    let sources = import(&lib, &read, &options(None, Scope::External));
    assert_eq!(sources[0], "imported/spring-survey/r-0001");
    let people = lib.read("corpus/contributors.toml");
    assert!(people.contains("id = \"r-0003\""), "{people}");
    assert!(!people.contains("example"), "{people}");
    let hits = lib.search(&["counselling"]);
    assert!(hits["total"].as_u64().unwrap() >= 1, "{hits}");
    let hits = lib.search(&["sam.jones@example.org"]);
    assert_eq!(hits["total"], 0, "{hits}");
    // No consent column named: a quote from a respondent waits for consent.
    let q = lib.quote_add(&sources[1], "nobody rushed me out of the door", &[]);
    let quote = lib.quote(&q);
    assert_eq!(quote["speaker"], "r-0002");
    assert_eq!(quote["status"], "pending");
}

/// Microsoft Forms: ID, Start time, Completion time, Email, Name, then the questions.
const MS_FORMS: &str = "ID,Start time,Completion time,Email,Name,Tell us about your experience of leaving hospital,Can we use your words in our consultation response?\n\
1,3/5/24 10:20:01,3/5/24 10:31:45,anonymous,,\"They discharged me at night with nowhere to go, and I slept in a bus shelter.\",Yes\n\
2,3/5/24 11:00:00,3/5/24 11:12:13,anonymous,,\"The ward staff rang the housing team before I left, which made all the difference.\",No\n\
3,3/6/24 09:00:00,3/6/24 09:05:00,anonymous,,\"Nobody asked where I would sleep that night, and I did not think to say.\",\n\
4,3/6/24 12:00:00,3/6/24 12:20:00,anonymous,,\"I was given a leaflet and a bus ticket and told to go to the council in the morning.\",\"Yes, but not my name\"\n";

#[test]
fn a_yes_in_the_named_consent_column_approves_that_respondents_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let path = export(&dir, "discharge.csv", MS_FORMS.as_bytes());
    let column = "Can we use your words in our consultation response?";
    let read = read(&path, Some(column)).unwrap();
    assert_eq!(read.respondents, ["r-0001", "r-0002", "r-0003", "r-0004"]);
    assert_eq!(read.dropped_columns, ["Email", "Name"]);
    let said: Vec<Answer> = read.consents.iter().map(|c| c.said).collect();
    assert_eq!(
        said,
        [Answer::Yes, Answer::No, Answer::Blank, Answer::Unclear]
    );
    assert_eq!(read.consents[0].scope, Some(Scope::External));
    assert!(read.consents[1..].iter().all(|c| c.scope.is_none()));
    assert!(
        has_note(
            &read,
            "Consent from the survey: 1 yes (external use), 1 no, 1 blank, 1 unclear (\"Yes, but not my name\": not taken as yes)"
        ),
        "{:#?}",
        read.notes
    );
    // The consent column and the metadata are not passages.
    assert!(!corpus_text(&read).contains(column));
    assert!(!corpus_text(&read).contains("3/5/24"));

    let lib = TestLibrary::new();
    let opts = options(Some(column), Scope::External);
    let sources = import(&lib, &read, &opts);

    // The ledger holds each respondent's answer as consent given at the source.
    let events = lib.ledger_events();
    let given: Vec<&Value> = events
        .iter()
        .filter(|e| e["action"] == "consent.source")
        .collect();
    assert_eq!(given.len(), 2, "yes and no are recorded: {given:#?}");
    assert_eq!(given[0]["target"], "r-0001");
    assert_eq!(given[0]["details"]["source"], sources[0].as_str());
    assert_eq!(given[0]["details"]["file"], "discharge.csv");
    assert_eq!(given[0]["details"]["row"], 2);
    assert_eq!(given[0]["details"]["column"], column);
    assert_eq!(given[0]["details"]["answer"], "Yes");
    assert_eq!(given[0]["details"]["scope"], "external");
    assert_eq!(given[1]["target"], "r-0002");
    assert_eq!(given[1]["details"]["scope"], Value::Null);
    lib.heard(&["verify"]).assert_ok();

    // A quote of the "yes" respondent's words is approved at once, for external use, and
    // its history shows the survey as where consent came from.
    let yes = lib.quote_add(&sources[0], "I slept in a bus shelter", &[]);
    let q = lib.quote(&yes);
    assert_eq!(q["speaker"], "r-0001");
    assert_eq!(q["status"], "approved");
    assert_eq!(q["scope"], "external");
    let approve = q["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["action"] == "quote.approve")
        .expect("an approval in the history");
    let d = &approve["details"];
    assert_eq!(d["from"], "survey");
    assert_eq!(d["scope"], "external");
    assert_eq!(d["file"], "discharge.csv");
    assert_eq!(d["row"], 2);
    assert_eq!(d["column"], column);
    assert_eq!(d["answer"], "Yes");

    // "No", blank and unclear answers leave quotes pending.
    for (source, words) in [
        (&sources[1], "rang the housing team before I left"),
        (&sources[2], "Nobody asked where I would sleep"),
        (&sources[3], "given a leaflet and a bus ticket"),
    ] {
        let id = lib.quote_add(source, words, &[]);
        assert_eq!(lib.quote(&id)["status"], "pending", "{source}");
    }
    // The yes is for external use only: not for publication.
    let approved = lib.quotes(&["--status", "approved"]);
    assert_eq!(approved.len(), 1);
    lib.heard(&["verify"]).assert_ok();
}

#[test]
fn consent_named_after_a_quote_was_made_approves_the_pending_quote() {
    let dir = tempfile::tempdir().unwrap();
    let path = export(&dir, "discharge.csv", MS_FORMS.as_bytes());
    let lib = TestLibrary::new();
    let first = read(&path, None).unwrap();
    let sources = import(&lib, &first, &options(None, Scope::External));
    let q = lib.quote_add(&sources[0], "I slept in a bus shelter", &[]);
    let no = lib.quote_add(&sources[1], "rang the housing team", &[]);
    assert_eq!(lib.quote(&q)["status"], "pending");

    // Imported again, now naming the consent column, for publication.
    let column = "Can we use your words in our consultation response?";
    let again = survey::read(
        &path,
        Format::Csv,
        &options(Some(column), Scope::Publication),
    )
    .unwrap();
    import(&lib, &again, &options(Some(column), Scope::Publication));
    let quote = lib.quote(&q);
    assert_eq!(quote["status"], "approved");
    assert_eq!(quote["scope"], "publication");
    assert_eq!(lib.quote(&no)["status"], "pending");
    // Recording the same answers again adds nothing to the ledger.
    let before = lib.ledger_lines().len();
    import(&lib, &again, &options(Some(column), Scope::Publication));
    assert_eq!(lib.ledger_lines().len(), before);
}

#[test]
fn a_changed_answer_in_a_later_export_is_what_counts() {
    let dir = tempfile::tempdir().unwrap();
    let column = "Can we use your words in our consultation response?";
    let lib = TestLibrary::new();
    let path = export(&dir, "discharge.csv", MS_FORMS.as_bytes());
    let sources = import(
        &lib,
        &read(&path, Some(column)).unwrap(),
        &options(Some(column), Scope::External),
    );
    let before = lib.quote_add(&sources[0], "I slept in a bus shelter", &[]);
    assert_eq!(lib.quote(&before)["status"], "approved");

    // The respondent cleared their yes; the new export is imported again.
    let changed = MS_FORMS.replace(
        "I slept in a bus shelter.\",Yes",
        "I slept in a bus shelter.\",",
    );
    assert_ne!(changed, MS_FORMS);
    let path = export(&dir, "discharge.csv", changed.as_bytes());
    let again = read(&path, Some(column)).unwrap();
    assert_eq!(again.consents[0].said, Answer::Blank);
    import(&lib, &again, &options(Some(column), Scope::External));
    let events = lib.ledger_events();
    let last = events
        .iter()
        .rfind(|e| e["action"] == "consent.source" && e["target"] == "r-0001")
        .unwrap();
    assert_eq!(last["details"]["said"], "blank");
    // Words quoted from now on wait for consent; the yes already given stays in the
    // history of the quote made under it.
    let after = lib.quote_add(&sources[0], "They discharged me at night", &[]);
    assert_eq!(lib.quote(&after)["status"], "pending");
    assert_eq!(lib.quote(&before)["status"], "approved");
}

/// SmartSurvey: Response ID, Started, Ended, IP Address…, in Windows-1252 with `;`
/// between fields, as Excel saves CSV where a comma is the decimal mark.
#[test]
fn a_windows_1252_smartsurvey_export_with_semicolons_is_read_and_says_so() {
    let text = "Response ID;Started;Ended;IP Address;Postcode;What would you change about the benefits system?;Age group\n\
11870001;05/03/2024 10:20;05/03/2024 10:31;81.2.69.160;SW1A 1AA;\"The \u{a3}80 sanction for a missed appointment I never got the letter for; caf\u{e9} shifts don't fit the rules.\";25-34\n\
11870002;05/03/2024 11:00;05/03/2024 11:09;81.2.69.161;M1 1AE;I would want a named person to call when something goes wrong with my claim.;35-44\n";
    // Windows-1252 is Latin-1 for these characters.
    let bytes: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = export(&dir, "benefits.csv", &bytes);
    let read = read(&path, None).unwrap();
    assert_eq!(read.respondents, ["r-11870001", "r-11870002"]);
    assert_eq!(read.dropped_columns, ["IP Address", "Postcode"]);
    assert!(has_note(&read, "Windows-1252"), "{:#?}", read.notes);
    assert!(has_note(&read, "`;`"), "{:#?}", read.notes);
    let body = &read.documents[0].body;
    assert!(body.contains("£80 sanction"), "{body}");
    assert!(body.contains("café shifts"), "{body}");
    let text = corpus_text(&read);
    assert!(
        !text.contains("81.2.69") && !text.contains("SW1A"),
        "{text}"
    );
    assert!(
        read.documents[0]
            .extra
            .contains(&("age-group".to_string(), "25-34".to_string()))
    );
}

#[test]
fn a_byte_order_mark_does_not_hide_the_first_header() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(GOOGLE.as_bytes());
    let path = export(&dir, "bom.csv", &bytes);
    let read = read(&path, None).unwrap();
    assert!(
        has_note(&read, "Not passages: \"Timestamp\""),
        "{:#?}",
        read.notes
    );
    assert_eq!(read.documents[0].date.as_deref(), Some("2024-03-05"));
}

fn xlsx(rows: &[&[&str]], merge: Option<(u32, u16, u32, u16)>) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
    }
    if let Some((r1, c1, r2, c2)) = merge {
        let text = rows[r1 as usize][c1 as usize];
        sheet
            .merge_range(r1, c1, r2, c2, text, &rust_xlsxwriter::Format::new())
            .unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn an_xlsx_export_is_read_like_a_csv() {
    let bytes = xlsx(
        &[
            &[
                "Response ID",
                "Email address",
                "What should the minister hear from you?",
                "May we quote you?",
            ],
            &[
                "A-17",
                "jo@example.org",
                "That the cost of the bus to the job centre is more than the sanction.",
                "I agree",
            ],
            &["A-18", "", "", "No"],
        ],
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let path = export(&dir, "minister.xlsx", &bytes);
    let read = read(&path, Some("may we quote you?")).unwrap();
    assert_eq!(read.respondents, ["r-a-17", "r-a-18"]);
    assert_eq!(
        read.documents.len(),
        1,
        "r-a-18 answered no free-text question"
    );
    assert_eq!(read.consents[0].said, Answer::Yes);
    assert_eq!(read.consents[0].row, 2);
    assert!(!corpus_text(&read).contains("jo@example.org"));
    assert!(has_note(
        &read,
        "1 respondent answered no free-text question"
    ));
}

#[test]
fn merged_header_cells_are_named_by_both_rows_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    // A group heading over two questions, named in the row below.
    let two_rows = xlsx(
        &[
            &["Response ID", "Your experience", ""],
            &["", "What went well?", "What went badly?"],
            &[
                "1",
                "The nurse explained every step to my daughter and me.",
                "I waited six hours in a corridor on a trolley.",
            ],
        ],
        Some((0, 1, 0, 2)),
    );
    let path = export(&dir, "grouped.xlsx", &two_rows);
    let read = read(&path, None).unwrap();
    assert_eq!(
        read.questions,
        [
            "Your experience: What went well?",
            "Your experience: What went badly?"
        ]
    );
    assert_eq!(
        read.documents[0].extra[2],
        ("row".to_string(), "3".to_string())
    );

    // A merged header with nothing below to name its columns.
    let one_row = xlsx(
        &[
            &["Response ID", "Your experience", ""],
            &[
                "1",
                "The nurse explained every step to my daughter and me.",
                "I waited six hours in a corridor on a trolley.",
            ],
        ],
        Some((0, 1, 0, 2)),
    );
    let path = export(&dir, "merged.xlsx", &one_row);
    let err = survey::read(&path, Format::Xlsx, &options(None, Scope::External)).unwrap_err();
    assert!(
        err.contains("merged.xlsx") && err.contains("B1:C1"),
        "{err}"
    );
    assert!(err.contains("unmerge"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}

#[test]
fn bad_exports_are_refused_in_one_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // (file name, bytes, --consent-column, what the message must say)
    type Case<'a> = (&'a str, Vec<u8>, Option<&'a str>, &'a [&'a str]);
    let cases: Vec<Case> = vec![
        ("empty.csv", Vec::new(), None, &["empty export"]),
        (
            "blank.csv",
            b"\xEF\xBB\xBF\r\n\r\n".to_vec(),
            None,
            &["empty export"],
        ),
        (
            "header-only.csv",
            b"Timestamp,What happened?\n".to_vec(),
            None,
            &["no responses"],
        ),
        (
            "consent.csv",
            GOOGLE.as_bytes().to_vec(),
            Some("Can we quote you?"),
            &[
                "no column \"Can we quote you?\"",
                "\"Timestamp\"",
                "\"May we quote your words in our response?\"",
                "--consent-column",
            ],
        ),
        (
            "corrupt.xlsx",
            b"PK\x03\x04 this is not really a workbook".to_vec(),
            None,
            &["cannot be read as a workbook", "save it again"],
        ),
        ("empty.xlsx", Vec::new(), None, &["empty export"]),
        ("protected.xlsx", protected_workbook(), None, &["password"]),
    ];
    for (name, bytes, column, wants) in cases {
        let path = export(&dir, name, &bytes);
        let err = read(&path, column).expect_err(name);
        assert!(err.contains(name), "{name}: {err}");
        assert!(!err.contains('\n'), "{name}: more than one line: {err}");
        for want in wants {
            assert!(err.contains(want), "{name}: no `{want}` in: {err}");
        }
    }
}

/// An Office file encrypted with a password: a compound file holding `EncryptionInfo` and
/// `EncryptedPackage` streams instead of a zip.
fn protected_workbook() -> Vec<u8> {
    use std::io::Write;
    let mut file = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    for (name, bytes) in [
        ("/EncryptionInfo", &b"\x04\x00\x04\x00\x40\x00\x00\x00"[..]),
        ("/EncryptedPackage", &[0u8; 64][..]),
    ] {
        let mut s = file.create_stream(name).unwrap();
        s.write_all(bytes).unwrap();
    }
    file.flush().unwrap();
    file.into_inner().into_inner()
}

/// An OpenDocument spreadsheet with one sheet of these rows; `encrypted` marks it as
/// protected with a password, as LibreOffice does in its manifest.
fn ods(rows: &[&[&str]], encrypted: bool) -> Vec<u8> {
    use std::io::Write;
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut table = String::new();
    for row in rows {
        table.push_str("<table:table-row>");
        for cell in row.iter() {
            if cell.is_empty() {
                table.push_str("<table:table-cell/>");
            } else {
                table.push_str(&format!(
                    "<table:table-cell office:value-type=\"string\"><text:p>{}</text:p></table:table-cell>",
                    esc(cell)
                ));
            }
        }
        table.push_str("</table:table-row>");
    }
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.2\">\
<office:body><office:spreadsheet><table:table table:name=\"Responses\">{table}</table:table>\
</office:spreadsheet></office:body></office:document-content>"
    );
    let encryption = if encrypted {
        "<manifest:encryption-data manifest:checksum-type=\"SHA1/1K\" manifest:checksum=\"x\"/>"
    } else {
        ""
    };
    let manifest = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\">\
<manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/>\
<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\">{encryption}</manifest:file-entry>\
</manifest:manifest>"
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in [
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet".to_vec(),
        ),
        ("META-INF/manifest.xml", manifest.into_bytes()),
        ("content.xml", content.into_bytes()),
    ] {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Citizen Space: Response ID like `ANON-…`, Response Type, then the questions, here
/// saved as an OpenDocument spreadsheet.
#[test]
fn a_citizen_space_export_saved_as_ods_is_read_and_a_protected_one_refused() {
    let rows: &[&[&str]] = &[
        &[
            "Response ID",
            "Response Type",
            "What is your postcode?",
            "Question 1: What are the main barriers to accessing support?",
            "Question 2: Do you agree with the proposal?",
        ],
        &[
            "ANON-1QKE-8UX7-V",
            "Web",
            "LS1 4AP",
            "Forms that assume you have a fixed address and a smartphone with data.",
            "Agree",
        ],
        &[
            "ANON-1QKE-8UX8-W",
            "Web",
            "",
            "Opening hours that clash with the only shifts I can get.",
            "Disagree",
        ],
        &[
            "ANON-1QKE-8UX9-X",
            "Email",
            "B1 1BB",
            "Being passed between three teams, none of which would take my case.",
            "Agree",
        ],
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = export(&dir, "consultation.ods", &ods(rows, false));
    let read = read(&path, None).unwrap();
    assert_eq!(
        read.respondents,
        [
            "r-anon-1qke-8ux7-v",
            "r-anon-1qke-8ux8-w",
            "r-anon-1qke-8ux9-x"
        ]
    );
    assert_eq!(read.dropped_columns, ["What is your postcode?"]);
    assert_eq!(
        read.questions,
        ["Question 1: What are the main barriers to accessing support?"]
    );
    assert!(
        read.documents[2]
            .body
            .contains("Being passed between three teams")
    );
    assert!(!corpus_text(&read).contains("LS1 4AP"));

    let path = export(&dir, "locked.ods", &ods(rows, true));
    let err = survey::read(&path, Format::Ods, &options(None, Scope::External)).unwrap_err();
    assert!(
        err.contains("locked.ods") && err.contains("password"),
        "{err}"
    );
}

#[test]
fn heard_import_of_a_survey_keeps_contact_details_out_of_the_whole_library_and_records_consent() {
    let lib = TestLibrary::new();
    let dir = tempfile::tempdir().unwrap();
    let csv = "Response ID,Email address,Phone,What would have helped you most?,May we quote you anonymously?\n\
               101,ana.bloggs@example.org,07700 900123,A worker who stayed with me after the hospital let me go,Yes\n\
               102,bo.bloggs@example.org,07700 900456,Somewhere to wash and sleep before the appointment,No\n";
    let path = export(&dir, "spring-survey.csv", csv.as_bytes());
    let run = lib.heard(&[
        "import",
        path.to_str().unwrap(),
        "--consent-column",
        "May we quote you anonymously?",
    ]);
    run.assert_ok();
    // Nothing under the library's own folders holds a contact detail: not the Markdown,
    // not the kept copy of the export, not contributors.toml, not the ledger.
    let mut stack = vec![lib.path("corpus")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
                for secret in ["bloggs@example.org", "07700 900"] {
                    assert!(!text.contains(secret), "{} holds {secret}", p.display());
                }
            }
        }
    }
    // Ana said yes: a quote of her answer is approved at once, from the survey.
    let ids: Vec<Value> = lib.search(&["\"stayed with me\"", "--type", "source"])["hits"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let source = ids[0]["source"].as_str().unwrap().to_string();
    let q = lib.quote_add(
        &source,
        "A worker who stayed with me after the hospital let me go",
        &[],
    );
    assert_eq!(lib.quote(&q)["status"], "approved");
}
