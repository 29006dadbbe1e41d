//! Knowledge-base articles in bulk: a folder of Markdown files, or a JSON lines file.
//!
//! A Markdown file is one article. Its title is the `title:` of its front matter, else its
//! first `# ` heading (which then leaves the body), else the file name. Front matter is
//! optional and simple: `key: value` lines between two `---` lines at the very top; `tags:`
//! takes `a, b` or `[a, b]` or `- a` lines below it, `product:` a value, and any other key
//! becomes a custom field.
//!
//! ```text
//! ---
//! tags: billing, refund
//! product: Webshop
//! ---
//! # How refunds work
//!
//! Refunds go back to the card that paid…
//! ```
//!
//! A JSON lines file holds one object per line with `title`, `body`, `tags` (a list, or a
//! comma-separated string) and `product`; other keys become custom fields, and the stamps of
//! a record written by `rapport kb list --format jsonl` are ignored, so such a list reads back.
//!
//! Readers only read: every problem is reported with its file (and line), and the loader in
//! `ops` decides what to write.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One article as read, before validation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArticleSource {
    /// Where it was read: the file, and for JSON lines the line (`kb.jsonl:4`).
    pub origin: String,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub product: Option<String>,
    pub custom: BTreeMap<String, String>,
}

/// A problem with one file or line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {reason}")]
pub struct SourceError {
    /// The file, with `:LINE` when one line is at fault.
    pub origin: String,
    pub reason: String,
}

impl SourceError {
    fn new(origin: impl Into<String>, reason: impl Into<String>) -> SourceError {
        SourceError {
            origin: origin.into(),
            reason: reason.into(),
        }
    }
}

/// Everything read from a path: the articles, and every problem found on the way.
#[derive(Debug, Default)]
pub struct Read {
    pub articles: Vec<ArticleSource>,
    pub problems: Vec<SourceError>,
}

/// Reads a folder of Markdown files (`.md`, `.markdown`, in sub-folders too, in name order;
/// hidden entries skipped), a single Markdown file, or a JSON lines file (`.jsonl`,
/// `.ndjson`).
pub fn read_path(path: &Path) -> Read {
    let origin = path.display().to_string();
    let mut read = Read::default();
    if path.is_dir() {
        let mut files = Vec::new();
        if let Err(e) = markdown_files(path, &mut files) {
            read.problems.push(SourceError::new(origin, e.to_string()));
            return read;
        }
        if files.is_empty() {
            read.problems.push(SourceError::new(
                origin,
                "the folder holds no Markdown (.md) files",
            ));
        }
        for file in files {
            match read_file(&file).and_then(|text| markdown(&file, &text)) {
                Ok(article) => read.articles.push(article),
                Err(e) => read.problems.push(e),
            }
        }
        return read;
    }
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let text = match read_file(path) {
        Ok(text) => text,
        Err(e) => {
            read.problems.push(e);
            return read;
        }
    };
    match extension.as_str() {
        "md" | "markdown" => match markdown(path, &text) {
            Ok(article) => read.articles.push(article),
            Err(e) => read.problems.push(e),
        },
        "jsonl" | "ndjson" => read = json_lines(&origin, &text),
        _ => read.problems.push(SourceError::new(
            origin,
            "expected a folder of Markdown files, a .md file or a JSON lines (.jsonl) file",
        )),
    }
    read
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        if path.is_dir() {
            markdown_files(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
        {
            out.push(path);
        }
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<String, SourceError> {
    let origin = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| SourceError::new(&origin, e.to_string()))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| SourceError::new(&origin, format!("not UTF-8 text ({e})")))?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(&text).to_string())
}

/// Reads one Markdown article; `path` names it in errors and gives the fallback title.
pub fn markdown(path: &Path, text: &str) -> Result<ArticleSource, SourceError> {
    let origin = path.display().to_string();
    let at = |line: usize, reason: String| SourceError::new(format!("{origin}:{line}"), reason);
    let lines: Vec<&str> = text.lines().collect();
    let mut article = ArticleSource {
        origin: origin.clone(),
        ..ArticleSource::default()
    };
    let mut title = None;
    let mut start = 0;
    if lines.first().is_some_and(|l| l.trim_end() == "---") {
        let end = lines
            .iter()
            .skip(1)
            .position(|l| l.trim_end() == "---")
            .map(|i| i + 1)
            .ok_or_else(|| at(1, "front matter opened with --- is never closed".into()))?;
        let mut list_key: Option<String> = None;
        for (i, line) in lines.iter().enumerate().take(end).skip(1) {
            let number = i + 1;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if let Some(item) = trimmed.strip_prefix("- ") {
                match list_key.as_deref() {
                    Some("tags") => article.tags.push(unquote(item).to_string()),
                    _ => {
                        return Err(at(number, "a list item (- …) outside a tags: list".into()));
                    }
                }
                continue;
            }
            let (key, value) = trimmed.split_once(':').ok_or_else(|| {
                at(
                    number,
                    format!("front matter lines are key: value, not '{trimmed}'"),
                )
            })?;
            let key = key.trim().to_lowercase();
            let value = value.trim();
            list_key = None;
            match key.as_str() {
                "title" => title = Some(unquote(value).to_string()),
                "tags" | "tag" if value.is_empty() => list_key = Some("tags".into()),
                "tags" | "tag" => article.tags.extend(inline_list(value)),
                "product" => article.product = Some(unquote(value).to_string()),
                "" => return Err(at(number, "a front matter key is missing".into())),
                _ => {
                    article.custom.insert(key, unquote(value).to_string());
                }
            }
        }
        start = end + 1;
    }
    let mut body: Vec<&str> = Vec::new();
    let mut fenced = false;
    for line in &lines[start..] {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if title.is_none()
            && !fenced
            && let Some(heading) = line.strip_prefix("# ")
        {
            title = Some(heading.trim().trim_end_matches('#').trim().to_string());
            continue;
        }
        body.push(line);
    }
    article.title = title
        .filter(|t| !t.trim().is_empty())
        .or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default();
    article.body = body.join("\n").trim().to_string();
    if article.body.is_empty() {
        return Err(SourceError::new(origin, "the article has no body"));
    }
    Ok(article)
}

fn unquote(value: &str) -> &str {
    let v = value.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

fn inline_list(value: &str) -> impl Iterator<Item = String> + '_ {
    let v = value.trim();
    let v = v
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .unwrap_or(v);
    v.split([',', ';'])
        .map(unquote)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Reads JSON lines: one article object per non-blank line.
pub fn json_lines(origin: &str, text: &str) -> Read {
    let mut read = Read::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{origin}:{}", i + 1);
        match json_article(&at, line) {
            Ok(article) => read.articles.push(article),
            Err(reason) => read.problems.push(SourceError::new(at, reason)),
        }
    }
    if read.articles.is_empty() && read.problems.is_empty() {
        read.problems
            .push(SourceError::new(origin, "the file holds no articles"));
    }
    read
}

/// The record stamps of an exported article, which an import does not take over.
const STAMPS: &[&str] = &["id", "created_at", "updated_at", "created_by", "updated_by"];

fn json_article(origin: &str, line: &str) -> Result<ArticleSource, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON ({e})"))?;
    let Value::Object(map) = value else {
        return Err("expected an object with title and body".into());
    };
    let mut article = ArticleSource {
        origin: origin.to_string(),
        ..ArticleSource::default()
    };
    let text = |field: &str, v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(format!("{field}: expected text, found {other}")),
    };
    for (key, v) in &map {
        match key.as_str() {
            "title" => article.title = text("title", v)?,
            "body" => article.body = text("body", v)?,
            "product" if v.is_null() => {}
            "product" => article.product = Some(text("product", v)?),
            "tags" => {
                article.tags = match v {
                    Value::Null => Vec::new(),
                    Value::String(s) => inline_list(s).collect(),
                    Value::Array(items) => items
                        .iter()
                        .map(|t| text("tags", t))
                        .collect::<Result<_, _>>()?,
                    other => return Err(format!("tags: expected a list, found {other}")),
                }
            }
            "custom" => {
                let Value::Object(custom) = v else {
                    return Err(format!("custom: expected an object, found {v}"));
                };
                for (k, v) in custom {
                    article.custom.insert(k.clone(), plain(v));
                }
            }
            k if STAMPS.contains(&k) => {}
            _ => {
                article.custom.insert(key.clone(), plain(v));
            }
        }
    }
    if !map.contains_key("title") {
        return Err("title: missing".into());
    }
    if !map.contains_key("body") {
        return Err("body: missing".into());
    }
    Ok(article)
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(text: &str) -> Result<ArticleSource, SourceError> {
        markdown(Path::new("kb/refunds.md"), text)
    }

    #[test]
    fn the_first_heading_is_the_title_and_leaves_the_body() {
        let a = md("# How refunds work\n\nMoney goes back.\n\n## Timing\nFive days.\n").unwrap();
        assert_eq!(a.title, "How refunds work");
        assert_eq!(a.body, "Money goes back.\n\n## Timing\nFive days.");
        assert_eq!(a.origin, "kb/refunds.md");
    }

    #[test]
    fn without_a_heading_the_file_name_is_the_title() {
        let a = md("Money goes back.\n```sh\n# not a title\n```\n").unwrap();
        assert_eq!(a.title, "refunds");
        assert!(a.body.contains("# not a title"));
    }

    #[test]
    fn front_matter_gives_tags_product_and_custom_fields() {
        let a =
            md("---\ntags: [billing, \"refund\"]\nproduct: Webshop\nowner: docs\n---\n# T\nBody\n")
                .unwrap();
        assert_eq!(a.tags, ["billing", "refund"]);
        assert_eq!(a.product.as_deref(), Some("Webshop"));
        assert_eq!(a.custom["owner"], "docs");
        assert_eq!((a.title.as_str(), a.body.as_str()), ("T", "Body"));
        let a = md("---\ntags:\n  - a\n  - b\ntitle: From front matter\n---\n# Heading\nBody\n")
            .unwrap();
        assert_eq!(a.tags, ["a", "b"]);
        assert_eq!(a.title, "From front matter");
        assert_eq!(a.body, "# Heading\nBody");
    }

    #[test]
    fn broken_front_matter_is_reported_with_file_and_line() {
        let err = md("---\ntags: a\nthis line has no colon\n---\nBody").unwrap_err();
        assert_eq!(err.origin, "kb/refunds.md:3");
        let err = md("---\ntags: a\nBody").unwrap_err();
        assert_eq!(err.origin, "kb/refunds.md:1");
        assert!(err.reason.contains("never closed"));
        let err = md("# Only a title\n\n").unwrap_err();
        assert_eq!(err.to_string(), "kb/refunds.md: the article has no body");
    }

    #[test]
    fn json_lines_read_articles_and_report_bad_lines_by_number() {
        let text = concat!(
            r#"{"title":"Refunds","body":"Money back.","tags":["billing"],"product":"Shop","lang":"en"}"#,
            "\n\n",
            r#"{"title":"No body"}"#,
            "\n",
            "not json\n",
            r#"{"id":"KB-4","title":"Export","body":"b","tags":"a, b","created_at":"x"}"#,
            "\n"
        );
        let read = json_lines("kb.jsonl", text);
        assert_eq!(read.articles.len(), 2);
        assert_eq!(read.articles[0].tags, ["billing"]);
        assert_eq!(read.articles[0].custom["lang"], "en");
        assert_eq!(read.articles[1].tags, ["a", "b"]);
        assert!(read.articles[1].custom.is_empty(), "stamps are not custom");
        let where_: Vec<&str> = read.problems.iter().map(|p| p.origin.as_str()).collect();
        assert_eq!(where_, ["kb.jsonl:3", "kb.jsonl:4"]);
        assert_eq!(read.problems[0].reason, "body: missing");
    }
}
