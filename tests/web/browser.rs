//! End to end in a real headless Chromium (Debian's chromium and chromium-driver, installed
//! by `.ci/run`), over the WebDriver protocol. Outside CI, the tests say so and pass if no
//! browser is installed; in CI (`CI` set) a missing browser fails them.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::Site;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("addr")
        .port()
}

pub(crate) struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(port: u16) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nothing listening on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub(crate) struct Browser {
    base: String,
    session: String,
    _driver: Killed,
    /// One browser at a time: two Chromiums starting at once on two cores time out.
    _turn: std::sync::MutexGuard<'static, ()>,
}

static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Browser {
    pub(crate) fn start() -> Option<Browser> {
        let have = |p: &str| std::path::Path::new(p).exists();
        if !have("/usr/bin/chromium") || !have("/usr/bin/chromedriver") {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install chromium and chromium-driver"
            );
            eprintln!("skipping browser test: install chromium and chromium-driver to run it");
            return None;
        }
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let port = free_port();
        let driver = Killed(
            Command::new("/usr/bin/chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver"),
        );
        wait_for(port);
        let base = format!("http://127.0.0.1:{port}");
        let profile = tempfile::tempdir().expect("profile").keep();
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=412,900", format!("--user-data-dir={}", profile.display())]
        }}}});
        // Chromium can be slow to start on a busy machine: try a few times.
        let mut attempt = 0;
        let v: Value = loop {
            attempt += 1;
            match ureq::post(&format!("{base}/session")).send_json(&caps) {
                Ok(mut r) => break r.body_mut().read_json().expect("json"),
                Err(e) if attempt < 4 => {
                    eprintln!("new browser session failed ({e}); retrying");
                    std::thread::sleep(Duration::from_secs(1));
                }
                Err(e) => panic!("new browser session: {e}"),
            }
        };
        let session = v["value"]["sessionId"]
            .as_str()
            .expect("session id")
            .to_string();
        Some(Browser {
            base,
            session,
            _driver: driver,
            _turn: turn,
        })
    }

    pub(crate) fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut res = match method {
            "GET" => ureq::get(&url).call(),
            _ => ureq::post(&url).send_json(&body),
        }
        .unwrap_or_else(|e| panic!("webdriver {path}: {e}"));
        let v: Value = res.body_mut().read_json().expect("json");
        v["value"].clone()
    }

    pub(crate) fn go(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url }));
    }

    pub(crate) fn find(&self, css: &str) -> String {
        let v = self.cmd(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    pub(crate) fn click(&self, css: &str) {
        let id = self.find(css);
        self.cmd("POST", &format!("/element/{id}/click"), json!({}));
    }

    pub(crate) fn text(&self) -> String {
        self.script("return document.body.innerText;", json!([]))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Wait (up to 15 s) until the page shows `needle`; the page after a click may still be
    /// loading on a busy machine.
    pub(crate) fn wait_text(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let t = self.text();
            if t.contains(needle) || start.elapsed() > Duration::from_secs(15) {
                return t;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn script(&self, js: &str, args: Value) -> Value {
        self.cmd("POST", "/execute/sync", json!({"script": js, "args": args}))
    }

    pub(crate) fn async_script(&self, js: &str) -> Value {
        self.cmd("POST", "/execute/async", json!({"script": js, "args": []}))
    }

    /// Serious or critical axe-core violations on the current page.
    pub(crate) fn axe(&self, axe: &str) -> Vec<String> {
        self.script(axe, json!([]));
        let v = self.async_script(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations\
               .filter(v => v.impact === 'serious' || v.impact === 'critical')\
               .map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ')')));",
        );
        v.as_array()
            .unwrap_or_else(|| panic!("axe-core did not run: {v}"))
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
    }
}

pub(crate) fn serve(site: &Site) -> (Killed, String) {
    let port = free_port();
    let child = Command::new(assert_cmd::cargo::cargo_bin("heard"))
        .arg("-C")
        .arg(site.root())
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("heard serve");
    let server = Killed(child);
    wait_for(port);
    (server, format!("http://127.0.0.1:{port}"))
}

#[test]
fn a_volunteer_signs_in_approves_a_quote_and_the_command_line_sees_it() {
    let Some(b) = Browser::start() else { return };
    let site = Site::build();
    let (_server, url) = serve(&site);
    b.go(&format!(
        "{url}/signin/{}",
        site.token("c-ana", "volunteer")
    ));
    b.click("#signin-go");
    let page = b.wait_text("My quotes");
    assert!(page.contains("My quotes"), "{page}");
    b.click(&format!("#ext-{}", site.ana_quote));
    b.click(&format!("#{} button[value=approve]", site.ana_quote));
    let page = b.wait_text("Your answer about quote");
    assert!(page.contains("Your answer about quote"), "{page}");
    let q = site.quote(&site.ana_quote);
    assert_eq!(q["status"], "approved");
    assert_eq!(q["scope"], "external");

    // Another volunteer's testimony is not there, whatever URL is typed.
    b.go(&format!("{url}/me/words/t-bo"));
    assert!(b.wait_text("Not found").contains("Not found"));
    assert!(!b.text().contains("bin bag"));
    b.go(&format!("{url}/sources/t-bo"));
    assert!(
        b.wait_text("not available to you")
            .contains("not available to you")
    );

    // A form posted without its CSRF token is refused, and nothing changes.
    b.go(&format!("{url}/me"));
    let status = b.async_script(&format!(
        "const done = arguments[arguments.length - 1];\
         fetch('/me/quotes/{}', {{method: 'POST', headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}, body: 'decision=withdraw'}}).then(r => done(r.status));",
        site.ana_quote
    ));
    assert_eq!(status, json!(403));
    assert_eq!(site.quote(&site.ana_quote)["status"], "approved");
}

#[test]
fn every_page_passes_axe_without_serious_violations() {
    let Some(b) = Browser::start() else { return };
    let Some(axe_path) = crate::axe_js() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install axe-core (see .ci/run)"
        );
        eprintln!("skipping axe test: run `npm install --prefix target/npm axe-core@4` first");
        return;
    };
    let axe = std::fs::read_to_string(axe_path).expect("axe-core");
    // First, that axe really finds problems: an image without alternative text is one.
    b.go("data:text/html,<html lang=en><title>t</title><main><img src=x.png></main></html>");
    assert!(
        b.axe(&axe).iter().any(|v| v.starts_with("image-alt")),
        "axe-core does not see a missing alt text"
    );
    let site = Site::build();
    site.heard_ok(&[
        "quote",
        "approve",
        &site.ana_quote,
        "--by",
        "c-ana",
        "--scope",
        "external",
    ]);
    // Shared notes (a volunteer sees part of them) and a suggestion waiting for a speaker
    // (the review page's form to name one).
    let notes = site.shared_notes();
    site.heard_ok(&[
        "quote",
        "add",
        "--source",
        notes,
        "--exact",
        "nobody should leave hospital without an address",
    ]);
    let (_server, url) = serve(&site);
    let mut failures = Vec::new();
    b.go(&format!("{url}/signin"));
    failures.extend(b.axe(&axe).into_iter().map(|v| format!("/signin: {v}")));
    b.go(&format!(
        "{url}/signin/{}",
        site.token("c-ana", "volunteer")
    ));
    failures.extend(
        b.axe(&axe)
            .into_iter()
            .map(|v| format!("/signin/TOKEN: {v}")),
    );
    b.click("#signin-go");
    b.wait_text("My quotes");
    for page in [
        "/me",
        "/me/words",
        "/me/words/t-ana",
        "/me/words/notes%2Ftuesday%20group",
    ] {
        b.go(&format!("{url}{page}"));
        failures.extend(b.axe(&axe).into_iter().map(|v| format!("{page}: {v}")));
    }
    b.go(&format!("{url}/signin/{}", site.token("jo", "officer")));
    b.click("#signin-go");
    b.wait_text("Review");
    for page in [
        "/review",
        "/search?q=hospital",
        "/sources/t-ana",
        "/responses",
    ] {
        b.go(&format!("{url}{page}"));
        failures.extend(b.axe(&axe).into_iter().map(|v| format!("{page}: {v}")));
    }
    assert!(
        failures.is_empty(),
        "axe-core found serious problems:\n{}",
        failures.join("\n")
    );
}

#[test]
fn selecting_words_fills_the_suggestion_form_under_the_content_security_policy() {
    let Some(b) = Browser::start() else { return };
    let site = Site::build();
    let (_server, url) = serve(&site);
    b.go(&format!(
        "{url}/signin/{}",
        site.token("c-ana", "volunteer")
    ));
    b.click("#signin-go");
    b.wait_text("My quotes");
    b.go(&format!("{url}/me/words/t-ana"));
    b.wait_text("Suggest a quote");
    // Select a few words of the second paragraph, as a person would with the mouse.
    let value = b.script(
        "const p = document.querySelector('[data-para=\"1\"] p');\
         const text = p.firstChild; const at = text.data.indexOf('the counsellor was kind');\
         const r = document.createRange(); r.setStart(text, at); r.setEnd(text, at + 23);\
         const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);\
         document.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));\
         return [document.getElementById('exact-1').value, document.getElementById('propose-1').closest('details').open];",
        json!([]),
    );
    assert_eq!(
        value,
        json!(["the counsellor was kind", true]),
        "/static/select.js did not run under the page's Content-Security-Policy"
    );
}
