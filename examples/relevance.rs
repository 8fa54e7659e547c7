//! The relevance evaluation of issue 10: how well `heard recs` finds recommendations, and how
//! well `heard draft` chooses evidence for a question, measured against hand labels in
//! `benches/relevance/`. Run it with `benches/relevance/run.sh` (see EVALUATION.md).
//!
//! ```text
//! relevance [--heard PATH] [--samples DIR] [--json] [--keep] [--verbose]
//! ```
//!
//! It runs the real `heard` binary on temporary copies of the demo library, so it relies only
//! on `heard recs --json` (`path`, `line_start`, `line_end`, `text` of each recommendation),
//! on `provenance.json` (`citations[].question`, `.kind`, `.id`, `.source`, `.path`,
//! `.line_start`) and on the text of `response.md`: the draft's wording may change freely.
//!
//! The three public sample documents are read from `$HEARD_SAMPLES` or `../shared/samples`
//! beside the repository, and copied only into the temporary library; without them their part
//! of the extraction score is skipped, with a note.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::{Value, json};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// What the draft may write for a question it cannot answer (lower case). A question counts as
/// flagged when it has no citations or its section has a line with one of these.
const GAP_MARKERS: &[&str] = &[
    "no strong evidence",
    "no relevant evidence",
    "no good evidence",
    "nothing in the library",
    "the library holds nothing",
    "the library has nothing",
    "could not find evidence",
    "found no evidence",
];

// ---------------------------------------------------------------- labels

#[derive(Deserialize)]
struct RecLabels {
    #[serde(default)]
    document: Vec<Document>,
    file: Vec<RecFile>,
}

#[derive(Deserialize)]
struct Document {
    path: String,
    what: String,
    licence: String,
}

#[derive(Deserialize)]
struct RecFile {
    path: String,
    items: Vec<RecItem>,
}

#[derive(Deserialize, Clone)]
struct RecItem {
    line: usize,
    label: String,
    form: String,
    words: String,
    #[serde(default)]
    part_of: Option<usize>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
struct DraftLabels {
    call: Vec<CallLabel>,
    question: Vec<QuestionLabel>,
}

#[derive(Deserialize)]
struct CallLabel {
    slug: String,
    consultation: String,
}

#[derive(Deserialize)]
struct QuestionLabel {
    call: String,
    id: String,
    #[serde(default)]
    profile: bool,
    #[serde(default)]
    unanswerable: bool,
    #[serde(default)]
    options: Vec<String>,
    #[serde(default)]
    evidence: Vec<Evidence>,
}

#[derive(Deserialize, Clone)]
struct Evidence {
    #[serde(default)]
    quote: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    lines: Option<[usize; 2]>,
    #[serde(default)]
    kind: Option<String>,
    grade: u8,
}

impl Evidence {
    fn name(&self) -> String {
        match (&self.quote, &self.path, self.lines) {
            (Some(q), _, _) => q.clone(),
            (None, Some(p), Some([a, b])) => format!(
                "{} {}:{a}-{b}",
                self.kind.as_deref().unwrap_or("text"),
                short(p)
            ),
            _ => "?".into(),
        }
    }
}

// ---------------------------------------------------------------- options

struct Opts {
    heard: PathBuf,
    samples: Option<PathBuf>,
    samples_note: String,
    json: bool,
    keep: bool,
    verbose: bool,
}

fn opts() -> anyhow::Result<Opts> {
    let mut heard = None;
    let mut samples = None;
    let (mut json, mut keep, mut verbose) = (false, false, false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--heard" => heard = Some(PathBuf::from(args.next().context("--heard needs a path")?)),
            "--samples" => {
                samples = Some(PathBuf::from(
                    args.next().context("--samples needs a folder")?,
                ))
            }
            "--json" => json = true,
            "--keep" => keep = true,
            "--verbose" | "-v" => verbose = true,
            "-h" | "--help" => {
                println!(
                    "relevance [--heard PATH] [--samples DIR] [--json] [--keep] [--verbose]\n\
                     Measures heard's recommendation extraction and evidence choice against the\n\
                     labels in benches/relevance/. See EVALUATION.md."
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument `{other}`; try --help"),
        }
    }
    let heard = match heard {
        Some(h) => h,
        None => {
            // target/<profile>/examples/relevance -> target/<profile>/heard
            let exe = std::env::current_exe()?;
            let dir = exe
                .parent()
                .and_then(Path::parent)
                .context("no target folder")?;
            dir.join(format!("heard{}", std::env::consts::EXE_SUFFIX))
        }
    };
    if !heard.is_file() {
        bail!(
            "no heard binary at {}; build it with `cargo build --release` or pass --heard PATH",
            heard.display()
        );
    }
    let (samples, samples_note) = match samples
        .or_else(|| std::env::var_os("HEARD_SAMPLES").map(PathBuf::from))
    {
        Some(s) if s.is_dir() => (
            Some(s.clone()),
            format!("samples read from {}", s.display()),
        ),
        Some(s) => (
            None,
            format!(
                "samples folder {} is missing: the samples are skipped",
                s.display()
            ),
        ),
        None => {
            let s = Path::new(REPO).join("../shared/samples");
            if s.is_dir() {
                (
                    Some(s.clone()),
                    format!("samples read from {}", s.display()),
                )
            } else {
                (
                    None,
                    "no ../shared/samples beside the repository and no $HEARD_SAMPLES: the three public \
                     samples are skipped, the demo documents are scored alone"
                        .into(),
                )
            }
        }
    };
    Ok(Opts {
        heard,
        samples,
        samples_note,
        json,
        keep,
        verbose,
    })
}

// ---------------------------------------------------------------- helpers

fn short(p: &str) -> &str {
    p.strip_prefix("corpus/").unwrap_or(p)
}

fn norm(s: &str) -> String {
    s.replace("**", "")
        .replace(['’', '‘'], "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn first_words(s: &str, n: usize) -> String {
    s.split_whitespace().take(n).collect::<Vec<_>>().join(" ")
}

/// A library to run heard on: the repository's heard.toml and corpus/ copied to a temp dir.
fn demo_library() -> anyhow::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("heard-relevance-")
        .tempdir()?;
    std::fs::copy(
        Path::new(REPO).join("heard.toml"),
        dir.path().join("heard.toml"),
    )?;
    copy_tree(&Path::new(REPO).join("corpus"), &dir.path().join("corpus"))?;
    std::fs::create_dir_all(dir.path().join("responses"))?;
    Ok(dir)
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry?;
        let rel = entry.path().strip_prefix(from)?;
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest)?;
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &dest)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

fn run_heard(o: &Opts, lib: &Path, args: &[&str]) -> anyhow::Result<std::process::Output> {
    let out = Command::new(&o.heard)
        .arg("-C")
        .arg(lib)
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(lib)
        .output()
        .with_context(|| format!("running {}", o.heard.display()))?;
    Ok(out)
}

fn keep_or_drop(o: &Opts, dir: tempfile::TempDir, what: &str) {
    if o.keep {
        let p = dir.keep();
        eprintln!("kept the {what} library at {}", p.display());
    }
}

// ---------------------------------------------------------------- extraction

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Counts {
    fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn json(&self) -> Value {
        // Precision is undefined when nothing was extracted, recall when nothing is labelled.
        let some = |n: usize, x: f64| if n == 0 { Value::Null } else { json!(round(x)) };
        json!({"tp": self.tp, "fp": self.fp, "fn": self.fn_,
               "precision": some(self.tp + self.fp, self.precision()),
               "recall": some(self.tp + self.fn_, self.recall()),
               "f1": round(self.f1())})
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[derive(Deserialize)]
struct RecsOut {
    recommendations: Vec<Rec>,
}

#[derive(Deserialize)]
struct Rec {
    id: String,
    path: String,
    line_start: usize,
    line_end: usize,
    text: String,
}

/// Where a labelled file is in the temporary library.
fn lib_path(label_path: &str) -> String {
    match label_path.strip_prefix("samples/") {
        Some(name) => format!("corpus/samples/{name}"),
        None => label_path.to_string(),
    }
}

struct Mistake {
    file: String,
    line: usize,
    what: String,
    words: String,
}

fn extraction(o: &Opts) -> anyhow::Result<Value> {
    let labels: RecLabels = toml::from_str(&std::fs::read_to_string(
        Path::new(REPO).join("benches/relevance/recommendations.toml"),
    )?)
    .context("benches/relevance/recommendations.toml")?;
    let lib = demo_library()?;
    // The labelled files, by their path in the library; skipped samples are left out.
    let mut files: BTreeMap<String, (&RecFile, Vec<String>)> = BTreeMap::new();
    let mut skipped = Vec::new();
    for f in &labels.file {
        let text = if let Some(name) = f.path.strip_prefix("samples/") {
            let Some(dir) = &o.samples else {
                skipped.push(f.path.clone());
                continue;
            };
            let src = dir.join(name);
            let text = std::fs::read_to_string(&src)
                .with_context(|| format!("reading sample {}", src.display()))?;
            let dest = lib.path().join(lib_path(&f.path));
            std::fs::create_dir_all(dest.parent().unwrap())?;
            std::fs::write(&dest, &text)?;
            text
        } else {
            std::fs::read_to_string(Path::new(REPO).join(&f.path))
                .with_context(|| format!("reading {}", f.path))?
        };
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        // Every label must still name the line it was written for.
        for it in &f.items {
            let around = lines
                .get(it.line.saturating_sub(1)..(it.line + 3).min(lines.len()))
                .map(|l| l.join(" "))
                .unwrap_or_default();
            if !norm(&around).contains(&norm(&it.words)) {
                bail!(
                    "benches/relevance/recommendations.toml: {}:{} should start with “{}” but the \
                     file has “{}”; fix the label's line or words",
                    f.path,
                    it.line,
                    it.words,
                    first_words(lines.get(it.line.wrapping_sub(1)).map_or("", |s| s), 8)
                );
            }
            if !["rec", "not", "unsure"].contains(&it.label.as_str())
                || !["list", "sub", "prose"].contains(&it.form.as_str())
            {
                bail!(
                    "{}:{}: label must be rec|not|unsure and form list|sub|prose",
                    f.path,
                    it.line
                );
            }
        }
        files.insert(lib_path(&f.path), (f, lines));
    }
    let out = run_heard(o, lib.path(), &["recs", "--json", "--limit", "1000000"])?;
    if !out.status.success() {
        bail!(
            "heard recs failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let recs: RecsOut = serde_json::from_slice(&out.stdout).context("reading heard recs --json")?;

    let mut per_file: BTreeMap<String, Counts> = BTreeMap::new();
    let mut matched: HashMap<(String, usize), usize> = HashMap::new(); // (file, label line) -> times
    let mut false_pos = Vec::new();
    let mut outside = 0usize;
    let mut ignored = 0usize;
    for r in &recs.recommendations {
        let Some((f, _lines)) = files.get(&r.path) else {
            outside += 1;
            continue;
        };
        let entry = per_file.entry(f.path.clone()).or_default();
        let text = norm(&r.text);
        // The label this recommendation is: one on its first line (the one whose words it
        // has, if several sentences start there), else one within its lines.
        let within: Vec<&RecItem> = f
            .items
            .iter()
            .filter(|it| it.line >= r.line_start && it.line <= r.line_end.max(r.line_start))
            .collect();
        let pick = within
            .iter()
            .filter(|it| it.line == r.line_start && text.contains(&norm(&it.words)))
            .chain(
                within
                    .iter()
                    .filter(|it| text.contains(&norm(&it.words)) && it.label == "rec"),
            )
            .chain(within.iter().filter(|it| it.line == r.line_start))
            .chain(within.iter())
            .next()
            .copied();
        match pick {
            Some(it) => {
                let line = if it.form == "sub" {
                    it.part_of.unwrap_or(it.line)
                } else {
                    it.line
                };
                let parent = f
                    .items
                    .iter()
                    .find(|p| p.line == line && p.form != "sub")
                    .unwrap_or(it);
                match parent.label.as_str() {
                    "rec" => {
                        let n = matched.entry((f.path.clone(), line)).or_default();
                        *n += 1;
                        if *n == 1 {
                            entry.tp += 1;
                        }
                    }
                    "unsure" => ignored += 1,
                    _ => {
                        entry.fp += 1;
                        false_pos.push(Mistake {
                            file: f.path.clone(),
                            line: r.line_start,
                            what: format!("labelled not a recommendation ({})", r.id),
                            words: parent.words.clone(),
                        });
                    }
                }
            }
            None => {
                entry.fp += 1;
                false_pos.push(Mistake {
                    file: f.path.clone(),
                    line: r.line_start,
                    what: format!("not labelled as a recommendation ({})", r.id),
                    words: first_words(&r.text, 6),
                });
            }
        }
    }
    let mut misses = Vec::new();
    let mut labelled = BTreeMap::<&str, [usize; 3]>::new();
    for (f, _) in files.values() {
        let entry = per_file.entry(f.path.clone()).or_default();
        for it in &f.items {
            let c = labelled.entry(it.label.as_str()).or_default();
            c[match it.form.as_str() {
                "list" => 0,
                "sub" => 1,
                _ => 2,
            }] += 1;
            if it.label == "rec"
                && it.form != "sub"
                && !matched.contains_key(&(f.path.clone(), it.line))
            {
                entry.fn_ += 1;
                misses.push(Mistake {
                    file: f.path.clone(),
                    line: it.line,
                    what: format!("missed ({})", it.form),
                    words: it.words.clone(),
                });
            }
        }
    }
    let mut all = Counts::default();
    let mut demo = Counts::default();
    let mut samples = Counts::default();
    for (path, c) in &per_file {
        all.add(*c);
        if path.starts_with("samples/") {
            samples.add(*c)
        } else {
            demo.add(*c)
        }
    }
    let duplicates: usize = matched.values().map(|n| n - 1).sum();
    let mistakes = |m: &[Mistake]| -> Vec<Value> {
        m.iter()
            .map(|m| json!({"file": m.file, "line": m.line, "what": m.what, "words": m.words}))
            .collect()
    };
    let result = json!({
        "all": all.json(),
        "demo": demo.json(),
        "samples": if o.samples.is_some() { samples.json() } else { Value::Null },
        "samples_note": o.samples_note,
        "documents": labels.document.iter().map(|d| json!({"path": d.path, "what": d.what, "licence": d.licence})).collect::<Vec<_>>(),
        "skipped_files": skipped,
        "per_file": per_file.iter().map(|(k, c)| (k.clone(), c.json())).collect::<serde_json::Map<_, _>>(),
        "labels": labelled.iter().map(|(k, v)| (k.to_string(), json!({"list": v[0], "sub": v[1], "prose": v[2]}))).collect::<serde_json::Map<_, _>>(),
        "extracted": recs.recommendations.len(),
        "extracted_outside_labelled_files": outside,
        "extracted_unsure_ignored": ignored,
        "extracted_duplicates": duplicates,
        "misses": mistakes(&misses),
        "false_positives": mistakes(&false_pos),
    });
    keep_or_drop(o, lib, "extraction");
    Ok(result)
}

// ---------------------------------------------------------------- drafting

#[derive(Deserialize)]
struct Provenance {
    citations: Vec<Citation>,
}

#[derive(Deserialize)]
struct Citation {
    question: String,
    kind: String,
    id: String,
    #[serde(default)]
    #[allow(dead_code)]
    source: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    line_start: usize,
}

/// The grade of a citation and which label it matched.
fn grade_of(c: &Citation, evidence: &[Evidence]) -> Option<(usize, u8)> {
    evidence.iter().enumerate().find_map(|(i, e)| {
        let hit = match (&e.quote, &e.path, e.lines) {
            (Some(q), _, _) => c.kind == "quote" && &c.id == q,
            (None, Some(p), Some([a, b])) => {
                c.kind != "quote" && &c.path == p && c.line_start >= a && c.line_start <= b
            }
            _ => false,
        };
        hit.then_some((i, e.grade))
    })
}

fn dcg(gains: impl Iterator<Item = u8>) -> f64 {
    gains
        .take(5)
        .enumerate()
        .map(|(i, g)| (2f64.powi(g as i32) - 1.0) / ((i + 2) as f64).log2())
        .sum()
}

/// The text of each question's section of response.md: from the heading naming its id to
/// the next heading naming another question's id.
fn sections(md: &str, ids: &[&str]) -> HashMap<String, String> {
    let lines: Vec<&str> = md.lines().collect();
    let mut starts: Vec<(usize, &str)> = Vec::new();
    for id in ids {
        let re = regex::Regex::new(&format!(r"(^|[^\w-]){}([^\w-]|$)", regex::escape(id))).unwrap();
        if let Some(i) = lines
            .iter()
            .position(|l| l.trim_start().starts_with('#') && re.is_match(l))
        {
            starts.push((i, id));
        }
    }
    starts.sort();
    let mut out = HashMap::new();
    for (k, (i, id)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(lines.len(), |(j, _)| *j);
        out.insert(id.to_string(), lines[*i..end].join("\n"));
    }
    out
}

fn gap_marker(section: &str) -> Option<String> {
    section.lines().find_map(|l| {
        let low = l.to_lowercase();
        GAP_MARKERS
            .iter()
            .find(|m| low.contains(*m))
            .map(|m| m.to_string())
    })
}

/// Write the call's consultation.toml into the library, with the labelled options added to
/// its questions when `with_options`.
fn place_call(
    lib: &Path,
    call: &CallLabel,
    qs: &[&QuestionLabel],
    with_options: bool,
) -> anyhow::Result<()> {
    let src = Path::new(REPO).join(&call.consultation);
    let text =
        std::fs::read_to_string(&src).with_context(|| format!("reading {}", src.display()))?;
    let mut doc: toml::Table = toml::from_str(&text).with_context(|| src.display().to_string())?;
    if with_options {
        if let Some(toml::Value::Array(questions)) = doc.get_mut("question") {
            for q in questions.iter_mut().filter_map(|q| q.as_table_mut()) {
                let id = q
                    .get("id")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string();
                if let Some(l) = qs.iter().find(|l| l.id == id && !l.options.is_empty()) {
                    q.insert(
                        "options".into(),
                        toml::Value::Array(
                            l.options
                                .iter()
                                .map(|s| toml::Value::String(s.clone()))
                                .collect(),
                        ),
                    );
                }
            }
        }
    }
    let dir = lib.join("responses").join(&call.slug);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("consultation.toml"), toml::to_string(&doc)?)?;
    for f in ["response.md", "provenance.json"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    Ok(())
}

fn drafting(o: &Opts) -> anyhow::Result<Value> {
    let labels: DraftLabels = toml::from_str(&std::fs::read_to_string(
        Path::new(REPO).join("benches/relevance/drafting.toml"),
    )?)
    .context("benches/relevance/drafting.toml")?;
    let lib = demo_library()?;
    // Quotes that may be used in an external response, to check the labels name real ones.
    let mut known_quotes = HashMap::new();
    for e in std::fs::read_dir(Path::new(REPO).join("corpus/quotes"))? {
        let t: toml::Table = toml::from_str(&std::fs::read_to_string(e?.path())?)?;
        for q in t
            .get("quote")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(id) = q.get("id").and_then(|v| v.as_str()) {
                let exact = q.get("exact").and_then(|v| v.as_str()).unwrap_or_default();
                known_quotes.insert(id.to_string(), first_words(exact, 8));
            }
        }
    }
    for q in &labels.question {
        for e in &q.evidence {
            match (&e.quote, &e.path, e.lines) {
                (Some(id), None, None) if known_quotes.contains_key(id) => {}
                (None, Some(p), Some([a, b])) if a <= b && Path::new(REPO).join(p).is_file() => {}
                _ => bail!(
                    "benches/relevance/drafting.toml: question {} {}: evidence {} names no quote or \
                     no file and lines; give quote = \"q-…\" or path and lines = [first, last]",
                    q.call,
                    q.id,
                    e.name()
                ),
            }
        }
        if [q.profile, q.unanswerable, !q.evidence.is_empty()]
            .iter()
            .filter(|b| **b)
            .count()
            != 1
        {
            bail!(
                "benches/relevance/drafting.toml: question {} {} must have exactly one of \
                 evidence, unanswerable = true or profile = true",
                q.call,
                q.id
            );
        }
    }

    let mut rows = Vec::new();
    let mut options_note = String::new();
    let (mut cited_all, mut relevant_all) = (0usize, 0usize);
    let (mut recalls, mut recalls2, mut ndcgs, mut precisions) = (vec![], vec![], vec![], vec![]);
    let (mut unans, mut unans_flagged, mut profile, mut profile_clean) = (0, 0, 0, 0);
    let mut answerable_flagged = 0;
    let mut markers_seen = HashSet::new();
    let mut failures: Vec<Value> = Vec::new();
    for call in &labels.call {
        let qs: Vec<&QuestionLabel> = labels
            .question
            .iter()
            .filter(|q| q.call == call.slug)
            .collect();
        let has_options = qs.iter().any(|q| !q.options.is_empty());
        let mut options_given = has_options;
        place_call(lib.path(), call, &qs, has_options)?;
        let dir = format!("responses/{}", call.slug);
        let mut out = run_heard(o, lib.path(), &["draft", &dir])?;
        if has_options
            && !out.status.success()
            && String::from_utf8_lossy(&out.stderr).contains("options")
        {
            options_note =
                "this heard refuses `options` in consultation.toml: the calls were drafted \
                            without them (profile questions' options are only in drafting.toml)"
                    .into();
            place_call(lib.path(), call, &qs, false)?;
            options_given = false;
            out = run_heard(o, lib.path(), &["draft", &dir])?;
        } else if has_options && out.status.success() && options_note.is_empty() {
            options_note = "options were given to heard in consultation.toml".into();
        }
        if !out.status.success() {
            // A call heard cannot draft is a result: every question of it is counted as
            // drafted with nothing (answerable ones score 0, gaps and profiles count as
            // neither flagged nor clean), and the error is reported.
            let err = String::from_utf8_lossy(&out.stderr);
            let err = err
                .lines()
                .filter(|l| l.starts_with("error"))
                .collect::<Vec<_>>()
                .join(" ");
            failures.push(json!({"call": call.slug, "error": err}));
            for q in &qs {
                let kind = if q.profile {
                    "profile"
                } else if q.unanswerable {
                    "unanswerable"
                } else {
                    "answerable"
                };
                match kind {
                    "profile" => profile += 1,
                    "unanswerable" => unans += 1,
                    _ => {
                        recalls.push(0.0);
                        recalls2.push(0.0);
                        ndcgs.push(0.0);
                    }
                }
                rows.push(
                    json!({"call": call.slug, "question": q.id, "type": kind, "cited": 0,
                                 "status": "draft failed", "citations": []}),
                );
            }
            continue;
        }
        let folder = lib.path().join(&dir);
        let prov: Provenance =
            serde_json::from_str(&std::fs::read_to_string(folder.join("provenance.json"))?)
                .context("reading provenance.json")?;
        let md = std::fs::read_to_string(folder.join("response.md"))?;
        let consultation: toml::Table =
            toml::from_str(&std::fs::read_to_string(folder.join("consultation.toml"))?)?;
        let ids: Vec<&str> = consultation
            .get("question")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .filter_map(|q| q.get("id").and_then(|v| v.as_str()))
            .collect();
        for id in &ids {
            if !qs.iter().any(|q| q.id == *id) {
                bail!(
                    "drafting.toml has no labels for question {id} of {}",
                    call.slug
                );
            }
        }
        let secs = sections(&md, &ids);
        for q in &qs {
            let cites: Vec<&Citation> = prov
                .citations
                .iter()
                .filter(|c| c.question == q.id)
                .collect();
            let section = secs.get(&q.id);
            let marker = section.and_then(|s| gap_marker(s));
            // Whether the answer shows the options (only asked when heard was given them).
            let options_shown = (options_given && !q.options.is_empty()).then(|| {
                section.is_some_and(|s| q.options.iter().all(|opt| s.contains(opt.as_str())))
            });
            let cited: Vec<Value> = cites
                .iter()
                .map(|c| {
                    let g = grade_of(c, &q.evidence);
                    json!({"kind": c.kind, "id": c.id, "path": c.path, "line": c.line_start,
                    "grade": g.map_or(0, |(_, g)| g),
                    "first_words": if c.kind == "quote" {
                        known_quotes.get(&c.id).cloned().unwrap_or_default()
                    } else {
                        cited_words(c)
                    }})
                })
                .collect();
            let mut row = json!({
                "call": call.slug, "question": q.id, "cited": cites.len(),
                "section_found": section.is_some(), "citations": cited,
            });
            if q.profile {
                profile += 1;
                let clean = cites.is_empty();
                profile_clean += clean as usize;
                row["type"] = json!("profile");
                row["status"] = json!(if clean {
                    "no evidence"
                } else {
                    "given evidence"
                });
                row["options_shown"] = json!(options_shown);
            } else if q.unanswerable {
                unans += 1;
                let how = if cites.is_empty() {
                    Some("no citations".to_string())
                } else {
                    marker.as_ref().map(|m| format!("marker “{m}”"))
                };
                if let Some(h) = &how {
                    unans_flagged += 1;
                    markers_seen.insert(h.clone());
                }
                row["type"] = json!("unanswerable");
                row["status"] = json!(how.map_or_else(
                    || format!("padded with {}", cites.len()),
                    |h| format!("flagged ({h})")
                ));
            } else {
                let mut found: Vec<Option<(usize, u8)>> =
                    cites.iter().map(|c| grade_of(c, &q.evidence)).collect();
                let relevant = found.iter().filter(|f| f.is_some()).count();
                let distinct: HashSet<usize> = found.iter().flatten().map(|(i, _)| *i).collect();
                let central: Vec<usize> = (0..q.evidence.len())
                    .filter(|i| q.evidence[*i].grade == 2)
                    .collect();
                let recall = ratio(distinct.len(), q.evidence.len());
                let recall2 = ratio(
                    central.iter().filter(|i| distinct.contains(i)).count(),
                    central.len(),
                );
                // nDCG@5 in the order cited; a second citation of the same labelled item gains nothing.
                let mut seen = HashSet::new();
                for f in found.iter_mut() {
                    if let Some((i, _)) = f {
                        if !seen.insert(*i) {
                            *f = None;
                        }
                    }
                }
                let dcg_v = dcg(found.iter().map(|f| f.map_or(0, |(_, g)| g)));
                let mut ideal: Vec<u8> = q.evidence.iter().map(|e| e.grade).collect();
                ideal.sort_unstable_by(|a, b| b.cmp(a));
                let ndcg = dcg_v / dcg(ideal.into_iter());
                let precision = if cites.is_empty() {
                    None
                } else {
                    Some(ratio(relevant, cites.len()))
                };
                cited_all += cites.len();
                relevant_all += relevant;
                recalls.push(recall);
                recalls2.push(recall2);
                ndcgs.push(ndcg);
                if let Some(p) = precision {
                    precisions.push(p);
                }
                let flagged = cites.is_empty() || marker.is_some();
                answerable_flagged += flagged as usize;
                row["type"] = json!(if q.options.is_empty() {
                    "answerable"
                } else {
                    "answerable, with options"
                });
                row["relevant"] = json!(relevant);
                row["labelled"] = json!(q.evidence.len());
                row["precision"] = json!(precision.map(round));
                row["recall"] = json!(round(recall));
                row["recall_central"] = json!(round(recall2));
                row["ndcg5"] = json!(round(ndcg));
                row["status"] = json!(if flagged {
                    "flagged as a gap"
                } else {
                    "answered"
                });
                if options_shown.is_some() {
                    row["options_shown"] = json!(options_shown);
                }
                row["missed_central"] = json!(
                    central
                        .iter()
                        .filter(|i| !distinct.contains(i))
                        .map(|i| q.evidence[*i].name())
                        .collect::<Vec<_>>()
                );
            }
            rows.push(row);
        }
        if o.keep {
            std::fs::copy(folder.join("response.md"), folder.join("response.kept.md")).ok();
        }
    }
    let mean = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let result = json!({
        "questions": rows.len(),
        "answerable": recalls.len(),
        "precision_micro": round(ratio(relevant_all, cited_all)),
        "precision_macro": round(mean(&precisions)),
        "cited_in_answerable": cited_all,
        "relevant_cited": relevant_all,
        "recall": round(mean(&recalls)),
        "recall_central": round(mean(&recalls2)),
        "ndcg5": round(mean(&ndcgs)),
        "answerable_flagged": answerable_flagged,
        "unanswerable": unans,
        "unanswerable_flagged": unans_flagged,
        "flag_seen_as": markers_seen.into_iter().collect::<Vec<_>>(),
        "profile": profile,
        "profile_without_evidence": profile_clean,
        "options_note": options_note,
        "draft_failures": failures,
        "rows": rows,
    });
    keep_or_drop(o, lib, "drafting");
    Ok(result)
}

/// The first words of what a citation points at, read from the repository's copy of the file.
fn cited_words(c: &Citation) -> String {
    if c.path.is_empty() || c.line_start == 0 {
        return String::new();
    }
    std::fs::read_to_string(Path::new(REPO).join(&c.path))
        .ok()
        .and_then(|t| t.lines().nth(c.line_start - 1).map(|l| first_words(l, 8)))
        .unwrap_or_default()
}

// ---------------------------------------------------------------- report

fn pct(x: &Value) -> String {
    x.as_f64()
        .map_or("–".into(), |v| format!("{:.0}%", v * 100.0))
}

fn num(x: &Value) -> String {
    x.as_f64().map_or("–".into(), |v| format!("{v:.2}"))
}

fn print_report(o: &Opts, ex: &Value, dr: &Value) {
    println!("## Recommendation extraction (heard recs --json)\n");
    println!("| set | TP | FP | FN | precision | recall | F1 |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, key) in [
        ("all labelled documents", "all"),
        ("demo library (11)", "demo"),
        ("public samples (3)", "samples"),
    ] {
        let c = &ex[key];
        if c.is_null() {
            println!("| {name} | skipped | | | | | |");
            continue;
        }
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} |",
            c["tp"],
            c["fp"],
            c["fn"],
            num(&c["precision"]),
            num(&c["recall"]),
            num(&c["f1"])
        );
    }
    println!(
        "\nTarget: F1 ≥ 0.90. {}. {} extracted in all ({} in unlabelled files such as notes, {} on items \
         labelled unsure, {} second matches of one item). Labels: {}.",
        ex["samples_note"].as_str().unwrap_or_default(),
        ex["extracted"],
        ex["extracted_outside_labelled_files"],
        ex["extracted_unsure_ignored"],
        ex["extracted_duplicates"],
        ["rec", "not", "unsure"]
            .iter()
            .map(|k| {
                let l = &ex["labels"][*k];
                format!(
                    "{} {k} ({} list items, {} nested, {} prose)",
                    l["list"].as_u64().unwrap_or(0)
                        + l["sub"].as_u64().unwrap_or(0)
                        + l["prose"].as_u64().unwrap_or(0),
                    l["list"],
                    l["sub"],
                    l["prose"]
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    if o.verbose {
        println!("\nPer file:\n");
        for (f, c) in ex["per_file"].as_object().into_iter().flatten() {
            println!(
                "- {f}: TP {} FP {} FN {} (F1 {})",
                c["tp"],
                c["fp"],
                c["fn"],
                num(&c["f1"])
            );
        }
    }
    for (title, key) in [("Missed", "misses"), ("Taken wrongly", "false_positives")] {
        let list = ex[key].as_array().cloned().unwrap_or_default();
        if list.is_empty() {
            continue;
        }
        println!("\n{title} ({}):\n", list.len());
        for m in list.iter().take(if o.verbose { usize::MAX } else { 15 }) {
            println!(
                "- {}:{} {} — “{}…”",
                m["file"].as_str().unwrap_or_default(),
                m["line"],
                m["what"].as_str().unwrap_or_default(),
                m["words"].as_str().unwrap_or_default()
            );
        }
        if list.len() > 15 && !o.verbose {
            println!("- … {} more (--verbose)", list.len() - 15);
        }
    }

    println!("\n## Evidence chosen by heard draft (provenance.json)\n");
    println!(
        "| call | q | type | cited | relevant | precision | recall | recall (central) | nDCG@5 | status |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---|");
    for r in dr["rows"].as_array().into_iter().flatten() {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {}{} |",
            r["call"].as_str().unwrap_or_default(),
            r["question"].as_str().unwrap_or_default(),
            r["type"].as_str().unwrap_or_default(),
            r["cited"],
            r.get("relevant").map_or("".into(), |v| v.to_string()),
            pct(&r["precision"]),
            pct(&r["recall"]),
            pct(&r["recall_central"]),
            num(&r["ndcg5"]),
            r["status"].as_str().unwrap_or_default(),
            match r.get("options_shown").and_then(Value::as_bool) {
                Some(true) => ", options shown",
                Some(false) => ", options not shown",
                None => "",
            }
        );
    }
    println!(
        "\n| measure | value | target |\n|---|---:|---|\n\
         | precision of chosen items (answerable questions, all citations) | {} ({} of {}) | ≥ 80% |\n\
         | precision, mean per question | {} | |\n\
         | recall, mean per question | {} | |\n\
         | recall of central (grade 2) items | {} | |\n\
         | nDCG@5, mean | {} | |\n\
         | unanswerable questions flagged rather than padded | {} of {} | ≥ 90% |\n\
         | profile questions given no evidence | {} of {} | all |\n\
         | answerable questions flagged as gaps | {} of {} | |",
        pct(&dr["precision_micro"]),
        dr["relevant_cited"],
        dr["cited_in_answerable"],
        pct(&dr["precision_macro"]),
        pct(&dr["recall"]),
        pct(&dr["recall_central"]),
        num(&dr["ndcg5"]),
        dr["unanswerable_flagged"],
        dr["unanswerable"],
        dr["profile_without_evidence"],
        dr["profile"],
        dr["answerable_flagged"],
        dr["answerable"],
    );
    let seen = dr["flag_seen_as"].as_array().cloned().unwrap_or_default();
    println!(
        "\nGaps were recognised by: {}. {}.",
        if seen.is_empty() {
            "nothing (no question was flagged)".to_string()
        } else {
            seen.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        },
        dr["options_note"].as_str().unwrap_or_default()
    );
    for f in dr["draft_failures"].as_array().into_iter().flatten() {
        println!(
            "\n**heard draft failed for {}**: {}",
            f["call"].as_str().unwrap_or_default(),
            f["error"].as_str().unwrap_or_default()
        );
    }
    // The worst answered questions: what they cited that was not labelled relevant.
    let mut worst: Vec<&Value> = dr["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["cited"].as_u64().unwrap_or(0) > 0 && r["type"] != "profile")
        .collect();
    worst.sort_by(|a, b| {
        let k = |r: &Value| {
            if r["type"] == "unanswerable" {
                -1.0
            } else {
                r["ndcg5"].as_f64().unwrap_or(0.0)
            }
        };
        k(a).partial_cmp(&k(b)).unwrap_or(std::cmp::Ordering::Equal)
    });
    println!("\nWorst questions (irrelevant citations, in the order cited):\n");
    for r in worst.iter().take(if o.verbose { usize::MAX } else { 6 }) {
        let bad: Vec<String> = r["citations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["grade"] == 0)
            .map(|c| {
                format!(
                    "{} {}:{} “{}…”",
                    match c["kind"].as_str().unwrap_or_default() {
                        "quote" => format!("quote {}", c["id"].as_str().unwrap_or_default()),
                        k => k.to_string(),
                    },
                    short(c["path"].as_str().unwrap_or_default()),
                    c["line"],
                    c["first_words"].as_str().unwrap_or_default()
                )
            })
            .collect();
        println!(
            "- {} {} ({}, nDCG@5 {}): {}",
            r["call"].as_str().unwrap_or_default(),
            r["question"].as_str().unwrap_or_default(),
            r["type"].as_str().unwrap_or_default(),
            num(&r["ndcg5"]),
            if bad.is_empty() {
                "nothing irrelevant".into()
            } else {
                bad.join("; ")
            }
        );
    }
}

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> anyhow::Result<()> {
    let o = opts()?;
    let ex = extraction(&o)?;
    let dr = drafting(&o)?;
    if o.json {
        let doc = json!({
            "heard": o.heard.display().to_string(),
            "extraction": ex,
            "drafting": dr,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print_report(&o, &ex, &dr);
    }
    Ok(())
}
