//! The evidence pack (`heard export RESPONSE --to pack`): a zip a third party can check
//! without heard.
//!
//! It holds the response as sent (`response.docx`, `response.html`: the bytes the other
//! exports write), `provenance.json` (the citations the response still carries), the exact
//! text of each cited passage, quote and recommendation (`passages/NN-<source>.txt`, whose
//! BLAKE3 hash is the `text_hash` provenance recorded when the draft was made), the
//! consent events behind each cited quote as they stand in the ledger (`ledger.jsonl`), a
//! `SHA256SUMS` of every file, and `VERIFY.md`, which says how to check all of it with
//! `sha256sum`, `b3sum` or Python.
//!
//! What never goes in: a contributor's contact details, another quote's events, a
//! citation that is no longer in the response, and anything consent or sensitivity keeps
//! in — the pack is built only from a response that `check` passes, and each cited item is
//! judged again here.

use std::collections::HashSet;
use std::io::Write;

use anyhow::{Context, bail};

use super::Format;
use crate::Library;
use crate::consent::{passage_may_leave, quote_may_leave};
use crate::corpus::Sensitivity;
use crate::draft::{CitationKind, FOOTNOTE_REF, Provenance};
use crate::ledger::Action;
use crate::quotes::{QuoteBook, Scope, Sources};

/// Consent events that make up a quote's consent (the event that made the quote is left
/// out: it holds 32 characters of the source either side of the quote, which nobody
/// approved for use).
const CONSENT_ACTIONS: &[Action] = &[
    Action::QuoteSpeaker,
    Action::QuoteApprove,
    Action::QuoteDecline,
    Action::QuoteWithdraw,
    Action::QuoteExpire,
];

/// Labels of the footnotes the response refers to, in order of first use (comments and
/// footnote definitions aside).
fn cited_labels(markdown: &str) -> Vec<String> {
    let text = crate::response::without_comments(markdown);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with("[^")) {
        for m in FOOTNOTE_REF.captures_iter(line) {
            if seen.insert(m[1].to_string()) {
                out.push(m[1].to_string());
            }
        }
    }
    out
}

/// A file name made of a source id: letters, digits and `-` only.
fn slug(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(60)
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() { "source".into() } else { s }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Build the pack of a response that passed `check`: the bytes of the zip, whose files
/// sit in one folder named `folder`.
pub fn build(
    lib: &Library,
    markdown: &str,
    provenance: Option<&Provenance>,
    title: &str,
    folder: &str,
) -> anyhow::Result<Vec<u8>> {
    let Some(provenance) = provenance else {
        bail!(
            "this response has no provenance.json, so a pack cannot show where its words came from: draft it with `heard draft` first"
        );
    };
    let scope = match provenance.scope.as_str() {
        "internal" => Scope::Internal,
        "publication" => Scope::Publication,
        _ => Scope::External,
    };
    let labels = cited_labels(markdown);
    let mut citations = Vec::new();
    for label in &labels {
        if let Some(c) = provenance.citations.iter().find(|c| &c.label == label) {
            citations.push(c.clone());
        }
    }
    // Judge each cited item again: the pack leaves the organisation.
    let book = QuoteBook::load(lib)?;
    if let Some(e) = book.untrusted() {
        return Err(e);
    }
    let mut sources = Sources::new(lib)?;
    let today = crate::quotes::today();
    for c in &citations {
        let refusal = match c.kind {
            CitationKind::Quote => {
                let q = book.get(&c.id)?;
                quote_may_leave(q, sources.get(&q.source), scope, &today).err()
            }
            _ => match sources.get(&c.source) {
                Some(s) if c.kind == CitationKind::Passage => passage_may_leave(s, scope).err(),
                Some(s) if s.sensitivity == Sensitivity::Restricted => {
                    Some(crate::consent::Refusal::Restricted)
                }
                Some(s) if scope > Scope::Internal && s.sensitivity != Sensitivity::Public => {
                    Some(crate::consent::Refusal::NotPublic)
                }
                Some(_) => None,
                None if c.sensitivity == "public" => None,
                None => Some(crate::consent::Refusal::NotPublic),
            },
        };
        if let Some(r) = refusal {
            bail!(
                "not packed: footnote [^{}] ({} of `{}`): these words {}",
                c.label,
                c.path,
                c.source,
                r.problem()
            );
        }
        if blake3::hash(c.text.as_bytes()).to_hex().as_str() != c.text_hash {
            bail!(
                "not packed: provenance.json was changed by hand: the text of footnote [^{}] no longer has the hash recorded with it; draft again with `heard draft`",
                c.label
            );
        }
    }

    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let prepared = super::prepare(markdown, Some(provenance), false);
    files.push((
        "response.docx".into(),
        super::render(Format::Docx, &prepared, title, false)?,
    ));
    files.push((
        "response.html".into(),
        super::render(Format::Html, &prepared, title, false)?,
    ));
    let packed = Provenance {
        citations: citations.clone(),
        ..provenance.clone()
    };
    let mut json = serde_json::to_string_pretty(&packed)?;
    json.push('\n');
    files.push(("provenance.json".into(), json.into_bytes()));
    let mut table = String::new();
    for (i, c) in citations.iter().enumerate() {
        let name = format!("passages/{:02}-{}.txt", i + 1, slug(&c.source));
        let lines = if c.line_start == c.line_end {
            format!("line {}", c.line_start)
        } else {
            format!("lines {}–{}", c.line_start, c.line_end)
        };
        table.push_str(&format!(
            "| `{name}` | {} | {} | `{}` {lines} | `{}` |\n",
            match c.kind {
                CitationKind::Quote => "quote",
                CitationKind::Passage => "passage",
                CitationKind::Recommendation => "recommendation",
            },
            c.title.replace('|', "/"),
            c.path,
            c.text_hash
        ));
        files.push((name, c.text.clone().into_bytes()));
    }
    let quote_ids: HashSet<&str> = citations
        .iter()
        .filter(|c| c.kind == CitationKind::Quote)
        .map(|c| c.id.as_str())
        .collect();
    let ledger = ledger_lines(lib, &book, &quote_ids)?;
    let events = ledger.lines().count();
    files.push(("ledger.jsonl".into(), ledger.into_bytes()));
    files.push((
        "VERIFY.md".into(),
        verify_md(title, &table, citations.len(), events).into_bytes(),
    ));
    refuse_contact_details(lib, &files)?;

    let mut sums = String::new();
    for (name, bytes) in &files {
        use sha2::Digest;
        sums.push_str(&format!("{}  {name}\n", hex(&sha2::Sha256::digest(bytes))));
    }
    files.push(("SHA256SUMS".into(), sums.into_bytes()));

    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    for (name, bytes) in &files {
        zip.start_file(format!("{folder}/{name}"), options)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// The ledger's own lines (byte for byte, so each event's hash can be recomputed) of the
/// consent events of the cited quotes.
fn ledger_lines(lib: &Library, book: &QuoteBook, quotes: &HashSet<&str>) -> anyhow::Result<String> {
    let path = crate::ledger::path(lib);
    let text = if quotes.is_empty() {
        String::new()
    } else {
        std::fs::read_to_string(&path)
            .with_context(|| format!("failed to read `{}`", path.display()))?
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for (n, e) in &book.ledger.events {
        if quotes.contains(e.target.as_str()) && CONSENT_ACTIONS.contains(&e.action) {
            let line = lines.get(n - 1).copied().unwrap_or_default();
            // The line as written, if it still is this event; else the event as heard
            // writes it.
            if line.contains(&e.id) {
                out.push_str(line);
            } else {
                out.push_str(&serde_json::to_string(e)?);
            }
            out.push('\n');
        }
    }
    Ok(out)
}

/// Stop if any contributor's contact details would leave in the pack.
fn refuse_contact_details(lib: &Library, files: &[(String, Vec<u8>)]) -> anyhow::Result<()> {
    let people = crate::contributors::load(lib).unwrap_or_default();
    for p in &people.contributors {
        let Some(contact) = p.contact.as_deref().map(str::trim).filter(|c| c.len() >= 6) else {
            continue;
        };
        for (name, bytes) in files {
            if String::from_utf8_lossy(bytes).contains(contact) {
                bail!(
                    "not packed: `{name}` would carry the contact details of {} (from corpus/contributors.toml); remove them from the response or the consent note",
                    p.id
                );
            }
        }
    }
    Ok(())
}

/// The Python in VERIFY.md: checks every hash in the pack with the standard library, and
/// BLAKE3 with the `blake3` package or the `b3sum` tool.
pub const VERIFY_PY: &str = r#"import hashlib, json, pathlib, subprocess

def blake3_hex(data):
    try:
        from blake3 import blake3  # python3 -m pip install blake3
        return blake3(data).hexdigest()
    except ImportError:  # or the b3sum tool
        run = subprocess.run(["b3sum", "--no-names"], input=data, capture_output=True, check=True)
        return run.stdout.decode().split()[0]

ok = True
for line in pathlib.Path("SHA256SUMS").read_text(encoding="utf-8").splitlines():
    digest, name = line.split("  ", 1)
    if hashlib.sha256(pathlib.Path(name).read_bytes()).hexdigest() != digest:
        ok = False; print("changed since packed:", name)

citations = json.loads(pathlib.Path("provenance.json").read_text(encoding="utf-8"))["citations"]
passages = sorted(pathlib.Path("passages").glob("*.txt"))
if len(passages) != len(citations):
    ok = False; print("passages/ and provenance.json do not match")
for c, p in zip(citations, passages):
    if blake3_hex(p.read_bytes()) != c["text_hash"]:
        ok = False; print("text differs from what was cited:", p)

for line in pathlib.Path("ledger.jsonl").read_text(encoding="utf-8").splitlines():
    e = json.loads(line)
    body = "{" + ",".join(
        json.dumps(k) + ":" + json.dumps(e[k], ensure_ascii=False, separators=(",", ":"))
        for k in ["parents", "time", "actor", "action", "target", "details"]) + "}"
    if "e-" + blake3_hex(body.encode("utf-8"))[:32] != e["id"]:
        ok = False; print("event changed:", e["id"])

print("all hashes match" if ok else "SOME HASHES DO NOT MATCH")
"#;

fn verify_md(title: &str, table: &str, passages: usize, events: usize) -> String {
    format!(
        r#"# Evidence pack: {title}

This pack lets you check, without heard, that the response says what its sources say and
that every person quoted agreed to it. Run every command below inside this folder.

## What is here

- `response.docx`, `response.html` — the response as sent.
- `provenance.json` — every footnote of the response: the source (title, organisation,
  date, file and lines in the organisation's library), the exact text cited, `text_hash`
  (the BLAKE3 hash of that text, recorded when the draft was made), and for quotes the
  consent it relied on.
- `passages/` — the exact text of each of the {passages} cited items, one file each, in the
  order of `provenance.json`:

| file | what | source | where | BLAKE3 (`text_hash`) |
|---|---|---|---|---|
{table}

- `ledger.jsonl` — the {events} consent events behind the quotes: one JSON event per line,
  copied from the organisation's append-only consent ledger.
- `SHA256SUMS` — the SHA-256 hash of every other file.

## 1. Nothing was changed after packing

    sha256sum -c SHA256SUMS

## 2. Each text is what was cited

Each `text_hash` in `provenance.json` is the **BLAKE3** hash of the text's UTF-8 bytes (no
trailing newline). `b3sum` (Debian and Ubuntu: `apt install b3sum`; or
`cargo install b3sum`; or `python3 -m pip install blake3`) prints it:

    b3sum passages/*.txt

Compare each hash with the `text_hash` of the same citation in `provenance.json`. With the
source documents to hand, find the text at the file and lines given there (as a reader sees
it: Markdown marks such as `*`, `\` and link syntax are not part of the text).

## 3. The consent events are as recorded

Each event's `id` is `e-` followed by the first 32 hexadecimal digits of the BLAKE3 hash
of the event without its `id`: the JSON object of `parents`, `time`, `actor`, `action`,
`target` and `details`, in that order, written without spaces, with keys inside `details`
in the order they appear on the line and non-ASCII characters as they are (not escaped).
`parents` names the events that came just before it in the organisation's ledger; those
belong to other people's quotes and are not in this pack, and the organisation's
`heard verify` checks the whole chain.

An `approve` event gives the `scope` the speaker agreed to (`internal`, `external`:
responses sent outside the organisation, or `publication`) and an end date if there is
one; `on_behalf_of` says an officer recorded the speaker's decision for them. `actor` is the
speaker's pseudonymous id, or the officer. The event that made each quote is not included:
it holds a few words of the source either side of the quote, which nobody agreed to share.

## 4. All of it at once, with Python

The script below checks the SHA-256 sums with Python's standard library and the BLAKE3
hashes with the `blake3` package or, without it, the `b3sum` tool. Save it as `verify.py`
in this folder and run `python3 verify.py`:

```python
{VERIFY_PY}```
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cited_labels_skip_definitions_and_comments() {
        let md = "# T\n\nWords[^q-1] and more[^p-a-L3].\n<!-- old[^q-2] -->\n\n[^q-1]: a\n[^q-9]: b\n[^p-a-L3]: c\n";
        assert_eq!(cited_labels(md), vec!["q-1", "p-a-L3"]);
    }

    #[test]
    fn slugs_are_safe_file_names() {
        assert_eq!(slug("t-ash"), "t-ash");
        assert_eq!(slug("../a b/c"), "a-b-c");
        assert_eq!(slug("///"), "source");
    }
}
