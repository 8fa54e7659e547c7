//! The evidence pack (`heard export RESPONSE --to pack`): a zip a third party checks with
//! standard tools — `sha256sum -c`, `b3sum`, and the Python in its VERIFY.md — holding the
//! cited texts, as they are in their sources, and only the consent events of cited quotes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::evidence::{Evidence, PLACEHOLDER, RESPONSE, evidence};

/// An evidence library with an answered draft that passes `check`.
fn ready() -> Evidence {
    let ev = evidence();
    ev.answered_draft();
    ev.check().assert_ok();
    ev
}

/// Export the pack and unzip it; the folder of its files.
#[track_caller]
fn pack(ev: &Evidence) -> PathBuf {
    let zip_path = ev.lib.path("pack.zip");
    ev.lib
        .heard(&[
            "export",
            RESPONSE,
            "--to",
            "pack",
            "--out",
            zip_path.to_str().unwrap(),
        ])
        .assert_ok();
    let into = ev.lib.path("unpacked");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    zip.extract(&into).unwrap();
    let folder = into.join("discharge-2027-evidence-pack");
    assert!(folder.is_dir(), "the pack's files are in one folder");
    folder
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every file of the pack, relative to its folder.
fn files(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for e in walkdir::WalkDir::new(dir) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(dir).unwrap();
            out.insert(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    out
}

fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn a_pack_holds_the_response_as_sent_and_checks_with_sha256sum() {
    let ev = ready();
    let dir = pack(&ev);
    let names = files(&dir);
    for name in [
        "response.docx",
        "response.html",
        "provenance.json",
        "ledger.jsonl",
        "VERIFY.md",
        "SHA256SUMS",
    ] {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
    // SHA256SUMS lists every other file, and coreutils agrees with it.
    let listed: BTreeSet<String> = read(&dir, "SHA256SUMS")
        .lines()
        .map(|l| l.split_once("  ").unwrap().1.to_string())
        .collect();
    let mut others = names.clone();
    others.remove("SHA256SUMS");
    assert_eq!(listed, others);
    let run = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&dir)
        .output()
        .expect("sha256sum (coreutils)");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    // Tampering is caught.
    std::fs::write(dir.join("response.html"), "<p>something else</p>").unwrap();
    let run = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(!run.status.success());

    // The response as the other exports write it.
    for (format, name) in [("html", "response.html"), ("docx", "response.docx")] {
        let out = ev.lib.path(&format!("sent.{format}"));
        ev.lib
            .heard(&[
                "export",
                RESPONSE,
                "--to",
                format,
                "--out",
                out.to_str().unwrap(),
            ])
            .assert_ok();
        let sent = std::fs::read(&out).unwrap();
        let packed = {
            let mut zip =
                zip::ZipArchive::new(std::fs::File::open(ev.lib.path("pack.zip")).unwrap())
                    .unwrap();
            let mut f = zip
                .by_name(&format!("discharge-2027-evidence-pack/{name}"))
                .unwrap();
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut v).unwrap();
            v
        };
        assert!(
            sent == packed,
            "{name} differs from `heard export --to {format}`"
        );
    }
}

#[test]
fn each_packed_text_is_in_its_source_at_the_recorded_lines_with_its_hash() {
    let ev = ready();
    let dir = pack(&ev);
    let provenance: Value = serde_json::from_str(&read(&dir, "provenance.json")).unwrap();
    let citations = provenance["citations"].as_array().unwrap();
    let passages: Vec<String> = files(&dir)
        .into_iter()
        .filter(|f| f.starts_with("passages/"))
        .collect();
    assert_eq!(passages.len(), citations.len());
    assert!(citations.len() >= 3, "{provenance:#}");
    let kinds: BTreeSet<&str> = citations
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["passage", "quote", "recommendation"].into());
    for (c, name) in citations.iter().zip(&passages) {
        let text = read(&dir, name);
        assert_eq!(text, c["text"].as_str().unwrap(), "{name}");
        assert!(name.contains(c["source"].as_str().unwrap()), "{name}");
        assert_eq!(
            blake3::hash(text.as_bytes()).to_hex().as_str(),
            c["text_hash"].as_str().unwrap(),
            "{name}"
        );
        // At the recorded lines of the source file.
        let source = ev.lib.read(c["path"].as_str().unwrap());
        let (a, b) = (
            c["line_start"].as_u64().unwrap() as usize,
            c["line_end"].as_u64().unwrap() as usize,
        );
        let lines: Vec<&str> = source.lines().collect();
        // As a reader sees it: Markdown's backslash escapes are not words.
        let there = squeeze(&lines[a - 1..b].join(" ")).replace('\\', "");
        assert!(
            there.contains(&squeeze(&text)),
            "{name}: `{text}` is not at {}:{a}-{b}: `{there}`",
            c["path"]
        );
    }
    // Every footnote of the response, and nothing else.
    let original = ev.provenance();
    let response = ev.response();
    let referenced: BTreeSet<&str> = original["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .filter(|l| response.contains(&format!("[^{l}]")))
        .collect();
    let packed: BTreeSet<&str> = citations
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(packed, referenced);
}

#[test]
fn the_pack_holds_exactly_the_consent_events_of_cited_quotes() {
    let ev = ready();
    let dir = pack(&ev);
    let provenance: Value = serde_json::from_str(&read(&dir, "provenance.json")).unwrap();
    let cited: BTreeSet<&str> = provenance["citations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "quote")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(!cited.is_empty());
    let consent = [
        "quote.speaker",
        "quote.approve",
        "quote.decline",
        "quote.withdraw",
        "quote.expire",
    ];
    let expected: Vec<String> = ev
        .lib
        .ledger_lines()
        .into_iter()
        .filter(|l| {
            let e: Value = serde_json::from_str(l).unwrap();
            cited.contains(e["target"].as_str().unwrap())
                && consent.contains(&e["action"].as_str().unwrap())
        })
        .collect();
    let packed: Vec<String> = read(&dir, "ledger.jsonl")
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(
        packed, expected,
        "the events, byte for byte, in ledger order"
    );
    assert!(
        packed.len() >= cited.len(),
        "an approval for every cited quote"
    );

    // Nothing of anyone else: other quotes, contact details, withheld words.
    let everything: String = files(&dir)
        .iter()
        .filter(|f| !f.ends_with(".docx"))
        .map(|f| read(&dir, f))
        .collect();
    for (name, id) in &ev.ids {
        if !cited.contains(id.as_str()) {
            assert!(
                !everything.contains(id.as_str()),
                "uncited quote {name} is in the pack"
            );
        }
    }
    for private in [
        "ashleigh.k@example.org",
        "Quayside hostel key worker",
        "Prefers not to be named",
        "forty other patients",
        "had never spoken to each other",
        "flat where he was waiting",
    ] {
        assert!(!everything.contains(private), "`{private}` is in the pack");
    }
}

#[test]
fn a_citation_taken_out_of_the_response_is_not_packed() {
    let ev = ready();
    let response = ev.response();
    let provenance = ev.provenance();
    let quote = provenance["citations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "quote")
        .unwrap()
        .clone();
    let label = quote["label"].as_str().unwrap();
    // Remove the block quote that cites it (its footnote definition may stay).
    let kept: Vec<&str> = {
        let lines: Vec<&str> = response.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.contains(&format!("[^{label}]")) && !l.starts_with("[^"))
            .unwrap();
        let mut start = at;
        while start > 0 && lines[start - 1].starts_with('>') {
            start -= 1;
        }
        lines[..start]
            .iter()
            .chain(&lines[at + 1..])
            .copied()
            .collect()
    };
    ev.write_response(&(kept.join("\n") + "\n"));
    let dir = pack(&ev);
    let text = quote["text"].as_str().unwrap();
    for f in files(&dir).iter().filter(|f| !f.ends_with(".docx")) {
        let content = read(&dir, f);
        assert!(
            !content.contains(text),
            "the removed quote's words are in {f}"
        );
        assert!(
            !content.contains(quote["id"].as_str().unwrap()),
            "the removed quote is in {f}: {content}"
        );
    }
}

/// The Python block of VERIFY.md.
fn python_of(verify_md: &str) -> String {
    let start = verify_md.find("```python\n").expect("a Python block") + "```python\n".len();
    let end = verify_md[start..].find("```").unwrap() + start;
    verify_md[start..end].to_string()
}

#[track_caller]
fn run_python(dir: &Path) -> String {
    let out = Command::new("python3")
        .arg("verify.py")
        .current_dir(dir)
        .output()
        .expect("python3 (the CI installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn the_python_in_verify_md_checks_every_hash_and_finds_tampering() {
    let ev = ready();
    let dir = pack(&ev);
    let verify = read(&dir, "VERIFY.md");
    assert!(verify.contains("sha256sum -c SHA256SUMS"));
    assert!(verify.contains("BLAKE3") && verify.contains("b3sum"));
    std::fs::write(dir.join("verify.py"), python_of(&verify)).unwrap();
    let out = run_python(&dir);
    assert_eq!(out.trim(), "all hashes match", "{out}");

    // A retyped passage, and an edited consent event (with SHA256SUMS recomputed, as a
    // forger would), are still caught by their BLAKE3 hashes.
    let passages: Vec<String> = files(&dir)
        .into_iter()
        .filter(|f| f.starts_with("passages/"))
        .collect();
    let first = dir.join(&passages[0]);
    let text = std::fs::read_to_string(&first).unwrap();
    std::fs::write(&first, text.replacen(' ', "  ", 1)).unwrap();
    let ledger = read(&dir, "ledger.jsonl");
    let edited = ledger.replacen("\"external\"", "\"publication\"", 1);
    assert_ne!(ledger, edited);
    std::fs::write(dir.join("ledger.jsonl"), edited).unwrap();
    let sums = Command::new("sh")
        .args([
            "-c",
            "sha256sum $(cut -d' ' -f3- SHA256SUMS) > S && mv S SHA256SUMS",
        ])
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(sums.success());
    let out = run_python(&dir);
    assert!(out.contains("text differs from what was cited"), "{out}");
    assert!(out.contains("event changed"), "{out}");
    assert!(out.contains("SOME HASHES DO NOT MATCH"), "{out}");
}

#[test]
fn b3sum_agrees_with_the_hashes_in_provenance() {
    let ev = ready();
    let dir = pack(&ev);
    let out = Command::new("b3sum")
        .arg("--no-names")
        .args(files(&dir).iter().filter(|f| f.starts_with("passages/")))
        .current_dir(&dir)
        .output()
        .expect("b3sum (the CI installs it: apt install b3sum)");
    assert!(out.status.success());
    let provenance: Value = serde_json::from_str(&read(&dir, "provenance.json")).unwrap();
    let hashes: Vec<&str> = provenance["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text_hash"].as_str().unwrap())
        .collect();
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(printed.lines().collect::<Vec<_>>(), hashes);
}

#[test]
fn no_pack_of_a_response_with_words_that_may_not_leave() {
    let ev = ready();
    // The speaker withdraws a quote the response cites.
    let provenance = ev.provenance();
    let quote = provenance["citations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "quote")
        .unwrap();
    let speaker = quote["speaker"].as_str().unwrap();
    ev.lib
        .heard(&[
            "quote",
            "withdraw",
            quote["id"].as_str().unwrap(),
            "--by",
            speaker,
        ])
        .assert_ok();
    let zip_path = ev.lib.path("pack.zip");
    let o = zip_path.to_str().unwrap();
    for extra in [&[][..], &["--force"][..]] {
        let args = [&["export", RESPONSE, "--to", "pack", "--out", o][..], extra].concat();
        let run = ev.lib.heard(&args);
        run.assert_code(1);
        assert!(run.stderr.contains("withdrawn"), "{}", run.stderr);
        assert!(!zip_path.exists(), "a pack was written");
    }
}

#[test]
fn a_pack_needs_provenance_and_has_no_internal_copy() {
    let ev = ready();
    let o = ev.lib.path("pack.zip");
    let o = o.to_str().unwrap();
    let run = ev
        .lib
        .heard(&["export", RESPONSE, "--to", "pack", "--internal", "--out", o]);
    run.assert_code(2);
    assert!(run.stderr.contains("--internal"), "{}", run.stderr);

    // A response written by hand, without provenance: no pack, and the reason.
    let text = ev.response().replace(PLACEHOLDER, "We agree.");
    ev.lib.remove(&format!("{RESPONSE}/provenance.json"));
    ev.write_response(&text);
    let run = ev
        .lib
        .heard(&["export", RESPONSE, "--to", "pack", "--out", o]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("provenance.json"), "{}", run.stderr);
    assert!(!Path::new(o).exists());
}
