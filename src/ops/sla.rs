//! Service levels in use: the configured calendars and policies, each ticket's due times and
//! state, the breach check (and bulk escalation), and routing to the least-loaded agent.

use super::{Ops, OpsError, Result};
use crate::domain::choice::Choice;
use crate::domain::record::Role;
use crate::domain::sla::{self, BusinessHours, Calendar, Day, Policy, Sla, SlaState, Targets};
use crate::domain::ticket::{Action, Priority, Status, Ticket};
use crate::domain::validate::Invalid;
use crate::domain::{Id, Kind, Meta, Record};
use crate::store::{Commit, Index, IndexScan};
use jiff::Timestamp;
use std::collections::HashMap;

/// The share of a target that, once used, makes a near-breach, unless a policy says otherwise.
pub const DEFAULT_WARNING_PERCENT: u8 = 80;

/// The service levels configured, ready to evaluate tickets.
pub struct SlaBook {
    default_hours: BusinessHours,
    calendars: HashMap<Id, BusinessHours>,
    policies: HashMap<Priority, Policy>,
}

impl SlaBook {
    /// The targets, calendar and warning share for tickets of `priority`.
    fn terms(&self, priority: Priority) -> (Targets, &BusinessHours, f64) {
        match self.policies.get(&priority) {
            Some(p) => {
                let hours = p
                    .calendar
                    .and_then(|c| self.calendars.get(&c))
                    .unwrap_or(&self.default_hours);
                (p.targets(), hours, f64::from(p.warning_percent) / 100.0)
            }
            None => (
                sla::default_targets(priority),
                &self.default_hours,
                f64::from(DEFAULT_WARNING_PERCENT) / 100.0,
            ),
        }
    }

    /// A ticket's service levels at `now`.
    pub fn evaluate(&self, ticket: &Ticket, now: Timestamp) -> Sla {
        let (targets, hours, warning) = self.terms(ticket.priority);
        sla::evaluate(ticket, targets, hours, warning, now)
    }

    /// The business time a ticket's clock ran between two instants (for reports).
    pub fn business_time(
        &self,
        priority: Priority,
        from: Timestamp,
        to: Timestamp,
    ) -> jiff::SignedDuration {
        self.terms(priority).1.elapsed(from, to)
    }

    /// The targets in force for a priority and whether they come from a configured policy.
    pub fn targets(&self, priority: Priority) -> (Targets, Option<&Policy>) {
        (self.terms(priority).0, self.policies.get(&priority))
    }
}

/// A calendar as typed: `mon-fri`, `09:00-17:00`, dates.
#[derive(Debug, Clone, Default)]
pub struct CalendarDraft {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub days: Option<String>,
    pub hours: Option<String>,
    pub holidays: Option<Vec<String>>,
}

/// Reads `mon-fri`, `mon,wed,fri` or `sat-sun`.
fn parse_days(text: &str) -> Result<Vec<Day>, Invalid> {
    let mut days = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let day = |t: &str| Day::parse(t).map_err(|e| Invalid::new("days", e.to_string()));
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                let (i, j) = (
                    Day::ALL.iter().position(|d| *d == a),
                    Day::ALL.iter().position(|d| *d == b),
                );
                let (Some(i), Some(j)) = (i, j) else {
                    unreachable!("parsed days are listed")
                };
                if i > j {
                    return Err(Invalid::new(
                        "days",
                        format!("'{part}' runs backwards; write the range from Monday's side"),
                    ));
                }
                days.extend_from_slice(&Day::ALL[i..=j]);
            }
            None => days.push(day(part)?),
        }
    }
    days.sort_by_key(|d| Day::ALL.iter().position(|x| x == d));
    days.dedup();
    Ok(days)
}

/// Reads `09:00-17:30`.
fn parse_hours(text: &str) -> Result<(jiff::civil::Time, jiff::civil::Time), Invalid> {
    let bad = || {
        Invalid::new(
            "hours",
            format!("'{text}' is not opening hours (example: 09:00-17:00)"),
        )
    };
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let time = |t: &str| t.trim().parse::<jiff::civil::Time>().map_err(|_| bad());
    Ok((time(a)?, time(b)?))
}

fn parse_dates(texts: &[String]) -> Result<Vec<jiff::civil::Date>, Invalid> {
    texts
        .iter()
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse()
                .map_err(|_| Invalid::new("holiday", format!("'{t}' is not a date (2026-12-25)")))
        })
        .collect()
}

impl Ops<'_> {
    fn all<T>(&self, kind: Kind, pick: fn(Record) -> Option<T>) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for record in self.store.scan(kind) {
            out.extend(pick(record?));
        }
        Ok(out)
    }

    /// Every business calendar, in id order; the first is the default.
    pub fn calendars(&self) -> Result<Vec<Calendar>> {
        self.all(Kind::Calendar, |r| match r {
            Record::Calendar(c) => Some(c),
            _ => None,
        })
    }

    /// Every configured SLA policy, most urgent first.
    pub fn policies(&self) -> Result<Vec<Policy>> {
        let mut policies = self.all(Kind::Policy, |r| match r {
            Record::Policy(p) => Some(p),
            _ => None,
        })?;
        policies.sort_by_key(|p| p.priority);
        Ok(policies)
    }

    /// The service levels in force.
    pub fn sla_book(&self) -> Result<SlaBook> {
        let mut calendars = HashMap::new();
        let mut default_hours = None;
        for calendar in self.calendars()? {
            let hours = BusinessHours::new(&calendar)
                .map_err(|e| Invalid::new(calendar.meta.id.to_string(), e.to_string()))?;
            default_hours.get_or_insert_with(|| hours.clone());
            calendars.insert(calendar.meta.id, hours);
        }
        let policies = self
            .policies()?
            .into_iter()
            .map(|p| (p.priority, p))
            .collect();
        Ok(SlaBook {
            default_hours: default_hours.unwrap_or_else(BusinessHours::standard),
            calendars,
            policies,
        })
    }

    /// Adds a business calendar (supervisors). The first calendar is the default.
    pub fn add_calendar(&self, draft: CalendarDraft) -> Result<Calendar> {
        self.require(Role::Supervisor, "changing business calendars")?;
        let meta = Meta::new(Id::new(Kind::Calendar, 1), &self.user, self.now);
        let mut calendar = Calendar {
            meta,
            name: "default".into(),
            time_zone: "UTC".into(),
            days: vec![Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri],
            opens: jiff::civil::Time::constant(9, 0, 0, 0),
            closes: jiff::civil::Time::constant(17, 0, 0, 0),
            holidays: Vec::new(),
        };
        apply_calendar(&mut calendar, &draft)?;
        calendar.meta.id = self.store.allocate(Kind::Calendar)?;
        self.store
            .commit(Commit::new(&self.user, self.now).put(calendar.clone()))?;
        Ok(calendar)
    }

    /// Changes a business calendar (supervisors).
    pub fn edit_calendar(&self, id: Id, draft: CalendarDraft) -> Result<Calendar> {
        self.require(Role::Supervisor, "changing business calendars")?;
        let Record::Calendar(mut calendar) = self.record(id)? else {
            return Err(OpsError::NotFound { id });
        };
        apply_calendar(&mut calendar, &draft)?;
        calendar.meta.touch(&self.user, self.now);
        self.store
            .commit(Commit::new(&self.user, self.now).put(calendar.clone()))?;
        Ok(calendar)
    }

    /// Sets the targets for one priority (supervisors); durations in seconds of business time.
    pub fn set_policy(
        &self,
        priority: Priority,
        first_response: u32,
        resolution: u32,
        warning_percent: Option<u8>,
        calendar: Option<Id>,
    ) -> Result<Policy> {
        self.require(Role::Supervisor, "changing SLA policies")?;
        if let Some(id) = calendar
            && !matches!(self.record(id)?, Record::Calendar(_))
        {
            return Err(OpsError::NotFound { id });
        }
        let minutes = |field: &str, secs: u32| {
            let m = secs / 60;
            if m == 0 {
                Err(Invalid::new(field, "a target must be at least one minute"))
            } else {
                Ok(m)
            }
        };
        let (first, resolution) = (
            minutes("first_response", first_response)?,
            minutes("resolution", resolution)?,
        );
        if first > resolution {
            return Err(Invalid::new(
                "first_response",
                "the first-response target is longer than the resolution target",
            )
            .into());
        }
        let warning = warning_percent.unwrap_or(DEFAULT_WARNING_PERCENT);
        if !(1..=100).contains(&warning) {
            return Err(Invalid::new("warning", format!("{warning}% is outside 1..100")).into());
        }
        let existing = self.store.ids(&IndexScan::exact(
            Index::PolicyPriority,
            priority.to_string(),
        ))?;
        let mut policy = match existing.first() {
            Some(id) => match self.record(*id)? {
                Record::Policy(p) => p,
                _ => return Err(OpsError::NotFound { id: *id }),
            },
            None => Policy {
                meta: Meta::new(self.store.allocate(Kind::Policy)?, &self.user, self.now),
                priority,
                first_response_minutes: 0,
                resolution_minutes: 0,
                warning_percent: warning,
                calendar: None,
            },
        };
        policy.first_response_minutes = first;
        policy.resolution_minutes = resolution;
        policy.warning_percent = warning;
        policy.calendar = calendar.or(policy.calendar);
        policy.meta.touch(&self.user, self.now);
        self.store
            .commit(Commit::new(&self.user, self.now).put(policy.clone()))?;
        Ok(policy)
    }

    /// Active tickets in breach or near breach, soonest due first. With `escalate`
    /// (supervisors), breached tickets are escalated with an event saying why.
    pub fn sla_check(&self, escalate: bool) -> Result<Vec<(Ticket, Sla)>> {
        if escalate {
            self.require(Role::Supervisor, "escalating tickets in bulk")?;
        }
        let book = self.sla_book()?;
        let filter = super::TicketFilter {
            active: true,
            ..Default::default()
        };
        let mut flagged = Vec::new();
        for mut ticket in self.tickets(&filter)? {
            let sla = book.evaluate(&ticket, self.now);
            if !matches!(sla.state, SlaState::Breached | SlaState::Warning) {
                continue;
            }
            if escalate
                && sla.state == SlaState::Breached
                && matches!(ticket.status, Status::New | Status::Open)
            {
                let clock = sla.next_due().unwrap_or(&sla.resolution);
                let which = if std::ptr::eq(clock, &sla.first_response) {
                    "first response"
                } else {
                    "resolution"
                };
                let note = format!("SLA breached: {which} was due at {}", clock.due);
                if ticket.status == Status::New {
                    ticket
                        .transition(Action::Open, &self.user, self.now, Some(note.clone()))
                        .expect("new tickets open");
                }
                ticket
                    .transition(Action::Escalate, &self.user, self.now, Some(note))
                    .expect("open tickets escalate");
                self.store
                    .commit(Commit::new(&self.user, self.now).put(ticket.clone()))?;
            }
            flagged.push((ticket, sla));
        }
        flagged.sort_by_key(|(_, sla)| sla.next_due().map(|c| c.due));
        Ok(flagged)
    }

    /// The agent of `queue` with the fewest active tickets (ties by name).
    pub fn least_loaded(&self, queue: &str) -> Result<String> {
        let members: Vec<String> = self
            .users()?
            .into_iter()
            .filter(|u| u.queues.iter().any(|q| q.eq_ignore_ascii_case(queue)))
            .map(|u| u.name)
            .collect();
        if members.is_empty() {
            return Err(Invalid::new(
                "queue",
                format!(
                    "no user works the '{queue}' queue (rapport user edit NAME --queues {queue})"
                ),
            )
            .into());
        }
        let mut load: HashMap<String, usize> =
            members.iter().map(|m| (m.to_lowercase(), 0)).collect();
        for ticket in self.tickets(&super::TicketFilter {
            active: true,
            ..Default::default()
        })? {
            if let Some(n) = ticket
                .assignee
                .and_then(|a| load.get_mut(&a.to_lowercase()))
            {
                *n += 1;
            }
        }
        Ok(members
            .into_iter()
            .min_by_key(|m| (load[&m.to_lowercase()], m.to_lowercase()))
            .expect("members is not empty"))
    }

    /// Assigns a ticket to the least-loaded agent of its queue.
    pub fn assign_next(&self, id: Id, note: Option<String>) -> Result<Ticket> {
        let ticket = self.ticket(id)?;
        let queue = ticket.queue.ok_or_else(|| {
            Invalid::new(
                "queue",
                format!("{id} has no queue; give it one or assign it by name"),
            )
        })?;
        let agent = self.least_loaded(&queue)?;
        self.assign(id, Some(agent), note)
    }
}

fn apply_calendar(calendar: &mut Calendar, draft: &CalendarDraft) -> Result<(), Invalid> {
    if let Some(name) = &draft.name {
        calendar.name = crate::domain::validate::required("name", name)?;
    }
    if let Some(zone) = &draft.time_zone {
        calendar.time_zone = zone.trim().to_string();
    }
    if let Some(days) = &draft.days {
        calendar.days = parse_days(days)?;
    }
    if let Some(hours) = &draft.hours {
        (calendar.opens, calendar.closes) = parse_hours(hours)?;
    }
    if let Some(holidays) = &draft.holidays {
        calendar.holidays = parse_dates(holidays)?;
    }
    BusinessHours::new(calendar).map_err(|e| Invalid::new("calendar", e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::TicketDraft;
    use crate::ops::testing::ops;

    #[test]
    fn days_and_hours_read_as_typed() {
        assert_eq!(
            parse_days("mon-wed, fri").unwrap(),
            [Day::Mon, Day::Tue, Day::Wed, Day::Fri]
        );
        assert!(parse_days("fri-mon").is_err());
        assert!(
            parse_days("funday")
                .unwrap_err()
                .reason
                .contains("mon, tue")
        );
        let (a, b) = parse_hours("08:30-18:00").unwrap();
        assert_eq!((a.hour(), a.minute(), b.hour()), (8, 30, 18));
        assert!(parse_hours("9 to 5").is_err());
    }

    #[test]
    fn configured_policies_and_calendars_drive_due_times() {
        let ops = ops(); // Monday 2026-03-02 10:00 UTC
        let a = crate::ops::testing::account(&ops, "A");
        let t = ops
            .new_ticket(TicketDraft {
                priority: Priority::Urgent,
                ..TicketDraft::new(a, "x")
            })
            .unwrap();
        let book = ops.sla_book().unwrap();
        assert_eq!(
            book.evaluate(&t, ops.now).first_response.due,
            "2026-03-02T11:00:00Z".parse().unwrap()
        );
        let cal = ops
            .add_calendar(CalendarDraft {
                name: Some("shanghai".into()),
                time_zone: Some("Asia/Shanghai".into()),
                hours: Some("09:00-18:00".into()),
                ..Default::default()
            })
            .unwrap();
        ops.set_policy(
            Priority::Urgent,
            30 * 60,
            2 * 3600,
            Some(50),
            Some(cal.meta.id),
        )
        .unwrap();
        let book = ops.sla_book().unwrap();
        // 10:00 UTC is 18:00 in Shanghai, closing time: the clock starts Tuesday 09:00 local (01:00 UTC).
        assert_eq!(
            book.evaluate(&t, ops.now).first_response.due,
            "2026-03-03T01:30:00Z".parse().unwrap()
        );
    }

    #[test]
    fn check_lists_breaches_and_escalates_them_when_asked() {
        let ops = ops();
        let a = crate::ops::testing::account(&ops, "A");
        let t = ops
            .new_ticket(TicketDraft {
                priority: Priority::Urgent,
                ..TicketDraft::new(a, "x")
            })
            .unwrap()
            .meta
            .id;
        let later = crate::ops::Ops::new(ops.store, "sup", "2026-03-02T16:00:00Z".parse().unwrap());
        let flagged = later.sla_check(false).unwrap();
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0].1.state, SlaState::Breached);
        assert_eq!(
            later.ticket(t).unwrap().status,
            Status::New,
            "listing changes nothing"
        );
        later.sla_check(true).unwrap();
        let ticket = later.ticket(t).unwrap();
        assert_eq!(ticket.status, Status::Escalated);
        assert!(
            ticket
                .events
                .last()
                .unwrap()
                .note
                .as_deref()
                .unwrap()
                .starts_with("SLA breached")
        );
    }

    #[test]
    fn next_assignee_is_the_least_loaded_of_the_queue() {
        let ops = ops();
        ops.add_user("ann", Role::Admin, vec![]).unwrap();
        ops.add_user("bo", Role::Agent, vec!["billing".into()])
            .unwrap();
        ops.add_user("cy", Role::Agent, vec!["billing".into(), "tech".into()])
            .unwrap();
        let a = crate::ops::testing::account(&ops, "A");
        let draft = || TicketDraft {
            queue: Some("billing".into()),
            ..TicketDraft::new(a, "x")
        };
        let first = ops.new_ticket(draft()).unwrap().meta.id;
        assert_eq!(
            ops.assign_next(first, None).unwrap().assignee.as_deref(),
            Some("bo")
        );
        let second = ops.new_ticket(draft()).unwrap().meta.id;
        assert_eq!(
            ops.assign_next(second, None).unwrap().assignee.as_deref(),
            Some("cy")
        );
        let lonely = ops
            .new_ticket(TicketDraft {
                queue: Some("legal".into()),
                ..TicketDraft::new(a, "x")
            })
            .unwrap()
            .meta
            .id;
        assert!(matches!(
            ops.assign_next(lonely, None),
            Err(OpsError::Invalid(_))
        ));
    }

    #[test]
    fn only_supervisors_change_service_levels() {
        let ops = ops();
        ops.add_user("ann", Role::Admin, vec![]).unwrap();
        ops.add_user("bo", Role::Agent, vec![]).unwrap();
        let bo = crate::ops::Ops::new(ops.store, "bo", ops.now);
        assert!(matches!(
            bo.set_policy(Priority::Low, 3600, 7200, None, None),
            Err(OpsError::Forbidden { .. })
        ));
        assert!(matches!(
            bo.add_calendar(CalendarDraft::default()),
            Err(OpsError::Forbidden { .. })
        ));
        assert!(matches!(
            bo.sla_check(true),
            Err(OpsError::Forbidden { .. })
        ));
        assert!(bo.sla_check(false).is_ok());
    }
}
