//! `heard draft RESPONSE_DIR`: the main job — a first draft with provenance.

use std::process::ExitCode;

use super::{paint, plural, style};
use crate::Library;
use crate::cli::DraftArgs;

/// Run `heard draft`.
pub fn run(args: DraftArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    let dir = super::resolve(lib, &args.dir);
    let (index, report) = super::open_index(lib)?;
    eprintln!(
        "Indexed {} ({} new, {} changed, {} removed) in {:.1} s",
        plural(report.sources, "source", "sources"),
        report.added,
        report.changed,
        report.removed,
        report.elapsed.as_secs_f64()
    );
    if !report.problems.is_empty() {
        eprintln!(
            "note: {} in the library; those files are left out (run `heard index` to see them)",
            plural(report.problems.len(), "problem", "problems")
        );
    }
    let d = crate::draft::draft(lib, &index, &dir)?;
    eprintln!(
        "Drafting {}",
        plural(d.questions.len(), "question", "questions")
    );
    for q in &d.questions {
        let mut text = q.text.clone();
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
        eprintln!(
            "  {:<4} {:<48}  {} · {} · {}  {words}",
            q.id,
            text,
            plural(q.quotes, "quote", "quotes"),
            plural(q.passages, "passage", "passages"),
            plural(q.recommendations, "recommendation", "recommendations"),
        );
    }
    eprintln!("Wrote {} and {}", lib.rel(&d.file), lib.rel(&d.provenance));
    if d.kept_edited {
        eprintln!(
            "  response.md was edited since it was drafted, so it was left as it is and the new draft is beside it."
        );
    }
    let line = format!(
        "  {} from {}, all approved for this use",
        plural(d.quotes, "quote", "quotes"),
        plural(d.contributors, "contributor", "contributors")
    );
    eprintln!("{line}");
    for (reason, n) in &d.skipped {
        eprintln!("  {n} skipped: {reason}");
    }
    eprintln!(
        "Next: write our position in each answer, edit, then `heard check {}`.",
        lib.rel(&dir)
    );
    Ok(ExitCode::SUCCESS)
}
