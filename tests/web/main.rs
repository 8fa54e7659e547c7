//! The web app: handler tests without a socket (`tower::ServiceExt::oneshot`), and
//! end-to-end tests in a real headless Chromium driven over WebDriver, with axe-core
//! checking each page for serious accessibility problems.

#![allow(missing_docs)]

mod browser;
mod browser_officer;
mod drafting;
mod handlers;
mod hardening;
mod live;
mod officer;
mod officer_browser;
mod paging;
mod register;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// A small library with two volunteers, their testimonies and quotes, and a response.
pub struct Site {
    pub dir: TempDir,
    /// Ana's quote (pending).
    pub ana_quote: String,
    /// Bo's quote (pending).
    pub bo_quote: String,
}

impl Site {
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Run the real `heard` in this library.
    pub fn heard(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::cargo_bin("heard")
            .expect("heard binary")
            .arg("-C")
            .arg(self.root())
            .args(args)
            .env("NO_COLOR", "1")
            .env("HEARD_USER", "officer-test")
            .output()
            .expect("run heard");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn heard_ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.heard(args);
        assert_eq!(code, 0, "heard {args:?} failed:\n{out}\n{err}");
        out
    }

    /// A quote's state as `heard quotes --json` reports it.
    pub fn quote(&self, id: &str) -> Value {
        let out: Value = serde_json::from_str(&self.heard_ok(&["quotes", "--json"])).expect("json");
        out["quotes"]
            .as_array()
            .expect("quotes")
            .iter()
            .find(|q| q["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no quote {id}"))
    }

    /// A sign-in link's token for someone.
    pub fn token(&self, who: &str, role: &str) -> String {
        let link = self.heard_ok(&["access", "grant", who, "--role", role]);
        link.trim().rsplit('/').next().expect("token").to_string()
    }

    /// Write a file into the library.
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    /// Notes of a group session with both volunteers' words, in a sub-folder and without
    /// an `id:`, so that their id is `notes/tuesday group` (a slash and a space). Returns
    /// the id.
    pub fn shared_notes(&self) -> &'static str {
        self.write(
            "corpus/notes/tuesday group.md",
            "---\ntitle: Tuesday group notes\nkind: notes\ndate: 2025-04-01\ncontributors: [c-ana, c-bo]\nsensitivity: internal\n---\n\nANA said the wait for counselling felt like being forgotten by everyone.\n\nc-bo said the night discharge left him sleeping in a bus shelter.\n\nThe group agreed that nobody should leave hospital without an address.\n\nAnalysis of the waiting times is for the team, not the group.\n",
        );
        "notes/tuesday group"
    }

    pub fn build() -> Site {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let write = |rel: &str, text: &str| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        };
        write(
            "heard.toml",
            "name = \"Web test library\"\norganisation = \"Riverside Project (fictional)\"\ndefault_sensitivity = \"internal\"\n",
        );
        write(
            "corpus/testimonies/ana.md",
            "---\nid: t-ana\ntitle: Ana on waiting lists\nkind: testimony\ndate: 2025-02-01\ncontributors: [c-ana]\ntags: [mental-health]\nsensitivity: public\n---\n\nI waited eleven months for counselling and nobody rang to check I was still alive.\n\nWhen it came, the counsellor was kind and let me set the pace.\n",
        );
        write(
            "corpus/testimonies/bo.md",
            "---\nid: t-bo\ntitle: Bo on leaving hospital\nkind: testimony\ndate: 2025-03-01\ncontributors: [c-bo]\ntags: [housing]\nsensitivity: public\n---\n\nThey discharged me at night with a bin bag of clothes and no address to go to.\n\nSomeone had typed <script>alert('x')</script> into my care plan, which says a lot.\n",
        );
        write(
            "corpus/contributors.toml",
            "[[contributor]]\nid = \"c-ana\"\ncredit = \"role\"\nrole = \"Peer volunteer\"\nfirst_name = \"Ana\"\n\n[[contributor]]\nid = \"c-bo\"\ncredit = \"anonymous\"\ncontact = \"via the Tuesday group\"\n",
        );
        write(
            "corpus/taxonomy.toml",
            "[[tag]]\nid = \"mental-health\"\nlabel = \"Mental health\"\n\n[[tag]]\nid = \"housing\"\nlabel = \"Housing\"\n",
        );
        let mut site = Site {
            dir,
            ana_quote: String::new(),
            bo_quote: String::new(),
        };
        let id = |s: String| -> String {
            let v: Value = serde_json::from_str(&s).expect("json id");
            v["id"].as_str().expect("id").to_string()
        };
        site.ana_quote = id(site.heard_ok(&[
            "quote",
            "add",
            "--source",
            "t-ana",
            "--exact",
            "nobody rang to check I was still alive",
            "--json",
        ]));
        site.bo_quote = id(site.heard_ok(&[
            "quote",
            "add",
            "--source",
            "t-bo",
            "--exact",
            "a bin bag of clothes and no address to go to",
            "--json",
        ]));
        site
    }
}

/// Path of axe-core's browser build: `$HEARD_AXE_JS`, else where `.ci/run` installs it.
pub fn axe_js() -> Option<PathBuf> {
    let p = std::env::var_os("HEARD_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/npm/node_modules/axe-core/axe.min.js")
        });
    p.exists().then_some(p)
}
