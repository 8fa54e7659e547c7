//! `heard draft RESPONSE_DIR`: the main job — a first draft with provenance.

use std::process::ExitCode;

use super::{paint, plural, shown, style};
use crate::Library;
use crate::cli::DraftArgs;

/// Run `heard draft`.
pub fn run(args: DraftArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    let dir = super::resolve(lib, &args.dir)?;
    let (index, report) = super::open_index(lib)?;
    let meaning = index.with_some_meaning(lib, &super::Bar::new())?;
    anstream::eprintln!(
        "Indexed {} ({} new, {} changed, {} removed) in {:.1} s",
        plural(report.sources, "source", "sources"),
        report.added,
        report.changed,
        report.removed,
        report.elapsed.as_secs_f64()
    );
    if !report.problems.is_empty() {
        anstream::eprintln!(
            "note: {} in the library; those files are left out (run `heard index` to see them)",
            plural(report.problems.len(), "problem", "problems")
        );
    }
    let watcher = crate::watch::running(lib);
    if let Some(note) = crate::index::embed::coverage_note(&meaning.coverage(), watcher.as_deref())
    {
        anstream::eprintln!("{}", paint(&note, style::WARN));
    }
    let d = crate::draft::draft(lib, &index, &dir)?;
    anstream::eprintln!(
        "Drafting {}",
        plural(d.questions.len(), "question", "questions")
    );
    for q in &d.questions {
        let mut text = shown(&q.text).into_owned();
        if text.chars().count() > 48 {
            text = text.chars().take(47).collect::<String>() + "…";
        }
        let words = match q.limit {
            Some(l) if q.words > l => paint(
                &format!("({}/{l} words: trim marked)", q.words),
                style::WARN,
            ),
            Some(l) => format!("({}/{l} words)", q.words),
            None => format!("({} words)", q.words),
        };
        match &q.note {
            Some(note) => anstream::eprintln!(
                "  {:<4} {:<48}  {}",
                shown(&q.id),
                text,
                paint(note, style::WARN)
            ),
            None => anstream::eprintln!(
                "  {:<4} {:<48}  {} · {} · {}  {words}",
                shown(&q.id),
                text,
                plural(q.quotes, "quote", "quotes"),
                plural(q.passages, "passage", "passages"),
                plural(q.recommendations, "recommendation", "recommendations"),
            ),
        }
    }
    anstream::eprintln!(
        "Wrote {} and {}",
        shown(&lib.rel(&d.file)),
        shown(&lib.rel(&d.provenance))
    );
    if d.kept_edited {
        anstream::eprintln!(
            "  response.md was edited since it was drafted, so it was left as it is and the new draft is beside it."
        );
    }
    let line = format!(
        "  {} from {}, all approved for this use",
        plural(d.quotes, "quote", "quotes"),
        plural(d.contributors, "contributor", "contributors")
    );
    anstream::eprintln!("{line}");
    // Quotes left out for consent first: they are what a reviewer must see.
    let mut skipped: Vec<_> = d.skipped.iter().collect();
    skipped.sort_by_key(|(reason, _)| !reason.starts_with("quote"));
    for (reason, n) in skipped {
        anstream::eprintln!("  {n} skipped: {}", shown(reason));
    }
    anstream::eprintln!(
        "Next: write our position in each answer, edit, then `heard check {}`.",
        shown(&lib.rel(&dir))
    );
    Ok(ExitCode::SUCCESS)
}
