//! Benchmark corpus generator: makes a realistic heard library of N documents,
//! deterministically from a seed.
//!
//! ```sh
//! cargo run --release --example gen_corpus -- --docs 10000 --seed 42 --out /tmp/heard-bench/lib-s42-n10000
//! ```
//!
//! The library has `heard.toml`, a `corpus/` with `testimonies/ reports/ submissions/ notes/`
//! (one folder per year under each), `taxonomy.toml` (20 themes with synonyms),
//! `contributors.toml`, `ledger.jsonl` with quotes and their consent events, `quotes/*.toml`
//! written from the ledger, and `responses/national-evidence-2026/consultation.toml` with 10
//! questions. Ratios: 50% testimonies, 20% notes, 15% reports, 15% submissions; one quote
//! per 20 testimonies (half of them approved for external use); one recommendation outcome
//! per 10 reports and submissions.
//!
//! Files are English-like prose made from a vocabulary of about 3,500 word forms (real
//! words, with UK health, housing and justice terms, plus a long tail of rare coined words
//! and place names) drawn with a Zipf distribution and weighted towards each document's
//! themes, so that tags, phrases and filters find realistic numbers of documents.
//!
//! Quotes are anchored with heard's own code (`heard::corpus::load_bytes` for the plain
//! text, `heard::quotes::anchor::anchor_at` for the anchor) and the ledger events are
//! `heard::ledger::Event`s with ids from `Event::content_id`, chained as `ledger::append`
//! chains them. They are written directly rather than through `ledger::append`, which
//! stamps the current time (the ledger would differ on every run) and re-reads the whole
//! ledger on every call. Quote files are `heard::quotes::QuoteFile`s of the folded
//! `QuoteBook`, as `write_quote_file` writes them, without an fsync per file.
//!
//! The output is the same for the same `--docs` and `--seed`, on any number of threads.
//! A summary is written to `DIR/bench-corpus.json` (documents, bytes, quotes, events).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use heard::corpus::{LoadOptions, Sensitivity, id_slug, load_bytes};
use heard::ledger::{Action, Event};
use heard::quotes::{QuoteBook, QuoteFile, QuoteRecord, anchor};
use rayon::prelude::*;
use serde_json::json;

// ---------------------------------------------------------------------------------------
// Random numbers: SplitMix64 (seeding) and xorshift64* (streams). No dependency.

/// SplitMix64: one step. Used to derive independent per-document seeds.
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(splitmix(seed) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64 * n as f64) as usize % n.max(1)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    fn pick<'a, T: ?Sized>(&mut self, xs: &[&'a T]) -> &'a T {
        xs[self.below(xs.len())]
    }
}

// ---------------------------------------------------------------------------------------
// Vocabulary.

const PRONOUNS_1ST: &[&str] = &["I", "I", "I", "we", "my family", "my partner and I"];
#[rustfmt::skip]
const PRONOUNS_3RD: &[&str] = &[
    "they", "people", "staff", "the team", "residents", "participants", "many people",
    "services", "the council", "the ward", "the panel", "our members", "some women",
    "young people", "officers", "peer workers",
];
#[rustfmt::skip]
const DETS: &[&str] = &[
    "the", "the", "the", "a", "a", "every", "no", "our", "their", "my", "that", "this", "one",
    "another", "each", "any",
];
#[rustfmt::skip]
const PREPS: &[&str] = &[
    "in", "at", "from", "with", "after", "before", "for", "about", "without", "near", "into",
    "through", "around", "between", "under", "over", "during", "across", "beside", "towards",
];
#[rustfmt::skip]
const LINKS: &[&str] = &[
    ", and", ", but", " because", " when", " so", ", even though", " until", " while", ", then",
    " before", " after", ", which meant",
];
#[rustfmt::skip]
const AUX: &[&str] = &[
    "could not", "would", "did not", "had to", "never", "still", "could", "should", "might",
    "would not", "tried to", "wanted to", "had not", "seemed to", "used to",
];
#[rustfmt::skip]
const ADVERBS: &[&str] = &[
    "again", "already", "always", "eventually", "finally", "honestly", "just", "later", "never",
    "often", "quickly", "really", "slowly", "sometimes", "suddenly", "together", "usually",
    "properly", "nearly", "barely", "simply", "clearly", "quietly", "gradually", "rarely",
    "immediately", "repeatedly", "separately", "locally", "formally", "informally",
    "consistently", "genuinely", "safely", "fairly", "openly", "briefly", "directly",
    "urgently", "routinely",
];
#[rustfmt::skip]
const ADJECTIVES: &[&str] = &[
    "able", "afraid", "alone", "angry", "anxious", "available", "bad", "basic", "better", "big",
    "brilliant", "busy", "careful", "cheap", "clean", "clear", "closed", "cold", "common",
    "complex", "confused", "constant", "cruel", "current", "damp", "dangerous", "dark",
    "different", "difficult", "direct", "dirty", "early", "easy", "emergency", "empty",
    "endless", "enough", "exhausted", "fair", "familiar", "final", "fine", "first", "formal",
    "free", "frightened", "full", "general", "good", "great", "hard", "heavy", "helpful",
    "hidden", "high", "homeless", "honest", "hopeful", "huge", "hungry", "ill", "important",
    "independent", "informal", "kind", "large", "last", "late", "legal", "little", "local",
    "lonely", "long", "loud", "low", "main", "medical", "mental", "missing", "national",
    "natural", "necessary", "new", "next", "nervous", "normal", "obvious", "old", "open",
    "ordinary", "other", "own", "patient", "personal", "physical", "poor", "positive",
    "possible", "practical", "private", "proper", "public", "quick", "quiet", "ready", "real",
    "recent", "regular", "safe", "same", "scared", "second", "secure", "serious", "shared",
    "short", "sick", "simple", "single", "small", "social", "special", "specialist", "stable",
    "statutory", "strong", "stuck", "sudden", "suitable", "temporary", "terrible", "tired",
    "tiny", "tough", "unsafe", "unsuitable", "urgent", "useful", "usual", "vulnerable", "warm",
    "weekly", "whole", "wrong", "young", "voluntary", "accessible", "affordable", "chaotic",
    "consistent", "digital", "exempt", "frontline", "multiple", "overcrowded", "rural",
    "trusted", "unpaid", "welcoming",
];
/// General nouns (singular; a plural is made by rule where it reads naturally).
#[rustfmt::skip]
const NOUNS: &[&str] = &[
    "address", "advice", "afternoon", "agency", "ambulance", "answer", "appeal", "appointment",
    "area", "arrangement", "assessment", "baby", "bag", "battery", "bed", "bench", "bill",
    "bit", "board", "body", "book", "box", "brother", "budget", "building", "bus", "business",
    "cafe", "call", "car", "card", "case", "caseload", "chance", "change", "child", "choice",
    "church", "city", "class", "clinic", "clothes", "college", "community", "complaint",
    "contact", "contract", "conversation", "corridor", "cost", "counter", "county", "course",
    "cousin", "day", "deadline", "decision", "department", "deposit", "desk", "detail", "diary",
    "difference", "district", "doctor", "document", "door", "email", "end", "entrance",
    "evening", "event", "evidence", "experience", "face", "family", "father", "feeling", "file",
    "flat", "floor", "food", "form", "friend", "fund", "future", "group", "guidance", "hall",
    "hand", "head", "health", "help", "history", "home", "hour", "house", "idea", "information",
    "issue", "job", "journey", "kitchen", "language", "leaflet", "letter", "level", "life",
    "line", "list", "lunch", "manager", "meeting", "member", "message", "minute", "money",
    "month", "morning", "mother", "name", "need", "neighbour", "network", "night", "note",
    "number", "nurse", "office", "officer", "option", "order", "organisation", "pack", "paper",
    "parent", "part", "partner", "partnership", "pathway", "pay", "payment", "person", "phone",
    "place", "plan", "point", "policy", "practice", "pressure", "problem", "process",
    "programme", "progress", "project", "promise", "question", "queue", "reason", "record",
    "relationship", "report", "request", "result", "review", "right", "risk", "road", "role",
    "room", "rule", "school", "sister", "situation", "space", "staff", "stage", "step", "story",
    "street", "stress", "system", "table", "target", "team", "text", "thing", "time", "town",
    "training", "transport", "trust", "turn", "visit", "voice", "wait", "week", "weekend",
    "window", "word", "work", "worker", "year", "strategy", "scheme", "service", "provider",
    "commissioner", "contract", "capacity", "gap", "barrier", "threshold", "criteria",
    "outcome", "impact", "funding", "shortfall", "data", "survey", "interview", "workshop",
    "panel", "volunteer", "session", "feedback", "framework", "standard", "duty", "law",
    "regulation", "inspection", "audit", "budget",
];
/// UK health, housing, welfare and justice terms: the sector's vocabulary.
#[rustfmt::skip]
const SECTOR: &[&str] = &[
    "housing", "discharge", "crisis", "tenancy", "probation", "hostel", "eviction", "landlord",
    "council", "ward", "outreach", "benefits", "sanction", "refuge", "keyworker", "caseworker",
    "GP", "prescription", "detox", "recovery", "methadone", "homelessness", "safeguarding",
    "commissioning", "NHS", "advocacy", "arrears", "rent", "helpline", "referral", "triage",
    "liaison", "resettlement", "custody", "court", "magistrates", "foodbank", "jobcentre",
    "tribunal", "trauma", "psychiatrist", "inpatient", "sectioning", "medication",
    "counselling", "therapy", "waiting", "eligibility", "accommodation", "licence", "curfew",
    "tag", "hospital", "A&E", "paramedic", "pharmacy", "dentist", "midwife", "health visitor",
    "social worker", "care leaver", "foster", "carer", "dependency", "overdose", "naloxone",
    "needle exchange", "relapse", "abstinence", "harm reduction", "rough sleeping",
    "sofa-surfing", "night shelter", "day centre", "move-on", "floating support",
    "housing benefit", "universal credit", "PIP", "ESA", "work capability assessment",
    "mandatory reconsideration", "advance payment", "bedroom tax", "council tax", "section 21",
    "possession order", "bailiffs", "priority need", "local connection",
    "intentionally homeless", "duty to refer", "personal housing plan",
    "temporary accommodation", "bed and breakfast", "approved premises", "licence conditions",
    "recall", "remand", "sentence", "parole", "offender manager", "community order",
    "through the gate", "discharge grant", "discharge coordinator", "care coordinator",
    "care plan", "crisis team", "crisis line", "crisis house", "safe haven", "place of safety",
    "mental health act", "community mental health team", "early intervention", "dual diagnosis",
    "co-occurring conditions", "personality disorder", "psychosis", "depression", "anxiety",
    "self-harm", "suicide prevention", "domestic abuse", "coercive control", "MARAC", "IDVA",
    "refuge space", "no recourse to public funds", "interpreter", "integrated care board",
    "integrated care system", "local authority", "housing options", "housing association",
    "social housing", "private rented sector", "deposit scheme", "supported housing",
    "exempt accommodation", "Housing First", "lived experience", "peer mentor", "peer support",
    "co-production", "trauma-informed", "key worker", "single point of contact",
    "multiple disadvantage", "complex needs",
];
#[rustfmt::skip]
const FIRST_WORDS: &[&str] = &[
    "Nobody", "Then", "After that", "In the end", "By Monday", "At first", "Later",
    "That night", "Eventually", "Honestly", "The next day", "Most weeks", "Sometimes",
    "Every time", "Looking back", "Even now", "Before long", "By then",
];
#[rustfmt::skip]
const VERBS: &[(&str, &str)] = &[
    ("ask", "asked"), ("answer", "answered"), ("arrange", "arranged"), ("arrive", "arrived"),
    ("book", "booked"), ("bring", "brought"), ("call", "called"), ("cancel", "cancelled"),
    ("change", "changed"), ("check", "checked"), ("close", "closed"), ("come", "came"),
    ("contact", "contacted"), ("cope", "coped"), ("cover", "covered"), ("decide", "decided"),
    ("describe", "described"), ("discharge", "discharged"), ("end", "ended"),
    ("evict", "evicted"), ("explain", "explained"), ("fail", "failed"), ("fill", "filled"),
    ("find", "found"), ("fund", "funded"), ("get", "got"), ("give", "gave"), ("go", "went"),
    ("hand", "handed"), ("hear", "heard"), ("help", "helped"), ("hold", "held"),
    ("keep", "kept"), ("know", "knew"), ("leave", "left"), ("listen", "listened"),
    ("live", "lived"), ("lose", "lost"), ("make", "made"), ("manage", "managed"),
    ("meet", "met"), ("miss", "missed"), ("move", "moved"), ("need", "needed"),
    ("offer", "offered"), ("open", "opened"), ("pay", "paid"), ("phone", "phoned"),
    ("place", "placed"), ("promise", "promised"), ("provide", "provided"), ("put", "put"),
    ("reach", "reached"), ("read", "read"), ("receive", "received"), ("refer", "referred"),
    ("refuse", "refused"), ("register", "registered"), ("remember", "remembered"),
    ("report", "reported"), ("ring", "rang"), ("say", "said"), ("see", "saw"), ("send", "sent"),
    ("share", "shared"), ("sign", "signed"), ("sit", "sat"), ("sleep", "slept"),
    ("sort", "sorted"), ("spend", "spent"), ("start", "started"), ("stay", "stayed"),
    ("stop", "stopped"), ("support", "supported"), ("take", "took"), ("talk", "talked"),
    ("tell", "told"), ("think", "thought"), ("treat", "treated"), ("try", "tried"),
    ("turn", "turned"), ("understand", "understood"), ("use", "used"), ("visit", "visited"),
    ("wait", "waited"), ("walk", "walked"), ("want", "wanted"), ("watch", "watched"),
    ("work", "worked"), ("worry", "worried"), ("write", "wrote"), ("assess", "assessed"),
    ("commission", "commissioned"), ("coordinate", "coordinated"), ("escalate", "escalated"),
    ("prioritise", "prioritised"), ("recognise", "recognised"), ("sanction", "sanctioned"),
    ("signpost", "signposted"), ("section", "sectioned"), ("release", "released"),
    ("recall", "recalled"), ("present", "presented"), ("appeal", "appealed"),
];
#[rustfmt::skip]
const IMPERATIVES: &[&str] = &[
    "Ensure that", "Fund", "Require", "Introduce", "Create", "Extend", "Guarantee", "Publish",
    "Review", "Commission", "Remove", "Protect", "Expand", "Set up", "Give", "Make sure", "End",
    "Stop", "Train", "Pilot",
];
#[rustfmt::skip]
const ORGANISATIONS: &[&str] = &[
    "Northgate Together", "Ashworth Housing Partnership", "Riverside Recovery Network",
    "Canal Row Trust", "Ferrybridge Women's Centre", "St Aldric's Hospital Trust",
    "Marlow Peer Collective", "Tanner Street Drop-in", "Hollins Advice Centre",
    "Eastfield Young People's Service", "Brookvale Mind", "Kestrel Justice Project",
    "Saltmarsh Refuge", "Weir Lane Foodbank", "Greyfriars Housing Association",
    "Moorside Integrated Care Board", "Pennine Probation Partnership",
    "Oldbury Citizens Advice", "Harbour Street Crisis Cafe", "Linden Carers Network",
];
#[rustfmt::skip]
const AUTHORS: &[&str] = &[
    "Gareth Moyle", "Niamh Pellow", "Priya Sandhu", "Tom Ashcroft", "Funmi Adeyemi",
    "Rachel Quarry", "Owen Blythe", "Sadia Karim", "Martin Lowe", "Erin Toal", "Dev Patel",
    "Claire Hemming", "Joe Farrant", "Aisha Noor", "Helen Brack", "Sam Okafor",
];
#[rustfmt::skip]
const CONSULTATION_KINDS: &[&str] = &[
    "call for evidence", "consultation", "inquiry", "strategy consultation", "review",
];
#[rustfmt::skip]
const MONTHS: &[&str] = &[
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
];

/// A theme of the taxonomy, with words that documents about it use.
struct Theme {
    id: &'static str,
    label: &'static str,
    synonyms: &'static [&'static str],
    words: &'static [&'static str],
}

#[rustfmt::skip]
const THEMES: &[Theme] = &[
    Theme {
        id: "housing",
        label: "Housing and homelessness",
        synonyms: &["homelessness", "accommodation", "temporary accommodation", "sofa-surfing", "supported housing", "housing options"],
        words: &["housing", "tenancy", "landlord", "rent", "eviction", "hostel", "flat", "temporary accommodation", "housing options", "council", "arrears", "deposit", "section 21", "homelessness", "sofa-surfing", "move-on", "nowhere to go", "nowhere safe to live"],
    },
    Theme {
        id: "hospital-discharge",
        label: "Leaving hospital",
        synonyms: &["hospital discharge", "leaving hospital", "duty to refer", "step-down beds", "medically fit for discharge"],
        words: &["discharge", "ward", "hospital", "medically fit for discharge", "discharge coordinator", "step-down beds", "duty to refer", "A&E", "nurse", "doctor", "discharge letter", "Friday afternoon"],
    },
    Theme {
        id: "mental-health",
        label: "Mental health",
        synonyms: &["mental ill health", "mental illness", "emotional wellbeing", "mental health services"],
        words: &["mental health", "anxiety", "depression", "psychosis", "community mental health team", "therapy", "counselling", "medication", "psychiatrist", "self-harm", "early intervention"],
    },
    Theme {
        id: "crisis-care",
        label: "Mental health crisis care",
        synonyms: &["crisis support", "crisis house", "crisis cafe", "crisis team", "crisis line", "safe haven"],
        words: &["crisis", "crisis team", "crisis line", "crisis house", "safe haven", "place of safety", "crisis cafe", "A&E", "triage", "liaison", "out of hours", "crisis point"],
    },
    Theme {
        id: "substance-use",
        label: "Drug and alcohol use",
        synonyms: &["drug and alcohol", "addiction", "substance misuse", "harm reduction", "co-occurring conditions"],
        words: &["detox", "recovery", "methadone", "relapse", "naloxone", "overdose", "harm reduction", "needle exchange", "alcohol", "drugs", "dual diagnosis", "co-occurring conditions"],
    },
    Theme {
        id: "domestic-abuse",
        label: "Domestic abuse",
        synonyms: &["domestic violence", "coercive control", "violence against women and girls"],
        words: &["refuge", "refuge space", "coercive control", "IDVA", "MARAC", "domestic abuse", "ex-partner", "safety plan", "non-molestation order", "perpetrator"],
    },
    Theme {
        id: "prison-release",
        label: "Leaving prison",
        synonyms: &["leaving prison", "resettlement", "release from custody", "release from prison", "gate meetings"],
        words: &["release", "prison", "resettlement", "custody", "discharge grant", "through the gate", "Friday release", "recall", "licence conditions", "approved premises", "remand"],
    },
    Theme {
        id: "mcn",
        label: "Multiple and complex needs",
        synonyms: &["multiple and complex needs", "multiple disadvantage", "complex needs", "key worker", "single point of contact"],
        words: &["multiple disadvantage", "complex needs", "key worker", "single point of contact", "care coordinator", "navigator", "caseload", "revolving door", "told my story again"],
    },
    Theme {
        id: "peer-support",
        label: "Peer support",
        synonyms: &["peer mentors", "peer mentoring", "peer workers", "lived experience workers"],
        words: &["peer support", "peer mentor", "peer worker", "lived experience", "volunteer", "someone who had been there", "mentoring", "drop-in"],
    },
    Theme {
        id: "trauma-informed",
        label: "Trauma-informed practice",
        synonyms: &["trauma informed", "psychologically informed environments", "PIE"],
        words: &["trauma", "trauma-informed", "trust", "safety", "choice", "re-traumatising", "psychologically informed", "reflective practice"],
    },
    Theme {
        id: "gp-access",
        label: "Getting to see a GP",
        synonyms: &["GP registration", "primary care", "GP access"],
        words: &["GP", "surgery", "registration", "proof of address", "appointment", "receptionist", "primary care", "prescription", "pharmacy", "8am phone queue"],
    },
    Theme {
        id: "benefits",
        label: "Benefits and money",
        synonyms: &["welfare benefits", "universal credit", "social security", "sanctions"],
        words: &["universal credit", "sanction", "PIP", "ESA", "jobcentre", "work coach", "advance payment", "mandatory reconsideration", "tribunal", "foodbank", "debt", "five-week wait"],
    },
    Theme {
        id: "women",
        label: "Women",
        synonyms: &["women-only services", "women facing multiple disadvantage"],
        words: &["women-only", "mother", "children", "social services", "pregnancy", "midwife", "women's centre", "mixed hostel", "child removal", "women"],
    },
    Theme {
        id: "young-people",
        label: "Young people and care leavers",
        synonyms: &["care leavers", "young adults", "transition to adult services"],
        words: &["care leaver", "personal adviser", "college", "foster", "young person", "transition", "youth service", "eighteenth birthday", "supported lodgings"],
    },
    Theme {
        id: "co-production",
        label: "Co-production",
        synonyms: &["coproduction", "lived experience panel", "experts by experience"],
        words: &["co-production", "lived experience panel", "experts by experience", "workshop", "paid for their time", "shaping services", "commissioning", "board"],
    },
    Theme {
        id: "probation",
        label: "Probation and community sentences",
        synonyms: &["probation service", "community sentence", "offender management"],
        words: &["probation", "probation officer", "offender manager", "community order", "unpaid work", "appointment", "breach", "curfew", "tag", "licence"],
    },
    Theme {
        id: "tenancy-sustainment",
        label: "Keeping a tenancy",
        synonyms: &["tenancy sustainment", "floating support", "tenancy support"],
        words: &["tenancy sustainment", "floating support", "tenancy", "arrears", "repairs", "damp", "neighbours", "possession order", "bailiffs", "housing association"],
    },
    Theme {
        id: "rough-sleeping",
        label: "Rough sleeping",
        synonyms: &["street homelessness", "sleeping rough", "rough sleepers"],
        words: &["rough sleeping", "outreach", "night shelter", "day centre", "doorway", "sleeping bag", "street count", "Housing First", "severe weather"],
    },
    Theme {
        id: "employment",
        label: "Work and training",
        synonyms: &["employment support", "jobs", "training and skills"],
        words: &["job", "training", "employer", "wages", "zero-hours contract", "volunteering", "CV", "interview", "apprenticeship", "work experience"],
    },
    Theme {
        id: "social-care",
        label: "Adult social care",
        synonyms: &["social care", "care act", "care and support"],
        words: &["social worker", "care act assessment", "care package", "carer", "safeguarding", "home care", "direct payments", "eligibility", "adult social care"],
    },
];

/// Rare words: coined from syllables, as a real corpus has a long tail of names, local
/// words and misspellings.
fn tail_words() -> Vec<String> {
    const A: &[&str] = &[
        "ash", "bel", "car", "dun", "el", "fer", "gar", "hol", "ink", "kel", "lin", "mar", "nor",
        "ot", "pen", "quar", "ros", "sal", "tor", "ul", "ver", "wel", "yar", "zen", "bram", "crag",
        "dow", "fen", "glen", "hurst",
    ];
    const B: &[&str] = &[
        "ton", "by", "ford", "ley", "well", "wick", "stead", "mere", "dale", "worth", "holm",
        "side", "gate", "field", "brook", "ridge", "combe", "thorpe", "ham", "bury", "ing", "er",
        "ish", "ock", "en", "al", "ery", "ling", "ward", "more", "wood", "cliffe", "ness", "port",
        "stow", "low", "croft", "hay", "shaw", "cote", "lea", "bourne", "minster", "wyn", "wold",
        "ick", "ander", "ory", "ax", "et",
    ];
    let mut out = Vec::with_capacity(A.len() * B.len());
    for a in A {
        for b in B {
            out.push(format!("{a}{b}"));
        }
    }
    out
}

/// Every general word form with a Zipf weight: the common words first.
struct Vocab {
    words: Vec<String>,
    cumulative: Vec<f64>,
    nouns: Vec<String>,
    nouns_cum: Vec<f64>,
}

fn plural(n: &str) -> String {
    if n.ends_with('s') || n.ends_with("sh") || n.ends_with("ch") || n.ends_with('x') {
        format!("{n}es")
    } else if n.ends_with('y') && !n.ends_with("ay") && !n.ends_with("ey") && !n.ends_with("oy") {
        format!("{}ies", &n[..n.len() - 1])
    } else {
        format!("{n}s")
    }
}

fn ing(v: &str) -> String {
    if let Some(stem) = v.strip_suffix("ie") {
        format!("{stem}ying")
    } else if v.ends_with('e') && !v.ends_with("ee") {
        format!("{}ing", &v[..v.len() - 1])
    } else {
        format!("{v}ing")
    }
}

fn zipf(n: usize, s: f64, q: f64) -> Vec<f64> {
    let mut acc = 0.0;
    (0..n)
        .map(|r| {
            acc += 1.0 / ((r + 1) as f64 + q).powf(s);
            acc
        })
        .collect()
}

/// Nouns with no plural in ordinary use.
const UNCOUNTABLE: &[&str] = &[
    "advice",
    "clothes",
    "evidence",
    "food",
    "funding",
    "guidance",
    "health",
    "help",
    "information",
    "money",
    "pay",
    "staff",
    "stress",
    "training",
    "transport",
    "trust",
    "work",
    "data",
    "feedback",
    "progress",
    "pressure",
    "criteria",
    "history",
    "capacity",
    "experience",
    "language",
    "life",
    "law",
    "practice",
    "shortfall",
    "business",
];

impl Vocab {
    fn new() -> Vocab {
        // A fixed shuffle, the same for every seed.
        let mut rng = Rng::new(0x5EED);
        let mut general: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for n in NOUNS {
            if seen.insert(*n) {
                general.push(n.to_string());
                if !UNCOUNTABLE.contains(n) {
                    general.push(plural(n));
                }
            }
        }
        for i in (1..general.len()).rev() {
            let j = rng.below(i + 1);
            general.swap(i, j);
        }
        // Sector terms from rank 20, one in every three places, so that common words
        // lead and sector words are frequent but not dominant.
        let mut nouns: Vec<String> = Vec::new();
        let mut sector = SECTOR.iter();
        for (i, g) in general.into_iter().enumerate() {
            nouns.push(g);
            if i >= 20 && i % 3 == 0 {
                if let Some(s) = sector.next() {
                    nouns.push(s.to_string());
                }
            }
        }
        nouns.extend(sector.map(|s| s.to_string()));
        // The long tail: place names and rare words, capitalised or not.
        for (i, t) in tail_words().into_iter().enumerate() {
            if i % 3 == 0 {
                nouns.push(capitalise(&t));
            } else {
                nouns.push(t);
            }
        }
        let mut words: Vec<String> = Vec::new();
        for a in ADJECTIVES {
            words.push(a.to_string());
        }
        for a in ADVERBS {
            words.push(a.to_string());
        }
        for (v, p) in VERBS {
            words.push(v.to_string());
            words.push(p.to_string());
            words.push(ing(v));
            words.push(
                if v.ends_with('s') || v.ends_with("sh") || v.ends_with("ch") {
                    format!("{v}es")
                } else if v.ends_with('y') && !v.ends_with("ay") {
                    format!("{}ies", &v[..v.len() - 1])
                } else {
                    format!("{v}s")
                },
            );
        }
        for i in (1..words.len()).rev() {
            let j = rng.below(i + 1);
            words.swap(i, j);
        }
        // Zipf-Mandelbrot: 1/(rank + q)^s, a flatter head than pure Zipf, as for nouns
        // and verbs in real prose (function words are added by the sentence patterns).
        let cumulative = zipf(words.len(), 1.0, 5.0);
        let nouns_cum = zipf(nouns.len(), 1.05, 10.0);
        Vocab {
            words,
            cumulative,
            nouns,
            nouns_cum,
        }
    }

    fn draw<'a>(list: &'a [String], cum: &[f64], rng: &mut Rng) -> &'a str {
        let total = *cum.last().expect("not empty");
        let x = (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * total;
        let i = cum.partition_point(|&c| c < x).min(list.len() - 1);
        &list[i]
    }

    fn noun(&self, rng: &mut Rng) -> &str {
        Vocab::draw(&self.nouns, &self.nouns_cum, rng)
    }

    fn word(&self, rng: &mut Rng) -> &str {
        Vocab::draw(&self.words, &self.cumulative, rng)
    }

    fn vocabulary_size(&self) -> usize {
        self.words.len()
            + self.nouns.len()
            + VERBS.len() * 2
            + ADJECTIVES.len()
            + THEMES.iter().map(|t| t.words.len()).sum::<usize>()
    }
}

// ---------------------------------------------------------------------------------------
// Prose.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Testimony,
    Report,
    Submission,
    Notes,
}

impl Kind {
    fn of(rng: &mut Rng) -> Kind {
        match rng.below(100) {
            0..50 => Kind::Testimony,
            50..70 => Kind::Notes,
            70..85 => Kind::Report,
            _ => Kind::Submission,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Kind::Testimony => "testimony",
            Kind::Report => "report",
            Kind::Submission => "submission",
            Kind::Notes => "notes",
        }
    }
    fn folder(self) -> &'static str {
        match self {
            Kind::Testimony => "testimonies",
            Kind::Report => "reports",
            Kind::Submission => "submissions",
            Kind::Notes => "notes",
        }
    }
    fn prefix(self) -> &'static str {
        match self {
            Kind::Testimony => "t",
            Kind::Report => "rep",
            Kind::Submission => "sub",
            Kind::Notes => "n",
        }
    }
}

struct Writer<'a> {
    vocab: &'a Vocab,
    rng: Rng,
    themes: Vec<usize>,
    first_person: bool,
}

impl Writer<'_> {
    /// A noun phrase head: often one of the document's theme words.
    fn noun(&mut self) -> String {
        if !self.themes.is_empty() && self.rng.chance(0.22) {
            let t = &THEMES[self.themes[self.rng.below(self.themes.len())]];
            return t.words[self.rng.below(t.words.len())].to_string();
        }
        self.vocab.noun(&mut self.rng).to_string()
    }

    fn noun_phrase(&mut self) -> String {
        let det = self.rng.pick(DETS);
        let mut rest = String::new();
        if self.rng.chance(0.35) {
            rest.push_str(self.rng.pick(ADJECTIVES));
            rest.push(' ');
        }
        rest.push_str(&self.noun());
        let vowel = rest.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']);
        let mut s = String::from(match det {
            "a" if vowel => "an",
            d => d,
        });
        s.push(' ');
        s.push_str(&rest);
        if self.rng.chance(0.15) {
            s.push_str(" and the ");
            s.push_str(&self.noun());
        }
        s
    }

    fn subject(&mut self) -> String {
        match self.rng.below(10) {
            0..4 => {
                if self.first_person {
                    self.rng.pick(PRONOUNS_1ST).to_string()
                } else {
                    self.rng.pick(PRONOUNS_3RD).to_string()
                }
            }
            4..6 => self.rng.pick(PRONOUNS_3RD).to_string(),
            _ => self.noun_phrase(),
        }
    }

    fn clause(&mut self) -> String {
        let mut s = self.subject();
        let (base, past) = VERBS[self.rng.below(VERBS.len())];
        match self.rng.below(10) {
            0..5 => {
                s.push(' ');
                s.push_str(past);
            }
            5..7 => {
                s.push(' ');
                s.push_str(self.rng.pick(AUX));
                s.push(' ');
                s.push_str(base);
            }
            7 => {
                s.push_str(" was ");
                s.push_str(&ing(base));
            }
            _ => {
                s.push_str(" felt ");
                s.push_str(self.rng.pick(ADJECTIVES));
                return s;
            }
        }
        if self.rng.chance(0.8) {
            s.push(' ');
            s.push_str(&self.noun_phrase());
        }
        if self.rng.chance(0.55) {
            s.push(' ');
            s.push_str(self.rng.pick(PREPS));
            s.push(' ');
            s.push_str(&self.noun_phrase());
        }
        if self.rng.chance(0.3) {
            s.push(' ');
            s.push_str(self.rng.pick(ADVERBS));
        }
        // A few general words from the Zipf tail, as real prose wanders.
        if self.rng.chance(0.25) {
            s.push_str(" and ");
            s.push_str(self.vocab.word(&mut self.rng));
            s.push(' ');
            s.push_str(&self.noun());
        }
        s
    }

    fn sentence(&mut self) -> String {
        let mut s = String::new();
        if self.rng.chance(0.15) {
            s.push_str(self.rng.pick(FIRST_WORDS));
            s.push(' ');
            let c = self.clause();
            let mut chars = c.chars();
            if let Some(f) = chars.next() {
                if c.starts_with("I ") || c == "I" {
                    s.push(f);
                } else {
                    s.extend(f.to_lowercase());
                }
                s.push_str(chars.as_str());
            }
        } else {
            s.push_str(&self.clause());
        }
        let extra = self.rng.below(3);
        for _ in 0..extra {
            s.push_str(self.rng.pick(LINKS));
            s.push(' ');
            let c = self.clause();
            s.push_str(&c);
        }
        // Capitalise, end with a full stop.
        let mut out = String::with_capacity(s.len() + 1);
        let mut chars = s.chars();
        if let Some(f) = chars.next() {
            out.extend(f.to_uppercase());
            out.push_str(chars.as_str());
        }
        out.push('.');
        out
    }

    fn paragraph(&mut self, sentences: usize) -> String {
        let mut p = String::new();
        for i in 0..sentences {
            if i > 0 {
                p.push(' ');
            }
            p.push_str(&self.sentence());
        }
        wrap(&p, 88)
    }

    fn recommendation(&mut self) -> String {
        let mut s = String::new();
        s.push_str(self.rng.pick(IMPERATIVES));
        s.push(' ');
        s.push_str(&self.noun_phrase());
        s.push(' ');
        s.push_str(self.rng.pick(PREPS));
        s.push(' ');
        s.push_str(&self.noun_phrase());
        if self.rng.chance(0.6) {
            s.push_str(", so that ");
            s.push_str(&self.clause());
        }
        s.push('.');
        s
    }

    fn title_words(&mut self, n: usize) -> String {
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(&self.noun());
        }
        s
    }
}

/// Hard-wrap prose at `width` columns, as people write Markdown.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / width + 1);
    let mut col = 0;
    for w in text.split(' ') {
        if col > 0 && col + 1 + w.len() > width {
            out.push('\n');
            col = 0;
        } else if col > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(w);
        col += w.len();
    }
    out
}

fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string is JSON")
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// One generated document.
struct Doc {
    index: usize,
    kind: Kind,
    id: String,
    rel: String,
    text: String,
    tags: Vec<&'static str>,
    contributor: Option<String>,
}

fn date_of(rng: &mut Rng) -> (u32, usize, String) {
    // More recent years hold more documents (libraries grow).
    let weights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 12];
    let total: usize = weights.iter().sum();
    let mut x = rng.below(total);
    let mut year = 2015;
    for w in weights {
        if x < w {
            break;
        }
        x -= w;
        year += 1;
    }
    let month = rng.range(1, 12);
    let day = rng.range(1, 28);
    let text = match rng.below(10) {
        0 => format!("{year}-{month:02}"),
        _ => format!("{year}-{month:02}-{day:02}"),
    };
    (year as u32, month, text)
}

fn generate(index: usize, seed: u64, vocab: &Vocab, contributors: usize) -> Doc {
    let mut rng = Rng::new(splitmix(seed) ^ splitmix(index as u64 + 1));
    let kind = Kind::of(&mut rng);
    let (year, month, date) = date_of(&mut rng);
    let ntags = match rng.below(10) {
        0..3 => 1,
        3..7 => 2,
        7..9 => 3,
        _ => 4,
    };
    let mut themes: Vec<usize> = Vec::new();
    while themes.len() < ntags {
        // Some themes are much more common than others.
        let t = (rng.below(THEMES.len()) * rng.below(THEMES.len())) / THEMES.len();
        if !themes.contains(&t) {
            themes.push(t);
        }
    }
    let tags: Vec<&'static str> = themes.iter().map(|&t| THEMES[t].id).collect();
    let id = format!("{}-{:07}", kind.prefix(), index);
    let sensitivity = match rng.below(10) {
        0..6 => "public",
        6..9 => "internal",
        _ => "restricted",
    };
    let organisation = rng.pick(ORGANISATIONS).to_string();
    let contributor =
        (kind == Kind::Testimony).then(|| format!("c-{:06}", rng.below(contributors.max(1))));
    let mut w = Writer {
        vocab,
        rng: Rng::new(rng.next()),
        themes: themes.clone(),
        first_person: kind == Kind::Testimony,
    };
    let theme_label = THEMES[themes[0]].label;
    let title = match kind {
        Kind::Testimony => {
            let s = w.clause();
            capitalise(&s)
        }
        Kind::Report => format!("{theme_label}: {} ({year})", capitalise(&w.title_words(3))),
        Kind::Submission => format!(
            "Response to the {} {}",
            theme_label.to_lowercase(),
            w.rng.pick(CONSULTATION_KINDS)
        ),
        Kind::Notes => format!(
            "{} workshop notes, {} {year}",
            theme_label,
            MONTHS[month - 1]
        ),
    };
    let consultation = (kind == Kind::Submission)
        .then(|| format!("{} {} {year}", theme_label, w.rng.pick(CONSULTATION_KINDS)));

    let mut md = String::with_capacity(3000);
    // One file in ten has TOML front matter, as in a library kept by several people.
    if w.rng.below(10) == 0 {
        md.push_str("+++\n");
        let _ = writeln!(md, "id = {}", yaml_str(&id));
        let _ = writeln!(md, "title = {}", yaml_str(&title));
        let _ = writeln!(md, "kind = \"{}\"", kind.as_str());
        let _ = writeln!(md, "date = {}", yaml_str(&date));
        let _ = writeln!(md, "organisation = {}", yaml_str(&organisation));
        if let Some(c) = &contributor {
            let _ = writeln!(md, "contributors = [\"{c}\"]");
        }
        let _ = writeln!(
            md,
            "tags = [{}]",
            tags.iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(md, "sensitivity = \"{sensitivity}\"");
        if let Some(c) = &consultation {
            let _ = writeln!(md, "consultation = {}", yaml_str(c));
        }
        md.push_str("+++\n\n");
    } else {
        md.push_str("---\n");
        let _ = writeln!(md, "id: {id}");
        let _ = writeln!(md, "title: {}", yaml_str(&title));
        let _ = writeln!(md, "kind: {}", kind.as_str());
        let _ = writeln!(md, "date: {date}");
        let _ = writeln!(md, "organisation: {}", yaml_str(&organisation));
        if matches!(kind, Kind::Report | Kind::Submission) {
            let a = w.rng.pick(AUTHORS);
            let b = w.rng.pick(AUTHORS);
            let _ = writeln!(md, "authors: [{a}, {b}]");
        }
        if let Some(c) = &contributor {
            let _ = writeln!(md, "contributors: [{c}]");
        }
        let _ = writeln!(md, "tags: [{}]", tags.join(", "));
        let _ = writeln!(md, "sensitivity: {sensitivity}");
        if let Some(c) = &consultation {
            let _ = writeln!(md, "consultation: {}", yaml_str(c));
        }
        md.push_str("---\n\n");
    }
    let _ = writeln!(md, "# {title}\n");
    let sentences = |w: &mut Writer| w.rng.range(2, 5);
    match kind {
        Kind::Testimony => {
            let intro = sentences(&mut w);
            md.push_str(&w.paragraph(intro));
            md.push_str("\n\n");
            let sections = w.rng.range(1, 3);
            for _ in 0..sections {
                let h = w.rng.pick(&[
                    "Going in",
                    "What happened",
                    "Coming out",
                    "The first night",
                    "Getting help",
                    "Where I am now",
                    "Before",
                    "After",
                ]);
                let _ = writeln!(md, "## {h}\n");
                for _ in 0..w.rng.range(1, 2) {
                    let n = sentences(&mut w);
                    md.push_str(&w.paragraph(n));
                    md.push_str("\n\n");
                }
            }
            if w.rng.chance(0.4) {
                md.push_str("## What I'd change\n\n");
                for _ in 0..w.rng.range(2, 3) {
                    let s = w.sentence();
                    let _ = writeln!(md, "- {}", wrap(&s, 86).replace('\n', "\n  "));
                }
                md.push('\n');
            }
        }
        Kind::Report | Kind::Submission => {
            let heads: &[&str] = if kind == Kind::Report {
                &[
                    "Summary",
                    "Background",
                    "What we did",
                    "What we found",
                    "Discussion",
                ]
            } else {
                &["Introduction", "About us", "Our evidence"]
            };
            let nsections = w.rng.range(2, 3);
            for (i, h) in heads.iter().take(nsections).enumerate() {
                let _ = writeln!(md, "## {h}\n");
                for _ in 0..w.rng.range(1, 2) {
                    let n = sentences(&mut w);
                    md.push_str(&w.paragraph(n));
                    md.push_str("\n\n");
                }
                if kind == Kind::Submission && i == 0 {
                    let _ = writeln!(
                        md,
                        "## Question {}: {}?\n",
                        w.rng.range(1, 12),
                        capitalise(&w.clause())
                    );
                    let n = sentences(&mut w);
                    md.push_str(&w.paragraph(n));
                    md.push_str("\n\n");
                }
            }
            // Recommendations: a heading, or a lead-in sentence, then a numbered list.
            if w.rng.chance(0.7) {
                md.push_str("## Recommendations\n\n");
            } else {
                md.push_str("## What should change\n\nWe recommend that the Department:\n\n");
            }
            for n in 1..=w.rng.range(3, 6) {
                let r = w.recommendation();
                let _ = writeln!(md, "{n}. {}", wrap(&r, 85).replace('\n', "\n   "));
            }
            md.push('\n');
            let n = sentences(&mut w);
            md.push_str("## Contact\n\n");
            md.push_str(&w.paragraph(n.min(2)));
            md.push('\n');
        }
        Kind::Notes => {
            let _ = writeln!(
                md,
                "Session held with {} people with lived experience and {} staff.\n",
                w.rng.range(4, 20),
                w.rng.range(1, 5)
            );
            md.push_str("## What we heard\n\n");
            for _ in 0..w.rng.range(3, 5) {
                let s = w.sentence();
                let _ = writeln!(md, "- {}", wrap(&s, 86).replace('\n', "\n  "));
            }
            md.push('\n');
            if w.rng.chance(0.5) {
                md.push_str("## Actions\n\n");
                for _ in 0..w.rng.range(1, 3) {
                    let s = w.recommendation();
                    let _ = writeln!(md, "- {}", wrap(&s, 86).replace('\n', "\n  "));
                }
                md.push('\n');
            }
        }
    }
    let rel = format!(
        "corpus/{}/{}/{}-{}.md",
        kind.folder(),
        year,
        id,
        slug_of(&title)
    );
    Doc {
        index,
        kind,
        id,
        rel,
        text: md,
        tags,
        contributor,
    }
}

fn slug_of(title: &str) -> String {
    let s = id_slug(title);
    let mut out: Vec<&str> = Vec::new();
    let mut len = 0;
    for part in s.split('-') {
        if len + part.len() > 40 {
            break;
        }
        len += part.len() + 1;
        out.push(part);
    }
    out.join("-")
}

// ---------------------------------------------------------------------------------------
// Quotes and the ledger.

/// A quote picked from a testimony.
struct QuoteSeed {
    index: usize,
    source: String,
    path: String,
    speaker: String,
    tags: Vec<&'static str>,
    anchor: anchor::Anchor,
    source_hash: String,
}

/// Pick a sentence of a paragraph of the testimony (plain text, as heard reads it).
fn pick_quote(doc: &Doc, seed: u64) -> Option<QuoteSeed> {
    let opts = LoadOptions {
        default_sensitivity: Sensitivity::Internal,
        max_bytes: 10 * 1024 * 1024,
    };
    let under = doc.rel.strip_prefix("corpus/").unwrap_or(&doc.rel);
    let id_default = under.strip_suffix(".md").unwrap_or(under);
    let loaded = load_bytes(doc.text.as_bytes(), &doc.rel, id_default, opts);
    let source = loaded.source?;
    let mut rng = Rng::new(seed ^ splitmix(doc.index as u64 + 0xABCD));
    let paragraphs: Vec<_> = source
        .passages
        .iter()
        .filter(|p| p.block == heard::corpus::BlockKind::Paragraph)
        .collect();
    if paragraphs.is_empty() {
        return None;
    }
    for _ in 0..8 {
        let p = paragraphs[rng.below(paragraphs.len())];
        // Sentences end with ". " (or the end of the passage).
        let mut sentences: Vec<(usize, usize)> = Vec::new();
        let mut start = 0;
        for (i, _) in p.text.match_indices(". ") {
            sentences.push((start, i + 1));
            start = i + 2;
        }
        if start < p.text.len() {
            sentences.push((start, p.text.len()));
        }
        let fit: Vec<_> = sentences
            .into_iter()
            .filter(|&(a, b)| {
                let words = p.text[a..b].split_whitespace().count();
                (6..=40).contains(&words)
            })
            .collect();
        if fit.is_empty() {
            continue;
        }
        let (a, b) = fit[rng.below(fit.len())];
        let (s, e) = (p.start + a, p.start + b);
        if source.text.get(s..e) != Some(&p.text[a..b]) {
            continue;
        }
        let anchor = anchor::anchor_at(&source.text, s, e);
        return Some(QuoteSeed {
            index: doc.index,
            source: source.id.clone(),
            path: doc.rel.clone(),
            speaker: doc.contributor.clone()?,
            tags: doc.tags.clone(),
            source_hash: blake3::hash(source.text.as_bytes()).to_hex().to_string(),
            anchor,
        });
    }
    None
}

/// The ledger's time for the `n`th event: one event a minute from 1 March 2025.
fn event_time(n: usize) -> String {
    let ts = jiff::Timestamp::from_second(1_740_816_000 + n as i64 * 60).expect("a time");
    format!("{}", ts.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
}

struct LedgerWriter {
    text: String,
    head: Option<String>,
    count: usize,
}

impl LedgerWriter {
    fn push(&mut self, actor: &str, action: Action, target: &str, details: serde_json::Value) {
        let mut e = Event {
            id: String::new(),
            parents: self.head.iter().cloned().collect(),
            time: event_time(self.count),
            actor: actor.to_string(),
            action,
            target: target.to_string(),
            details: details.into(),
        };
        e.id = e.content_id();
        self.head = Some(e.id.clone());
        self.text
            .push_str(&serde_json::to_string(&e).expect("an event is JSON"));
        self.text.push('\n');
        self.count += 1;
    }
}

// ---------------------------------------------------------------------------------------
// Library files.

fn taxonomy_toml() -> String {
    let mut s =
        String::from("# Themes of the generated benchmark library (examples/gen_corpus.rs).\n");
    for t in THEMES {
        let _ = writeln!(
            s,
            "\n[[tag]]\nid = \"{}\"\nlabel = {}",
            t.id,
            yaml_str(t.label)
        );
        let _ = writeln!(
            s,
            "synonyms = [{}]",
            t.synonyms
                .iter()
                .map(|x| yaml_str(x))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    s
}

fn consultation_toml() -> String {
    let questions: &[(&str, &str, Option<usize>, &[&str])] = &[
        (
            "Chapter 1: Getting help early",
            "What stops people getting help early, before they reach crisis point?",
            Some(300),
            &["crisis-care", "gp-access"],
        ),
        (
            "Chapter 1: Getting help early",
            "What works well in crisis care today, and why?",
            None,
            &["crisis-care", "peer-support"],
        ),
        (
            "Chapter 1: Getting help early",
            "How should crisis services support people who use drugs or alcohol?",
            Some(300),
            &["substance-use", "crisis-care"],
        ),
        (
            "Chapter 2: Leaving institutions",
            "What should happen when someone leaves hospital with nowhere safe to live?",
            Some(400),
            &["hospital-discharge", "housing"],
        ),
        (
            "Chapter 2: Leaving institutions",
            "How can release from prison be planned so that nobody leaves without accommodation?",
            Some(400),
            &["prison-release", "probation"],
        ),
        (
            "Chapter 2: Leaving institutions",
            "What support do care leavers need to keep their first tenancy?",
            Some(250),
            &["young-people", "tenancy-sustainment"],
        ),
        (
            "Chapter 3: Services that fit people",
            "How can services better meet the needs of women facing multiple disadvantage?",
            None,
            &["women", "mcn"],
        ),
        (
            "Chapter 3: Services that fit people",
            "How do benefit sanctions and the five-week wait affect people at risk of homelessness?",
            Some(300),
            &["benefits", "housing"],
        ),
        (
            "Chapter 4: Lived experience",
            "How should people with lived experience shape the services they use?",
            Some(250),
            &["co-production", "peer-support"],
        ),
        (
            "Chapter 4: Lived experience",
            "Is there anything else you would like to tell us about rough sleeping and domestic abuse?",
            Some(500),
            &["rough-sleeping", "domestic-abuse"],
        ),
    ];
    let mut s = String::from(
        "# Generated benchmark consultation (examples/gen_corpus.rs): 10 questions.\n\
         title = \"National evidence review 2026 (generated)\"\n\
         body = \"the Department for Health and Care (fictional)\"\n\
         deadline = \"2026-12-18\"\n",
    );
    for (i, (chapter, text, limit, tags)) in questions.iter().enumerate() {
        let _ = writeln!(
            s,
            "\n[[question]]\nid = \"Q{}\"\nchapter = {}\ntext = {}",
            i + 1,
            yaml_str(chapter),
            yaml_str(text)
        );
        if let Some(l) = limit {
            let _ = writeln!(s, "word_limit = {l}");
        }
        let _ = writeln!(
            s,
            "tags = [{}]",
            tags.iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    s
}

// ---------------------------------------------------------------------------------------

/// What generating one document gives back: its kind, size, quote and outcome to record.
type Generated = (Kind, u64, Option<QuoteSeed>, Option<(String, String)>);

struct Args {
    docs: usize,
    seed: u64,
    out: PathBuf,
}

fn args() -> anyhow::Result<Args> {
    let mut docs = None;
    let mut seed = 42;
    let mut out = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--docs" => docs = Some(value()?.replace('_', "").parse()?),
            "--seed" => seed = value()?.parse()?,
            "--out" => out = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                println!("gen_corpus --docs N [--seed S] --out DIR");
                std::process::exit(0);
            }
            other => {
                bail!("unknown argument `{other}`; usage: gen_corpus --docs N [--seed S] --out DIR")
            }
        }
    }
    Ok(Args {
        docs: docs.context("--docs N is required")?,
        seed,
        out: out.context("--out DIR is required")?,
    })
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("failed to write `{}`", path.display()))
}

fn main() -> anyhow::Result<()> {
    let a = args()?;
    let started = Instant::now();
    let root = &a.out;
    if root.join("corpus").exists() {
        bail!(
            "`{}` already holds a corpus; remove it first (the generator never overwrites)",
            root.display()
        );
    }
    let vocab = Vocab::new();
    // Speakers: about one for every five testimonies.
    let contributors = (a.docs / 10).max(20);
    for kind in [Kind::Testimony, Kind::Report, Kind::Submission, Kind::Notes] {
        for year in 2015..=2026 {
            let d = root
                .join("corpus")
                .join(kind.folder())
                .join(year.to_string());
            std::fs::create_dir_all(&d)
                .with_context(|| format!("failed to create `{}`", d.display()))?;
        }
    }
    std::fs::create_dir_all(root.join("corpus/quotes"))?;
    std::fs::create_dir_all(root.join("responses/national-evidence-2026"))?;

    // Documents, in parallel; each from its own seed, so the output is the same on any
    // number of threads.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut bytes: u64 = 0;
    let mut seeds: Vec<QuoteSeed> = Vec::new();
    let mut recs: Vec<(String, String)> = Vec::new();
    const CHUNK: usize = 20_000;
    let mut testimony_n = 0usize;
    for chunk_start in (0..a.docs).step_by(CHUNK) {
        let end = (chunk_start + CHUNK).min(a.docs);
        let results: Vec<Generated> = (chunk_start..end)
            .into_par_iter()
            .map(|i| -> anyhow::Result<_> {
                let doc = generate(i, a.seed, &vocab, contributors);
                write(&root.join(&doc.rel), &doc.text)?;
                // Quotes: a sentence from one testimony in twenty (chosen by hash).
                let h = splitmix(a.seed ^ (i as u64).wrapping_mul(0x9E37));
                let quote = (doc.kind == Kind::Testimony && h.is_multiple_of(20))
                    .then(|| pick_quote(&doc, a.seed))
                    .flatten();
                // Outcomes: one report or submission in ten has its first
                // recommendation's fate recorded.
                let rec = (matches!(doc.kind, Kind::Report | Kind::Submission) && h % 10 == 3)
                    .then(|| (doc.id.clone(), doc.rel.clone()));
                Ok((doc.kind, doc.text.len() as u64, quote, rec))
            })
            .collect::<anyhow::Result<_>>()?;
        for (kind, n, quote, rec) in results {
            *counts.entry(kind.as_str()).or_insert(0) += 1;
            if kind == Kind::Testimony {
                testimony_n += 1;
            }
            bytes += n;
            seeds.extend(quote);
            recs.extend(rec);
        }
        eprint!(
            "\rgenerated {end}/{} documents ({:.0} s)",
            a.docs,
            started.elapsed().as_secs_f64()
        );
    }
    eprintln!();

    // The ledger: quote.create for every quote, then consent decisions and tags, one chain.
    let mut ledger = LedgerWriter {
        text: String::new(),
        head: None,
        count: 0,
    };
    let mut speakers: BTreeMap<String, ()> = BTreeMap::new();
    let mut status_counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut quote_ids = std::collections::HashSet::new();
    for q in &seeds {
        let mut salt = 0u64;
        let qid = loop {
            let id = format!(
                "q-{:08x}",
                splitmix(a.seed ^ ((q.index as u64) << 8) ^ salt) & 0xFFFF_FFFF
            );
            if quote_ids.insert(id.clone()) {
                break id;
            }
            salt += 1;
        };
        speakers.insert(q.speaker.clone(), ());
        ledger.push(
            "officer-bench",
            Action::QuoteCreate,
            &qid,
            json!({
                "source": q.source,
                "path": q.path,
                "exact": q.anchor.exact,
                "prefix": q.anchor.prefix,
                "suffix": q.anchor.suffix,
                "start": q.anchor.start,
                "end": q.anchor.end,
                "speaker": q.speaker,
                "tags": q.tags,
                "source_hash": q.source_hash,
            }),
        );
        let mut rng = Rng::new(a.seed ^ splitmix(q.index as u64 + 7));
        if rng.chance(0.2) {
            let extra = THEMES[rng.below(THEMES.len())].id;
            ledger.push(
                "officer-bench",
                Action::QuoteTag,
                &qid,
                json!({"add": [extra], "remove": []}),
            );
        }
        // Half approved (most for external use), some declined or withdrawn, the rest
        // pending.
        let r = rng.below(100);
        let status = if r < 50 {
            let scope = match rng.below(10) {
                0..2 => "internal",
                2..7 => "external",
                _ => "publication",
            };
            ledger.push(
                &q.speaker,
                Action::QuoteApprove,
                &qid,
                json!({"scope": scope}),
            );
            "approved"
        } else if r < 60 {
            ledger.push(&q.speaker, Action::QuoteDecline, &qid, json!({}));
            "declined"
        } else if r < 65 {
            ledger.push(
                &q.speaker,
                Action::QuoteApprove,
                &qid,
                json!({"scope": "external"}),
            );
            ledger.push(
                &q.speaker,
                Action::QuoteWithdraw,
                &qid,
                json!({"note": "changed their mind"}),
            );
            "withdrawn"
        } else {
            "pending"
        };
        *status_counts.entry(status).or_insert(0) += 1;
    }
    // Recommendation outcomes need the ids heard gives the recommendations.
    let opts = LoadOptions {
        default_sensitivity: Sensitivity::Internal,
        max_bytes: 10 * 1024 * 1024,
    };
    let outcomes: Vec<(String, usize)> = recs
        .par_iter()
        .filter_map(|(_, rel)| {
            let bytes = std::fs::read(root.join(rel)).ok()?;
            let under = rel.strip_prefix("corpus/").unwrap_or(rel);
            let loaded = load_bytes(
                &bytes,
                rel,
                under.strip_suffix(".md").unwrap_or(under),
                opts,
            );
            let s = loaded.source?;
            let r = s.recommendations.first()?;
            Some((r.id.clone(), rel.len()))
        })
        .collect();
    for (i, (rid, salt)) in outcomes.iter().enumerate() {
        let outcome = ["adopted", "partly", "not-adopted", "pending", "unknown"][(i + salt) % 5];
        ledger.push(
            "officer-bench",
            Action::RecOutcome,
            rid,
            json!({"outcome": outcome, "note": "recorded by the benchmark generator"}),
        );
    }
    write(&root.join("corpus/ledger.jsonl"), &ledger.text)?;

    // Quote files, from the folded ledger (as heard writes them).
    let book = QuoteBook::fold(
        heard::ledger::parse(ledger.text.as_bytes(), "ledger"),
        "ledger",
    );
    let mut by_source: BTreeMap<&str, Vec<QuoteRecord>> = BTreeMap::new();
    for q in book.quotes.values() {
        by_source
            .entry(q.source.as_str())
            .or_default()
            .push(QuoteRecord::from(q));
    }
    by_source
        .par_iter()
        .map(|(source, quotes)| -> anyhow::Result<()> {
            let file = QuoteFile {
                source: source.to_string(),
                quotes: quotes.clone(),
            };
            let mut text = String::from(
                "# Quotes anchored in this source, written by heard from corpus/ledger.jsonl.\n\
                 # Change them with `heard quote ...`: consent edited here by hand is reported by\n\
                 # `heard verify` and never trusted.\n",
            );
            text.push_str(&toml::to_string(&file)?);
            write(
                &root
                    .join("corpus/quotes")
                    .join(format!("{}.toml", id_slug(source))),
                &text,
            )
        })
        .collect::<anyhow::Result<()>>()?;

    // Contributors: every speaker of a quote.
    let mut people =
        String::from("# Pseudonymous contributors of the generated benchmark library.\n");
    for (i, s) in speakers.keys().enumerate() {
        let credit = match i % 3 {
            0 => "credit = \"role\"\nrole = \"Peer volunteer\"",
            1 => "credit = \"anonymous\"",
            _ => "credit = \"role\"\nrole = \"Someone we support\"",
        };
        let _ = writeln!(people, "\n[[contributor]]\nid = \"{s}\"\n{credit}");
    }
    write(&root.join("corpus/contributors.toml"), &people)?;
    write(&root.join("corpus/taxonomy.toml"), &taxonomy_toml())?;
    write(
        &root.join("heard.toml"),
        "# Generated benchmark library (examples/gen_corpus.rs). Fictional.\n\
         name = \"Benchmark evidence library (generated)\"\n\
         organisation = \"Northgate Together\"\n\
         corpus = \"corpus\"\n\
         responses = \"responses\"\n\
         default_sensitivity = \"internal\"\n",
    )?;
    write(
        &root.join("responses/national-evidence-2026/consultation.toml"),
        &consultation_toml(),
    )?;
    let summary = json!({
        "docs": a.docs,
        "seed": a.seed,
        "kinds": counts,
        "corpus_bytes": bytes,
        "mean_bytes": bytes as f64 / a.docs.max(1) as f64,
        "testimonies": testimony_n,
        "quotes": seeds.len(),
        "quote_status": status_counts,
        "speakers": speakers.len(),
        "rec_outcomes": outcomes.len(),
        "ledger_events": ledger.count,
        "vocabulary_forms": vocab.vocabulary_size(),
        "consultation": "responses/national-evidence-2026",
        "generator_seconds": started.elapsed().as_secs_f64(),
    });
    write(
        &root.join("bench-corpus.json"),
        &serde_json::to_string_pretty(&summary)?,
    )?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
