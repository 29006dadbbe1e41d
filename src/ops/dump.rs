//! Loading a lossless dump into an empty database (`import --all`, `restore`) and checking
//! the store (`check`).

use super::{Ops, OpsError, Result};
use crate::domain::record::Role;
use crate::domain::validate::Invalid;
use crate::interchange::dump::{DumpError, Line, Reader, Tally};
use crate::store::Restore;
use std::collections::BTreeMap;
use std::io::BufRead;

/// Records and audit entries written per transaction.
const BATCH: usize = 2_000;

impl From<DumpError> for OpsError {
    fn from(e: DumpError) -> OpsError {
        match e {
            DumpError::Line { file, line, reason } => {
                Invalid::new(format!("{file}:{line}"), reason).into()
            }
            DumpError::File { file, reason } => Invalid::new(file, reason).into(),
            DumpError::Store(e) => OpsError::Store(e),
            DumpError::Io(e) => OpsError::Io(e),
        }
    }
}

impl Ops<'_> {
    /// Loads a dump into this store, which must hold no record. Admins only. Writes in
    /// transactions of a few thousand lines; counters end at least at the highest id loaded.
    pub fn restore_dump<R: BufRead>(
        &self,
        dump: Reader<R>,
        progress: impl FnMut(u64),
    ) -> Result<Tally> {
        self.require(Role::Admin, "restoring a dump")?;
        if !self.store.is_empty()? {
            return Err(Invalid::new(
                "database",
                format!(
                    "{} already holds records; a dump is loaded into a new database (pick one with --db)",
                    self.store.location()
                ),
            )
            .into());
        }
        self.store.begin_bulk()?;
        let restored = self.restore_lines(dump, progress);
        let ended = self.store.end_bulk();
        let tally = restored?;
        ended?;
        Ok(tally)
    }

    /// The restore itself, its index entries written in bulk.
    fn restore_lines<R: BufRead>(
        &self,
        dump: Reader<R>,
        mut progress: impl FnMut(u64),
    ) -> Result<Tally> {
        let mut tally = Tally::default();
        let mut batch = Restore::default();
        let mut highest: BTreeMap<String, u64> = BTreeMap::new();
        let mut lines = 0u64;
        for line in dump {
            lines += 1;
            match line? {
                Line::Header(_) => {}
                Line::Record(record) => {
                    let id = record.id();
                    let top = highest.entry(id.kind.prefix().to_string()).or_default();
                    *top = (*top).max(id.number);
                    *tally
                        .records
                        .entry(id.kind.plural().to_string())
                        .or_default() += 1;
                    batch.records.push(record);
                }
                Line::Audit(entry) => {
                    let top = highest.entry("audit".to_string()).or_default();
                    *top = (*top).max(entry.seq);
                    tally.audit += 1;
                    batch.audit.push(entry);
                }
                Line::Counters(counters) => {
                    for (name, value) in counters {
                        let top = highest.entry(name).or_default();
                        *top = (*top).max(value);
                    }
                }
            }
            if batch.records.len() + batch.audit.len() >= BATCH {
                batch.counters = highest.clone().into_iter().collect();
                self.store.restore(&std::mem::take(&mut batch))?;
                progress(lines);
            }
        }
        batch.counters = highest.into_iter().collect();
        self.store.restore(&batch)?;
        progress(lines);
        Ok(tally)
    }

    /// Every disagreement between records, indexes, audit entries and counters.
    pub fn check(&self) -> Result<Vec<String>> {
        Ok(self.store.check()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::interchange::dump::{self, Reader};
    use crate::ops::testing::{ops, store};
    use crate::ops::{AccountDraft, CallLog, Ops, TicketDraft};

    #[test]
    fn a_dump_restored_into_an_empty_store_dumps_the_same() {
        let ops = ops();
        let a = crate::ops::testing::account(&ops, "Acme");
        ops.log(CallLog::call(a)).unwrap();
        let t = ops
            .new_ticket(TicketDraft::new(a, "Broken"))
            .unwrap()
            .meta
            .id;
        ops.transition(t, crate::domain::ticket::Action::Open, None)
            .unwrap();
        let mut first = Vec::new();
        dump::write(ops.store, &mut first, |_| {}).unwrap();

        let target = Ops::new(store(), "root", ops.now);
        let reader = Reader::new(first.as_slice(), "dump.jsonl").unwrap();
        let tally = target.restore_dump(reader, |_| {}).unwrap();
        assert_eq!(tally.records["accounts"], 1);
        assert_eq!(tally.audit, 5);
        let mut second = Vec::new();
        dump::write(target.store, &mut second, |_| {}).unwrap();
        assert_eq!(
            String::from_utf8(first).unwrap(),
            String::from_utf8(second).unwrap()
        );
        assert!(target.check().unwrap().is_empty());
        let next = target
            .add_account(AccountDraft {
                name: "Next".into(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(next.meta.id.number, 2, "counters come along");
    }

    #[test]
    fn a_dump_is_not_loaded_over_existing_records() {
        let ops = ops();
        ops.add_account(AccountDraft {
            name: "Acme".into(),
            ..Default::default()
        })
        .unwrap();
        let mut bytes = Vec::new();
        dump::write(ops.store, &mut bytes, |_| {}).unwrap();
        let err = ops
            .restore_dump(Reader::new(bytes.as_slice(), "d").unwrap(), |_| {})
            .unwrap_err();
        assert!(err.to_string().contains("already holds records"), "{err}");
    }
}
