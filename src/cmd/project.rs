//! `heard export-project --to qdpx` and `heard import-project FILE.qdpx`: the library out
//! to, and in from, NVivo, ATLAS.ti, MAXQDA and QualCoder (REFI-QDA projects).

use std::process::ExitCode;

use super::{EXIT_PROBLEMS, paint, plural, style};
use crate::Library;
use crate::cli::{ExportProjectArgs, ImportProjectArgs, ProjectFormat, ProjectInclude};
use crate::import::ImportOptions;
use crate::interop::qdpx;

/// Run `heard export-project`.
pub fn export(args: ExportProjectArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    let ProjectFormat::Qdpx = args.format;
    let out = args.out.clone().unwrap_or_else(|| {
        let name = lib
            .root()
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "library".into());
        std::path::PathBuf::from(format!("{name}.qdpx"))
    });
    let opts = qdpx::export::ExportOptions {
        include_internal: args.include.contains(&ProjectInclude::Internal),
        include_peoples_words: args.include.contains(&ProjectInclude::PeoplesWords),
        today: crate::quotes::today(),
    };
    let (_, report) = super::open_index(lib)?;
    super::note_refresh(&report);
    let project = qdpx::export::export(lib, &opts)?;
    qdpx::export::write(&out, &project.bytes)?;
    eprintln!(
        "Wrote {}: {}, {}, {}, {}.",
        out.display(),
        plural(project.sources, "source", "sources"),
        plural(project.quotes, "quote", "quotes"),
        plural(project.codes, "code", "codes"),
        plural(project.cases, "case", "cases")
    );
    for line in &project.left_out {
        eprintln!("  left out: {line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Run `heard import-project`.
pub fn import(args: ImportProjectArgs, lib: &Library) -> anyhow::Result<ExitCode> {
    let path = super::resolve(lib, &args.path)?;
    let opts = ImportOptions {
        kind: args.kind,
        tags: Vec::new(),
        sensitivity: args.sensitivity,
        into: args.into,
        consent_column: None,
        consent_scope: crate::quotes::Scope::External,
        actor: args.by.unwrap_or_else(crate::quotes::default_actor),
        allow_duplicate: false,
    };
    let bar = super::Bar::new();
    let outcome = qdpx::import::import_project(lib, &path, &opts, &bar)?;
    if let Some(f) = &outcome.file {
        let written = match f.written.as_slice() {
            [] => String::new(),
            [one] => format!(" → {one}"),
            many => format!(" → {} files", many.len()),
        };
        eprintln!("{}: {}{written}", f.path, f.status);
        for n in &f.notes {
            eprintln!("  {n}");
        }
    }
    for n in &outcome.notes {
        eprintln!("  {n}");
    }
    for p in &outcome.problems {
        eprintln!("{}", paint(p, style::WARN));
    }
    eprintln!(
        "{} from the project; {} added to the taxonomy; {} made (pending consent: ask each speaker){}; {}.",
        plural(outcome.sources, "source", "sources"),
        plural(outcome.themes_added, "theme", "themes"),
        plural(outcome.quotes_added, "quote", "quotes"),
        if outcome.quotes_existing > 0 {
            format!(", {} already there", outcome.quotes_existing)
        } else {
            String::new()
        },
        plural(outcome.problems.len(), "problem", "problems")
    );
    Ok(if outcome.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PROBLEMS)
    })
}
