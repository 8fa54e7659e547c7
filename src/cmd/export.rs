//! `heard export RESPONSE_DIR --to docx|html|txt`: the version to send, or the team's copy.

use std::process::ExitCode;

use anyhow::Context;

use super::{EXIT_PROBLEMS, plural};
use crate::Library;
use crate::cli::ExportArgs;
use crate::export;

/// Run `heard export`.
pub fn run(args: ExportArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    if args.format == export::Format::Pack && args.internal {
        eprintln!(
            "error: an evidence pack is for a third party and has no internal copy: leave out --internal"
        );
        return Ok(ExitCode::from(super::EXIT_USAGE));
    }
    let target = super::resolve(lib, &args.target)?;
    let (index, report) = super::open_index(lib)?;
    super::note_refresh(&report);
    let checked = crate::check::check_response(lib, &index, &target)?;
    if !checked.refused.is_empty() {
        for p in checked.all() {
            eprintln!("{p}");
        }
        eprintln!(
            "Not exported: {} about consent or restricted material, which --force does not override. Remove those words, or get consent first.",
            plural(checked.refused.len(), "problem", "problems")
        );
        return Ok(ExitCode::from(EXIT_PROBLEMS));
    }
    let problems = checked.problems;
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("{}", super::problem_line(p));
        }
        if !args.force {
            eprintln!(
                "Not exported: `heard check` finds {}. Fix them, or export anyway with --force.",
                plural(problems.len(), "problem", "problems")
            );
            return Ok(ExitCode::from(EXIT_PROBLEMS));
        }
        eprintln!(
            "Exporting anyway (--force) despite {}.",
            plural(problems.len(), "problem", "problems")
        );
    }
    let (file, prov_path) = crate::draft::response_paths(&target);
    let markdown = std::fs::read_to_string(&file)
        .with_context(|| format!("failed to read `{}`", file.display()))?;
    let provenance = crate::draft::load_provenance(&prov_path)?;
    let title = markdown
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap_or("Consultation response")
        .to_string();
    let prepared = export::prepare(&markdown, provenance.as_ref(), args.internal);
    let bytes = match args.format {
        export::Format::Pack => {
            let dir = target.canonicalize().unwrap_or(target.clone());
            let name = dir
                .file_name()
                .and_then(|n| n.to_str())
                .map_or("response".into(), |n| n.trim_end_matches(".md").to_string());
            let folder = format!("{name}-evidence-pack");
            export::pack::build(lib, &markdown, provenance.as_ref(), &title, &folder)?
        }
        _ => export::render(args.format, &prepared, &title, args.internal)?,
    };
    let out = args
        .out
        .unwrap_or_else(|| export::default_out(&file, args.format, args.internal));
    crate::fsutil::write_atomic(&out, &bytes)?;
    eprintln!(
        "Wrote {} ({}{})",
        out.display(),
        if args.format == export::Format::Pack {
            "evidence pack: unzip it and read VERIFY.md"
        } else if args.internal {
            "internal copy with paths, lines and consent"
        } else {
            "submission version"
        },
        match args.format {
            export::Format::Txt => ", word counts per answer",
            _ => "",
        }
    );
    Ok(ExitCode::SUCCESS)
}
