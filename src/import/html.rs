//! Saved web pages (.html): the article, not the site.
//!
//! The page is parsed with html5ever (through htmd, which then writes the Markdown). The
//! article is the largest `<article>`, else `<main>` or `role="main"`, else the body; from
//! it, navigation, cookie banners, related posts, sharing buttons, sidebars, forms and
//! footers are removed (by element, ARIA role, and class or id names). Title, date, author,
//! organisation and address come from the page's metadata: Open Graph and `article:` meta
//! tags, JSON-LD, `<time>`, the canonical link and `<title>`.

use std::sync::LazyLock;

use markup5ever_rcdom::{Handle, NodeData};
use regex::Regex;

use super::Converted;
use super::documents::{cp1252, date_in};

/// Elements that are never part of the article.
const FURNITURE_TAGS: &[&str] = &[
    "script", "style", "noscript", "iframe", "svg", "form", "button", "template", "nav", "footer",
    "aside", "img", "picture", "video", "audio", "canvas", "select", "input", "dialog", "object",
    "embed",
];

/// ARIA roles of site furniture.
const FURNITURE_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "dialog",
    "alertdialog",
    "menu",
    "menubar",
];

/// Class or id words of site furniture.
static FURNITURE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:^|[-_\s])(?:nav|navbar|navigation|menu|site-?header|masthead|site-?footer|footer|breadcrumbs?|cookies?|cookie-?banner|consent|gdpr|related|more-?stories|read-?next|recommended|share|sharing|social|newsletter|subscribe|signup|sidebar|advert|adverts|ads|promo|popup|modal|comments?|skip-?link|pagination|tags-?list|author-?bio)(?:$|[-_\s])",
    )
    .expect("furniture regex")
});

fn tag(h: &Handle) -> Option<String> {
    match &h.data {
        NodeData::Element { name, .. } => Some(name.local.to_string()),
        _ => None,
    }
}

fn attr(h: &Handle, key: &str) -> Option<String> {
    match &h.data {
        NodeData::Element { attrs, .. } => attrs
            .borrow()
            .iter()
            .find(|a| &*a.name.local == key)
            .map(|a| a.value.to_string()),
        _ => None,
    }
}

fn text_of(h: &Handle) -> String {
    let mut s = String::new();
    fn walk(h: &Handle, s: &mut String) {
        match &h.data {
            NodeData::Text { contents } => s.push_str(&contents.borrow()),
            NodeData::Element { name, .. }
                if matches!(&*name.local, "script" | "style" | "noscript") => {}
            _ => {
                for c in h.children.borrow().iter() {
                    walk(c, s);
                }
            }
        }
    }
    walk(h, &mut s);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn each(h: &Handle, f: &mut dyn FnMut(&Handle)) {
    f(h);
    for c in h.children.borrow().iter() {
        each(c, f);
    }
}

fn is_furniture(h: &Handle) -> bool {
    let Some(t) = tag(h) else { return false };
    if FURNITURE_TAGS.contains(&t.as_str()) {
        return true;
    }
    if attr(h, "hidden").is_some() || attr(h, "aria-hidden").as_deref() == Some("true") {
        return true;
    }
    if attr(h, "role").is_some_and(|r| FURNITURE_ROLES.contains(&r.to_lowercase().as_str())) {
        return true;
    }
    if t == "header" && {
        let mut has_nav = false;
        each(h, &mut |n| has_nav |= tag(n).as_deref() == Some("nav"));
        has_nav
    } {
        return true;
    }
    let names = format!(
        "{} {}",
        attr(h, "class").unwrap_or_default(),
        attr(h, "id").unwrap_or_default()
    );
    !matches!(t.as_str(), "body" | "main" | "article" | "html")
        && names.split_whitespace().any(|n| FURNITURE_NAME.is_match(n))
}

/// Remove site furniture below `h`.
fn prune(h: &Handle) {
    let children: Vec<Handle> = h.children.borrow().clone();
    let kept: Vec<Handle> = children.into_iter().filter(|c| !is_furniture(c)).collect();
    for c in &kept {
        prune(c);
    }
    *h.children.borrow_mut() = kept;
}

/// What the page says about itself.
#[derive(Default)]
struct Meta {
    title: Option<String>,
    og_title: Option<String>,
    date: Option<String>,
    authors: Vec<String>,
    organisation: Option<String>,
    url: Option<String>,
}

fn read_meta(doc: &Handle) -> Meta {
    let mut m = Meta::default();
    let mut time: Option<String> = None;
    let mut ld: Vec<String> = Vec::new();
    each(doc, &mut |h| match tag(h).as_deref() {
        Some("title") if m.title.is_none() => m.title = Some(text_of(h)),
        Some("meta") => {
            let key = attr(h, "property")
                .or_else(|| attr(h, "name"))
                .or_else(|| attr(h, "itemprop"))
                .unwrap_or_default()
                .to_lowercase();
            let Some(content) = attr(h, "content").filter(|c| !c.trim().is_empty()) else {
                return;
            };
            match key.as_str() {
                "og:title" | "twitter:title" | "dc.title" if m.og_title.is_none() => {
                    m.og_title = Some(content)
                }
                "article:published_time"
                | "datepublished"
                | "date"
                | "dc.date"
                | "dc.date.issued"
                | "dcterms.created"
                | "govuk:first-published-at"
                | "citation_publication_date" => {
                    if m.date.is_none() {
                        m.date = date_in(&content);
                    }
                }
                "author" | "article:author" | "dc.creator" => {
                    if !content.starts_with("http") && !m.authors.contains(&content) {
                        m.authors.push(content);
                    }
                }
                "og:site_name" | "dc.publisher" | "govuk:organisations" => {
                    m.organisation.get_or_insert(content);
                }
                "og:url" => {
                    m.url.get_or_insert(content);
                }
                _ => {}
            }
        }
        Some("link") => {
            if attr(h, "rel").is_some_and(|r| r.eq_ignore_ascii_case("canonical")) {
                if let Some(href) = attr(h, "href") {
                    m.url = Some(href);
                }
            }
        }
        Some("time") if time.is_none() => {
            time = attr(h, "datetime")
                .as_deref()
                .and_then(date_in)
                .or_else(|| date_in(&text_of(h)));
        }
        Some("script")
            if attr(h, "type").is_some_and(|t| t.eq_ignore_ascii_case("application/ld+json")) =>
        {
            let mut s = String::new();
            for c in h.children.borrow().iter() {
                if let NodeData::Text { contents } = &c.data {
                    s.push_str(&contents.borrow());
                }
            }
            ld.push(s);
        }
        _ => {}
    });
    for text in ld {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        json_ld(&v, &mut m);
    }
    if m.date.is_none() {
        m.date = time;
    }
    m
}

fn json_ld(v: &serde_json::Value, m: &mut Meta) {
    match v {
        serde_json::Value::Array(a) => a.iter().for_each(|v| json_ld(v, m)),
        serde_json::Value::Object(o) => {
            if let Some(g) = o.get("@graph") {
                json_ld(g, m);
            }
            let name = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Object(o) => {
                    o.get("name").and_then(|n| n.as_str()).map(String::from)
                }
                _ => None,
            };
            if let Some(h) = o.get("headline").and_then(|h| h.as_str()) {
                m.og_title.get_or_insert(h.to_string());
            }
            if m.date.is_none() {
                m.date = o
                    .get("datePublished")
                    .and_then(|d| d.as_str())
                    .and_then(date_in);
            }
            if let Some(a) = o.get("author") {
                let names: Vec<String> = match a {
                    serde_json::Value::Array(a) => a.iter().filter_map(name).collect(),
                    other => name(other).into_iter().collect(),
                };
                for n in names {
                    if !m.authors.contains(&n) {
                        m.authors.push(n);
                    }
                }
            }
            if let Some(p) = o.get("publisher").and_then(name) {
                m.organisation.get_or_insert(p);
            }
        }
        _ => {}
    }
}

/// The element holding the article.
fn article(doc: &Handle) -> Handle {
    let mut articles = Vec::new();
    let mut main = None;
    let mut body = None;
    each(doc, &mut |h| match tag(h).as_deref() {
        Some("article") => articles.push(h.clone()),
        Some("main") => {
            main.get_or_insert_with(|| h.clone());
        }
        Some("body") => {
            body.get_or_insert_with(|| h.clone());
        }
        Some(_) if attr(h, "role").as_deref() == Some("main") => {
            main.get_or_insert_with(|| h.clone());
        }
        _ => {}
    });
    // The largest article is the story; smaller ones are teasers of other posts. An
    // article much shorter than the main part of the page is a teaser too.
    let container = main.or(body).unwrap_or_else(|| doc.clone());
    let whole = text_of(&container).len();
    articles
        .into_iter()
        .map(|a| (text_of(&a).len(), a))
        .max_by_key(|(len, _)| *len)
        .filter(|(len, _)| *len * 2 >= whole)
        .map_or(container, |(_, a)| a)
}

fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.strip_prefix('\u{feff}').unwrap_or(s).to_string(),
        Err(_) => bytes.iter().map(|&b| cp1252(b)).collect(),
    }
}

/// Read a saved web page.
pub fn read(bytes: &[u8]) -> Result<Converted, String> {
    let html = decode(bytes);
    let options = htmd::options::Options {
        bullet_list_marker: htmd::options::BulletListMarker::Dash,
        ul_bullet_spacing: 1,
        ol_number_spacing: 1,
        ..Default::default()
    };
    let converter = htmd::HtmlToMarkdown::builder()
        .options(options)
        .skip_tags(FURNITURE_TAGS.to_vec())
        .build();
    let tree = converter
        .html_to_tree(&html)
        .map_err(|e| format!("cannot be read as a web page: {e}"))?;
    let meta = read_meta(&tree);
    // Furniture goes first, so that teasers of related posts (often `<article>`s of their
    // own) are gone before the article is chosen.
    prune(&tree);
    let root = article(&tree);
    let body = converter.tree_to_markdown(&root);
    let mut doc = Converted {
        body: tidy(&body),
        date: meta.date,
        authors: meta.authors,
        organisation: meta.organisation,
        url: meta.url.filter(|u| u.starts_with("http")),
        ..Converted::default()
    };
    let h1 = {
        let mut h1 = None;
        each(&root, &mut |h| {
            if h1.is_none() && tag(h).as_deref() == Some("h1") {
                h1 = Some(text_of(h));
            }
        });
        h1
    };
    doc.title = meta
        .og_title
        .or(h1)
        .or_else(|| meta.title.map(|t| site_suffix_removed(&t)))
        .filter(|t| !t.is_empty());
    Ok(doc)
}

/// `Our report | Charity name` → `Our report`.
fn site_suffix_removed(title: &str) -> String {
    for sep in [" | ", " – ", " — ", " - "] {
        if let Some((a, _)) = title.rsplit_once(sep) {
            return a.trim().to_string();
        }
    }
    title.trim().to_string()
}

/// htmd's output with runs of blank lines collapsed.
fn tidy(md: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in md.lines() {
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line.trim_end());
    }
    out.push('\n');
    out
}
