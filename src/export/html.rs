//! A standalone, accessible HTML page: semantic headings, quotes as `blockquote`, footnotes
//! with links both ways, readable at any width, good contrast. Library text is always
//! escaped: raw HTML in a draft is shown as text, a link is live only to a web page, an
//! email address or a place in the document (never `javascript:` or `data:`), and images
//! are shown as their alternative text (nothing is fetched from elsewhere). The page
//! carries a Content-Security-Policy that allows nothing but its own styles.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use crate::corpus::markdown_options;

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Arial,sans-serif;font-size:1.0625rem;line-height:1.6;color:#0b0c0c;background:#fff;margin:0}\
main{max-width:42rem;margin:0 auto;padding:1.5rem 1rem 4rem}\
h1{font-size:1.8rem;line-height:1.25}h2{font-size:1.45rem;margin-top:2.5rem}h3{font-size:1.2rem;margin-top:2rem}\
blockquote{margin:1.25rem 0;padding:.5rem 1rem;border-left:5px solid #1d70b8;background:#f3f2f1}\
blockquote p{margin:.25rem 0}\
a{color:#1d4f91}a:focus{outline:3px solid #fd0;background:#fd0;color:#0b0c0c}\
.footnote-definition{font-size:.95rem;margin:.4rem 0}.footnote-definition p{display:inline;margin:0}\
.internal{border:3px solid #d4351c;padding:.5rem 1rem;font-weight:bold}\
@media print{a{color:#000}}";

/// What a standalone page may load and run: nothing but its own inline styles.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/// Whether a link target is safe to make live: `http`, `https` and `mailto` addresses, and
/// relative or in-page (`#…`) links. Anything with another scheme (`javascript:`,
/// `data:`, `vbscript:`…) or a control character (which browsers drop, so that
/// `java\tscript:` would run) is not.
pub fn safe_link(dest: &str) -> bool {
    if dest.chars().any(char::is_control) {
        return false;
    }
    match dest.find([':', '/', '?', '#']) {
        Some(i) if dest[i..].starts_with(':') => {
            let scheme = dest[..i].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto")
        }
        _ => true,
    }
}

/// The HTML of prepared Markdown: raw HTML shown as text, unsafe links shown as their
/// text only, images as their alternative text.
pub fn body(markdown: &str) -> String {
    // Links do not nest, but keep a stack so that every end matches its start.
    let mut live_links: Vec<bool> = Vec::new();
    let events = Parser::new_ext(markdown, markdown_options()).filter_map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Some(Event::Text(t)),
        Event::Start(Tag::Link { ref dest_url, .. }) => {
            let live = safe_link(dest_url);
            live_links.push(live);
            live.then_some(e)
        }
        Event::End(TagEnd::Link) => live_links.pop().unwrap_or(false).then_some(e),
        // The alternative text, between these two, is kept as text.
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        e => Some(e),
    });
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, events);
    body
}

/// Render prepared Markdown as a page.
pub fn render(markdown: &str, title: &str, internal: bool) -> String {
    let body = body(markdown);
    let banner = if internal {
        "<p class=\"internal\" role=\"note\">Internal copy: it shows file paths, line numbers, quote ids and consent records. Do not send it.</p>\n"
    } else {
        ""
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{banner}{body}</main>\n</body>\n</html>\n",
        escape_html(title)
    )
}

/// Escape text for HTML.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_mail_and_relative_links_are_live() {
        for ok in [
            "https://example.org/a",
            "HTTP://example.org",
            "mailto:a@example.org",
            "#fn-1",
            "report.html",
            "../a/b?c=d:e",
            "/x:y",
        ] {
            assert!(safe_link(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "data:text/html,<script>",
            "vbscript:x",
            "file:///etc/passwd",
        ] {
            assert!(!safe_link(bad), "{bad:?}");
        }
    }

    #[test]
    fn images_become_their_alternative_text() {
        let html =
            body("![a *pixel*](https://evil.example/x.png) [![logo](y.png)](https://ok.example)");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("evil.example"), "{html}");
        assert!(html.contains("a <em>pixel</em>"), "{html}");
        assert!(
            html.contains("<a href=\"https://ok.example\">logo</a>"),
            "{html}"
        );
    }
}
