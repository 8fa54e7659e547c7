//! `heard import-project FILE.qdpx`: a REFI-QDA project made by NVivo, ATLAS.ti, MAXQDA,
//! QualCoder (or heard) into the library.
//!
//! - each text source becomes a Markdown source, written by the same code as
//!   `heard import` (under `corpus/imported/`, a copy of the original kept, an unchanged
//!   project skipped, Markdown edited since the last import never overwritten); its
//!   variables fill the front matter and codes applied to the whole source become its tags;
//! - codes become taxonomy tags, each a theme of its own (a nested code's description says
//!   which code it was under), so that no coding is merged into another;
//! - each coded selection becomes a quote, made by the same code as `heard quote add` and
//!   so pending until its speaker consents (consent never travels in a project), tagged
//!   with its codes.
//!
//! The project is read and checked whole before anything is written: a damaged zip, an
//! entry whose name leaves the project, a zip that expands beyond [`MAX_TOTAL`], a DTD
//! (entities are never expanded), a source whose text is missing: each stops the import
//! with the file (and entry) named. A selection that does not fit its source's text is
//! reported and left out, never guessed. Project files differ between tools: ATLAS.ti names
//! the XML `<project name>.qde`, some tools write `Sources/` for `sources/`, Windows tools
//! end lines with CRLF (one character in positions) and start texts with a byte-order mark.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;

use crate::Library;
use crate::corpus::{Kind, tag_slug};
use crate::import::xml::{El, parse as parse_xml};
use crate::import::{Converted, FileOutcome, Format, ImportOptions};
use crate::index::{LibraryIndex, Progress};
use crate::quotes::{InputError, NewQuote, QuoteBook, Sources, anchor};
use crate::taxonomy::Theme;

/// Most bytes a project may expand to (all entries together).
pub const MAX_TOTAL: u64 = 512 * 1024 * 1024;
/// Most entries a project may hold.
pub const MAX_ENTRIES: usize = 100_000;

/// A code of the codebook.
#[derive(Debug, Clone)]
struct Code {
    tag: String,
    name: String,
    description: String,
    /// Synonyms a heard project lists in the description.
    synonyms: Vec<String>,
    children: Vec<Code>,
}

/// A coded selection of a text source, checked against its text.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Its name or GUID, for messages.
    pub name: String,
    /// The selected text (code points `start..end` of the source's text).
    pub text: String,
    /// Start, in code points.
    pub start: usize,
    /// Tags of its codes.
    pub tags: Vec<String>,
    /// Speaker, when a heard project's case names it.
    pub speaker: Option<String>,
}

/// A text source of the project.
#[derive(Debug, Clone)]
pub struct TextSource {
    /// Name in the project.
    pub name: String,
    /// Plain text, LF line endings, no byte-order mark.
    pub text: String,
    /// Variables by name.
    pub variables: BTreeMap<String, String>,
    /// Tags of codes applied to the whole source.
    pub tags: Vec<String>,
    /// Selections that fit the text.
    pub selections: Vec<Selection>,
    /// Contributors (heard projects' cases).
    pub contributors: Vec<String>,
}

/// A project read and checked, before anything is written.
#[derive(Debug, Clone)]
pub struct Project {
    /// Made by heard (its cases are pseudonymous contributor ids).
    pub from_heard: bool,
    codes: Vec<Code>,
    /// Text sources.
    pub sources: Vec<TextSource>,
    /// Problems that left something out (bad selections), one line each.
    pub problems: Vec<String>,
    /// Notes (sources of other kinds, cases not imported).
    pub notes: Vec<String>,
}

/// Read and check a `.qdpx` file's bytes. `shown` names the file in messages.
pub fn read(bytes: &[u8], shown: &str) -> Result<Project, String> {
    read_within(bytes, shown, MAX_TOTAL)
}

/// [`read`], expanding to at most `limit` bytes.
fn read_within(bytes: &[u8], shown: &str, limit: u64) -> Result<Project, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| {
        format!("is not a REFI-QDA project: a .qdpx file is a zip archive, and this one cannot be opened ({e})")
    })?;
    if zip.len() > MAX_ENTRIES {
        return Err(format!(
            "holds {} entries, more than the {MAX_ENTRIES} heard reads; nothing was imported",
            zip.len()
        ));
    }
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    let mut declared: u64 = 0;
    for (i, name) in names.iter().enumerate() {
        if leaves_project(name) {
            return Err(format!(
                "entry `{name}` has a path outside the project (`..` or an absolute path); the file may be malicious, and nothing was imported"
            ));
        }
        if let Ok(f) = zip.by_index_raw(i) {
            declared = declared.saturating_add(f.size());
        }
    }
    if declared > limit {
        return Err(too_big(None, limit));
    }
    let qde = find_qde(&names)?;
    let mut budget = limit;
    let xml_bytes = read_entry(&mut zip, &qde, &mut budget)?;
    let xml = decode_text(&xml_bytes).map_err(|e| format!("entry `{qde}`: {e}"))?;
    if has_dtd(&xml) {
        return Err(format!(
            "entry `{qde}` declares a DTD (<!DOCTYPE …>); REFI-QDA projects have none and heard never expands XML entities, so nothing was imported"
        ));
    }
    let root = parse_xml(&xml).map_err(|e| {
        format!(
            "entry `{qde}` is not well-formed XML ({e}); export the project again from its tool"
        )
    })?;
    if root.name != "Project" {
        return Err(format!(
            "entry `{qde}` is not a REFI-QDA project (its root element is <{}>, not <Project>)",
            root.name
        ));
    }
    let from_heard = root
        .attr("origin")
        .is_some_and(|o| o.split_whitespace().next() == Some(super::ORIGIN));
    let codes: Vec<Code> = root
        .child("CodeBook")
        .and_then(|b| b.child("Codes"))
        .map(|c| {
            c.elements()
                .filter(|e| e.name == "Code")
                .map(code)
                .collect()
        })
        .unwrap_or_default();
    let mut tag_of: HashMap<String, String> = HashMap::new();
    fn index(el: &El, tag_of: &mut HashMap<String, String>) {
        for c in el.elements().filter(|e| e.name == "Code") {
            if let Some(g) = c.attr("guid") {
                tag_of.insert(g.to_ascii_lowercase(), code_tag(c));
            }
            index(c, tag_of);
        }
    }
    if let Some(c) = root.child("CodeBook").and_then(|b| b.child("Codes")) {
        index(c, &mut tag_of);
    }
    let variables: HashMap<String, String> = root
        .child("Variables")
        .map(|v| {
            v.elements()
                .filter_map(|e| {
                    Some((
                        e.attr("guid")?.to_ascii_lowercase(),
                        e.attr("name")?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    // Cases: heard's own are pseudonymous contributor ids; other tools' may be real names,
    // which must not become ids that are shown everywhere.
    let mut case_sources: HashMap<String, Vec<String>> = HashMap::new();
    let mut case_selections: HashMap<String, String> = HashMap::new();
    let mut cases = 0;
    for case in root.child("Cases").into_iter().flat_map(|c| c.elements()) {
        cases += 1;
        let Some(name) = case.attr("name").filter(|_| from_heard) else {
            continue;
        };
        let id = tag_slug(name);
        if id.is_empty() {
            continue;
        }
        for r in case.elements() {
            let Some(t) = r.attr("targetGUID") else {
                continue;
            };
            match r.name.as_str() {
                "SourceRef" => case_sources
                    .entry(t.to_ascii_lowercase())
                    .or_default()
                    .push(id.clone()),
                "SelectionRef" => {
                    case_selections.insert(t.to_ascii_lowercase(), id.clone());
                }
                _ => {}
            }
        }
    }
    let mut project = Project {
        from_heard,
        codes,
        sources: Vec::new(),
        problems: Vec::new(),
        notes: Vec::new(),
    };
    if cases > 0 && !from_heard {
        project.notes.push(format!(
            "{cases} case(s) not imported: their names may be people's real names; name each quote's speaker with `heard quote speaker`"
        ));
    }
    let sources = root.child("Sources");
    for el in sources.into_iter().flat_map(|s| s.elements()) {
        let name = el
            .attr("name")
            .or(el.attr("guid"))
            .unwrap_or("(unnamed)")
            .to_string();
        match el.name.as_str() {
            "TextSource" => {}
            "PDFSource" | "PictureSource" | "AudioSource" | "VideoSource" => {
                project.notes.push(format!(
                    "source `{name}` is a {}: heard imports the text sources of a project; import the file itself with `heard import` if heard reads it",
                    el.name.trim_end_matches("Source").to_lowercase()
                ));
                continue;
            }
            _ => continue,
        }
        let guid = el.attr("guid").unwrap_or_default().to_ascii_lowercase();
        let text = match el.child("PlainTextContent") {
            Some(c) => normalise(&c.text()),
            None => {
                let path = el.attr("plainTextPath").ok_or_else(|| {
                    format!("source `{name}` in `{qde}` has neither text nor a plainTextPath; export the project again from its tool")
                })?;
                let entry = source_entry(&names, path).ok_or_else(|| {
                    format!(
                        "source `{name}` names its text `{path}`, which is not in the project (expected an entry under sources/); nothing was imported"
                    )
                })?;
                let raw = read_entry(&mut zip, &entry, &mut budget)?;
                normalise(&decode_text(&raw).map_err(|e| format!("entry `{entry}`: {e}"))?)
            }
        };
        let chars: Vec<char> = text.chars().collect();
        let mut src = TextSource {
            name: name.clone(),
            text: text.clone(),
            variables: BTreeMap::new(),
            tags: Vec::new(),
            selections: Vec::new(),
            contributors: case_sources.get(&guid).cloned().unwrap_or_default(),
        };
        for child in el.elements() {
            match child.name.as_str() {
                "Coding" => {
                    if let Some(t) = coding_tag(child, &tag_of) {
                        if !src.tags.contains(&t) {
                            src.tags.push(t);
                        }
                    }
                }
                "VariableValue" => {
                    let var = child
                        .child("VariableRef")
                        .and_then(|r| r.attr("targetGUID"))
                        .and_then(|g| variables.get(&g.to_ascii_lowercase()));
                    let value = child
                        .elements()
                        .find(|e| e.name.ends_with("Value"))
                        .map(|e| e.text().trim().to_string());
                    if let (Some(var), Some(value)) = (var, value) {
                        if !value.is_empty() {
                            src.variables.insert(var.clone(), value);
                        }
                    }
                }
                "PlainTextSelection" => {
                    let sel_name = child
                        .attr("name")
                        .filter(|n| !n.trim().is_empty())
                        .or(child.attr("guid"))
                        .unwrap_or("(unnamed)")
                        .to_string();
                    let pos = |a: &str| child.attr(a).and_then(|v| v.trim().parse::<i64>().ok());
                    let (Some(start), Some(end)) = (pos("startPosition"), pos("endPosition"))
                    else {
                        project.problems.push(format!(
                            "{shown}: selection `{sel_name}` of source `{name}` has no readable startPosition/endPosition: left out"
                        ));
                        continue;
                    };
                    if start < 0 || end <= start || end as usize > chars.len() {
                        project.problems.push(format!(
                            "{shown}: selection `{sel_name}` of source `{name}` runs from {start} to {end}, but the text has {} characters: left out, not guessed; fix it in the tool it came from",
                            chars.len()
                        ));
                        continue;
                    }
                    let (start, end) = (start as usize, end as usize);
                    let mut tags = Vec::new();
                    for c in child.elements().filter(|e| e.name == "Coding") {
                        if let Some(t) = coding_tag(c, &tag_of) {
                            if !tags.contains(&t) {
                                tags.push(t);
                            }
                        }
                    }
                    let speaker = child
                        .attr("guid")
                        .and_then(|g| case_selections.get(&g.to_ascii_lowercase()))
                        .cloned();
                    src.selections.push(Selection {
                        name: sel_name,
                        text: chars[start..end].iter().collect(),
                        start,
                        tags,
                        speaker,
                    });
                }
                _ => {}
            }
        }
        project.sources.push(src);
    }
    Ok(project)
}

/// Whether a zip entry name (or a path inside the project) points outside it.
fn leaves_project(name: &str) -> bool {
    let n = name.replace('\\', "/");
    n.starts_with('/') || n.split('/').any(|p| p == "..") || n.as_bytes().get(1) == Some(&b':')
}

fn too_big(entry: Option<&str>, limit: u64) -> String {
    format!(
        "expands to more than {} MB{}; heard stops there in case it is a zip bomb, and nothing was imported",
        limit / (1024 * 1024),
        entry
            .map(|e| format!(" (at entry `{e}`)"))
            .unwrap_or_default()
    )
}

/// `project.qde`, else the one `<name>.qde` at the top (ATLAS.ti).
fn find_qde(names: &[String]) -> Result<String, String> {
    if let Some(n) = names.iter().find(|n| n.eq_ignore_ascii_case("project.qde")) {
        return Ok(n.clone());
    }
    let top: Vec<&String> = names
        .iter()
        .filter(|n| !n.contains('/') && n.to_ascii_lowercase().ends_with(".qde"))
        .collect();
    match top.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err("has no project.qde (nor any .qde file at its top level), so it is not a REFI-QDA project; export it again as a REFI-QDA project (.qdpx)".into()),
        many => Err(format!(
            "has {} project files ({}) and heard cannot tell which is the project",
            many.len(),
            many.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Read one entry, counting it against the budget; a lying size is caught while reading.
fn read_entry(
    zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    name: &str,
    budget: &mut u64,
) -> Result<Vec<u8>, String> {
    let f = zip
        .by_name(name)
        .map_err(|e| format!("entry `{name}` cannot be read ({e})"))?;
    let mut out = Vec::new();
    let limit = *budget;
    f.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("entry `{name}` is damaged ({e}); export the project again"))?;
    if out.len() as u64 > limit {
        return Err(too_big(Some(name), limit));
    }
    *budget -= out.len() as u64;
    Ok(out)
}

/// Text of an entry: UTF-8 (a byte-order mark dropped) or UTF-16 with its mark.
fn decode_text(bytes: &[u8]) -> Result<String, String> {
    if let Some((enc, len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, bad) = enc.decode_without_bom_handling(&bytes[len..]);
        if bad {
            return Err(format!("is not valid {} text", enc.name()));
        }
        return Ok(text.into_owned());
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        format!(
            "is not UTF-8 text (byte {} is not); REFI-QDA sources are UTF-8",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Line endings as one character each: CRLF and a lone CR become LF.
fn normalise(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.replace("\r\n", "\n").replace('\r', "\n")
}

fn has_dtd(xml: &str) -> bool {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::DocType(_)) => return true,
            Ok(quick_xml::events::Event::Start(_)) | Ok(quick_xml::events::Event::Empty(_)) => {
                return false;
            }
            Ok(quick_xml::events::Event::Eof) | Err(_) => return false,
            _ => {}
        }
    }
}

/// The entry holding a source's text: `internal://NAME` in `sources/` (any case of the
/// folder, as tools differ), or a relative path inside the project.
fn source_entry(names: &[String], path: &str) -> Option<String> {
    let file = path
        .strip_prefix("internal://")
        .unwrap_or(path)
        .trim_start_matches("./");
    if leaves_project(file) || path.contains("://") && !path.starts_with("internal://") {
        return None;
    }
    let wanted = format!("sources/{file}");
    names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(&wanted))
        .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(file)))
        .cloned()
}

/// The heard tag of a code: heard's own projects say it in the description.
fn code_tag(el: &El) -> String {
    let described = el.child("Description").map(|d| d.text()).and_then(|d| {
        d.lines().find_map(|l| {
            l.trim()
                .strip_prefix("heard tag:")
                .map(|t| tag_slug(t.trim()))
        })
    });
    described
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| tag_slug(el.attr("name").unwrap_or_default()))
}

fn code(el: &El) -> Code {
    let synonyms = el
        .child("Description")
        .map(|d| d.text())
        .and_then(|d| {
            d.lines().find_map(|l| {
                l.trim().strip_prefix("Synonyms:").map(|s| {
                    s.split(';')
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty())
                        .collect()
                })
            })
        })
        .unwrap_or_default();
    let description = el
        .child("Description")
        .map(|d| {
            d.text()
                .lines()
                .filter(|l| {
                    !l.trim().starts_with("heard tag:") && !l.trim().starts_with("Synonyms:")
                })
                .collect::<Vec<_>>()
                .join("\n")
                .trim()
                .to_string()
        })
        .unwrap_or_default();
    Code {
        tag: code_tag(el),
        name: el.attr("name").unwrap_or_default().trim().to_string(),
        description,
        synonyms,
        children: el
            .elements()
            .filter(|e| e.name == "Code")
            .map(code)
            .collect(),
    }
}

fn coding_tag(coding: &El, tag_of: &HashMap<String, String>) -> Option<String> {
    let g = coding.child("CodeRef")?.attr("targetGUID")?;
    tag_of
        .get(&g.to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .cloned()
}

/// The themes a codebook becomes: every code is a theme of its own, so no coding is lost;
/// a nested code says in its description which code it was under. Only a child that its
/// parent lists as a synonym (heard's own projects put a theme's tags written as synonyms
/// under it) stays a synonym.
fn themes(codes: &[Code], parent: Option<&Code>, out: &mut Vec<Theme>) {
    for c in codes {
        if c.tag.is_empty() {
            continue;
        }
        let is_synonym = parent.is_some_and(|p| {
            c.children.is_empty() && p.synonyms.iter().any(|s| tag_slug(s) == c.tag)
        });
        if !is_synonym {
            let mut description = c.description.clone();
            if let Some(p) = parent {
                let under = if p.name.is_empty() { &p.tag } else { &p.name };
                if !description.is_empty() {
                    description.push(' ');
                }
                description.push_str(&format!("(Under “{under}” in the project it came from.)"));
            }
            out.push(Theme {
                id: c.tag.clone(),
                label: if c.name == c.tag {
                    String::new()
                } else {
                    c.name.clone()
                },
                description,
                synonyms: c.synonyms.clone(),
            });
        }
        themes(&c.children, Some(c), out);
    }
}

/// What `import-project` did.
#[derive(Debug, Default, serde::Serialize)]
pub struct ProjectOutcome {
    /// The Markdown written, as `heard import` reports a file.
    pub file: Option<FileOutcome>,
    /// Sources in the project.
    pub sources: usize,
    /// Themes added to the taxonomy.
    pub themes_added: usize,
    /// Quotes made (pending consent).
    pub quotes_added: usize,
    /// Selections already quotes in the library.
    pub quotes_existing: usize,
    /// Things left out, one line each.
    pub problems: Vec<String>,
    /// Things to know.
    pub notes: Vec<String>,
}

/// Import the project at `path`. An error is a problem with the whole project (nothing was
/// written); problems with single selections are in the outcome.
pub fn import_project(
    lib: &Library,
    path: &Path,
    opts: &ImportOptions,
    progress: &dyn Progress,
) -> anyhow::Result<ProjectOutcome> {
    let shown = path.display().to_string();
    let mut project: Option<Project> = None;
    // A project's source ids are kept unless the library already has a source by that id.
    LibraryIndex::refresh_and_open(lib, progress)?;
    let known_ids = crate::corpus::SourceMap::open(lib)?.to_map();
    let mut convert = |bytes: &[u8]| -> Result<Vec<Converted>, String> {
        let p = read(bytes, &shown)?;
        let docs = p
            .sources
            .iter()
            .map(|s| converted(s, opts, &known_ids))
            .collect();
        project = Some(p);
        Ok(docs)
    };
    let (file, ids) = crate::import::import_converted(lib, path, Format::Qdpx, opts, &mut convert)?;
    if let Some(problem) = &file.problem {
        return Err(InputError(problem.clone()).into());
    }
    let mut out = ProjectOutcome {
        file: Some(file),
        ..ProjectOutcome::default()
    };
    let Some(project) = project else {
        return Ok(out); // unchanged since it was last imported
    };
    out.sources = project.sources.len();
    out.problems = project.problems.clone();
    out.notes = project.notes.clone();
    out.themes_added = add_themes(lib, &project)?;
    // The new sources must be in the index before quotes can be anchored in them.
    LibraryIndex::refresh_and_open(lib, progress)?;
    let paths = crate::corpus::SourceMap::open(lib)?.to_map();
    let by_path: HashMap<&str, &str> = paths
        .iter()
        .map(|(id, p)| (p.as_str(), id.as_str()))
        .collect();
    let mut sources = Sources::with_paths(lib, paths.clone());
    for (src, default_id) in project.sources.iter().zip(&ids) {
        // The id is the one its front matter gives (a heard project's own), else the path's.
        let rel = lib.rel(&lib.corpus_dir().join(format!("{default_id}.md")));
        let id = by_path
            .get(rel.as_str())
            .copied()
            .unwrap_or(default_id)
            .to_string();
        let id = &id;
        let Some(loaded) = sources.get(id).cloned() else {
            out.problems.push(format!(
                "{shown}: source `{}` was written but cannot be read back: `heard index` says why; its selections were not imported",
                src.name
            ));
            continue;
        };
        let line_of = line_finder(&src.text, &loaded);
        let book = QuoteBook::load(lib)?;
        for sel in &src.selections {
            let wanted = anchor::normalize_typed(&sel.text);
            if book
                .of_source(id)
                .any(|q| anchor::normalize_typed(&q.anchor.exact) == wanted)
            {
                out.quotes_existing += 1;
                continue;
            }
            let req = NewQuote {
                source: id.clone(),
                exact: sel.text.clone(),
                tags: sel.tags.clone(),
                speaker: sel.speaker.clone(),
                line: line_of(sel.start),
                actor: opts.actor.clone(),
            };
            match crate::quotes::add(lib, req) {
                Ok(_) => out.quotes_added += 1,
                Err(e) if e.downcast_ref::<InputError>().is_some() => out.problems.push(format!(
                    "{shown}: selection `{}` of source `{}` was not made a quote: {e}",
                    sel.name, src.name
                )),
                Err(e) => return Err(e),
            }
        }
    }
    Ok(out)
}

/// The Markdown line of a code point of the project's text: each non-empty line of the text
/// is one paragraph of the Markdown, so line k is the k-th passage (when the counts agree).
fn line_finder(text: &str, loaded: &crate::corpus::Source) -> impl Fn(usize) -> Option<usize> {
    let mut starts = Vec::new(); // (first code point of a non-empty line)
    let mut at = 0;
    for line in text.split('\n') {
        if !line.trim().is_empty() {
            starts.push(at);
        }
        at += line.chars().count() + 1;
    }
    let lines: Vec<usize> = loaded.passages.iter().map(|p| p.line_start).collect();
    let usable = lines.len() == starts.len();
    move |cp: usize| {
        if !usable {
            return None;
        }
        let k = starts.partition_point(|&s| s <= cp).checked_sub(1)?;
        lines.get(k).copied()
    }
}

/// A text source as a document for the import writer.
fn converted(
    s: &TextSource,
    opts: &ImportOptions,
    known_ids: &HashMap<String, String>,
) -> Converted {
    let v = |k: &str| s.variables.get(k).cloned();
    let mut extra = Vec::new();
    if let Some(id) = v("id").filter(|id| !known_ids.contains_key(id)) {
        extra.push(("id".to_string(), id));
    }
    if opts.sensitivity.is_none() {
        if let Some(sens) =
            v("sensitivity").filter(|x| crate::corpus::Sensitivity::parse(x).is_some())
        {
            extra.push(("sensitivity".to_string(), sens));
        }
    }
    if let Some(c) = v("consultation") {
        extra.push(("consultation".to_string(), c));
    }
    let stem = v("id").unwrap_or_else(|| crate::import::documents::stem_of(&s.name));
    Converted {
        stem,
        title: v("title").or_else(|| Some(crate::import::documents::stem_of(&s.name))),
        date: v("date"),
        date_from_file: false,
        organisation: v("organisation"),
        authors: v("authors")
            .map(|a| {
                a.split(';')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        url: v("url"),
        kind: v("kind").and_then(|k| Kind::parse(&k)),
        contributors: s.contributors.clone(),
        tags: s.tags.clone(),
        extra,
        body: markdown_body(&s.text),
        warnings: Vec::new(),
    }
}

/// Plain text as Markdown that reads back as the same words: each non-empty line a
/// paragraph, and every character Markdown would take as syntax escaped.
pub fn markdown_body(text: &str) -> String {
    let mut out = String::new();
    for line in text.split('\n') {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut esc = String::with_capacity(line.len() + 8);
        let chars: Vec<char> = line.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            let first = i == 0;
            let needs = match c {
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '$' => true,
                '#' | '-' | '+' | '=' | '!' | ':' => first,
                '.' | ')' => chars[..i].iter().all(|d| d.is_ascii_digit()) && i > 0,
                _ => false,
            };
            if needs {
                esc.push('\\');
            }
            esc.push(c);
        }
        out.push_str(&esc);
        out.push_str("\n\n");
    }
    out
}

/// Add the project's codes to `corpus/taxonomy.toml` as themes, keeping the file's text and
/// comments; codes the taxonomy knows already (as a theme or a synonym) are left alone.
fn add_themes(lib: &Library, project: &Project) -> anyhow::Result<usize> {
    let mut new = Vec::new();
    themes(&project.codes, None, &mut new);
    let _lock = crate::ledger::write_lock(lib)?;
    let taxonomy = crate::taxonomy::load(lib)?;
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let new: Vec<Theme> = new
        .into_iter()
        .filter(|t| taxonomy.theme_of(&t.id).is_none() && seen.insert(t.id.clone()))
        .collect();
    if new.is_empty() {
        return Ok(0);
    }
    let path = crate::taxonomy::path(lib);
    let mut text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e.into()),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for t in &new {
        let file = crate::taxonomy::Taxonomy {
            themes: vec![t.clone()],
        };
        text.push('\n');
        text.push_str(&toml::to_string(&file)?);
    }
    crate::taxonomy::Taxonomy::parse(&text).map_err(|(line, msg)| {
        anyhow::anyhow!("the new taxonomy would not read back (line {line}: {msg})")
    })?;
    crate::fsutil::write_atomic(&path, text.as_bytes())?;
    Ok(new.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (n, b) in files {
            zip.start_file(*n, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(b).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_zip_that_expands_too_far_is_refused() {
        let zeros = vec![0u8; 3 * 1024 * 1024];
        let bytes = zip_of(&[("project.qde", b"<Project/>"), ("sources/a.txt", &zeros)]);
        assert!(bytes.len() < 100 * 1024, "compressed to {}", bytes.len());
        let err = read_within(&bytes, "bomb.qdpx", 1024 * 1024).unwrap_err();
        assert!(err.contains("zip bomb"), "{err}");
        // Under the limit, the same shape reads.
        assert!(read_within(&bytes, "bomb.qdpx", 8 * 1024 * 1024).is_ok());
    }

    #[test]
    fn plain_text_reads_back_as_the_same_words() {
        let text = "# not a heading\n1. not a list\n- nor this\n*stars* and _unders_ [link](x) <b>tag</b> & &amp; `code` ~~strike~~ a|b \\ back\n    indented\n> not a quote\n===\n";
        let md = markdown_body(text);
        let plain = crate::corpus::plain_text(&md);
        let want: Vec<&str> = text.split_whitespace().collect();
        let got: Vec<&str> = plain.split_whitespace().collect();
        assert_eq!(got, want, "{md}");
    }

    #[test]
    fn entry_names_that_leave_the_project_are_caught() {
        for bad in ["../x", "a/../../x", "/etc/passwd", "C:/x", "..\\x"] {
            assert!(leaves_project(bad), "{bad}");
        }
        assert!(!leaves_project("sources/a..b.txt"));
    }
}
