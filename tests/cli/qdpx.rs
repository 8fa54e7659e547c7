//! REFI-QDA projects: `heard export-project --to qdpx` writes a project that validates
//! against the official schema, with selections whose positions are exact, nothing that
//! may not leave; `heard import-project` reads projects shaped like NVivo's, ATLAS.ti's,
//! MAXQDA's and QualCoder's, and refuses hostile ones without writing anything.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::Path;

use serde_json::Value;

use crate::util::{TestLibrary, s};

const HOME: &str = "I said “no” at the café — José agreed. 🏠 Home was a tent by the canal";
const WITHDRAWN: &str = "The ward sent me out at nine at night with nothing but a carrier bag";
const PENDING: &str = "the room above the chip shop, not even my sister";
const REPORT: &str = "Rough sleeping rose by a third in two years";
const CONTACT: &str = "ana.private@example.org";

/// A library with a public testimony (one quote approved, one withdrawn, one pending), a
/// public report with an approved quote, an internal and a restricted report, a taxonomy
/// with a synonym used as a tag, and a contributor with contact details.
fn library() -> (TestLibrary, BTreeMap<&'static str, String>) {
    let lib = TestLibrary::new();
    lib.write(
        "corpus/testimonies/t-ana.md",
        &format!(
            "---\nid: t-ana\ntitle: \"Café nights\"\nkind: testimony\ndate: 2024-03\ncontributors: [c-ana]\ntags: [housing, rough-sleeping]\nsensitivity: public\n---\n\n# Café nights\n\n{HOME}, and *nobody* asked.\n\n{WITHDRAWN}, at the end of the month.\n\nI never told anyone about {PENDING}.\n"
        ),
    );
    lib.write(
        "corpus/reports/r-count.md",
        &format!(
            "---\nid: r-count\ntitle: \"Street count 2024\"\nkind: report\ndate: 2024-11-02\norganisation: \"Northgate Together\"\ntags: [housing]\nsensitivity: public\n---\n\n{REPORT}, the count found.\n\n- A list item with [a link](https://example.org) & an ampersand.\n"
        ),
    );
    lib.write(
        "corpus/reports/r-budget.md",
        "---\nid: r-budget\ntitle: \"Internal budget notes\"\nkind: notes\nsensitivity: internal\n---\n\nThe budget for next year is not settled.\n",
    );
    lib.write(
        "corpus/reports/r-safe.md",
        "---\nid: r-safe\ntitle: \"Safeguarding log\"\nkind: notes\nsensitivity: restricted\n---\n\nA safeguarding concern was raised on Tuesday.\n",
    );
    lib.write(
        "corpus/taxonomy.toml",
        "[[tag]]\nid = \"housing\"\nlabel = \"Housing and homelessness\"\ndescription = \"Somewhere safe to live.\"\nsynonyms = [\"rough sleeping\", \"homelessness\"]\n\n[[tag]]\nid = \"hospital-discharge\"\nlabel = \"Leaving hospital\"\n",
    );
    lib.write(
        "corpus/contributors.toml",
        &format!(
            "[[contributor]]\nid = \"c-ana\"\ncredit = \"role\"\nrole = \"Peer volunteer\"\nfirst_name = \"Anabel\"\ncontact = \"{CONTACT}, 07700 900123\"\nnotes = \"prefers evening calls\"\n"
        ),
    );
    let mut q = BTreeMap::new();
    q.insert(
        "home",
        lib.quote_add(
            "t-ana",
            HOME,
            &["--tag", "housing", "--tag", "hospital-discharge"],
        ),
    );
    q.insert(
        "withdrawn",
        lib.quote_add("t-ana", WITHDRAWN, &["--tag", "hospital-discharge"]),
    );
    q.insert("pending", lib.quote_add("t-ana", PENDING, &[]));
    q.insert(
        "report",
        lib.quote_add(
            "r-count",
            REPORT,
            &["--tag", "housing", "--speaker", "c-ana"],
        ),
    );
    lib.approve(&q["home"], "c-ana", "external");
    lib.approve(&q["withdrawn"], "c-ana", "external");
    lib.heard(&["quote", "withdraw", &q["withdrawn"], "--by", "c-ana"])
        .assert_ok();
    lib.approve(&q["report"], "c-ana", "publication");
    (lib, q)
}

/// Every entry of a zip file, by name.
fn entries(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut zip = zip::ZipArchive::new(file).expect("a zip archive");
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        out.insert(f.name().to_string(), bytes);
    }
    out
}

/// The project's selections: (source text entry, selection name, start, end).
fn selections(qde: &str) -> Vec<(String, String, usize, usize)> {
    let source = regex::Regex::new(
        r#"(?s)<TextSource guid="[^"]+" name="[^"]*" plainTextPath="internal://([^"]+)">(.*?)</TextSource>"#,
    )
    .unwrap();
    let sel = regex::Regex::new(
        r#"<PlainTextSelection guid="[^"]+" name="([^"]+)" startPosition="(\d+)" endPosition="(\d+)""#,
    )
    .unwrap();
    let mut out = Vec::new();
    for c in source.captures_iter(qde) {
        for m in sel.captures_iter(&c[2]) {
            out.push((
                format!("sources/{}", &c[1]),
                m[1].to_string(),
                m[2].parse().unwrap(),
                m[3].parse().unwrap(),
            ));
        }
    }
    out
}

/// Validate `project.qde` against schema/refi-qda/Project.xsd with xmllint.
#[track_caller]
fn assert_valid(qde: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("project.qde");
    std::fs::write(&path, qde).unwrap();
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/refi-qda/Project.xsd");
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&path)
        .output()
        .expect("xmllint (Debian package libxml2-utils) must be installed: `apt-get install libxml2-utils`");
    assert!(
        out.status.success(),
        "project.qde does not validate against Project.xsd:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(qde)
    );
}

fn export(lib: &TestLibrary, extra: &[&str]) -> (BTreeMap<String, Vec<u8>>, String) {
    let out = lib.path("out.qdpx");
    let out_s = out.display().to_string();
    let mut args = vec!["export-project", "--to", "qdpx", "--out", &out_s];
    args.extend_from_slice(extra);
    let run = lib.heard(&args);
    run.assert_ok();
    (entries(&out), run.stderr)
}

fn quote_texts(lib: &TestLibrary) -> BTreeMap<String, Value> {
    lib.quotes(&[])
        .into_iter()
        .map(|q| (s(&q, "id").to_string(), q))
        .collect()
}

#[test]
fn export_validates_and_every_selection_is_exactly_its_quote() {
    let (lib, q) = library();
    let (zip, stderr) = export(&lib, &[]);
    let qde = String::from_utf8(zip["project.qde"].clone()).unwrap();
    assert_valid(qde.as_bytes());
    let quotes = quote_texts(&lib);
    let sels = selections(&qde);
    let names: BTreeSet<&str> = sels.iter().map(|s| s.1.as_str()).collect();
    // Only quotes whose consent covers use outside the organisation are selections.
    assert!(names.contains(q["home"].as_str()), "{qde}");
    assert!(!names.contains(q["withdrawn"].as_str()));
    assert!(!names.contains(q["pending"].as_str()));
    for (entry, name, start, end) in &sels {
        let text = String::from_utf8(zip[entry].clone()).expect("UTF-8 source text");
        assert!(!text.starts_with('\u{feff}') && !text.contains('\r'));
        let chars: Vec<char> = text.chars().collect();
        let selected: String = chars[*start..*end].iter().collect();
        assert_eq!(selected, s(&quotes[name], "exact"), "selection {name}");
    }
    // Non-ASCII positions count code points: the emoji and accents before the end.
    let home = sels.iter().find(|s| s.1 == q["home"]).unwrap();
    assert_eq!(home.3 - home.2, HOME.chars().count());
    // The quote's tags are its codings; consent is a note.
    assert!(qde.contains("heard tag: hospital-discharge"));
    assert!(qde.contains(&format!(
        "Quote {} — consent: approved for external use",
        q["home"]
    )));
    assert!(stderr.contains("Wrote"), "{stderr}");
}

#[test]
fn export_leaves_out_withdrawn_words_contacts_and_restricted_sources() {
    let (lib, _) = library();
    let (zip, stderr) = export(&lib, &[]);
    let all: String = zip
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(!all.contains(WITHDRAWN), "withdrawn words left the library");
    assert!(
        all.contains("withdrawn by its speaker"),
        "no note of the withdrawal"
    );
    for private in [CONTACT, "07700 900123", "prefers evening calls", "Anabel"] {
        assert!(!all.contains(private), "`{private}` was exported");
    }
    assert!(all.contains("credited as: Peer volunteer"));
    assert!(!all.contains("Safeguarding log") && !all.contains("safeguarding concern"));
    assert!(!all.contains("Internal budget notes"));
    assert!(stderr.contains("1 restricted source"), "{stderr}");
    assert!(stderr.contains("1 internal source"), "{stderr}");
    // Asked for, internal sources go in (these notes in full, asked for too); restricted
    // ones never.
    let (zip, _) = export(
        &lib,
        &["--include", "internal", "--include", "peoples-words"],
    );
    let all: String = zip
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(all.contains("Internal budget notes"));
    assert!(!all.contains("Safeguarding log"));
    assert_valid(&zip["project.qde"]);
}

#[test]
fn a_project_round_trips_into_an_empty_library() {
    let (lib, q) = library();
    // Whole accounts, so that every source's text can come back.
    let (zip, _) = export(&lib, &["--include", "peoples-words"]);
    let exported: BTreeSet<String> = selections(&String::from_utf8_lossy(&zip["project.qde"]))
        .into_iter()
        .map(|s| s.1)
        .collect();
    let quotes = quote_texts(&lib);
    let other = TestLibrary::new();
    let project = lib.path("out.qdpx").display().to_string();
    let run = other.heard(&["import-project", &project]);
    run.assert_ok();
    // The same sources, with the same tags.
    let sources = |l: &TestLibrary| -> BTreeMap<String, (String, Vec<String>)> {
        crate::util::hits(&l.search(&["--type", "source"]))
            .iter()
            .map(|h| {
                let mut tags: Vec<String> = h["tags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().to_string())
                    .collect();
                tags.sort();
                (s(h, "id").to_string(), (s(h, "title").to_string(), tags))
            })
            .filter(|(id, _)| id != "r-budget" && id != "r-safe")
            .collect()
    };
    assert_eq!(sources(&other), sources(&lib));
    // The exported quotes' words and tags, now pending their speakers' consent.
    let back: BTreeMap<String, Vec<String>> = other
        .quotes(&[])
        .iter()
        .map(|q| {
            assert_eq!(s(q, "status"), "pending");
            (s(q, "exact").to_string(), tags(q))
        })
        .collect();
    let sent: BTreeMap<String, Vec<String>> = exported
        .iter()
        .map(|id| (s(&quotes[id], "exact").to_string(), tags(&quotes[id])))
        .collect();
    assert_eq!(back, sent);
    assert!(back.contains_key(HOME), "{back:?} {q:?}");
    // The themes came back, the synonym with them.
    let taxonomy = other.read("corpus/taxonomy.toml");
    assert!(taxonomy.contains("id = \"housing\"") && taxonomy.contains("rough sleeping"));
    // And the texts are the same text: exported again, each source's text is identical.
    let (again, _) = export(&other, &["--include", "peoples-words"]);
    for (name, bytes) in &zip {
        if name.starts_with("sources/") {
            assert_eq!(
                String::from_utf8_lossy(&again[name]),
                String::from_utf8_lossy(bytes),
                "{name}"
            );
        }
    }
    // Importing the same project again changes nothing.
    let run = other.heard(&["import-project", &project]);
    run.assert_ok();
    assert_eq!(other.quotes(&[]).len(), back.len());
}

fn tags(q: &Value) -> Vec<String> {
    let mut t: Vec<String> = q["tags"]
        .as_array()
        .map(|a| a.iter().map(|t| t.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    t.sort();
    t
}

/// Write a .qdpx from (entry name, bytes) pairs.
fn qdpx(lib: &TestLibrary, name: &str, files: &[(&str, &[u8])]) -> String {
    let path = lib.path(name);
    let f = std::fs::File::create(&path).unwrap();
    let mut zip = zip::ZipWriter::new(f);
    for (n, b) in files {
        zip.start_file(*n, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b).unwrap();
    }
    zip.finish().unwrap();
    path.display().to_string()
}

const G1: &str = "11111111-1111-4111-8111-111111111111";
const G2: &str = "22222222-2222-4222-8222-222222222222";
const C1: &str = "33333333-3333-4333-8333-333333333331";
const C2: &str = "33333333-3333-4333-8333-333333333332";
const C3: &str = "33333333-3333-4333-8333-333333333333";

/// A project.qde with nested codes (Housing > Eviction, Rough sleeping) and one text source.
fn qde(text_ref: &str, selections: &[(usize, usize, &str)]) -> String {
    let sels: String = selections
        .iter()
        .enumerate()
        .map(|(i, (s, e, code))| {
            format!(
                "<PlainTextSelection guid=\"44444444-4444-4444-8444-44444444444{i}\" name=\"seg {i}\" startPosition=\"{s}\" endPosition=\"{e}\"><Coding guid=\"55555555-5555-4555-8555-55555555555{i}\"><CodeRef targetGUID=\"{code}\"/></Coding></PlainTextSelection>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Project xmlns=\"urn:QDA-XML:project:1.0\" name=\"Study\" origin=\"Some QDA tool\">\
<CodeBook><Codes><Code guid=\"{C1}\" name=\"Housing\" isCodable=\"true\"><Description>Where people live.</Description>\
<Code guid=\"{C2}\" name=\"Eviction\" isCodable=\"true\"/><Code guid=\"{C3}\" name=\"Rough sleeping\" isCodable=\"true\"/></Code></Codes></CodeBook>\
<Cases><Case guid=\"{G2}\" name=\"Jane Realname\"><SourceRef targetGUID=\"{G1}\"/></Case></Cases>\
<Sources><TextSource guid=\"{G1}\" name=\"Interview 1.txt\" {text_ref}>{sels}</TextSource></Sources></Project>"
    )
}

#[test]
fn atlas_ti_projects_with_crlf_a_bom_and_capital_sources_import() {
    let lib = TestLibrary::new();
    // ATLAS.ti: `<name>.qde`, `Sources/`, CRLF line endings and a byte-order mark.
    let text = "\u{feff}Interviewer: Where did you stay?\r\nAna: On a friend’s sofa — then the street, in the café doorway.\r\nAna: The council said I was “intentionally homeless”.\r\n";
    let plain = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let find = |s: &str| {
        let b = plain.find(s).unwrap();
        let start = plain[..b].chars().count();
        (start, start + s.chars().count())
    };
    let (a, b) = find("then the street, in the café doorway");
    let (c, d) = find("The council said I was “intentionally homeless”");
    let xml = qde(
        &format!("plainTextPath=\"internal://{G1}.txt\""),
        &[(a, b, C3), (c, d, C2)],
    );
    let path = qdpx(
        &lib,
        "study.qdpx",
        &[
            ("My Study.qde", xml.as_bytes()),
            (&format!("Sources/{G1}.txt"), text.as_bytes()),
        ],
    );
    let run = lib.heard(&["import-project", &path, "--kind", "testimony"]);
    run.assert_ok();
    let quotes: BTreeMap<String, Vec<String>> = lib
        .quotes(&[])
        .iter()
        .map(|q| (s(q, "exact").to_string(), tags(q)))
        .collect();
    assert_eq!(
        quotes,
        BTreeMap::from([
            (
                "then the street, in the café doorway".to_string(),
                vec!["rough-sleeping".to_string()]
            ),
            (
                "The council said I was “intentionally homeless”".to_string(),
                vec!["eviction".to_string()]
            ),
        ])
    );
    // Every code is a theme, so no coding is merged into another; a nested one says where
    // it was.
    let taxonomy = lib.read("corpus/taxonomy.toml");
    for id in ["housing", "eviction", "rough-sleeping"] {
        assert!(taxonomy.contains(&format!("id = \"{id}\"")), "{taxonomy}");
    }
    assert!(taxonomy.contains("Under “Housing”"), "{taxonomy}");
    // Another tool's case names may be real names: never made contributor ids.
    let all = std::fs::read_dir(lib.path("corpus/imported"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<String>();
    assert!(!all.to_lowercase().contains("realname"), "{all}");
    assert!(run.stderr.contains("case"), "{}", run.stderr);
}

#[test]
fn nvivo_and_qualcoder_shapes_import_and_bad_selections_are_reported_not_guessed() {
    let lib = TestLibrary::new();
    // QualCoder: `project.qde`, `sources/`, LF, no BOM; a selection past the end of the text.
    let text = "Line one about benefits.\nLine two: sanctions & a missed appointment.\n";
    let start = text.find("sanctions").unwrap();
    let xml = qde(
        &format!("plainTextPath=\"internal://{G1}.txt\""),
        &[
            (start, start + "sanctions & a missed appointment".len(), C2),
            (10, 999, C3),
        ],
    );
    let path = qdpx(
        &lib,
        "qualcoder.qdpx",
        &[
            ("project.qde", xml.as_bytes()),
            (&format!("sources/{G1}.txt"), text.as_bytes()),
        ],
    );
    let run = lib.heard(&["import-project", &path]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("selection `seg 1`")
            && run.stderr.contains("runs from 10 to 999")
            && run.stderr.contains("Interview 1.txt"),
        "{}",
        run.stderr
    );
    let quotes = lib.quotes(&[]);
    assert_eq!(quotes.len(), 1);
    assert_eq!(s(&quotes[0], "exact"), "sanctions & a missed appointment");
    // NVivo (and MAXQDA) can keep the text inside the XML.
    let other = TestLibrary::new();
    let xml = qde(
        "><PlainTextContent>Inline text: the hostel shut at ten.</PlainTextContent",
        &[],
    );
    let path = qdpx(&other, "nvivo.qdpx", &[("project.qde", xml.as_bytes())]);
    other.heard(&["import-project", &path]).assert_ok();
    let hits = other.search(&["hostel"]);
    assert_eq!(crate::util::total(&hits), 1, "{hits}");
}

/// A project's entries: name and bytes.
type Files = Vec<(String, Vec<u8>)>;

#[test]
fn hostile_projects_are_refused_and_nothing_is_written() {
    let lib = TestLibrary::new();
    let before = lib.snapshot("corpus");
    let ok_xml = qde(&format!("plainTextPath=\"internal://{G1}.txt\""), &[]);
    let cases: Vec<(&str, Files, &str)> = vec![
        (
            "traversal.qdpx",
            vec![
                ("project.qde".into(), ok_xml.clone().into_bytes()),
                (format!("sources/{G1}.txt"), b"text".to_vec()),
                ("../../evil.txt".into(), b"x".to_vec()),
            ],
            "entry `../../evil.txt` has a path outside the project",
        ),
        (
            "entities.qdpx",
            vec![(
                "project.qde".into(),
                format!(
                    "<?xml version=\"1.0\"?>\n<!DOCTYPE Project [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>\n{}",
                    ok_xml.split_once('\n').unwrap().1
                )
                .into_bytes(),
            )],
            "declares a DTD",
        ),
        (
            "missing.qdpx",
            vec![("project.qde".into(), ok_xml.clone().into_bytes())],
            "which is not in the project",
        ),
        (
            "nothing.qdpx",
            vec![("readme.txt".into(), b"hello".to_vec())],
            "has no project.qde",
        ),
    ];
    for (name, files, expected) in cases {
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let path = qdpx(&lib, name, &refs);
        let run = lib.heard(&["import-project", &path]);
        run.assert_code(2);
        assert!(
            run.stderr.contains(expected) && run.stderr.contains(name),
            "{name}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert_eq!(
            lib.snapshot("corpus"),
            before,
            "{name} wrote into the corpus"
        );
    }
    // Not a zip at all.
    lib.write("fake.qdpx", "just text");
    let run = lib.heard(&[
        "import-project",
        &lib.path("fake.qdpx").display().to_string(),
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("is not a REFI-QDA project"),
        "{}",
        run.stderr
    );
    assert_eq!(lib.snapshot("corpus"), before);
}

#[test]
fn by_default_a_testimony_leaves_only_as_the_quotes_its_speaker_let_go() {
    let (lib, q) = library();
    let (zip, stderr) = export(&lib, &[]);
    let qde = String::from_utf8(zip["project.qde"].clone()).unwrap();
    assert_valid(qde.as_bytes());
    let all: String = zip
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    // The approved quote is there, exactly selected; nothing else Ana said is.
    let home = selections(&qde)
        .into_iter()
        .find(|s| s.1 == q["home"])
        .expect("the approved quote is a selection");
    let text = String::from_utf8(zip[&home.0].clone()).unwrap();
    let selected: String = text.chars().skip(home.2).take(home.3 - home.2).collect();
    assert_eq!(selected, HOME);
    for unshared in [
        PENDING,
        WITHDRAWN,
        "nobody",
        "at the end of the month",
        "I never told anyone",
    ] {
        assert!(!all.contains(unshared), "`{unshared}` left without consent");
    }
    // A report is not people's own words: it goes in whole.
    assert!(all.contains(REPORT) && all.contains("the count found"));
    assert!(
        stderr.contains(
            "1 testimony or notes source of people's own words: only their consented quotes go in"
        ) && stderr.contains("--include peoples-words"),
        "{stderr}"
    );
}

#[test]
fn a_project_given_to_heard_import_says_to_use_import_project() {
    let (lib, _) = library();
    export(&lib, &[]);
    let run = lib.heard(&["import", "out.qdpx"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("is a REFI-QDA project") && run.stderr.contains("heard import-project"),
        "{}",
        run.stderr
    );
}
