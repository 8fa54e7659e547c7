//! `heard import PATH...`: bring documents and survey exports into the corpus, then bring
//! the index up to date (which re-anchors the quotes of updated sources).

use std::io::Write;
use std::process::ExitCode;

use super::{EXIT_PROBLEMS, paint, plural, style};
use crate::Library;
use crate::cli::ImportArgs;
use crate::import::{FileOutcome, ImportOptions};

/// Run `heard import`.
pub fn run(args: ImportArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    let opts = ImportOptions {
        kind: args.kind,
        tags: args.tags,
        sensitivity: args.sensitivity,
        into: args.into,
        consent_column: args.consent_column,
        consent_scope: args.consent_scope,
        actor: args.by.unwrap_or_else(crate::quotes::default_actor),
        allow_duplicate: args.allow_duplicate,
    };
    let paths: Vec<_> = args
        .paths
        .iter()
        .map(|p| super::resolve(lib, p))
        .collect::<anyhow::Result<_>>()?;
    let bar = super::Bar::with("Importing {bar:30} {pos}/{len} files {eta}");
    let outcomes = crate::import::import(lib, &paths, &opts, &bar)?;
    let count = |s: &str| outcomes.iter().filter(|o| o.status == s).count();
    let problems = count("problem");
    // New and updated sources go into the index now, and quotes of updated sources are
    // found again in their new text.
    let written = outcomes.iter().any(|o| !o.written.is_empty());
    let refresh = if written {
        Some(super::open_index(lib)?.1)
    } else {
        None
    };
    if args.json {
        let doc = serde_json::json!({
            "files": outcomes,
            "imported": count("imported"),
            "updated": count("updated"),
            "unchanged": count("unchanged"),
            "kept_edit": count("kept-edit"),
            "duplicates": count("duplicate"),
            "problems": problems,
            "quotes": refresh.as_ref().map(|r| r.quotes.clone()),
        });
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        report(&outcomes);
        eprintln!(
            "Imported {}, updated {}, unchanged {}, kept your edits to {}, {}.",
            count("imported"),
            count("updated"),
            count("unchanged"),
            count("kept-edit"),
            plural(problems, "problem", "problems")
        );
        if count("duplicate") > 0 {
            eprintln!(
                "  {} already in the library from another file (not imported again)",
                plural(count("duplicate"), "document was", "documents were")
            );
        }
        if let Some(r) = &refresh {
            let q = |k: &str| r.quotes.get(k).copied().unwrap_or(0);
            if q("drifted") + q("orphaned") > 0 {
                eprintln!(
                    "  {} a person: their words changed in the new version (`heard quotes --anchor drifted`, `--anchor orphaned`)",
                    plural(q("drifted") + q("orphaned"), "quote needs", "quotes need")
                );
            }
        }
    }
    Ok(if problems > 0 {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    })
}

/// One line per file, with its notes; problems first-class.
fn report(outcomes: &[FileOutcome]) {
    for o in outcomes {
        match &o.problem {
            Some(p) => eprintln!("{}", paint(p, style::WARN)),
            None => {
                let written = match o.written.as_slice() {
                    [] => String::new(),
                    [one] => format!(" → {one}"),
                    many => format!(" → {} files", many.len()),
                };
                eprintln!("{}: {}{written}", o.path, o.status);
            }
        }
        for n in &o.notes {
            eprintln!("  {n}");
        }
    }
}
