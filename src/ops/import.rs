//! The loader of bulk imports: rows already read and mapped to field names (by
//! [`crate::interchange`]) become records, checked, de-duplicated against the database and the
//! file, and committed in transactions of a few thousand rows, so that an import killed at any
//! moment leaves whole records only and a re-run completes it.

use super::{Ops, OpsError, Result};
use crate::domain::choice::{Choice, choice};
use crate::domain::record::{Account, Contact, Interaction, Role, split_list};
use crate::domain::ticket::{Priority, Status, Ticket};
use crate::domain::validate::{self, Invalid, Phone};
use crate::domain::{Id, Kind, Meta, Record};
use crate::interchange::columns::ColumnMap;
use crate::interchange::{Original, ReadError, Row};
use crate::store::{Commit, Index, IndexScan, Write, layout};
use std::collections::HashMap;
use std::time::Instant;

choice!(
    /// What an import creates.
    Entity, "entity" { Accounts = "accounts", Contacts = "contacts", Interactions = "interactions", Tickets = "tickets" }
);

choice!(
    /// What happens to a row that matches a record already there.
    OnDuplicate, "duplicate policy" { Skip = "skip", Update = "update", Fail = "fail" }
);

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub entity: Entity,
    pub on_duplicate: OnDuplicate,
    /// Check and count everything, write nothing.
    pub dry_run: bool,
    /// Create the account a contact names when there is none.
    pub create_accounts: bool,
    /// Rows per transaction.
    pub batch: usize,
}

impl ImportOptions {
    /// Defaults for `entity`: skip duplicates, write, 2,000 rows per transaction.
    pub fn new(entity: Entity) -> ImportOptions {
        ImportOptions {
            entity,
            on_duplicate: OnDuplicate::Skip,
            dry_run: false,
            create_accounts: false,
            batch: 2_000,
        }
    }
}

/// One row, its fields named as the record names them (`name`, `phones`, `custom.Region`).
#[derive(Debug, Clone, Default)]
pub struct SourceRow {
    /// The line the row starts on, for messages.
    pub line: u64,
    pub fields: Vec<(String, String)>,
    /// The row as it was written, when kept for a rejects file.
    pub original: Option<Original>,
}

impl SourceRow {
    /// One item of a file's reader: the row's fields mapped by `map`, or the line and reason
    /// the reader refused it for; with `keep`, the row as it was written goes with it, for a
    /// rejects file. An I/O error, after which the reader yields nothing more, is given back.
    pub fn read(
        item: Result<Row, ReadError>,
        map: &mut ColumnMap,
        keep: bool,
    ) -> std::result::Result<std::result::Result<SourceRow, Rejected>, ReadError> {
        match item {
            Ok(row) => Ok(Ok(SourceRow {
                line: row.line,
                fields: map.apply(&row),
                original: keep.then(|| row.original()),
            })),
            Err(ReadError::Row(e)) => Ok(Err(Rejected {
                line: e.line,
                reason: e.reason,
                original: keep.then_some(e.original),
            })),
            Err(e) => Err(e),
        }
    }
}

/// A row that did not go in, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub line: u64,
    pub reason: String,
    /// The row as it was written, when kept for a rejects file.
    pub original: Option<Original>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ImportSummary {
    pub read: u64,
    pub created: u64,
    pub updated: u64,
    pub skipped: u64,
    pub rejected: u64,
    pub seconds: f64,
    pub rows_per_second: f64,
}

/// What a row became.
enum RowOutcome {
    Create(Record),
    Update(Record),
    Skip,
}

/// The import in progress: the batch being built and what it already holds, so that duplicates
/// within the file are found before they reach the database.
#[derive(Default)]
struct Batch {
    writes: Vec<Write>,
    /// Where each record's write is in `writes`.
    positions: HashMap<Id, usize>,
    /// Keys (`x:<index>\0<value>`) of records created or updated in this batch.
    pending: HashMap<Vec<u8>, Id>,
    /// Accounts created for contacts in this batch, by folded name.
    new_accounts: HashMap<String, Id>,
    /// Counters to move forward past ids the file brings.
    counters: HashMap<Kind, u64>,
    /// Numbers reserved for new records and not yet used, by kind; kept across batches.
    ids: HashMap<Kind, std::ops::Range<u64>>,
}

impl Batch {
    /// Adds a record to the batch, replacing an earlier version of it, and remembers its index
    /// entries so that later rows of the file find it.
    fn put(&mut self, record: Record) {
        for key in layout::index_keys(&record) {
            let at = key.iter().rposition(|&b| b == 0).unwrap_or(key.len());
            self.pending.insert(key[..at].to_vec(), record.id());
        }
        match self.positions.get(&record.id()) {
            Some(&at) => self.writes[at] = Write::Put(record),
            None => {
                self.positions.insert(record.id(), self.writes.len());
                self.writes.push(Write::Put(record));
            }
        }
    }

    /// The version of a record this batch writes, if it writes one.
    fn get(&self, id: Id) -> Option<&Record> {
        match &self.writes[*self.positions.get(&id)?] {
            Write::Put(record) => Some(record),
            Write::Delete(_) => None,
        }
    }

    /// Empties the batch for the next one, handing over its writes.
    fn take(&mut self) -> Vec<Write> {
        self.positions.clear();
        self.pending.clear();
        self.new_accounts.clear();
        self.counters.clear();
        std::mem::take(&mut self.writes)
    }
}

impl Ops<'_> {
    /// Imports rows. Rejected rows are passed to `reject` and skipped; `progress` sees the
    /// running summary after every batch. Admins only.
    pub fn import(
        &self,
        rows: impl Iterator<Item = Result<SourceRow, Rejected>>,
        options: &ImportOptions,
        reject: impl FnMut(&Rejected),
        progress: impl FnMut(&ImportSummary),
    ) -> Result<ImportSummary> {
        self.require(Role::Admin, "importing")?;
        if options.dry_run {
            return self.import_rows(rows, options, reject, progress);
        }
        self.store.begin_bulk()?;
        let imported = self.import_rows(rows, options, reject, progress);
        let ended = self.store.end_bulk();
        let summary = imported?;
        ended?;
        Ok(summary)
    }

    /// The import itself, its index entries written in bulk unless it is a dry run.
    fn import_rows(
        &self,
        rows: impl Iterator<Item = Result<SourceRow, Rejected>>,
        options: &ImportOptions,
        mut reject: impl FnMut(&Rejected),
        mut progress: impl FnMut(&ImportSummary),
    ) -> Result<ImportSummary> {
        let started = Instant::now();
        let mut summary = ImportSummary::default();
        let mut batch = Batch::default();
        let mut rows = rows;
        let (user, now, entity) = (self.user.as_str(), self.now, options.entity);
        // Each chunk of rows is drafted on another thread while the one before is matched
        // against the database and written. One thread for the whole import: memory it
        // allocates and this one frees goes back to it.
        std::thread::scope(|scope| -> Result<()> {
            let (to_draft, to_be_drafted) = std::sync::mpsc::sync_channel(1);
            let (to_place, drafted) = std::sync::mpsc::sync_channel(1);
            scope.spawn(move || {
                for chunk in to_be_drafted {
                    let chunk: Vec<Result<SourceRow, Rejected>> = chunk;
                    let drafts = drafts(entity, &chunk, user, now);
                    if to_place.send((chunk, drafts)).is_err() {
                        break;
                    }
                }
            });
            let _ = to_draft.send(next_rows(&mut rows));
            // An error here means the drafting thread panicked, which the scope passes on.
            while let Ok((chunk, drafts)) = drafted.recv() {
                if chunk.is_empty() {
                    break;
                }
                let _ = to_draft.send(next_rows(&mut rows));
                for (row, draft) in chunk.into_iter().zip(drafts) {
                    self.place_row(row, draft, options, &mut batch, &mut summary, &mut reject);
                    if batch.writes.len() >= options.batch {
                        self.flush_batch(&mut batch, options)?;
                        progress(&finish(&summary, started));
                    }
                }
            }
            Ok(())
        })?;
        self.flush_batch(&mut batch, options)?;
        for (kind, unused) in batch.ids.drain() {
            self.store.release_block(kind, unused)?;
        }
        let summary = finish(&summary, started);
        progress(&summary);
        Ok(summary)
    }

    /// Matches one row against the batch and the database, puts what it makes in the batch and
    /// counts it.
    fn place_row(
        &self,
        row: std::result::Result<SourceRow, Rejected>,
        draft: Option<Result<Account>>,
        options: &ImportOptions,
        batch: &mut Batch,
        summary: &mut ImportSummary,
        reject: &mut impl FnMut(&Rejected),
    ) {
        summary.read += 1;
        let outcome = row.and_then(|mut row| {
            let original = row.original.take();
            self.import_row(&row, options, batch, draft)
                .map_err(|e| Rejected {
                    line: row.line,
                    reason: reason(e),
                    original,
                })
        });
        match outcome {
            Ok(RowOutcome::Create(record)) => {
                summary.created += 1;
                batch.put(record);
            }
            Ok(RowOutcome::Update(record)) => {
                summary.updated += 1;
                batch.put(record);
            }
            Ok(RowOutcome::Skip) => summary.skipped += 1,
            Err(rejected) => {
                summary.rejected += 1;
                reject(&rejected);
            }
        }
    }

    fn flush_batch(&self, batch: &mut Batch, options: &ImportOptions) -> Result<()> {
        let counters: Vec<(String, u64)> = batch
            .counters
            .iter()
            .map(|(k, n)| (k.prefix().to_string(), *n))
            .collect();
        let writes = batch.take();
        if !options.dry_run && !writes.is_empty() {
            let mut commit = Commit::new(&self.user, self.now).note("import");
            commit.writes = writes;
            commit.counters = counters;
            self.store.commit(commit)?;
        }
        Ok(())
    }

    /// The record an index already points at for `value`, in the batch or the database.
    fn existing(&self, batch: &Batch, index: Index, value: &[u8]) -> Result<Option<Id>> {
        if value.is_empty() {
            return Ok(None);
        }
        let prefix = index.prefix(value, true);
        if let Some(id) = batch.pending.get(&prefix[..prefix.len() - 1]) {
            return Ok(Some(*id));
        }
        Ok(self
            .store
            .ids(&IndexScan::exact(index, value.to_vec()).limit(1))?
            .first()
            .copied())
    }

    /// The first record found by external id, then email, then phone digits.
    fn duplicate_of(
        &self,
        batch: &Batch,
        indexes: [Index; 3],
        external_id: &Option<String>,
        emails: &[String],
        phones: &[Phone],
    ) -> Result<Option<(Id, &'static str)>> {
        let [by_ext, by_email, by_phone] = indexes;
        if let Some(ext) = external_id
            && let Some(id) = self.existing(batch, by_ext, &layout::fold(ext))?
        {
            return Ok(Some((id, "external id")));
        }
        for email in emails {
            if let Some(id) = self.existing(batch, by_email, &layout::fold(email))? {
                return Ok(Some((id, "email")));
            }
        }
        for phone in phones {
            if let Some(id) = self.existing(batch, by_phone, phone.digits.as_bytes())? {
                return Ok(Some((id, "phone")));
            }
        }
        Ok(None)
    }

    /// The pending or stored version of a record.
    fn current(&self, batch: &Batch, id: Id) -> Result<Record> {
        match batch.get(id) {
            Some(record) => Ok(record.clone()),
            None => self.record(id),
        }
    }

    fn import_row(
        &self,
        row: &SourceRow,
        options: &ImportOptions,
        batch: &mut Batch,
        draft: Option<Result<Account>>,
    ) -> Result<RowOutcome> {
        let fields = Fields::new(&row.fields);
        match options.entity {
            Entity::Accounts => self.import_account(&fields, options, batch, draft),
            Entity::Contacts => self.import_contact(&fields, options, batch),
            Entity::Interactions => self.import_interaction(&fields, options, batch),
            Entity::Tickets => self.import_ticket(&fields, options, batch),
        }
    }

    /// Resolves what a duplicate row does under the policy.
    fn on_duplicate(
        &self,
        options: &ImportOptions,
        batch: &Batch,
        found: (Id, &'static str),
        apply: impl FnOnce(&mut Record) -> Result<()>,
    ) -> Result<RowOutcome> {
        let (id, by) = found;
        match options.on_duplicate {
            OnDuplicate::Skip => Ok(RowOutcome::Skip),
            OnDuplicate::Fail => {
                Err(Invalid::new("row", format!("duplicate of {id} (same {by})")).into())
            }
            OnDuplicate::Update => {
                let before = self.current(batch, id)?;
                let mut after = before.clone();
                apply(&mut after)?;
                if after == before {
                    return Ok(RowOutcome::Skip);
                }
                after.meta_mut().touch(&self.user, self.now);
                Ok(RowOutcome::Update(after))
            }
        }
    }

    /// The record a row's `id` column names, if the row has one: an existing record (a
    /// duplicate), or an id to create the record under.
    fn given_id(
        &self,
        kind: Kind,
        fields: &Fields,
        batch: &mut Batch,
    ) -> Result<Option<(Id, bool)>> {
        let Some(text) = fields.get("id") else {
            return Ok(None);
        };
        let id = Id::parse_of(kind, text).map_err(|e| Invalid::new("id", e.to_string()))?;
        let exists = self.current(batch, id).is_ok();
        if !exists {
            let top = batch.counters.entry(kind).or_default();
            *top = (*top).max(id.number);
        }
        Ok(Some((id, exists)))
    }

    /// The id of a new record: the row's own, or the next of the kind.
    fn id_for(
        &self,
        given: Option<(Id, bool)>,
        kind: Kind,
        options: &ImportOptions,
        batch: &mut Batch,
    ) -> Result<Id> {
        match given {
            Some((id, false)) => Ok(id),
            _ => self.new_id(kind, options, batch),
        }
    }

    /// The next id from the block reserved for this import, reserving another (a batch's
    /// worth) when it is used up: one counter write a batch instead of one a record.
    fn new_id(&self, kind: Kind, options: &ImportOptions, batch: &mut Batch) -> Result<Id> {
        // A dry run allocates nothing: ids are never reused, so they are not spent on trials.
        if options.dry_run {
            return Ok(Id::new(kind, u64::MAX));
        }
        let block = batch.ids.entry(kind).or_default();
        if block.is_empty() {
            *block = self
                .store
                .allocate_block(kind, options.batch.max(1) as u64)?;
        }
        let number = block.start;
        block.start += 1;
        Ok(Id::new(kind, number))
    }

    /// An account row: `draft` is its [`draft_account`], when drafted ahead.
    fn import_account(
        &self,
        fields: &Fields,
        options: &ImportOptions,
        batch: &mut Batch,
        draft: Option<Result<Account>>,
    ) -> Result<RowOutcome> {
        let mut draft = match draft {
            Some(draft) => draft?,
            None => draft_account(fields, &self.user, self.now)?,
        };
        let given = self.given_id(Kind::Account, fields, batch)?;
        // A row that brings its own free id (an export of this database) is that record.
        let found = match given {
            Some((id, true)) => Some((id, "id")),
            Some((_, false)) => None,
            None => {
                let indexes = [
                    Index::AccountExternalId,
                    Index::AccountEmail,
                    Index::AccountPhone,
                ];
                self.duplicate_of(
                    batch,
                    indexes,
                    &draft.external_id,
                    &draft.emails,
                    &draft.phones,
                )?
            }
        };
        if let Some(found) = found {
            return self.on_duplicate(options, batch, found, |record| {
                if let Record::Account(a) = record {
                    fields.apply(&mut |f, v| a.set(f, v), &ACCOUNT_SKIP)?;
                }
                Ok(())
            });
        }
        draft.meta.id = self.id_for(given, Kind::Account, options, batch)?;
        Ok(RowOutcome::Create(Record::Account(draft)))
    }

    /// The account a row names by id (`A-12`), external id, or company name.
    fn account_of(
        &self,
        fields: &Fields,
        options: &ImportOptions,
        batch: &mut Batch,
    ) -> Result<Id> {
        if let Some(text) = fields.get("account").filter(|t| !t.trim().is_empty()) {
            if let Ok(id) = Id::parse_of(Kind::Account, text) {
                return match self.current(batch, id) {
                    Ok(Record::Account(_)) => Ok(id),
                    _ => Err(Invalid::new("account", format!("no account {id}")).into()),
                };
            }
            if let Some(id) = self.existing(batch, Index::AccountExternalId, &layout::fold(text))? {
                return Ok(id);
            }
            if fields.get("company").is_none() {
                return Err(Invalid::new(
                    "account",
                    format!("no account with id or external id '{text}'"),
                )
                .into());
            }
        }
        let company = fields
            .get("company")
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let Some(company) = company else {
            // A person with no company (a phone's address book) is an account of their own.
            if let (true, Entity::Contacts, Some(name)) =
                (options.create_accounts, options.entity, fields.get("name"))
            {
                let meta = Meta::new(
                    self.new_id(Kind::Account, options, batch)?,
                    &self.user,
                    self.now,
                );
                let mut account = Account::new(meta, name.trim().to_string());
                account.kind = crate::domain::record::AccountKind::Person;
                let id = account.meta.id;
                batch.put(Record::Account(account));
                return Ok(id);
            }
            return Err(Invalid::new(
                "account",
                "the row names no account (an account id, external id or company); \
                 --create-accounts makes people without a company accounts of their own",
            )
            .into());
        };
        let folded = crate::search::keys::fold(company);
        if let Some(id) = batch.new_accounts.get(&folded) {
            return Ok(*id);
        }
        if let Some(id) = self.existing(batch, Index::AccountName, &layout::fold(company))? {
            return Ok(id);
        }
        if !options.create_accounts {
            return Err(Invalid::new(
                "account",
                format!("no account named '{company}' (add --create-accounts to create it)"),
            )
            .into());
        }
        let meta = Meta::new(
            self.new_id(Kind::Account, options, batch)?,
            &self.user,
            self.now,
        );
        let account = Account::new(meta, company.to_string());
        let id = account.meta.id;
        batch.new_accounts.insert(folded, id);
        batch.put(Record::Account(account));
        Ok(id)
    }

    fn import_contact(
        &self,
        fields: &Fields,
        options: &ImportOptions,
        batch: &mut Batch,
    ) -> Result<RowOutcome> {
        let name = validate::required("name", fields.get("name").unwrap_or_default())?;
        let meta = Meta::new(Id::new(Kind::Contact, 1), &self.user, self.now);
        let mut draft = Contact::new(meta, Id::new(Kind::Account, 1), name);
        let skip = ["account", "company"];
        fields.apply(&mut |f, v| draft.set(f, v), &skip)?;
        fields.stamp(&mut draft.meta)?;
        let given = self.given_id(Kind::Contact, fields, batch)?;
        let found = match given {
            Some((id, true)) => Some((id, "id")),
            Some((_, false)) => None,
            None => {
                let indexes = [
                    Index::ContactExternalId,
                    Index::ContactEmail,
                    Index::ContactPhone,
                ];
                self.duplicate_of(
                    batch,
                    indexes,
                    &draft.external_id,
                    &draft.emails,
                    &draft.phones,
                )?
            }
        };
        if let Some(found) = found {
            return self.on_duplicate(options, batch, found, |record| {
                if let Record::Contact(c) = record {
                    fields.apply(&mut |f, v| c.set(f, v), &skip)?;
                }
                Ok(())
            });
        }
        draft.account = self.account_of(fields, options, batch)?;
        draft.meta.id = self.id_for(given, Kind::Contact, options, batch)?;
        Ok(RowOutcome::Create(Record::Contact(draft)))
    }

    fn import_interaction(
        &self,
        fields: &Fields,
        options: &ImportOptions,
        batch: &mut Batch,
    ) -> Result<RowOutcome> {
        let external_id = validate::optional(fields.get("external_id"));
        let given = self.given_id(Kind::Interaction, fields, batch)?;
        let by_ext = match &external_id {
            Some(ext) => self.existing(batch, Index::InteractionExternalId, &layout::fold(ext))?,
            None => None,
        };
        if let Some(id) = given
            .filter(|(_, exists)| *exists)
            .map(|(id, _)| id)
            .or(by_ext)
        {
            // Interactions are append-only: a duplicate is never updated.
            return match options.on_duplicate {
                OnDuplicate::Fail => Err(Invalid::new("row", format!("duplicate of {id}")).into()),
                _ => Ok(RowOutcome::Skip),
            };
        }
        let account = self.account_of(fields, options, batch)?;
        let choice_of = |field: &str, default: &str| -> Result<String> {
            Ok(fields
                .get(field)
                .filter(|v| !v.trim().is_empty())
                .unwrap_or(default)
                .to_string())
        };
        let started_at = match fields.get("started_at").filter(|v| !v.trim().is_empty()) {
            Some(text) => parse_time("started_at", text)?,
            None => return Err(Invalid::new("started_at", "missing: when did it happen?").into()),
        };
        let interaction = Interaction {
            meta: Meta::new(
                self.id_for(given, Kind::Interaction, options, batch)?,
                &self.user,
                self.now,
            ),
            account,
            contact: fields
                .get("contact")
                .filter(|c| !c.trim().is_empty())
                .map(|c| Id::parse_of(Kind::Contact, c))
                .transpose()
                .map_err(|e| Invalid::new("contact", e.to_string()))?,
            ticket: fields
                .get("ticket")
                .filter(|c| !c.trim().is_empty())
                .map(|c| Id::parse_of(Kind::Ticket, c))
                .transpose()
                .map_err(|e| Invalid::new("ticket", e.to_string()))?,
            channel: choice("channel", &choice_of("channel", "call")?)?,
            direction: choice("direction", &choice_of("direction", "inbound")?)?,
            started_at,
            duration: validate::duration(&choice_of("duration", "0")?)?,
            outcome: choice("outcome", &choice_of("outcome", "answered")?)?,
            agent: choice_of("agent", &self.user)?,
            subject: validate::optional(fields.get("subject")),
            notes: validate::optional(fields.get("notes")),
            follow_up: fields
                .get("follow_up")
                .filter(|v| !v.trim().is_empty())
                .map(|d| {
                    d.trim().parse().map_err(|_| {
                        Invalid::new("follow_up", format!("'{d}' is not a date (2026-03-01)"))
                    })
                })
                .transpose()?,
            external_id,
        };
        let mut interaction = interaction;
        interaction.meta.custom = fields.custom();
        fields.stamp(&mut interaction.meta)?;
        Ok(RowOutcome::Create(Record::Interaction(interaction)))
    }

    fn import_ticket(
        &self,
        fields: &Fields,
        options: &ImportOptions,
        batch: &mut Batch,
    ) -> Result<RowOutcome> {
        let external_id = validate::optional(fields.get("external_id"));
        let given = self.given_id(Kind::Ticket, fields, batch)?;
        let found = match (&given, &external_id) {
            (Some((id, true)), _) => Some((*id, "id")),
            (_, Some(ext)) => self
                .existing(batch, Index::TicketExternalId, &layout::fold(ext))?
                .map(|id| (id, "external id")),
            _ => None,
        };
        if let Some(found) = found {
            return self.on_duplicate(options, batch, found, |record| {
                if let Record::Ticket(t) = record {
                    apply_ticket_fields(t, fields)?;
                }
                Ok(())
            });
        }
        let subject = validate::required("subject", fields.get("subject").unwrap_or_default())?;
        let account = self.account_of(fields, options, batch)?;
        let priority: Priority = choice(
            "priority",
            fields
                .get("priority")
                .filter(|p| !p.trim().is_empty())
                .unwrap_or("normal"),
        )?;
        let mut meta = Meta::new(
            self.id_for(given, Kind::Ticket, options, batch)?,
            &self.user,
            self.now,
        );
        fields.stamp(&mut meta)?;
        let mut ticket = Ticket::new(meta, account, subject, priority);
        ticket.external_id = external_id;
        apply_ticket_fields(&mut ticket, fields)?;
        ticket.meta.custom = fields.custom();
        Ok(RowOutcome::Create(Record::Ticket(ticket)))
    }
}

/// Sets what an imported ticket row says beyond subject and account.
/// The fields of an account row that [`Fields::apply`] leaves to the caller.
const ACCOUNT_SKIP: [&str; 2] = ["account", "last_contact_at"];

/// The account a row makes before it is matched against the database and given its id: the
/// part of an import that reads neither (phone numbers parsed, every field checked), so that it
/// can run on another thread.
fn draft_account(fields: &Fields, user: &str, now: jiff::Timestamp) -> Result<Account> {
    let name = validate::required("name", fields.get("name").unwrap_or_default())?;
    let meta = Meta::new(Id::new(Kind::Account, 1), user, now);
    let mut draft = Account::new(meta, name);
    fields.apply(&mut |f, v| draft.set(f, v), &ACCOUNT_SKIP)?;
    fields.stamp(&mut draft.meta)?;
    if let Some(at) = fields.get("last_contact_at") {
        draft.last_contact_at = Some(parse_time("last_contact_at", at)?);
    }
    Ok(draft)
}

/// How many rows are drafted ahead at a time.
const DRAFT_CHUNK: usize = 2_000;

fn next_rows(
    rows: &mut impl Iterator<Item = Result<SourceRow, Rejected>>,
) -> Vec<Result<SourceRow, Rejected>> {
    rows.by_ref().take(DRAFT_CHUNK).collect()
}

/// The drafts of the rows that can be drafted ahead: accounts.
fn drafts(
    entity: Entity,
    rows: &[Result<SourceRow, Rejected>],
    user: &str,
    now: jiff::Timestamp,
) -> Vec<Option<Result<Account>>> {
    rows.iter()
        .map(|row| match (entity, row) {
            (Entity::Accounts, Ok(row)) => {
                Some(draft_account(&Fields::new(&row.fields), user, now))
            }
            _ => None,
        })
        .collect()
}

fn apply_ticket_fields(ticket: &mut Ticket, fields: &Fields) -> Result<()> {
    for (field, value) in fields.pairs {
        let text = || validate::optional(Some(value));
        match field.as_str() {
            "description" => ticket.description = text(),
            "category" => ticket.category = text(),
            "queue" => ticket.queue = text(),
            "assignee" => ticket.assignee = text(),
            "priority" if !value.trim().is_empty() => ticket.priority = choice("priority", value)?,
            // Imported history is not replayed: the status is taken as it stands.
            "status" if !value.trim().is_empty() => {
                ticket.status = choice::<Status>("status", value)?
            }
            "events" if !value.trim().is_empty() => {
                ticket.events = serde_json::from_str(value).map_err(|e| {
                    Invalid::new("events", format!("not a list of ticket events: {e}"))
                })?;
            }
            "csat" if !value.trim().is_empty() => {
                let score = value.trim().parse().map_err(|_| {
                    Invalid::new("csat", format!("'{value}' is not a score from 1 to 5"))
                })?;
                let comment = fields.get("csat_comment").map(str::to_string);
                ticket.csat = Some(crate::domain::ticket::Csat { score, comment });
            }
            "articles" => {
                ticket.articles = split_list(value)
                    .iter()
                    .map(|a| {
                        Id::parse_of(Kind::Article, a)
                            .map_err(|e| Invalid::new("articles", e.to_string()))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "first_response_at" if !value.trim().is_empty() => {
                ticket.first_response_at = Some(parse_time("first_response_at", value)?);
            }
            "contact" if !value.trim().is_empty() => {
                let id = Id::parse_of(Kind::Contact, value)
                    .map_err(|e| Invalid::new("contact", e.to_string()))?;
                ticket.contact = Some(id);
            }
            f if f.starts_with("custom.") => {
                if let Some(v) = text() {
                    ticket
                        .meta
                        .custom
                        .insert(f["custom.".len()..].to_string(), v);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn choice<C: Choice>(field: &str, value: &str) -> Result<C> {
    C::parse(value).map_err(|e| Invalid::new(field, e.to_string()).into())
}

/// Reads RFC 3339, `2026-03-01 09:30[:00]` (UTC) or a date (midnight UTC).
fn parse_time(field: &str, text: &str) -> Result<jiff::Timestamp> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts);
    }
    if let Ok(dt) = text.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| Invalid::new(field, e.to_string()).into());
    }
    if let Ok(d) = text.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| Invalid::new(field, e.to_string()).into());
    }
    Err(Invalid::new(
        field,
        format!(
            "'{text}' is not a date or time (2026-03-01, 2026-03-01 09:30, 2026-03-01T09:30:00Z)"
        ),
    )
    .into())
}

fn reason(e: OpsError) -> String {
    e.to_string()
}

fn finish(summary: &ImportSummary, started: Instant) -> ImportSummary {
    let seconds = started.elapsed().as_secs_f64();
    ImportSummary {
        seconds,
        rows_per_second: if seconds > 0.0 {
            summary.read as f64 / seconds
        } else {
            0.0
        },
        ..summary.clone()
    }
}

/// A row's fields, with the list fields (phones, emails, tags) of several columns gathered.
struct Fields<'a> {
    pairs: &'a [(String, String)],
}

/// Fields every record carries, set by [`Fields::stamp`] and the id logic, not by the record.
const STAMPS: [&str; 5] = ["id", "created_at", "updated_at", "created_by", "updated_by"];

/// Fields whose values from several columns add up rather than replace each other.
const LIST_FIELDS: [&str; 3] = ["phones", "emails", "tags"];

fn canonical(field: &str) -> &str {
    match field {
        "phone" => "phones",
        "email" => "emails",
        "tag" => "tags",
        other => other,
    }
}

impl<'a> Fields<'a> {
    fn new(pairs: &'a [(String, String)]) -> Fields<'a> {
        Fields { pairs }
    }

    /// The first non-empty value of a field.
    fn get(&self, field: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .find(|(f, v)| canonical(f) == field && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    }

    fn custom(&self) -> std::collections::BTreeMap<String, String> {
        self.pairs
            .iter()
            .filter_map(|(f, v)| Some((f.strip_prefix("custom.")?.to_string(), v.clone())))
            .filter(|(_, v)| !v.trim().is_empty())
            .collect()
    }

    /// Sets the stamps a row brings (`created_at`, `updated_at`, `created_by`, `updated_by`),
    /// as an export writes them.
    fn stamp(&self, meta: &mut Meta) -> Result<(), Invalid> {
        let time = |field: &str| -> Result<Option<jiff::Timestamp>, Invalid> {
            self.get(field)
                .map(|t| parse_time(field, t).map_err(|e| Invalid::new(field, reason(e))))
                .transpose()
        };
        if let Some(at) = time("created_at")? {
            meta.created_at = at;
        }
        if let Some(at) = time("updated_at")? {
            meta.updated_at = at;
        }
        if let Some(by) = self.get("created_by") {
            meta.created_by = by.trim().to_string();
        }
        if let Some(by) = self.get("updated_by") {
            meta.updated_by = by.trim().to_string();
        }
        Ok(())
    }

    /// Sets every field through `set`, lists once with every column's items, empty values
    /// left alone (an import never clears a field), `skip` fields and the stamps left to the
    /// caller.
    fn apply(
        &self,
        set: &mut dyn FnMut(&str, &str) -> Result<(), Invalid>,
        skip: &[&str],
    ) -> Result<(), Invalid> {
        let mut lists: Vec<(&str, Vec<String>)> =
            LIST_FIELDS.iter().map(|f| (*f, Vec::new())).collect();
        for (field, value) in self.pairs {
            let field = canonical(field);
            if value.trim().is_empty() || skip.contains(&field) || STAMPS.contains(&field) {
                continue;
            }
            match lists.iter_mut().find(|(f, _)| *f == field) {
                Some((_, items)) => items.extend(split_list(value)),
                None => set(field, value)?,
            }
        }
        for (field, items) in lists {
            if !items.is_empty() {
                set(field, &items.join(","))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testing::ops;

    fn row(line: u64, pairs: &[(&str, &str)]) -> Result<SourceRow, Rejected> {
        Ok(SourceRow {
            line,
            original: None,
            fields: pairs
                .iter()
                .map(|(f, v)| (f.to_string(), v.to_string()))
                .collect(),
        })
    }

    fn run(
        ops: &Ops,
        rows: Vec<Result<SourceRow, Rejected>>,
        options: &ImportOptions,
    ) -> (ImportSummary, Vec<Rejected>) {
        let mut rejected = Vec::new();
        let summary = ops
            .import(
                rows.into_iter(),
                options,
                |r| rejected.push(r.clone()),
                |_| {},
            )
            .unwrap();
        (summary, rejected)
    }

    fn accounts() -> Vec<Result<SourceRow, Rejected>> {
        vec![
            row(
                2,
                &[
                    ("name", "Acme"),
                    ("external_id", "X1"),
                    ("phones", "+1 415 555 0100"),
                    ("phones", "+1 415 555 0101"),
                    ("custom.Region", "West"),
                ],
            ),
            row(3, &[("name", "Beta"), ("emails", "hello@beta.example")]),
            row(4, &[("name", ""), ("emails", "x@y.example")]),
            row(5, &[("name", "Gamma"), ("emails", "not-an-email")]),
            row(
                6,
                &[
                    ("name", "Beta"),
                    ("emails", "HELLO@beta.example"),
                    ("segment", "smb"),
                ],
            ),
        ]
    }

    #[test]
    fn good_rows_go_in_and_bad_rows_are_rejected_with_line_and_reason() {
        let ops = ops();
        let (summary, rejected) = run(&ops, accounts(), &ImportOptions::new(Entity::Accounts));
        assert_eq!(
            (
                summary.read,
                summary.created,
                summary.skipped,
                summary.rejected
            ),
            (5, 2, 1, 2)
        );
        assert_eq!(
            rejected[0],
            Rejected {
                line: 4,
                reason: "name: must not be empty".into(),
                original: None,
            }
        );
        assert_eq!(rejected[1].line, 5);
        assert!(rejected[1].reason.contains("not-an-email"));
        let acme = ops.account(Id::new(Kind::Account, 1)).unwrap();
        assert_eq!(acme.phones.len(), 2, "phone columns add up");
        assert_eq!(acme.meta.custom["Region"], "West");
    }

    #[test]
    fn rows_drafted_ahead_in_chunks_keep_their_order_and_their_own_originals() {
        let ops = ops();
        let n = DRAFT_CHUNK as u64 * 2 + 500;
        let rows: Vec<Result<SourceRow, Rejected>> = (1..=n)
            .map(|line| {
                let name = if line % 1000 == 0 {
                    String::new()
                } else {
                    format!("Firm {line}")
                };
                let phone = format!("+44 20 7946 {:04}", line % 10_000);
                Ok(SourceRow {
                    line,
                    fields: vec![("name".into(), name), ("phone".into(), phone)],
                    original: Some(Original::Text(format!("row {line}"))),
                })
            })
            .collect();
        let mut options = ImportOptions::new(Entity::Accounts);
        options.batch = 700;
        let (summary, rejected) = run(&ops, rows, &options);
        assert_eq!((summary.read, summary.rejected), (n, 4));
        let lines: Vec<u64> = rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1000, 2000, 3000, 4000]);
        for r in &rejected {
            assert_eq!(r.original, Some(Original::Text(format!("row {}", r.line))));
        }
        // Ids follow the rows' order across chunks and batches.
        let last = ops.account(Id::new(Kind::Account, n - 4)).unwrap();
        assert_eq!(last.name, format!("Firm {n}"));
    }

    #[test]
    fn importing_the_same_rows_twice_changes_nothing() {
        for policy in [OnDuplicate::Skip, OnDuplicate::Update, OnDuplicate::Fail] {
            let ops = ops();
            let options = ImportOptions {
                on_duplicate: policy,
                ..ImportOptions::new(Entity::Accounts)
            };
            run(&ops, accounts(), &options);
            let audit = ops.store.audit(&Default::default()).unwrap().len();
            let (summary, _) = run(&ops, accounts(), &options);
            assert_eq!((summary.created, summary.updated), (0, 0), "{policy}");
            assert_eq!(
                ops.store.audit(&Default::default()).unwrap().len(),
                audit,
                "{policy}"
            );
        }
    }

    #[test]
    fn update_changes_the_matching_record_and_fail_rejects_it() {
        let ops = ops();
        run(&ops, accounts(), &ImportOptions::new(Entity::Accounts));
        let changed = vec![row(
            2,
            &[
                ("name", "Acme Ltd"),
                ("external_id", "x1"),
                ("segment", "smb"),
            ],
        )];
        let options = ImportOptions {
            on_duplicate: OnDuplicate::Update,
            ..ImportOptions::new(Entity::Accounts)
        };
        let (summary, _) = run(&ops, changed.clone(), &options);
        assert_eq!(summary.updated, 1);
        let acme = ops.account(Id::new(Kind::Account, 1)).unwrap();
        assert_eq!(
            (acme.name.as_str(), acme.segment.as_deref()),
            ("Acme Ltd", Some("smb"))
        );
        let options = ImportOptions {
            on_duplicate: OnDuplicate::Fail,
            ..ImportOptions::new(Entity::Accounts)
        };
        let (_, rejected) = run(&ops, changed, &options);
        assert_eq!(
            rejected[0].reason,
            "row: duplicate of A-1 (same external id)"
        );
    }

    #[test]
    fn a_dry_run_writes_nothing_and_spends_no_ids() {
        let ops = ops();
        let options = ImportOptions {
            dry_run: true,
            ..ImportOptions::new(Entity::Accounts)
        };
        let (summary, _) = run(&ops, accounts(), &options);
        assert_eq!(summary.created, 2);
        assert!(ops.store.is_empty().unwrap());
        assert_eq!(ops.store.allocate(Kind::Account).unwrap().number, 1);
    }

    #[test]
    fn contacts_link_by_id_external_id_or_company_and_can_create_accounts() {
        let ops = ops();
        run(&ops, accounts(), &ImportOptions::new(Entity::Accounts));
        let rows = vec![
            row(2, &[("name", "Ann"), ("account", "A-1")]),
            row(3, &[("name", "Bo"), ("account", "x1")]),
            row(4, &[("name", "Cy"), ("company", "beta")]),
            row(5, &[("name", "Dee"), ("company", "Newco")]),
            row(
                6,
                &[
                    ("name", "Eli"),
                    ("company", "Newco"),
                    ("emails", "eli@newco.example"),
                ],
            ),
        ];
        let (summary, rejected) = run(&ops, rows.clone(), &ImportOptions::new(Entity::Contacts));
        assert_eq!(summary.created, 3);
        assert!(
            rejected
                .iter()
                .all(|r| r.reason.contains("--create-accounts")),
            "{rejected:?}"
        );
        let options = ImportOptions {
            create_accounts: true,
            ..ImportOptions::new(Entity::Contacts)
        };
        let (summary, _) = run(&ops, rows[3..].to_vec(), &options);
        assert_eq!(summary.created, 2);
        let newco = ops
            .accounts(&Default::default())
            .unwrap()
            .into_iter()
            .filter(|a| a.name == "Newco")
            .count();
        assert_eq!(newco, 1, "one account for both rows");
    }

    #[test]
    fn interactions_and_tickets_import_with_their_times_and_statuses() {
        let ops = ops();
        run(&ops, accounts(), &ImportOptions::new(Entity::Accounts));
        let calls = vec![
            row(
                2,
                &[
                    ("account", "X1"),
                    ("started_at", "2026-01-05 09:30"),
                    ("duration", "00:04:30"),
                    ("outcome", "resolved"),
                    ("external_id", "CALL-1"),
                ],
            ),
            row(3, &[("account", "X1"), ("started_at", "yesterday")]),
            row(
                4,
                &[
                    ("account", "X1"),
                    ("started_at", "2026-01-05"),
                    ("channel", "pigeon"),
                ],
            ),
        ];
        let (summary, rejected) = run(
            &ops,
            calls.clone(),
            &ImportOptions::new(Entity::Interactions),
        );
        assert_eq!(summary.created, 1);
        assert!(
            rejected[0].reason.starts_with("started_at:"),
            "{rejected:?}"
        );
        assert!(
            rejected[1].reason.contains("accepted: call, email"),
            "{rejected:?}"
        );
        assert_eq!(
            run(&ops, calls, &ImportOptions::new(Entity::Interactions))
                .0
                .skipped,
            1
        );
        let history = ops.history(Id::new(Kind::Account, 1), None).unwrap();
        assert_eq!(
            (history[0].duration, history[0].started_at.to_string()),
            (270, "2026-01-05T09:30:00Z".to_string())
        );
        let tickets = vec![row(
            2,
            &[
                ("account", "A-1"),
                ("subject", "Broken"),
                ("status", "pending"),
                ("priority", "high"),
                ("external_id", "T9"),
            ],
        )];
        assert_eq!(
            run(&ops, tickets, &ImportOptions::new(Entity::Tickets))
                .0
                .created,
            1
        );
        let t = ops.ticket(Id::new(Kind::Ticket, 1)).unwrap();
        assert_eq!((t.status, t.priority), (Status::Pending, Priority::High));
    }

    #[test]
    fn only_admins_import_once_users_exist() {
        let ops = ops();
        ops.add_user("ann", Role::Admin, vec![]).unwrap();
        ops.add_user("bo", Role::Agent, vec![]).unwrap();
        let bo = Ops::new(ops.store, "bo", ops.now);
        let err = bo.import(
            accounts().into_iter(),
            &ImportOptions::new(Entity::Accounts),
            |_| {},
            |_| {},
        );
        assert!(matches!(err, Err(OpsError::Forbidden { .. })));
    }
}
