//! `heard consultation new SLUG --from FILE`: start a response from a pasted question list.

use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::Library;
use crate::cli::ConsultationCommand;
use crate::draft::consultation;

/// The text of a call for evidence and what its file says about it.
struct Call {
    text: String,
    title: Option<String>,
    body: Option<String>,
    url: Option<String>,
}

/// Read a call: Markdown or text as it is; a web page, PDF or Word file converted to
/// Markdown the way `heard import` converts it.
fn read_call(path: &std::path::Path) -> anyhow::Result<Call> {
    use crate::import::{Format, documents};
    let bytes =
        std::fs::read(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    match Format::of(path) {
        Some(f @ (Format::Html | Format::Pdf | Format::Docx | Format::Odt)) => {
            let doc = documents::convert(path, f, &bytes)
                .map_err(|p| anyhow::anyhow!("`{}` {p}", path.display()))?;
            Ok(Call {
                text: doc.body,
                title: doc.title,
                body: doc.organisation,
                url: doc.url,
            })
        }
        _ => Ok(Call {
            text: String::from_utf8(bytes).map_err(|_| {
                anyhow::anyhow!(
                    "`{}` is not text (UTF-8); give a .md, .txt, .html, .pdf or .docx file",
                    path.display()
                )
            })?,
            title: None,
            body: None,
            url: None,
        }),
    }
}

/// Run `heard consultation ...`.
pub fn run(cmd: ConsultationCommand, lib: &Library) -> anyhow::Result<ExitCode> {
    let ConsultationCommand::New(a) = cmd;
    if a.slug.is_empty()
        || !a
            .slug
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!(
            "`{}` is not a usable folder name; use letters, digits and dashes, e.g. crisis-care-2026",
            a.slug
        );
    }
    let call = read_call(&super::resolve(lib, &a.from)?)?;
    let title = a.title.clone().or(call.title).unwrap_or_default();
    let mut c = consultation::from_text(&title, &call.text);
    if c.title.is_empty() {
        c.title = a.slug.clone();
    }
    if c.body.is_empty() {
        c.body = call.body.unwrap_or_default();
    }
    c.url = c.url.or(call.url);
    if c.questions.is_empty() {
        bail!(
            "found no numbered questions in `{}`; questions should start with a number, such as `1.`, `Q1.` or `Question 1:`",
            a.from.display()
        );
    }
    let dir = lib.responses_dir().join(&a.slug);
    let path = dir.join("consultation.toml");
    if path.exists() {
        bail!(
            "`{}` already exists; edit it, or choose another name",
            lib.rel(&path)
        );
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("failed to create `{}`", dir.display()))?;
    let mut out = String::from(
        "# The call for evidence this response answers (schema: schema/consultation.schema.json).\n\
         # Add `tags` (themes from corpus/taxonomy.toml) and `query` hints to questions to steer\n\
         # the draft; `scope` is the consent quotes need (external unless changed).\n",
    );
    out.push_str(&toml::to_string(&c)?);
    crate::fsutil::write_atomic(&path, out.as_bytes())?;
    let chapters: std::collections::BTreeSet<&str> = c
        .questions
        .iter()
        .filter_map(|q| q.chapter.as_deref())
        .collect();
    eprintln!(
        "Created {} with {}{}.",
        lib.rel(&path),
        super::plural(c.questions.len(), "question", "questions"),
        if chapters.is_empty() {
            String::new()
        } else {
            format!(
                " in {}",
                super::plural(chapters.len(), "chapter", "chapters")
            )
        }
    );
    let limits: Vec<String> = c
        .questions
        .iter()
        .filter_map(|q| q.word_limit.map(|l| format!("{} ({l} words)", q.id)))
        .collect();
    if !limits.is_empty() {
        eprintln!("  Word limits found: {}.", limits.join(", "));
    }
    let choices: Vec<String> = c
        .questions
        .iter()
        .filter(|q| !q.options.is_empty())
        .map(|q| format!("{} ({} options)", q.id, q.options.len()))
        .collect();
    if !choices.is_empty() {
        eprintln!("  Choice questions: {}.", choices.join(", "));
    }
    if let Some(d) = &c.deadline {
        eprintln!("  Closing date: {d}.");
    }
    eprintln!(
        "  Edit the file to add a body, deadline, tags or hints, then run `heard draft {}`.",
        lib.rel(&dir)
    );
    Ok(ExitCode::SUCCESS)
}
