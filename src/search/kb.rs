//! Knowledge-base ranking: full-text BM25 over article titles, tags (with the product) and
//! bodies, in any of the languages agents write in.
//!
//! Text is folded with [`fold`] and split into terms: words of Latin script are stemmed with
//! the English Snowball stemmer and words of Cyrillic script with the Russian one, so that
//! `refunds`/`refunded` and `возврат`/`возврата` meet; Chinese (and Japanese kana), written
//! without spaces, becomes overlapping character bigrams plus single characters, so that
//! `退款` matches inside `申请退款` without a dictionary. Common function words are dropped.
//!
//! Scoring is BM25F in its simple form: a term's frequency in an article is the weighted sum
//! of its frequencies in the title ([`TITLE_WEIGHT`]), tags and product ([`TAG_WEIGHT`]) and
//! body, and so is the article's length. The index is built in memory when needed: articles
//! number in the thousands at most, and building takes milliseconds.

use super::keys::fold;
use crate::domain::Id;
use crate::domain::article::Article;
use rust_stemmers::{Algorithm, Stemmer};
use std::collections::HashMap;
use std::sync::LazyLock;

/// How much a term in the title counts against one in the body.
pub const TITLE_WEIGHT: f64 = 3.0;
/// How much a term in a tag or the product counts against one in the body.
pub const TAG_WEIGHT: f64 = 2.0;
/// How much a term in the body counts.
pub const BODY_WEIGHT: f64 = 1.0;
/// How much a single Chinese character in a query counts against a word or a bigram: single
/// characters are ambiguous (款 is in 退款 and 付款), bigrams carry the meaning.
const CJK_UNIGRAM_WEIGHT: f64 = 0.3;

/// BM25 term-frequency saturation.
const K1: f64 = 1.2;
/// BM25 length normalisation.
const B: f64 = 0.75;

static ENGLISH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));
static RUSSIAN: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::Russian));

/// An article that matched a query, with its relevance.
#[derive(Debug, Clone, PartialEq)]
pub struct KbHit {
    pub id: Id,
    /// BM25 relevance; higher is better, always above zero.
    pub score: f64,
}

struct Posting {
    doc: usize,
    /// The weighted frequency of the term in the document.
    tf: f64,
}

/// The knowledge base's full-text index.
pub struct KbIndex {
    ids: Vec<Id>,
    /// Weighted length of each document.
    lengths: Vec<f64>,
    average_length: f64,
    postings: HashMap<String, Vec<Posting>>,
}

impl KbIndex {
    /// Indexes `articles`.
    pub fn build<'a>(articles: impl IntoIterator<Item = &'a Article>) -> KbIndex {
        let mut ids = Vec::new();
        let mut lengths = Vec::new();
        let mut postings: HashMap<String, Vec<Posting>> = HashMap::new();
        for article in articles {
            let doc = ids.len();
            let mut frequencies: HashMap<String, f64> = HashMap::new();
            let mut length = 0.0;
            let mut count = |text: &str, weight: f64| {
                for term in terms(text) {
                    *frequencies.entry(term).or_default() += weight;
                    length += weight;
                }
            };
            count(&article.title, TITLE_WEIGHT);
            for tag in article.tags.iter().chain(&article.product) {
                count(tag, TAG_WEIGHT);
            }
            count(&article.body, BODY_WEIGHT);
            for (term, tf) in frequencies {
                postings.entry(term).or_default().push(Posting { doc, tf });
            }
            ids.push(article.meta.id);
            lengths.push(length);
        }
        let average_length = if ids.is_empty() {
            1.0
        } else {
            (lengths.iter().sum::<f64>() / ids.len() as f64).max(1.0)
        };
        KbIndex {
            ids,
            lengths,
            average_length,
            postings,
        }
    }

    /// How many articles are indexed.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no article is indexed.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The best `limit` articles for `query`, best first; an article matching no term of the
    /// query is never returned.
    pub fn query(&self, query: &str, limit: usize) -> Vec<KbHit> {
        self.query_parts(&[(query, 1.0)], limit)
    }

    /// Like [`query`](Self::query), for a query made of parts that count differently (a
    /// ticket's subject more than its description). A term in several parts counts once, at
    /// its highest weight.
    pub fn query_parts(&self, parts: &[(&str, f64)], limit: usize) -> Vec<KbHit> {
        let mut wanted: HashMap<String, f64> = HashMap::new();
        for (text, weight) in parts {
            for term in terms(text) {
                let weight = weight * term_weight(&term);
                let w = wanted.entry(term).or_default();
                *w = w.max(weight);
            }
        }
        let n = self.ids.len() as f64;
        let mut scores: HashMap<usize, f64> = HashMap::new();
        for (term, weight) in &wanted {
            let Some(postings) = self.postings.get(term) else {
                continue;
            };
            let df = postings.len() as f64;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for p in postings {
                let norm = 1.0 - B + B * self.lengths[p.doc] / self.average_length;
                let tf = p.tf * (K1 + 1.0) / (p.tf + K1 * norm);
                *scores.entry(p.doc).or_default() += weight * idf * tf;
            }
        }
        let mut hits: Vec<KbHit> = scores
            .into_iter()
            .filter(|(_, score)| *score > 0.0)
            .map(|(doc, score)| KbHit {
                id: self.ids[doc],
                score,
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        hits.truncate(limit);
        hits
    }
}

fn term_weight(term: &str) -> f64 {
    let mut chars = term.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if is_cjk(c) => CJK_UNIGRAM_WEIGHT,
        _ => 1.0,
    }
}

/// The terms of `text`, in order, repeats kept: stemmed words, Chinese bigrams and single
/// characters; function words dropped. A hyphenated word also yields its parts joined
/// (`wi-fi` gives `wi`, `fi` and `wifi`).
pub fn terms(text: &str) -> Vec<String> {
    let folded = fold(text);
    let mut out = Vec::new();
    let mut word = String::new();
    let mut joined = String::new();
    let mut cjk: Vec<char> = Vec::new();
    let mut chars = folded.chars().peekable();
    while let Some(c) = chars.next() {
        if is_cjk(c) {
            end_word(&mut word, &mut joined, &mut out);
            cjk.push(c);
        } else if c.is_alphanumeric() {
            end_cjk(&mut cjk, &mut out);
            word.push(c);
        } else if c == '-' && !word.is_empty() && chars.peek().is_some_and(|n| n.is_alphanumeric())
        {
            // Inside a hyphenated word: the part ends, the whole goes on.
            joined.push_str(&word);
            push_word(&word, &mut out);
            word.clear();
        } else {
            end_word(&mut word, &mut joined, &mut out);
            end_cjk(&mut cjk, &mut out);
        }
    }
    end_word(&mut word, &mut joined, &mut out);
    end_cjk(&mut cjk, &mut out);
    out
}

fn end_word(word: &mut String, joined: &mut String, out: &mut Vec<String>) {
    push_word(word, out);
    if !joined.is_empty() {
        joined.push_str(word);
        push_word(joined, out);
        joined.clear();
    }
    word.clear();
}

fn push_word(word: &str, out: &mut Vec<String>) {
    if word.is_empty() || is_stop_word(word) {
        return;
    }
    let stemmed = if word.chars().any(is_cyrillic) {
        RUSSIAN.stem(word).into_owned()
    } else if word.chars().all(is_latin) && !word.chars().all(|c| c.is_ascii_digit()) {
        ENGLISH.stem(word).into_owned()
    } else {
        word.to_string()
    };
    if !stemmed.is_empty() {
        out.push(stemmed);
    }
}

fn end_cjk(run: &mut Vec<char>, out: &mut Vec<String>) {
    for (i, c) in run.iter().enumerate() {
        if !CHINESE_STOP_CHARS.contains(c) {
            out.push(c.to_string());
        }
        if let Some(next) = run.get(i + 1) {
            out.push([*c, *next].iter().collect());
        }
    }
    run.clear();
}

/// Scripts written without spaces between words: Han, and Japanese kana.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}'
        | '\u{20000}'..='\u{2ffff}' | '\u{3040}'..='\u{30ff}')
}

fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{400}'..='\u{52f}')
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '\u{c0}'..='\u{24f}')
}

fn is_stop_word(word: &str) -> bool {
    ENGLISH_STOP_WORDS.binary_search(&word).is_ok()
        || RUSSIAN_STOP_WORDS.binary_search(&word).is_ok()
}

/// English function words, sorted, with the pieces contractions leave once the apostrophe
/// splits them (`can't` → `can`, `t`).
const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "am", "an", "and", "any", "are", "aren", "as", "at",
    "be", "been", "but", "by", "can", "could", "couldn", "d", "did", "didn", "do", "does", "doesn",
    "don", "for", "from", "had", "has", "hasn", "have", "haven", "he", "hello", "hi", "how", "i",
    "if", "in", "into", "is", "isn", "it", "its", "just", "ll", "m", "me", "my", "of", "on", "or",
    "our", "please", "re", "s", "she", "so", "some", "t", "than", "that", "the", "their", "them",
    "then", "there", "they", "this", "to", "us", "ve", "was", "wasn", "we", "were", "what", "when",
    "which", "who", "why", "will", "with", "won", "would", "wouldn", "you", "your",
];

/// Russian function words, sorted (after folding, ё is е).
const RUSSIAN_STOP_WORDS: &[&str] = &[
    "а",
    "без",
    "бы",
    "был",
    "была",
    "были",
    "было",
    "в",
    "вам",
    "вас",
    "во",
    "вот",
    "все",
    "вы",
    "где",
    "да",
    "для",
    "до",
    "его",
    "ее",
    "если",
    "есть",
    "еще",
    "же",
    "за",
    "здравствуйте",
    "и",
    "из",
    "или",
    "им",
    "их",
    "к",
    "как",
    "ко",
    "когда",
    "ли",
    "мне",
    "мной",
    "мои",
    "мой",
    "моя",
    "мы",
    "на",
    "над",
    "наш",
    "не",
    "него",
    "нет",
    "ни",
    "но",
    "о",
    "об",
    "он",
    "она",
    "они",
    "от",
    "по",
    "пожалуйста",
    "при",
    "с",
    "со",
    "так",
    "там",
    "то",
    "у",
    "уже",
    "чем",
    "что",
    "чтобы",
    "это",
    "я",
];

/// Chinese characters too common to mean anything alone; they still take part in bigrams.
const CHINESE_STOP_CHARS: &[char] = &[
    '的', '了', '我', '你', '您', '是', '在', '有', '和', '就', '也', '都', '吗', '呢', '吧', '啊',
    '请', '他', '她', '它', '们', '这', '那', '个', '一', '不', '要', '到', '说', '把', '被', '给',
    '很', '还', '又', '没',
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Kind, Meta};
    use jiff::Timestamp;

    fn article(n: u64, title: &str, tags: &[&str], body: &str) -> Article {
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        let meta = Meta::new(Id::new(Kind::Article, n), "ann", Timestamp::UNIX_EPOCH);
        Article::new(meta, title, body, &tags, None).unwrap()
    }

    fn first(index: &KbIndex, query: &str) -> Option<String> {
        index.query(query, 1).first().map(|h| h.id.to_string())
    }

    #[test]
    fn stop_word_lists_are_sorted_for_binary_search() {
        for list in [ENGLISH_STOP_WORDS, RUSSIAN_STOP_WORDS] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        }
    }

    #[test]
    fn english_words_are_stemmed_and_function_words_dropped() {
        assert_eq!(terms("The Refunds were REFUNDED"), ["refund", "refund"]);
        assert_eq!(terms("resetting my passwords"), ["reset", "password"]);
        assert_eq!(
            terms("Can't log in: the customer's card"),
            ["log", "custom", "card"]
        );
    }

    #[test]
    fn russian_words_are_stemmed_by_the_russian_stemmer() {
        assert_eq!(terms("Возврат"), terms("возврата"));
        assert_eq!(terms("пароль"), terms("пароля"));
        assert_eq!(terms("не могу"), ["мог"], "не is a function word");
    }

    #[test]
    fn chinese_becomes_bigrams_and_single_characters() {
        assert_eq!(
            terms("申请退款"),
            ["申", "申请", "请退", "退", "退款", "款"],
            "请 alone means nothing"
        );
        assert_eq!(terms("退款"), ["退", "退款", "款"]);
        assert!(terms("我要退款。").contains(&"退款".to_string()));
    }

    #[test]
    fn mixed_scripts_split_where_the_script_changes() {
        assert_eq!(
            terms("路由器X100断线"),
            ["路", "路由", "由", "由器", "器", "x100", "断", "断线", "线"]
        );
        assert_eq!(terms("Wi-Fi"), ["wi", "fi", "wifi"]);
    }

    #[test]
    fn title_matches_outrank_body_matches() {
        let index = KbIndex::build(&[
            article(
                1,
                "Delivery times",
                &[],
                "We may refund the shipping fee when late.",
            ),
            article(
                2,
                "Refunds",
                &[],
                "How we pay money back for returned goods.",
            ),
        ]);
        assert_eq!(first(&index, "refund").as_deref(), Some("KB-2"));
        assert_eq!(index.query("refund", 10).len(), 2);
    }

    #[test]
    fn a_query_with_no_matching_term_finds_nothing() {
        let index = KbIndex::build(&[article(1, "Refunds", &["billing"], "Money back.")]);
        assert!(index.query("router", 10).is_empty());
        assert!(index.query("the and of", 10).is_empty());
        assert!(index.query("", 10).is_empty());
        assert!(KbIndex::build(&[]).query("refund", 10).is_empty());
    }

    #[test]
    fn tags_count_more_than_the_body() {
        let index = KbIndex::build(&[
            article(
                1,
                "Account settings",
                &[],
                "Change the invoice address here.",
            ),
            article(
                2,
                "Account settings too",
                &["invoice"],
                "Change the address here.",
            ),
        ]);
        assert_eq!(first(&index, "invoice").as_deref(), Some("KB-2"));
    }

    #[test]
    fn chinese_bigrams_outrank_shared_single_characters() {
        let index = KbIndex::build(&[
            article(1, "付款方式", &[], "支持银行卡付款。"),
            article(2, "退款流程", &[], "申请退款后七个工作日到账。"),
        ]);
        assert_eq!(first(&index, "我想退款").as_deref(), Some("KB-2"));
        assert_eq!(first(&index, "怎么付款").as_deref(), Some("KB-1"));
    }

    #[test]
    fn subject_terms_can_count_more_than_description_terms() {
        let index = KbIndex::build(&[
            article(1, "Password reset", &[], "Reset your password."),
            article(2, "Invoice errors", &[], "Wrong invoice amounts."),
        ]);
        let hits = index.query_parts(&[("invoice", 2.0), ("password", 1.0)], 10);
        assert_eq!(hits[0].id.to_string(), "KB-2");
        assert!(hits[0].score > hits[1].score);
    }
}
