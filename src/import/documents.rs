//! Documents: DOCX, ODT, PDF, HTML and plain text, converted to Markdown.
