//! The knowledge base: add, edit, list, delete, search, suggest for a ticket, link to a
//! ticket, and bulk import from Markdown or JSON lines.

use super::{Ops, OpsError, Result, fetch};
use crate::domain::article::Article;
use crate::domain::record::Role;
use crate::domain::validate::Invalid;
use crate::domain::{Id, Kind, Meta, Record, Ticket};
use crate::interchange::kb::{self as reader, ArticleSource};
use crate::search::kb::{KbHit, KbIndex};
use crate::store::{Commit, Index, IndexScan, layout};
use std::collections::BTreeMap;
use std::path::Path;

/// How much a ticket's subject counts against its description when suggesting articles.
const SUBJECT_WEIGHT: f64 = 2.0;

/// What a new article is made from.
#[derive(Debug, Clone, Default)]
pub struct ArticleDraft {
    pub title: String,
    /// Markdown.
    pub body: String,
    pub tags: Vec<String>,
    pub product: Option<String>,
}

/// Which articles a list shows.
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    /// Only articles with this tag (any case).
    pub tag: Option<String>,
    /// Only articles about this product (any case).
    pub product: Option<String>,
}

impl ArticleFilter {
    fn admits(&self, a: &Article) -> bool {
        self.tag
            .as_ref()
            .is_none_or(|t| a.tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
            && self.product.as_ref().is_none_or(|p| {
                a.product
                    .as_ref()
                    .is_some_and(|x| x.to_lowercase() == p.to_lowercase())
            })
    }
}

/// What a bulk import did. Articles are matched to existing ones by title (any case), so
/// importing the same files again changes nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleImport {
    /// Articles read.
    pub read: usize,
    pub created: Vec<Id>,
    /// Existing articles of the same title whose content changed.
    pub updated: Vec<Id>,
    /// Existing articles of the same title and content.
    pub unchanged: Vec<Id>,
}

impl Ops<'_> {
    /// Writes a new article; its title must not be another article's.
    pub fn add_article(&self, draft: ArticleDraft) -> Result<Article> {
        let meta = Meta::new(Id::new(Kind::Article, 1), &self.user, self.now);
        let mut article = Article::new(
            meta,
            &draft.title,
            &draft.body,
            &draft.tags,
            draft.product.as_deref(),
        )?;
        self.check_title_free(&article.title, None)?;
        article.meta.id = self.store.allocate(Kind::Article)?;
        self.store
            .commit(Commit::new(&self.user, self.now).put(article.clone()))?;
        Ok(article)
    }

    /// The article with `id`.
    pub fn article(&self, id: Id) -> Result<Article> {
        Ok(fetch!(self, id, Article))
    }

    /// Changes fields of an article (`title`, `body`, `tags`, `product`, `custom.NAME`).
    pub fn edit_article(&self, id: Id, fields: &[(String, String)]) -> Result<Article> {
        let mut article = self.article(id)?;
        for (field, value) in fields {
            article.set(field, value)?;
        }
        self.check_title_free(&article.title, Some(id))?;
        article.meta.touch(&self.user, self.now);
        self.store
            .commit(Commit::new(&self.user, self.now).put(article.clone()))?;
        Ok(article)
    }

    /// Articles sorted by title, whatever the case.
    pub fn articles(&self, filter: &ArticleFilter) -> Result<Vec<Article>> {
        let mut out = Vec::new();
        for id in self
            .store
            .ids(&IndexScan::prefix(Index::ArticleTitle, ""))?
        {
            let article = self.article(id)?;
            if filter.admits(&article) {
                out.push(article);
            }
        }
        Ok(out)
    }

    /// Deletes an article that no ticket links to (a ticket's history is kept, so an article
    /// that helped solve one is edited, not deleted). Admins only.
    pub fn delete_article(&self, id: Id) -> Result<Article> {
        self.require(Role::Admin, "deleting an article")?;
        let article = self.article(id)?;
        let linked: Vec<String> = self
            .all_tickets()?
            .into_iter()
            .filter(|t| t.articles.contains(&id))
            .map(|t| t.meta.id.to_string())
            .collect();
        if !linked.is_empty() {
            return Err(Invalid::new(
                "article",
                format!(
                    "{id} is linked from {}; tickets keep their history, so edit the article instead",
                    linked.join(", ")
                ),
            )
            .into());
        }
        self.store
            .commit(Commit::new(&self.user, self.now).delete(id))?;
        Ok(article)
    }

    /// Every article, ready to search, and the articles by id.
    fn kb(&self) -> Result<(KbIndex, BTreeMap<Id, Article>)> {
        let articles: BTreeMap<Id, Article> = self
            .store
            .scan(Kind::Article)
            .filter_map(|r| match r {
                Ok(Record::Article(a)) => Some(Ok((a.meta.id, a))),
                Ok(_) => None,
                Err(e) => Some(Err(OpsError::from(e))),
            })
            .collect::<Result<_>>()?;
        Ok((KbIndex::build(articles.values()), articles))
    }

    /// The `limit` articles most relevant to `query`, best first; none when no word of the
    /// query is in any article.
    pub fn search_articles(&self, query: &str, limit: usize) -> Result<Vec<(KbHit, Article)>> {
        let (index, mut articles) = self.kb()?;
        Ok(with_articles(index.query(query, limit), &mut articles))
    }

    /// The `limit` articles most relevant to a ticket's subject (which counts double) and
    /// description, best first, linked ones included.
    pub fn suggest_articles(&self, ticket: Id, limit: usize) -> Result<Vec<(KbHit, Article)>> {
        let ticket = self.ticket(ticket)?;
        let (index, mut articles) = self.kb()?;
        let description = ticket.description.as_deref().unwrap_or_default();
        let hits = index.query_parts(
            &[(&ticket.subject, SUBJECT_WEIGHT), (description, 1.0)],
            limit,
        );
        Ok(with_articles(hits, &mut articles))
    }

    /// Links an article to a ticket, recording who and when in the ticket's history. Linking
    /// one already linked changes nothing; the flag says whether anything changed.
    pub fn link_article(&self, ticket: Id, article: Id) -> Result<(Ticket, bool)> {
        let mut t = self.ticket(ticket)?;
        let a = self.article(article)?;
        let note = format!("{article} {}", a.title);
        let changed = t.link_article(article, &self.user, self.now, Some(note));
        if changed {
            self.store.commit(
                Commit::new(&self.user, self.now)
                    .put(t.clone())
                    .note(format!("linked {article}")),
            )?;
        }
        Ok((t, changed))
    }

    /// Imports articles from a folder of Markdown files, one Markdown file, or a JSON lines
    /// file (see [`crate::interchange::kb`]). All or nothing: any bad file or line is
    /// reported, with every other problem found, and nothing is written. An article whose
    /// title is already in the knowledge base updates that article. Admins only.
    pub fn import_articles(&self, path: &Path) -> Result<ArticleImport> {
        self.require(Role::Admin, "importing articles")?;
        let read = reader::read_path(path);
        let mut problems: Vec<(String, String)> = read
            .problems
            .into_iter()
            .map(|p| (p.origin, p.reason))
            .collect();
        let mut articles = Vec::new();
        let mut titles: BTreeMap<Vec<u8>, String> = BTreeMap::new();
        for source in read.articles {
            match self.article_from(&source) {
                Ok(article) => {
                    let key = layout::fold(&article.title);
                    if let Some(first) = titles.get(&key) {
                        problems.push((
                            source.origin.clone(),
                            format!("title '{}' is also the title of {first}", article.title),
                        ));
                    } else {
                        titles.insert(key, source.origin.clone());
                        articles.push(article);
                    }
                }
                Err(e) => problems.push((source.origin.clone(), e.to_string())),
            }
        }
        if let Some((origin, reason)) = problems.first() {
            let more = problems.len() - 1;
            let reason = if more == 0 {
                reason.clone()
            } else {
                let rest: Vec<String> = problems[1..]
                    .iter()
                    .map(|(o, r)| format!("{o}: {r}"))
                    .collect();
                format!(
                    "{reason}; and {more} more: {}; nothing was imported",
                    rest.join("; ")
                )
            };
            return Err(Invalid::new(origin.clone(), reason).into());
        }
        let mut summary = ArticleImport {
            read: articles.len(),
            ..ArticleImport::default()
        };
        let mut commit =
            Commit::new(&self.user, self.now).note(format!("imported from {}", path.display()));
        for mut article in articles {
            match self.article_titled(&article.title)? {
                Some(existing) if existing.same_content(&article) => {
                    summary.unchanged.push(existing.meta.id);
                }
                Some(existing) => {
                    let custom = std::mem::take(&mut article.meta.custom);
                    article.meta = existing.meta.clone();
                    article.meta.custom = custom;
                    article.meta.touch(&self.user, self.now);
                    summary.updated.push(article.meta.id);
                    commit = commit.put(article);
                }
                None => {
                    article.meta.id = self.store.allocate(Kind::Article)?;
                    summary.created.push(article.meta.id);
                    commit = commit.put(article);
                }
            }
        }
        if !commit.writes.is_empty() {
            self.store.commit(commit)?;
        }
        Ok(summary)
    }

    /// A validated article from what a reader read (its id still to be allocated).
    fn article_from(&self, source: &ArticleSource) -> Result<Article> {
        let mut meta = Meta::new(Id::new(Kind::Article, 1), &self.user, self.now);
        meta.custom = source.custom.clone();
        Ok(Article::new(
            meta,
            &source.title,
            &source.body,
            &source.tags,
            source.product.as_deref(),
        )?)
    }

    /// The article with this title (any case), if there is one.
    fn article_titled(&self, title: &str) -> Result<Option<Article>> {
        let ids = self
            .store
            .ids(&IndexScan::exact(Index::ArticleTitle, layout::fold(title)))?;
        ids.into_iter()
            .next()
            .map(|id| self.article(id))
            .transpose()
    }

    fn check_title_free(&self, title: &str, except: Option<Id>) -> Result<()> {
        match self.article_titled(title)? {
            Some(other) if Some(other.meta.id) != except => Err(Invalid::new(
                "title",
                format!("'{title}' is already the title of {}", other.meta.id),
            )
            .into()),
            _ => Ok(()),
        }
    }

    fn all_tickets(&self) -> Result<Vec<Ticket>> {
        self.store
            .scan(Kind::Ticket)
            .filter_map(|r| match r {
                Ok(Record::Ticket(t)) => Some(Ok(t)),
                Ok(_) => None,
                Err(e) => Some(Err(OpsError::from(e))),
            })
            .collect()
    }
}

fn with_articles(hits: Vec<KbHit>, articles: &mut BTreeMap<Id, Article>) -> Vec<(KbHit, Article)> {
    hits.into_iter()
        .filter_map(|hit| articles.remove(&hit.id).map(|a| (hit, a)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::TicketDraft;
    use crate::ops::testing::ops;
    use crate::store::AuditQuery;

    fn draft(title: &str, body: &str) -> ArticleDraft {
        ArticleDraft {
            title: title.into(),
            body: body.into(),
            ..ArticleDraft::default()
        }
    }

    fn ticket(ops: &Ops, subject: &str, description: Option<&str>) -> Id {
        let a = crate::ops::testing::account(ops, "Acme");
        let mut d = TicketDraft::new(a, subject);
        d.description = description.map(str::to_string);
        ops.new_ticket(d).unwrap().meta.id
    }

    #[test]
    fn articles_are_added_audited_and_listed_by_title() {
        let ops = ops();
        let b = ops.add_article(draft("refunds", "Money back.")).unwrap();
        let a = ops.add_article(draft("Delivery delays", "Late.")).unwrap();
        assert_eq!(b.meta.id.to_string(), "KB-1");
        let titles: Vec<String> = ops
            .articles(&ArticleFilter::default())
            .unwrap()
            .into_iter()
            .map(|a| a.title)
            .collect();
        assert_eq!(titles, ["Delivery delays", "refunds"]);
        let log = ops
            .store
            .audit(&AuditQuery {
                record: Some(a.meta.id),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(log.len(), 1);
    }

    #[test]
    fn titles_are_unique_whatever_the_case() {
        let ops = ops();
        ops.add_article(draft("Refunds", "x")).unwrap();
        let err = ops.add_article(draft("REFUNDS", "y")).unwrap_err();
        assert!(
            err.to_string().contains("already the title of KB-1"),
            "{err}"
        );
        let other = ops.add_article(draft("Other", "y")).unwrap().meta.id;
        assert!(
            ops.edit_article(other, &[("title".into(), "refunds".into())])
                .is_err()
        );
        ops.edit_article(other, &[("title".into(), "OTHER".into())])
            .unwrap();
    }

    #[test]
    fn edit_changes_fields_and_refuses_unknown_ones() {
        let ops = ops();
        let id = ops.add_article(draft("Refunds", "x")).unwrap().meta.id;
        let a = ops
            .edit_article(
                id,
                &[
                    ("tags".into(), "billing, refund".into()),
                    ("body".into(), "Money back in 5 days.".into()),
                ],
            )
            .unwrap();
        assert_eq!(a.tags, ["billing", "refund"]);
        let err = ops
            .edit_article(id, &[("colour".into(), "x".into())])
            .unwrap_err();
        assert!(matches!(err, OpsError::Invalid(_)));
        assert_eq!(ops.article(id).unwrap().body, "Money back in 5 days.");
    }

    #[test]
    fn linking_records_an_event_and_is_idempotent() {
        let ops = ops();
        let kb = ops.add_article(draft("Refunds", "Money back.")).unwrap();
        let t = ticket(&ops, "refund please", None);
        let (ticket, changed) = ops.link_article(t, kb.meta.id).unwrap();
        assert!(changed);
        assert_eq!(ticket.articles, [kb.meta.id]);
        let event = ticket.events.last().unwrap();
        assert_eq!(event.by, "ann");
        assert_eq!(event.at, ops.now);
        assert_eq!(event.note.as_deref(), Some("KB-1 Refunds"));
        let audit_before = ops.store.audit(&AuditQuery::default()).unwrap().len();
        let (again, changed) = ops.link_article(t, kb.meta.id).unwrap();
        assert!(!changed);
        assert_eq!(again.events.len(), ticket.events.len());
        assert_eq!(
            ops.store.audit(&AuditQuery::default()).unwrap().len(),
            audit_before,
            "nothing written"
        );
        assert!(matches!(
            ops.link_article(t, Id::new(Kind::Article, 9)),
            Err(OpsError::NotFound { .. })
        ));
    }

    #[test]
    fn delete_refuses_linked_articles() {
        let ops = ops();
        let kb = ops.add_article(draft("Refunds", "x")).unwrap().meta.id;
        let spare = ops.add_article(draft("Spare", "x")).unwrap().meta.id;
        let t = ticket(&ops, "refund", None);
        ops.link_article(t, kb).unwrap();
        let err = ops.delete_article(kb).unwrap_err().to_string();
        assert!(err.contains(&t.to_string()), "{err}");
        ops.delete_article(spare).unwrap();
        assert!(matches!(ops.article(spare), Err(OpsError::NotFound { .. })));
    }

    #[test]
    fn suggestions_come_from_subject_and_description() {
        let ops = ops();
        ops.add_article(draft("Password reset", "Use the reset link."))
            .unwrap();
        let invoice = ops
            .add_article(draft("Invoice errors", "Wrong amount on the invoice."))
            .unwrap();
        let t = ticket(
            &ops,
            "Billing problem",
            Some("The invoice shows a wrong amount"),
        );
        let hits = ops.suggest_articles(t, 5).unwrap();
        assert_eq!(hits[0].1.meta.id, invoice.meta.id);
        assert_eq!(hits.len(), 1, "the password article shares no word");
    }

    #[test]
    fn import_is_all_or_nothing_and_rerunning_it_changes_nothing() {
        let ops = ops();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kb.jsonl");
        std::fs::write(
            &file,
            "{\"title\":\"Refunds\",\"body\":\"Money back.\"}\n{\"title\":\"Bad\"}\n",
        )
        .unwrap();
        let err = ops.import_articles(&file).unwrap_err().to_string();
        assert!(err.contains("kb.jsonl:2") && err.contains("body"), "{err}");
        assert!(ops.articles(&ArticleFilter::default()).unwrap().is_empty());

        std::fs::write(
            &file,
            "{\"title\":\"Refunds\",\"body\":\"Money back.\"}\n{\"title\":\"Delivery\",\"body\":\"Late.\"}\n",
        )
        .unwrap();
        let first = ops.import_articles(&file).unwrap();
        assert_eq!(first.created.len(), 2);
        let again = ops.import_articles(&file).unwrap();
        assert_eq!((again.created.len(), again.unchanged.len()), (0, 2));
        std::fs::write(
            &file,
            "{\"title\":\"refunds\",\"body\":\"Money back within 5 days.\"}\n",
        )
        .unwrap();
        let changed = ops.import_articles(&file).unwrap();
        assert_eq!(changed.updated, [first.created[0]]);
        assert_eq!(
            ops.article(first.created[0]).unwrap().body,
            "Money back within 5 days."
        );
    }

    #[test]
    fn import_refuses_two_files_with_one_title() {
        let ops = ops();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.md"), "# Refunds\nOne.").unwrap();
        std::fs::write(dir.path().join("b.md"), "# refunds\nTwo.").unwrap();
        let err = ops.import_articles(dir.path()).unwrap_err().to_string();
        assert!(err.contains("b.md") && err.contains("a.md"), "{err}");
    }
}
