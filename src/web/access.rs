//! Who may use the web app: personal sign-in links, sessions and CSRF tokens.
//!
//! `heard access grant C` makes a random token, prints it once inside a sign-in link and
//! keeps only its hash. Opening the link starts a session (a second random token, in an
//! HttpOnly, SameSite=Strict cookie, also kept only as a hash) with its own CSRF token for
//! forms; the link then stops working (it is single-use), and the session lasts as long as
//! the link would have. `heard access revoke C` ends both at once. Everything is in
//! `.heard/access.json`, written atomically under the library's write lock.
//!
//! Bad links are counted per token prefix and overall ([`Throttle`]); past a bound, further
//! bad links are refused for a while. A good link is always checked first and never waits.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::Library;

/// What a signed-in person may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A contributor: sees and decides about their own words only.
    Volunteer,
    /// Staff: sees the whole library.
    Officer,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Grant {
    who: String,
    role: Role,
    token_hash: String,
    created: String,
    expires: i64,
    /// When the link was used to sign in: it works once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    used: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Session {
    who: String,
    role: Role,
    id_hash: String,
    csrf: String,
    expires: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Store {
    #[serde(default)]
    grants: Vec<Grant>,
    #[serde(default)]
    sessions: Vec<Session>,
}

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Contributor id (volunteers) or officer name.
    pub who: String,
    /// Their role.
    pub role: Role,
    /// The token their forms must carry.
    pub csrf: String,
}

/// How many days a sign-in link may last.
pub const GRANT_DAYS: std::ops::RangeInclusive<i64> = 1..=366;

fn path(lib: &Library) -> PathBuf {
    lib.state_dir().join("access.json")
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A new random token: 32 bytes, hex.
pub fn random_token() -> anyhow::Result<String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no randomness available: {e}"))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

fn hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// Compare secrets without leaking how much of them matched.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn load(lib: &Library) -> anyhow::Result<Store> {
    match std::fs::read(path(lib)) {
        Ok(b) => serde_json::from_slice(&b)
            .context("`.heard/access.json` is damaged; delete it and grant access again"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Store::default()),
        Err(e) => Err(e).context("failed to read `.heard/access.json`"),
    }
}

fn save(lib: &Library, store: &Store) -> anyhow::Result<()> {
    std::fs::create_dir_all(lib.state_dir()).context("failed to create .heard/")?;
    crate::fsutil::write_atomic(&path(lib), &serde_json::to_vec_pretty(store)?)
}

/// Give someone a sign-in token valid for `days`; returns the token (shown once).
pub fn grant(lib: &Library, who: &str, role: Role, days: i64) -> anyhow::Result<String> {
    if !GRANT_DAYS.contains(&days) {
        return Err(crate::quotes::InputError(format!(
            "--days {days} is out of range: a sign-in link lasts from {} to {} days",
            GRANT_DAYS.start(),
            GRANT_DAYS.end()
        ))
        .into());
    }
    if role == Role::Volunteer {
        let people = crate::contributors::load(lib)?;
        if people.get(who).is_none() {
            anyhow::bail!(
                "`{who}` is not in corpus/contributors.toml; volunteers sign in as a contributor (officers use --role officer)"
            );
        }
    }
    let _lock = crate::ledger::write_lock(lib)?;
    let mut store = load(lib)?;
    let token = random_token()?;
    store.grants.push(Grant {
        who: who.to_string(),
        role,
        token_hash: hash(&token),
        created: crate::ledger::now(),
        expires: now() + days * 86_400,
        used: None,
    });
    save(lib, &store)?;
    Ok(token)
}

/// End every grant and session of someone. Returns how many were ended.
pub fn revoke(lib: &Library, who: &str) -> anyhow::Result<usize> {
    let _lock = crate::ledger::write_lock(lib)?;
    let mut store = load(lib)?;
    let before = store.grants.len() + store.sessions.len();
    store.grants.retain(|g| g.who != who);
    store.sessions.retain(|s| s.who != who);
    let ended = before - store.grants.len() - store.sessions.len();
    save(lib, &store)?;
    Ok(ended)
}

/// Someone's current access, for the people page (no token or hash leaves this module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Contributor id or officer name.
    pub who: String,
    /// Their role.
    pub role: Role,
    /// Sign-in links not used yet and not expired.
    pub unused_links: usize,
    /// Sessions that have not expired (devices signed in).
    pub sessions: usize,
}

/// Who has a current sign-in link or session, by name.
pub fn holders(lib: &Library) -> anyhow::Result<Vec<Holder>> {
    let store = load(lib)?;
    let t = now();
    let mut out: Vec<Holder> = Vec::new();
    let mut entry = |who: &str, role: Role| -> usize {
        match out.iter().position(|h| h.who == who && h.role == role) {
            Some(i) => i,
            None => {
                out.push(Holder {
                    who: who.to_string(),
                    role,
                    unused_links: 0,
                    sessions: 0,
                });
                out.len() - 1
            }
        }
    };
    let mut counts = Vec::new();
    for g in store
        .grants
        .iter()
        .filter(|g| g.expires > t && g.used.is_none())
    {
        counts.push((entry(&g.who, g.role), true));
    }
    for s in store.sessions.iter().filter(|s| s.expires > t) {
        counts.push((entry(&s.who, s.role), false));
    }
    for (i, link) in counts {
        if link {
            out[i].unused_links += 1;
        } else {
            out[i].sessions += 1;
        }
    }
    out.sort_by(|a, b| a.who.cmp(&b.who));
    Ok(out)
}

/// What a sign-in token gave.
#[derive(Debug)]
pub enum SignIn {
    /// A new session.
    Session {
        /// The session id, for the cookie.
        id: String,
        /// Who signed in.
        user: User,
        /// Seconds the session lasts.
        max_age: i64,
    },
    /// A good link that was already used once.
    Used,
    /// A good link, not used yet (from [`check`] only).
    Unused,
    /// No such link, or it has expired or was revoked.
    Invalid,
}

fn matching<'a>(store: &'a mut Store, h: &str, t: i64) -> Option<&'a mut Grant> {
    // Compare with every grant, in constant time each, whichever matches.
    let mut found = None;
    for (i, g) in store.grants.iter().enumerate() {
        if same(&g.token_hash, h) && g.expires > t {
            found = Some(i);
        }
    }
    found.map(|i| &mut store.grants[i])
}

/// Whether a sign-in token would sign in now, without using it (opening a link only shows a
/// button, so that a mail scanner's or chat preview's visit does not use it up).
pub fn check(lib: &Library, token: &str) -> anyhow::Result<SignIn> {
    let mut store = load(lib)?;
    Ok(match matching(&mut store, &hash(token), now()) {
        None => SignIn::Invalid,
        Some(g) if g.used.is_some() => SignIn::Used,
        Some(_) => SignIn::Unused,
    })
}

/// Exchange a sign-in token for a session. A link works once: two uses at the same time
/// make exactly one session (the check and the write happen under the write lock).
pub fn sign_in(lib: &Library, token: &str) -> anyhow::Result<SignIn> {
    let h = hash(token);
    // A bad token is answered without waiting for the write lock.
    if matching(&mut load(lib)?, &h, now()).is_none() {
        return Ok(SignIn::Invalid);
    }
    let _lock = crate::ledger::write_lock(lib)?;
    let mut store = load(lib)?;
    let t = now();
    let Some(g) = matching(&mut store, &h, t) else {
        return Ok(SignIn::Invalid);
    };
    if g.used.is_some() {
        return Ok(SignIn::Used);
    }
    g.used = Some(crate::ledger::now());
    let g = g.clone();
    let id = random_token()?;
    let csrf = random_token()?;
    store.sessions.retain(|s| s.expires > t);
    store.grants.retain(|g| g.expires > t);
    store.sessions.push(Session {
        who: g.who.clone(),
        role: g.role,
        id_hash: hash(&id),
        csrf: csrf.clone(),
        expires: g.expires,
    });
    save(lib, &store)?;
    Ok(SignIn::Session {
        id,
        user: User {
            who: g.who,
            role: g.role,
            csrf,
        },
        max_age: g.expires - t,
    })
}

/// The user of a session cookie, if it is current.
pub fn user(lib: &Library, session: &str) -> anyhow::Result<Option<User>> {
    let store = load(lib)?;
    let h = hash(session);
    let t = now();
    Ok(store
        .sessions
        .iter()
        .find(|s| same(&s.id_hash, &h) && s.expires > t)
        .map(|s| User {
            who: s.who.clone(),
            role: s.role,
            csrf: s.csrf.clone(),
        }))
}

/// End one session (sign out).
pub fn sign_out(lib: &Library, session: &str) -> anyhow::Result<()> {
    let _lock = crate::ledger::write_lock(lib)?;
    let mut store = load(lib)?;
    let h = hash(session);
    store.sessions.retain(|s| !same(&s.id_hash, &h));
    save(lib, &store)
}

/// Bounds bad sign-in tokens: a few per token prefix and a fixed number overall in any
/// window of time. It only ever refuses bad tokens: a good one is checked before it.
pub struct Throttle {
    window: Duration,
    per_prefix: usize,
    overall: usize,
    failures: Mutex<Failures>,
}

#[derive(Default)]
struct Failures {
    all: VecDeque<Instant>,
    by_prefix: HashMap<String, VecDeque<Instant>>,
}

/// Characters of a token that count as its prefix.
const PREFIX: usize = 8;

fn prefix(token: &str) -> String {
    token.chars().take(PREFIX).collect()
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new(Duration::from_secs(600), 5, 100)
    }
}

impl Throttle {
    /// At most `per_prefix` bad tokens starting alike, and `overall` in all, per `window`.
    pub fn new(window: Duration, per_prefix: usize, overall: usize) -> Throttle {
        Throttle {
            window,
            per_prefix,
            overall,
            failures: Mutex::new(Failures::default()),
        }
    }

    fn forget_old(&self, f: &mut Failures, at: Instant) {
        let old = |q: &mut VecDeque<Instant>| {
            while q
                .front()
                .is_some_and(|t| at.duration_since(*t) >= self.window)
            {
                q.pop_front();
            }
        };
        old(&mut f.all);
        f.by_prefix.retain(|_, q| {
            old(q);
            !q.is_empty()
        });
    }

    /// Record a bad token, if the bounds allow another; `false` means too many bad tokens
    /// lately, and the answer should say so (and nothing else).
    pub fn fail(&self, token: &str) -> bool {
        let at = Instant::now();
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        self.forget_old(&mut f, at);
        let p = prefix(token);
        let alike = f.by_prefix.get(&p).map_or(0, VecDeque::len);
        if f.all.len() >= self.overall || alike >= self.per_prefix {
            return false;
        }
        f.all.push_back(at);
        f.by_prefix.entry(p).or_default().push_back(at);
        true
    }

    /// Minutes until another bad token would be answered (at least 1).
    pub fn minutes_to_wait(&self) -> u64 {
        (self.window.as_secs() / 60).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_tokens_are_bounded_per_prefix_and_overall_and_forgotten_after_the_window() {
        let t = Throttle::new(Duration::from_millis(200), 3, 5);
        for _ in 0..3 {
            assert!(t.fail("aaaaaaaa-1"));
        }
        assert!(
            !t.fail("aaaaaaaa-2"),
            "a fourth guess at one prefix is refused"
        );
        assert!(t.fail("bbbbbbbb"));
        assert!(t.fail("cccccccc"));
        assert!(!t.fail("dddddddd"), "five bad tokens in all, then refused");
        std::thread::sleep(Duration::from_millis(250));
        assert!(t.fail("aaaaaaaa-3"), "after the window, allowed again");
        assert!(t.failures.lock().expect("lock").by_prefix.len() <= 1);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
