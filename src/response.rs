//! The response as a Markdown document: what draft writes, check reads, export renders and
//! the web shows. The few rules about its text live here once, so that what `check`
//! judges is what `export` sends (consent itself is decided in [`crate::consent`]).

/// The text with every HTML comment blanked out: its characters become spaces and its line
/// breaks stay, so line numbers hold. An unclosed comment runs to the end, as Markdown
/// readers treat it.
pub fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("<!--") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find("-->").map_or(rest.len(), |j| i + j + 3);
        out.extend(
            rest[i..end]
                .chars()
                .map(|c| if c == '\n' { '\n' } else { ' ' }),
        );
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Escape text so Markdown shows it as written (no emphasis, links, HTML, code or
/// headings made from it).
pub fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '`' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_blanked_and_lines_kept() {
        let t = "a <!-- x\ny --> b\n<!-- open";
        let out = without_comments(t);
        assert_eq!(out.lines().count(), 3);
        assert!(out.starts_with("a ") && out.contains(" b"));
        assert!(!out.contains('x') && !out.contains("open"));
    }

    #[test]
    fn markdown_syntax_is_escaped() {
        assert_eq!(
            md_escape("[q](javascript:x) *a* #"),
            "\\[q\\](javascript:x) \\*a\\* \\#"
        );
    }
}
