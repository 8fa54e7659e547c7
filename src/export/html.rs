//! A standalone, accessible HTML page: semantic headings, quotes as `blockquote`, footnotes
//! with links both ways, readable at any width, good contrast. Library text is always
//! escaped: raw HTML in a draft is shown as text.

use pulldown_cmark::{Event, Parser};

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

/// The HTML of prepared Markdown, raw HTML shown as text.
pub fn body(markdown: &str) -> String {
    let events = Parser::new_ext(markdown, markdown_options()).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        e => e,
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
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{banner}{body}</main>\n</body>\n</html>\n",
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
