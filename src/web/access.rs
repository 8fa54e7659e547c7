//! Who may use the web app: personal sign-in links, sessions and CSRF tokens.
//!
//! `heard access grant C` makes a random token, prints it once inside a sign-in link and
//! keeps only its hash. Opening the link starts a session (a second random token, in an
//! HttpOnly, SameSite=Strict cookie, also kept only as a hash) with its own CSRF token for
//! forms. Grants and sessions expire; `heard access revoke C` ends both at once. Everything
//! is in `.heard/access.json`, written atomically under the library's write lock.

use std::collections::HashMap;
use std::net::IpAddr;
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

/// How long a new session lasts.
pub const SESSION_HOURS: i64 = 12;

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

/// Exchange a sign-in token for a session: `(session id for the cookie, user)`.
pub fn sign_in(lib: &Library, token: &str) -> anyhow::Result<Option<(String, User)>> {
    let _lock = crate::ledger::write_lock(lib)?;
    let mut store = load(lib)?;
    let t = now();
    let h = hash(token);
    let Some(g) = store
        .grants
        .iter()
        .find(|g| same(&g.token_hash, &h) && g.expires > t)
        .cloned()
    else {
        return Ok(None);
    };
    let id = random_token()?;
    let csrf = random_token()?;
    store.sessions.retain(|s| s.expires > t);
    store.sessions.push(Session {
        who: g.who.clone(),
        role: g.role,
        id_hash: hash(&id),
        csrf: csrf.clone(),
        expires: t + SESSION_HOURS * 3600,
    });
    save(lib, &store)?;
    Ok(Some((
        id,
        User {
            who: g.who,
            role: g.role,
            csrf,
        },
    )))
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

/// Slows down repeated bad sign-in tokens from one address.
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl Throttle {
    /// How long to wait before answering this address, given its recent failures.
    pub fn delay(&self, ip: IpAddr) -> Duration {
        let map = self.failures.lock().expect("throttle lock");
        match map.get(&ip) {
            Some((n, at)) if *n > 3 && at.elapsed() < Duration::from_secs(900) => {
                Duration::from_millis((250u64 << (n - 3).min(7)).min(30_000))
            }
            _ => Duration::ZERO,
        }
    }

    /// Record a bad token.
    pub fn fail(&self, ip: IpAddr) {
        let mut map = self.failures.lock().expect("throttle lock");
        let e = map.entry(ip).or_insert((0, Instant::now()));
        e.0 += 1;
        e.1 = Instant::now();
    }

    /// Forget failures after a good sign-in.
    pub fn succeed(&self, ip: IpAddr) {
        self.failures.lock().expect("throttle lock").remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_bad_tokens_are_slowed_down_and_a_good_one_resets() {
        let t = Throttle::default();
        let ip: IpAddr = [127, 0, 0, 1].into();
        let other: IpAddr = [127, 0, 0, 2].into();
        for _ in 0..3 {
            t.fail(ip);
        }
        assert_eq!(t.delay(ip), Duration::ZERO, "a few mistakes cost nothing");
        t.fail(ip);
        let first = t.delay(ip);
        assert!(first > Duration::ZERO);
        t.fail(ip);
        assert!(t.delay(ip) > first, "each further bad token waits longer");
        assert_eq!(
            t.delay(other),
            Duration::ZERO,
            "other addresses are not slowed"
        );
        t.succeed(ip);
        assert_eq!(t.delay(ip), Duration::ZERO);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
