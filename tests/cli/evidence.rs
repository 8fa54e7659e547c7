//! A library to draft from: the `evidence` fixture (a taxonomy, contributors with different
//! credit choices, testimonies, a report with recommendations, a submission, and one
//! restricted testimony), with quotes made and consent recorded by real `heard` commands,
//! and a consultation to answer.
//!
//! Making the quotes takes a few seconds, so it is done once per test run into a template
//! folder, and every test gets its own copy.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::{OFFICER, Run, TestLibrary};

/// The response folder of the consultation every evidence library has.
pub const RESPONSE: &str = "responses/discharge-2027";

/// The consultation: three questions, two with word limits, each steered by its themes.
pub const CONSULTATION: &str = r#"# A fictional call for evidence, written for heard's tests.
title = "Leaving hospital without a home: call for evidence (fictional)"
body = "the Department of Fictional Affairs"
deadline = "2027-03-01"

[[question]]
id = "Q1"
text = "What happens when people leave hospital with nowhere to live?"
word_limit = 150
tags = ["hospital-discharge", "housing"]

[[question]]
id = "Q2"
text = "How can services support people facing multiple disadvantage?"
tags = ["mcn"]
query = "worker OR story OR service"

[[question]]
id = "Q3"
text = "What helps people in a mental health crisis?"
word_limit = 250
tags = ["crisis-care"]
"#;

/// One quote of the evidence library: a short name, its source, its words, a tag, and
/// what its speaker decided.
struct Planned {
    name: &'static str,
    source: &'static str,
    exact: &'static str,
    tag: &'static str,
    consent: Consent,
}

#[derive(Clone, Copy)]
enum Consent {
    Pending,
    Approve(&'static str, &'static str),
    ApproveOnBehalf(&'static str, &'static str),
    Decline(&'static str),
    ApproveThenWithdraw(&'static str),
}

const PLAN: &[Planned] = &[
    Planned {
        name: "ash-night",
        source: "t-ash",
        exact: "They discharged me at nine at night with a carrier bag and a bus pass.",
        tag: "hospital-discharge",
        consent: Consent::Approve("c-ash", "external"),
    },
    Planned {
        name: "ash-door",
        source: "t-ash",
        exact: "Nobody on the ward asked if I had a door to go back to.",
        tag: "housing",
        consent: Consent::Approve("c-ash", "publication"),
    },
    Planned {
        name: "ash-car-park",
        source: "t-ash",
        exact: "I slept in the hospital car park for two nights after that.",
        tag: "housing",
        consent: Consent::Pending,
    },
    Planned {
        name: "ash-nurse",
        source: "t-ash",
        exact: "The discharge nurse was lovely but she had forty other patients.",
        tag: "hospital-discharge",
        consent: Consent::Decline("c-ash"),
    },
    Planned {
        name: "bo-morning",
        source: "t-bo",
        exact: "The crisis line told me to ring back in the morning, but the morning was the problem.",
        tag: "crisis-care",
        consent: Consent::Approve("c-bo", "external"),
    },
    Planned {
        name: "bo-complex",
        source: "t-bo",
        exact: "When you have complex needs every service thinks you belong to another service.",
        tag: "mcn",
        consent: Consent::ApproveOnBehalf("c-bo", "external"),
    },
    Planned {
        name: "bo-peer",
        source: "t-bo",
        exact: "The peer worker sat with me in A and E until the mental health team came.",
        tag: "crisis-care",
        consent: Consent::Approve("c-bo", "internal"),
    },
    Planned {
        name: "bo-workers",
        source: "t-bo",
        exact: "My housing worker and my drugs worker had never spoken to each other.",
        tag: "mcn",
        consent: Consent::ApproveThenWithdraw("c-bo"),
    },
    Planned {
        name: "cy-hostel",
        source: "t-cy",
        exact: "The hostel took me straight from the ward, and that is the only reason I am still here.",
        tag: "hospital-discharge",
        consent: Consent::Approve("c-cy", "external"),
    },
    Planned {
        name: "cy-worker",
        source: "t-cy",
        exact: "Having one worker who knew my whole story made all the difference to my recovery.",
        tag: "mcn",
        consent: Consent::Approve("c-cy", "external"),
    },
    Planned {
        name: "cy-script",
        source: "t-cy",
        exact: "I typed <script>alert(1)</script> into the council housing form to see if anyone read it.",
        tag: "housing",
        consent: Consent::Approve("c-cy", "external"),
    },
    Planned {
        name: "dee-home",
        source: "t-dee",
        exact: "I was sent home from hospital to the flat where he was waiting, with nowhere else to live.",
        tag: "hospital-discharge",
        consent: Consent::Approve("c-dee", "external"),
    },
];

/// A fresh copy of the evidence library.
pub struct Evidence {
    /// The library.
    pub lib: TestLibrary,
    /// Quote ids by the short names of [`PLAN`].
    pub ids: BTreeMap<String, String>,
}

struct Template {
    dir: PathBuf,
    ids: BTreeMap<String, String>,
}

static TEMPLATE: OnceLock<Template> = OnceLock::new();

fn build_template() -> Template {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    // Templates of earlier runs whose process has gone are removed.
    if let Ok(entries) = std::fs::read_dir(&base) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("heard-evidence-") {
                if !PathBuf::from(format!("/proc/{pid}")).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }
    let lib = TestLibrary::with_fixture("evidence");
    let mut ids = BTreeMap::new();
    for p in PLAN {
        let id = lib.quote_add(p.source, p.exact, &["--tag", p.tag]);
        match p.consent {
            Consent::Pending => {}
            Consent::Approve(by, scope) => lib.approve(&id, by, scope),
            Consent::ApproveOnBehalf(speaker, scope) => {
                lib.heard(&[
                    "quote",
                    "approve",
                    &id,
                    "--by",
                    OFFICER,
                    "--on-behalf-of",
                    speaker,
                    "--scope",
                    scope,
                    "--note",
                    "consent form on file",
                ])
                .assert_ok();
            }
            Consent::Decline(by) => {
                lib.heard(&["quote", "decline", &id, "--by", by])
                    .assert_ok();
            }
            Consent::ApproveThenWithdraw(by) => {
                lib.approve(&id, by, "external");
                lib.heard(&["quote", "withdraw", &id, "--by", by])
                    .assert_ok();
            }
        }
        ids.insert(p.name.to_string(), id);
    }
    lib.write(&format!("{RESPONSE}/consultation.toml"), CONSULTATION);
    let dir = base.join(format!("heard-evidence-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_tree(lib.root(), &dir);
    Template { dir, ids }
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// A new copy of the evidence library, with its quotes and consent already recorded.
pub fn evidence() -> Evidence {
    let t = TEMPLATE.get_or_init(build_template);
    let lib = TestLibrary::bare();
    copy_tree(&t.dir, lib.root());
    Evidence {
        lib,
        ids: t.ids.clone(),
    }
}

impl Evidence {
    /// The id of a planned quote by its short name.
    #[track_caller]
    pub fn id(&self, name: &str) -> &str {
        self.ids
            .get(name)
            .unwrap_or_else(|| panic!("no planned quote `{name}`"))
    }

    /// `heard draft RESPONSE`, which must exit 0.
    #[track_caller]
    pub fn draft(&self) -> Run {
        let run = self.lib.heard(&["draft", RESPONSE]);
        run.assert_ok();
        run
    }

    /// The text of a file of the response folder.
    pub fn response_file(&self, name: &str) -> String {
        self.lib.read(&format!("{RESPONSE}/{name}"))
    }

    /// response.md.
    pub fn response(&self) -> String {
        self.response_file("response.md")
    }

    /// Replace response.md.
    pub fn write_response(&self, text: &str) {
        self.lib.write(&format!("{RESPONSE}/response.md"), text);
    }

    /// provenance.json, parsed.
    pub fn provenance(&self) -> Value {
        serde_json::from_str(&self.response_file("provenance.json")).expect("provenance.json")
    }

    /// A fresh draft with every position placeholder replaced by an answer: the text.
    #[track_caller]
    /// `heard draft RESPONSE` with the meaning veto off, so that every consented quote on
    /// a question's theme is weighed (for tests of what happens to quotes, not of relevance).
    pub fn draft_every_voice(&self) -> Run {
        let out = self
            .lib
            .command(&["draft", RESPONSE])
            .env("HEARD_RELEVANCE_TUNE", "least=0,tagged=0")
            .output()
            .expect("run heard");
        let run = Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
            args: vec!["draft".into(), RESPONSE.into()],
        };
        run.assert_ok();
        run
    }

    pub fn answered_draft(&self) -> String {
        self.draft_every_voice();
        let text = self
            .response()
            .replace(PLACEHOLDER, "We agree: this has to change.");
        self.write_response(&text);
        text
    }

    /// `heard check RESPONSE`.
    pub fn check(&self) -> Run {
        self.lib.heard(&["check", RESPONSE])
    }
}

/// The line a fresh draft leaves for our position.
pub const PLACEHOLDER: &str = "[Write our answer to this question in one or two sentences.]";

/// The quote ids of the footnote references (`[^q-…]` not followed by `:`) in a draft.
pub fn quote_refs(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = markdown;
    while let Some(i) = rest.find("[^q-") {
        let after = &rest[i + 2..];
        let end = after.find(']').unwrap_or(after.len());
        let label = &after[..end];
        let is_definition = after[end..].starts_with("]:");
        if !is_definition && !out.iter().any(|l: &String| l == label) {
            out.push(label.to_string());
        }
        rest = &after[end..];
    }
    out
}
