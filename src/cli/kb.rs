//! `rapport kb …`: the knowledge base.

use super::output::{Column, Output, fields_view, object};
use super::{CliError, field_values, id_arg, json};
use crate::domain::Kind;
use crate::domain::article::Article;
use crate::ops::{ArticleDraft, ArticleFilter, Ops};
use crate::search::kb::KbHit;
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Write an article (Markdown) and print its id
    #[command(
        after_help = "Examples:\n  rapport kb add --title \"How refunds work\" --body \"Refunds go back to the paying card within 5 days.\" --tags billing,refund --product Webshop\n  rapport kb add --title \"Router keeps disconnecting\" --body-file router.md"
    )]
    Add(AddArgs),
    /// Change fields of an article
    #[command(
        after_help = "Examples:\n  rapport kb edit KB-3 --set tags=billing,refund --set product=Webshop\n  rapport kb edit KB-3 --body-file refunds.md\n\nFields: title, body, tags, product, custom.NAME.\nTags are comma-separated; an empty value clears the field."
    )]
    Edit {
        /// The article id (KB-N)
        id: String,
        /// FIELD=VALUE to set (repeatable)
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        /// Replace the body with this Markdown file's text
        #[arg(long, value_name = "FILE")]
        body_file: Option<PathBuf>,
    },
    /// List articles, sorted by title
    #[command(
        after_help = "Examples:\n  rapport kb list\n  rapport kb list --tag billing --format json"
    )]
    List {
        /// Only articles with this tag
        #[arg(long)]
        tag: Option<String>,
        /// Only articles about this product
        #[arg(long)]
        product: Option<String>,
    },
    /// Show an article with its whole body
    #[command(after_help = "Example:\n  rapport kb show KB-3")]
    Show {
        /// The article id (KB-N)
        id: String,
    },
    /// Full-text search in titles, tags and bodies, most relevant first (English, Russian,
    /// Chinese and other languages)
    #[command(
        after_help = "Examples:\n  rapport kb search \"refund not received\"\n  rapport kb search 退款\n  rapport kb search \"не приходит пароль\" --limit 3 --format json"
    )]
    Search {
        /// Words to look for
        query: String,
        /// At most this many articles
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Articles relevant to a ticket's subject and description, most relevant first
    #[command(after_help = "Example:\n  rapport kb suggest T-12")]
    Suggest {
        /// The ticket id (T-N)
        ticket: String,
        /// At most this many articles
        #[arg(long, default_value_t = 5)]
        limit: usize,
    },
    /// Link an article to a ticket, recorded in the ticket's history (linking twice does
    /// nothing)
    #[command(after_help = "Example:\n  rapport kb link T-12 KB-3")]
    Link {
        /// The ticket id (T-N)
        ticket: String,
        /// The article id (KB-N)
        article: String,
    },
    /// Import articles from a folder of Markdown files, a .md file or a JSON lines file
    /// (admins); an article whose title exists updates it, so re-running changes nothing
    #[command(
        after_help = "Examples:\n  rapport kb import docs/kb/\n  rapport kb import articles.jsonl\n\nMarkdown: the title is the first '# ' heading (else the file name); optional front matter\nbetween --- lines at the top gives 'tags: a, b' and 'product: P'.\nJSON lines: one {\"title\", \"body\", \"tags\", \"product\"} object per line.\nAny bad file or line is reported with its name and line, and nothing is imported."
    )]
    Import {
        /// A folder of .md files, a .md file or a .jsonl file
        path: PathBuf,
    },
    /// Delete an article that no ticket links to (admins)
    #[command(after_help = "Example:\n  rapport kb delete KB-7")]
    Delete {
        /// The article id (KB-N)
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The title
    #[arg(long)]
    title: String,
    /// The body, in Markdown
    #[arg(
        long,
        required_unless_present = "body_file",
        conflicts_with = "body_file"
    )]
    body: Option<String>,
    /// Read the body from this Markdown file
    #[arg(long, value_name = "FILE")]
    body_file: Option<PathBuf>,
    /// Tags, comma-separated (repeatable)
    #[arg(long, alias = "tag", value_delimiter = ',')]
    tags: Vec<String>,
    /// The product it is about
    #[arg(long)]
    product: Option<String>,
}

const COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("TITLE", "/title"),
    ("TAGS", "/tags"),
    ("PRODUCT", "/product"),
    ("UPDATED", "/updated_at"),
];

const HIT_COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("SCORE", "/score"),
    ("TITLE", "/title"),
    ("TAGS", "/tags"),
    ("PRODUCT", "/product"),
];

const SUGGEST_COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("SCORE", "/score"),
    ("LINKED", "/linked"),
    ("TITLE", "/title"),
    ("TAGS", "/tags"),
    ("PRODUCT", "/product"),
];

fn read_body(path: &PathBuf) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| {
        CliError::Invalid(crate::domain::validate::Invalid::new(
            "body-file",
            format!("{}: {e}", path.display()),
        ))
    })
}

/// An article for `show`: its fields, then its body as written.
fn shown(article: Article) -> Output {
    let row = json(article);
    let mut fields = row.clone();
    let body = fields
        .as_object_mut()
        .and_then(|o| o.remove("body"))
        .and_then(|b| b.as_str().map(str::to_string))
        .unwrap_or_default();
    let detail = format!("{}\n{body}\n", fields_view(&fields));
    Output::One { row, detail }
}

/// A ranked article: its record with the score (rounded for reading) in front.
fn hit_row(hit: &KbHit, article: Article, extra: Option<(&str, Value)>) -> Value {
    let mut row = object(vec![
        ("id", json!(article.meta.id)),
        ("score", json!((hit.score * 1000.0).round() / 1000.0)),
    ]);
    if let (Value::Object(out), Value::Object(fields)) = (&mut row, json(article)) {
        if let Some((key, value)) = extra {
            out.insert(key.to_string(), value);
        }
        out.extend(fields);
    }
    row
}

pub fn run(ops: &Ops, command: &KbCommand) -> Result<Output, CliError> {
    Ok(match command {
        KbCommand::Add(a) => {
            let body = match (&a.body, &a.body_file) {
                (_, Some(file)) => read_body(file)?,
                (Some(body), None) => body.clone(),
                (None, None) => {
                    return Err(CliError::Usage("give --body or --body-file".into()));
                }
            };
            let draft = ArticleDraft {
                title: a.title.clone(),
                body,
                tags: a.tags.clone(),
                product: a.product.clone(),
            };
            Output::Created(json(ops.add_article(draft)?))
        }
        KbCommand::Edit { id, set, body_file } => {
            let mut fields = field_values(set)?;
            if let Some(file) = body_file {
                fields.push(("body".into(), read_body(file)?));
            }
            if fields.is_empty() {
                return Err(CliError::Usage(
                    "nothing to change: give --set FIELD=VALUE or --body-file FILE".into(),
                ));
            }
            shown(ops.edit_article(id_arg(Kind::Article, id)?, &fields)?)
        }
        KbCommand::List { tag, product } => {
            let filter = ArticleFilter {
                tag: tag.clone(),
                product: product.clone(),
            };
            Output::List {
                rows: ops.articles(&filter)?.into_iter().map(json).collect(),
                columns: COLUMNS,
            }
        }
        KbCommand::Show { id } => shown(ops.article(id_arg(Kind::Article, id)?)?),
        KbCommand::Search { query, limit } => Output::List {
            rows: ops
                .search_articles(query, *limit)?
                .into_iter()
                .map(|(hit, article)| hit_row(&hit, article, None))
                .collect(),
            columns: HIT_COLUMNS,
        },
        KbCommand::Suggest { ticket, limit } => {
            let id = id_arg(Kind::Ticket, ticket)?;
            let linked = ops.ticket(id)?.articles;
            Output::List {
                rows: ops
                    .suggest_articles(id, *limit)?
                    .into_iter()
                    .map(|(hit, article)| {
                        let is_linked = linked.contains(&article.meta.id);
                        hit_row(&hit, article, Some(("linked", json!(is_linked))))
                    })
                    .collect(),
                columns: SUGGEST_COLUMNS,
            }
        }
        KbCommand::Link { ticket, article } => {
            let ticket = id_arg(Kind::Ticket, ticket)?;
            let article = id_arg(Kind::Article, article)?;
            let (t, changed) = ops.link_article(ticket, article)?;
            let detail = if changed {
                format!("{article} linked to {ticket}\n")
            } else {
                format!("{article} was already linked to {ticket}; nothing changed\n")
            };
            Output::One {
                row: json(t),
                detail,
            }
        }
        KbCommand::Import { path } => {
            let done = ops.import_articles(path)?;
            let ids = |ids: &[crate::domain::Id]| json!(ids);
            let row = object(vec![
                ("read", json!(done.read)),
                ("created", json!(done.created.len())),
                ("updated", json!(done.updated.len())),
                ("unchanged", json!(done.unchanged.len())),
                ("created_ids", ids(&done.created)),
                ("updated_ids", ids(&done.updated)),
            ]);
            let detail = format!(
                "read {}, created {}, updated {}, unchanged {}\n",
                done.read,
                done.created.len(),
                done.updated.len(),
                done.unchanged.len()
            );
            Output::One { row, detail }
        }
        KbCommand::Delete { id } => {
            ops.delete_article(id_arg(Kind::Article, id)?)?;
            Output::Nothing
        }
    })
}
