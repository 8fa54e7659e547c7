//! `heard quote add|tag|approve|decline|withdraw|speaker`: make quotes, record consent, and
//! name whose words a quote holds.

use std::io::Write;
use std::process::ExitCode;

use super::{lines, plural, shown};
use crate::Library;
use crate::cli::{ConsentArgs, QuoteCommand};
use crate::quotes::{self, Consent, Decision, NewQuote, Scope};

/// Run `heard quote ...`.
pub fn run(cmd: QuoteCommand, lib: &Library) -> anyhow::Result<ExitCode> {
    match cmd {
        QuoteCommand::Add(a) => {
            // Refresh first so that the source id resolves to the file as it is now.
            let (_, report) = super::open_index(lib)?;
            super::note_refresh(&report);
            let added = quotes::add(
                lib,
                NewQuote {
                    source: a.source,
                    exact: a.exact,
                    tags: a.tags,
                    speaker: a.speaker,
                    line: a.line,
                    actor: a.by.unwrap_or_else(quotes::default_actor),
                },
            )?;
            if let Some((speaker, true)) = &added.speaker {
                let speaker = shown(speaker);
                eprintln!(
                    "Added {speaker} to corpus/contributors.toml as a new contributor, credited anonymously; edit it to change how they are credited."
                );
            }
            for w in &added.warnings {
                eprintln!("note: {}", shown(w));
            }
            if a.json {
                let mut out = std::io::stdout().lock();
                serde_json::to_writer(&mut out, &serde_json::json!({"id": added.id}))?;
                writeln!(out)?;
            } else {
                println!("{}", added.id);
            }
            eprintln!(
                "Quote {} made from {}:{}, speaker {}. It is pending: it is not used until {} approves it.",
                added.id,
                shown(&added.path),
                lines(added.lines.0 as u64, added.lines.1 as u64),
                shown(added.speaker.as_ref().map_or("not set", |s| s.0.as_str())),
                shown(
                    added
                        .speaker
                        .as_ref()
                        .map_or("its speaker", |s| s.0.as_str())
                ),
            );
        }
        QuoteCommand::Tag(a) => {
            let actor = a.by.unwrap_or_else(quotes::default_actor);
            let tags = quotes::tag(lib, &a.id, &a.add, &a.remove, &actor)?;
            let taxonomy = crate::taxonomy::load(lib).unwrap_or_default();
            let unknown: Vec<&String> = tags
                .iter()
                .filter(|t| taxonomy.theme_of(t).is_none())
                .collect();
            eprintln!(
                "Quote {} is tagged: {}",
                shown(&a.id),
                if tags.is_empty() {
                    "(none)".into()
                } else {
                    shown(&tags.join(", ")).into_owned()
                }
            );
            if !unknown.is_empty() && !taxonomy.themes.is_empty() {
                eprintln!(
                    "note: {} not in corpus/taxonomy.toml; `heard tags` lists tags to tidy",
                    unknown
                        .iter()
                        .map(|t| format!("`{}`", shown(t)))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        QuoteCommand::Speaker(a) => {
            let (_, report) = super::open_index(lib)?;
            super::note_refresh(&report);
            let actor = a.by.unwrap_or_else(quotes::default_actor);
            let previous = quotes::set_speaker(lib, &a.id, &a.set, &actor)?;
            eprintln!(
                "Quote {} is {}'s words{}. It is pending: it is not used until {} approves it.",
                a.id,
                a.set,
                previous
                    .map(|p| format!(" (was {p}'s)"))
                    .unwrap_or_default(),
                a.set
            );
        }
        QuoteCommand::Approve(a) => consent(lib, a, Decision::Approve)?,
        QuoteCommand::Decline(a) => consent(lib, a, Decision::Decline)?,
        QuoteCommand::Withdraw(a) => consent(lib, a, Decision::Withdraw)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn consent(lib: &Library, a: ConsentArgs, decision: Decision) -> anyhow::Result<()> {
    let q = quotes::decide(
        lib,
        Consent {
            id: a.id.clone(),
            decision,
            by: a.by,
            on_behalf_of: a.on_behalf_of,
            scope: a.scope,
            expires: a.expires,
            note: a.note,
        },
    )?;
    match decision {
        Decision::Approve => {
            let restricted = crate::quotes::Sources::new(lib)
                .ok()
                .and_then(|mut s| s.get(&q.source).map(|s| s.sensitivity))
                == Some(crate::corpus::Sensitivity::Restricted);
            if restricted {
                eprintln!(
                    "note: its source is restricted, so it is never used in a draft or an export, whatever this consent says."
                );
            }
            let scope = q.scope.unwrap_or(Scope::Internal);
            eprintln!(
                "Quote {} approved for {} use: it may be quoted {}{}.",
                q.id,
                scope.as_str(),
                scope.meaning(),
                q.expires
                    .as_ref()
                    .map(|e| format!(", until {e}"))
                    .unwrap_or_default()
            );
        }
        Decision::Decline => eprintln!("Quote {} declined: it will not be used.", q.id),
        Decision::Withdraw => {
            eprintln!("Quote {} withdrawn: it will not be used again.", q.id);
            let used = quotes::responses_using(lib, &q.id);
            if used.is_empty() {
                eprintln!("No draft in responses/ uses it.");
            } else {
                eprintln!(
                    "{} it; `heard check` flags it there:",
                    plural(used.len(), "file uses", "files use")
                );
                for u in used {
                    eprintln!("  {}", shown(&u.to_string()));
                }
            }
        }
    }
    Ok(())
}
