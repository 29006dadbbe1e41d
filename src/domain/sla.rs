//! Service levels: business calendars, SLA policies, and the business-time arithmetic behind a
//! ticket's due times and SLA state. Written once, here, and tested across weekends, holidays,
//! DST changes, pauses and tickets opened outside business hours.
//!
//! A ticket's clock starts at creation and pauses while the ticket is pending. Its first
//! response is due `first_response_minutes` of business time after creation, its resolution
//! `resolution_minutes` after, both shifted by the business time spent pending.

use super::choice::{Choice, choice};
use super::record::Meta;
use super::ticket::{EventKind, Priority, Status, Ticket};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

choice!(
    /// A day of the week.
    Day, "day" {
        Mon = "mon", Tue = "tue", Wed = "wed", Thu = "thu", Fri = "fri", Sat = "sat", Sun = "sun",
    }
);

/// When the service desk works: days, hours in a time zone, and holidays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Calendar {
    #[serde(flatten, skip_deserializing, default = "crate::domain::stamped::unset")]
    pub meta: Meta,
    pub name: String,
    /// An IANA time zone (`Europe/London`).
    pub time_zone: String,
    pub days: Vec<Day>,
    pub opens: Time,
    pub closes: Time,
    #[serde(default)]
    pub holidays: Vec<Date>,
}

/// The targets for tickets of one priority, in business minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Policy {
    #[serde(flatten, skip_deserializing, default = "crate::domain::stamped::unset")]
    pub meta: Meta,
    pub priority: Priority,
    pub first_response_minutes: u32,
    pub resolution_minutes: u32,
    /// The share of a target (in percent) that, once used, makes a near-breach.
    pub warning_percent: u8,
    /// The calendar the clock runs on; the default calendar when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<super::Id>,
}

/// The targets used until a policy is configured: urgent 1/4, high 4/8, normal 8/24, low 16/40
/// business hours (first response / resolution).
pub fn default_targets(priority: Priority) -> Targets {
    let (first, resolution) = match priority {
        Priority::Urgent => (1, 4),
        Priority::High => (4, 8),
        Priority::Normal => (8, 24),
        Priority::Low => (16, 40),
    };
    Targets {
        first_response: SignedDuration::from_hours(first),
        resolution: SignedDuration::from_hours(resolution),
    }
}

/// Business-time targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub first_response: SignedDuration,
    pub resolution: SignedDuration,
}

impl Policy {
    /// This policy's targets.
    pub fn targets(&self) -> Targets {
        Targets {
            first_response: SignedDuration::from_mins(self.first_response_minutes.into()),
            resolution: SignedDuration::from_mins(self.resolution_minutes.into()),
        }
    }
}

/// Why a calendar cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone '{0}' (use an IANA name such as Europe/London or Asia/Shanghai)")]
    TimeZone(String),
    #[error("a calendar needs at least one working day")]
    NoDays,
    #[error("opening time {opens} is not before closing time {closes}")]
    Hours { opens: Time, closes: Time },
}

/// How far ahead business time is searched; a calendar with every day a holiday for ten years
/// is not a calendar.
const HORIZON_DAYS: i32 = 3660;

/// A calendar ready for arithmetic.
#[derive(Debug, Clone)]
pub struct BusinessHours {
    tz: TimeZone,
    days: [bool; 7],
    opens: Time,
    closes: Time,
    holidays: BTreeSet<Date>,
}

impl BusinessHours {
    /// Monday to Friday, 09:00 to 17:00 UTC, no holidays: the calendar until one is configured.
    pub fn standard() -> BusinessHours {
        BusinessHours {
            tz: TimeZone::UTC,
            days: [true, true, true, true, true, false, false],
            opens: Time::constant(9, 0, 0, 0),
            closes: Time::constant(17, 0, 0, 0),
            holidays: BTreeSet::new(),
        }
    }

    /// Checks a calendar and prepares it.
    pub fn new(calendar: &Calendar) -> Result<BusinessHours, CalendarError> {
        let tz = TimeZone::get(&calendar.time_zone)
            .map_err(|_| CalendarError::TimeZone(calendar.time_zone.clone()))?;
        if calendar.days.is_empty() {
            return Err(CalendarError::NoDays);
        }
        if calendar.opens >= calendar.closes {
            return Err(CalendarError::Hours {
                opens: calendar.opens,
                closes: calendar.closes,
            });
        }
        let mut days = [false; 7];
        for day in &calendar.days {
            days[Day::ALL
                .iter()
                .position(|d| d == day)
                .expect("every day is listed")] = true;
        }
        Ok(BusinessHours {
            tz,
            days,
            opens: calendar.opens,
            closes: calendar.closes,
            holidays: calendar.holidays.iter().copied().collect(),
        })
    }

    /// The working window of a date, as instants, if it is a working day.
    fn window(&self, date: Date) -> Option<(Timestamp, Timestamp)> {
        let weekday = date.weekday().to_monday_zero_offset() as usize;
        if !self.days[weekday] || self.holidays.contains(&date) {
            return None;
        }
        let at = |time: Time| {
            date.to_datetime(time)
                .to_zoned(self.tz.clone())
                .ok()
                .map(|z| z.timestamp())
        };
        Some((at(self.opens)?, at(self.closes)?))
    }

    fn date_of(&self, at: Timestamp) -> Date {
        at.to_zoned(self.tz.clone()).date()
    }

    /// The instant at which `work` of business time, counted from `start`, is used up. Zero
    /// work from outside business hours is the next opening.
    pub fn add(&self, start: Timestamp, work: SignedDuration) -> Timestamp {
        let mut remaining = work.max(SignedDuration::ZERO);
        let mut date = self.date_of(start);
        for _ in 0..HORIZON_DAYS {
            if let Some((open, close)) = self.window(date) {
                let from = open.max(start);
                if from < close {
                    let available = from.duration_until(close);
                    if remaining <= available {
                        return from + remaining;
                    }
                    remaining -= available;
                }
            }
            date = date
                .tomorrow()
                .expect("dates this close to the present have a tomorrow");
        }
        Timestamp::MAX
    }

    /// The business time between two instants (zero when `to` is not after `from`).
    pub fn elapsed(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        let mut total = SignedDuration::ZERO;
        if to <= from {
            return total;
        }
        let mut date = self.date_of(from);
        let last = self.date_of(to);
        while date <= last {
            if let Some((open, close)) = self.window(date) {
                let (s, e) = (open.max(from), close.min(to));
                if s < e {
                    total += s.duration_until(e);
                }
            }
            date = date
                .tomorrow()
                .expect("dates this close to the present have a tomorrow");
        }
        total
    }
}

choice!(
    /// Where a ticket stands against its service levels.
    SlaState, "sla state" {
        Ok = "ok",
        Warning = "warning",
        Breached = "breached",
        Paused = "paused",
        Met = "met",
    }
);

/// One target's due time and standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// When the target falls due (projected from now while paused).
    pub due: Timestamp,
    /// When it was achieved, if it was.
    pub achieved: Option<Timestamp>,
    pub state: SlaState,
}

/// A ticket's service levels at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sla {
    pub first_response: Clock,
    pub resolution: Clock,
    pub state: SlaState,
}

impl Sla {
    /// The clock an agent should watch: the first one not yet achieved.
    pub fn next_due(&self) -> Option<&Clock> {
        [&self.first_response, &self.resolution]
            .into_iter()
            .find(|c| c.achieved.is_none())
    }
}

/// The spans during which a ticket's clock ran, from its status history: from creation, paused
/// from each move to pending until the move out of it. The last span is open while running.
fn running_spans(ticket: &Ticket) -> Vec<(Timestamp, Option<Timestamp>)> {
    let mut spans = Vec::new();
    let mut running_since = Some(ticket.meta.created_at);
    for event in &ticket.events {
        if let EventKind::Status { from, to } = event.kind {
            match (
                running_since,
                to == Status::Pending,
                from == Status::Pending,
            ) {
                (Some(start), true, _) => {
                    spans.push((start, Some(event.at)));
                    running_since = None;
                }
                (None, _, true) => running_since = Some(event.at),
                _ => {}
            }
        }
    }
    if let Some(start) = running_since {
        spans.push((start, None));
    }
    spans
}

/// When the last resolution happened, if the ticket is resolved or closed now.
fn resolved_at(ticket: &Ticket) -> Option<Timestamp> {
    if ticket.status.is_active() {
        return None;
    }
    ticket.events.iter().rev().find_map(|e| match e.kind {
        EventKind::Status {
            to: Status::Resolved,
            ..
        } => Some(e.at),
        _ => None,
    })
}

/// The due time of `target` of running time, and the share of it used by `now`.
fn due(
    hours: &BusinessHours,
    spans: &[(Timestamp, Option<Timestamp>)],
    target: SignedDuration,
    now: Timestamp,
) -> (Timestamp, f64) {
    let mut remaining = target;
    let mut used = SignedDuration::ZERO;
    let mut due = None;
    for &(start, end) in spans {
        used += hours.elapsed(start, end.unwrap_or(now).min(now));
        let span = match end {
            Some(end) => hours.elapsed(start, end),
            None => SignedDuration::MAX,
        };
        if due.is_none() {
            if span >= remaining {
                due = Some(hours.add(start, remaining));
            } else {
                remaining -= span;
            }
        }
    }
    let share = if target.is_zero() {
        1.0
    } else {
        used.as_secs_f64() / target.as_secs_f64()
    };
    // Paused with time left: due as if the clock started again now.
    (due.unwrap_or_else(|| hours.add(now, remaining)), share)
}

fn clock(
    due: Timestamp,
    share: f64,
    achieved: Option<Timestamp>,
    now: Timestamp,
    warning: f64,
) -> Clock {
    let state = match achieved {
        Some(at) if at <= due => SlaState::Met,
        Some(_) => SlaState::Breached,
        None if now > due => SlaState::Breached,
        None if share >= warning => SlaState::Warning,
        None => SlaState::Ok,
    };
    Clock {
        due,
        achieved,
        state,
    }
}

/// A ticket's service levels at `now`. `warning` is the share of a target that, once used,
/// makes it a near-breach (0.8 by default).
pub fn evaluate(
    ticket: &Ticket,
    targets: Targets,
    hours: &BusinessHours,
    warning: f64,
    now: Timestamp,
) -> Sla {
    let spans = running_spans(ticket);
    let resolved = resolved_at(ticket);
    let responded = match (ticket.first_response_at, resolved) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let (fr_due, fr_share) = due(hours, &spans, targets.first_response, now);
    let (res_due, res_share) = due(hours, &spans, targets.resolution, now);
    let first_response = clock(fr_due, fr_share, responded, now, warning);
    let resolution = clock(res_due, res_share, resolved, now, warning);
    let states = [first_response.state, resolution.state];
    let state = if states.contains(&SlaState::Breached) {
        SlaState::Breached
    } else if ticket.status == Status::Pending {
        SlaState::Paused
    } else if states.contains(&SlaState::Warning) {
        SlaState::Warning
    } else if resolution.state == SlaState::Met {
        SlaState::Met
    } else {
        SlaState::Ok
    };
    Sla {
        first_response,
        resolution,
        state,
    }
}

crate::domain::stamped::stamped!(Calendar, Policy);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::id::{Id, Kind};
    use crate::domain::ticket::Action;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn hours(h: i64) -> SignedDuration {
        SignedDuration::from_hours(h)
    }

    fn calendar(zone: &str, holidays: &[&str]) -> BusinessHours {
        let cal = Calendar {
            meta: Meta::new(Id::new(Kind::Calendar, 1), "t", Timestamp::UNIX_EPOCH),
            name: "test".into(),
            time_zone: zone.into(),
            days: vec![Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri],
            opens: Time::constant(9, 0, 0, 0),
            closes: Time::constant(17, 0, 0, 0),
            holidays: holidays.iter().map(|d| d.parse().unwrap()).collect(),
        };
        BusinessHours::new(&cal).unwrap()
    }

    #[test]
    fn adding_within_one_day() {
        let cal = BusinessHours::standard();
        // Monday 2026-03-02 10:00 UTC + 4h = 14:00.
        assert_eq!(
            cal.add(ts("2026-03-02T10:00:00Z"), hours(4)),
            ts("2026-03-02T14:00:00Z")
        );
    }

    #[test]
    fn adding_across_the_weekend() {
        let cal = BusinessHours::standard();
        // Friday 15:00 + 4h: 2h on Friday, 2h on Monday.
        assert_eq!(
            cal.add(ts("2026-03-06T15:00:00Z"), hours(4)),
            ts("2026-03-09T11:00:00Z")
        );
    }

    #[test]
    fn tickets_opened_outside_business_hours_start_at_the_next_opening() {
        let cal = BusinessHours::standard();
        assert_eq!(
            cal.add(ts("2026-03-02T20:00:00Z"), hours(1)),
            ts("2026-03-03T10:00:00Z")
        );
        assert_eq!(
            cal.add(ts("2026-03-07T12:00:00Z"), hours(1)),
            ts("2026-03-09T10:00:00Z"),
            "a Saturday"
        );
        assert_eq!(
            cal.add(ts("2026-03-02T06:00:00Z"), hours(8)),
            ts("2026-03-02T17:00:00Z")
        );
    }

    #[test]
    fn holidays_are_skipped() {
        let cal = calendar("UTC", &["2026-12-25"]);
        // Thursday 24 Dec 16:00 + 2h: 1h on Thursday, Friday is a holiday, 1h on Monday 28th.
        assert_eq!(
            cal.add(ts("2026-12-24T16:00:00Z"), hours(2)),
            ts("2026-12-28T10:00:00Z")
        );
    }

    #[test]
    fn dst_spring_forward_keeps_local_business_hours() {
        // Europe/London moves to BST on Sunday 2026-03-29: 09:00 local is 09:00Z before, 08:00Z after.
        let cal = calendar("Europe/London", &[]);
        assert_eq!(
            cal.add(ts("2026-03-27T16:00:00Z"), hours(2)),
            ts("2026-03-30T09:00:00Z")
        );
        assert_eq!(
            cal.elapsed(ts("2026-03-27T00:00:00Z"), ts("2026-03-31T00:00:00Z")),
            hours(16)
        );
    }

    #[test]
    fn dst_fall_back_keeps_local_business_hours() {
        // America/New_York leaves DST on Sunday 2026-11-01: 09:00 local is 13:00Z before, 14:00Z after.
        let cal = calendar("America/New_York", &[]);
        assert_eq!(
            cal.add(ts("2026-10-30T20:00:00Z"), hours(2)),
            ts("2026-11-02T15:00:00Z")
        );
        assert_eq!(
            cal.elapsed(ts("2026-10-30T13:00:00Z"), ts("2026-11-02T22:00:00Z")),
            hours(16)
        );
    }

    #[test]
    fn elapsed_and_add_agree() {
        let cal = calendar("Asia/Shanghai", &["2026-10-01"]);
        let start = ts("2026-09-28T03:17:00Z");
        for h in [0, 1, 7, 8, 9, 30, 100] {
            let end = cal.add(start, hours(h));
            assert_eq!(cal.elapsed(start, end), hours(h), "{h}h");
        }
    }

    #[test]
    fn bad_calendars_are_refused() {
        let mut cal = Calendar {
            meta: Meta::new(Id::new(Kind::Calendar, 1), "t", Timestamp::UNIX_EPOCH),
            name: "x".into(),
            time_zone: "Mars/Olympus".into(),
            days: vec![Day::Mon],
            opens: Time::constant(9, 0, 0, 0),
            closes: Time::constant(17, 0, 0, 0),
            holidays: vec![],
        };
        assert!(matches!(
            BusinessHours::new(&cal),
            Err(CalendarError::TimeZone(_))
        ));
        cal.time_zone = "UTC".into();
        cal.days.clear();
        assert_eq!(BusinessHours::new(&cal).unwrap_err(), CalendarError::NoDays);
    }

    fn ticket(created: &str, priority: Priority) -> Ticket {
        let meta = Meta::new(Id::new(Kind::Ticket, 1), "ann", ts(created));
        Ticket::new(meta, Id::new(Kind::Account, 1), "x".into(), priority)
    }

    #[test]
    fn a_new_ticket_runs_ok_then_warns_then_breaches() {
        let cal = BusinessHours::standard();
        let t = ticket("2026-03-02T09:00:00Z", Priority::Urgent);
        let targets = default_targets(Priority::Urgent);
        let sla = evaluate(&t, targets, &cal, 0.8, ts("2026-03-02T09:30:00Z"));
        assert_eq!(sla.first_response.due, ts("2026-03-02T10:00:00Z"));
        assert_eq!(sla.resolution.due, ts("2026-03-02T13:00:00Z"));
        assert_eq!(sla.state, SlaState::Ok);
        let sla = evaluate(&t, targets, &cal, 0.8, ts("2026-03-02T09:50:00Z"));
        assert_eq!(sla.state, SlaState::Warning);
        let sla = evaluate(&t, targets, &cal, 0.8, ts("2026-03-02T10:01:00Z"));
        assert_eq!(sla.first_response.state, SlaState::Breached);
        assert_eq!(sla.state, SlaState::Breached);
    }

    #[test]
    fn the_clock_pauses_while_pending() {
        let cal = BusinessHours::standard();
        let mut t = ticket("2026-03-02T09:00:00Z", Priority::High);
        t.first_response_at = Some(ts("2026-03-02T09:10:00Z"));
        t.transition(Action::Open, "a", ts("2026-03-02T09:10:00Z"), None)
            .unwrap();
        t.transition(Action::Hold, "a", ts("2026-03-02T11:00:00Z"), None)
            .unwrap();
        let targets = default_targets(Priority::High);
        // Paused after 2h of 8h: 6h left, projected from now.
        let sla = evaluate(&t, targets, &cal, 0.8, ts("2026-03-03T09:00:00Z"));
        assert_eq!(sla.state, SlaState::Paused);
        assert_eq!(sla.resolution.due, ts("2026-03-03T15:00:00Z"));
        // Resumed the next day at 10:00: 6h left then.
        t.transition(Action::Open, "a", ts("2026-03-03T10:00:00Z"), None)
            .unwrap();
        let sla = evaluate(&t, targets, &cal, 0.8, ts("2026-03-03T10:30:00Z"));
        assert_eq!(sla.resolution.due, ts("2026-03-03T16:00:00Z"));
        assert_eq!(sla.first_response.state, SlaState::Met);
        assert_eq!(sla.state, SlaState::Ok);
    }

    #[test]
    fn resolving_in_time_is_met_and_late_is_breached() {
        let cal = BusinessHours::standard();
        let mut t = ticket("2026-03-02T09:00:00Z", Priority::Urgent);
        t.transition(Action::Open, "a", ts("2026-03-02T09:05:00Z"), None)
            .unwrap();
        t.comment("on it".into(), true, "a", ts("2026-03-02T09:05:00Z"));
        t.first_response_at = Some(ts("2026-03-02T09:05:00Z"));
        let mut late = t.clone();
        t.transition(Action::Resolve, "a", ts("2026-03-02T12:00:00Z"), None)
            .unwrap();
        let sla = evaluate(
            &t,
            default_targets(Priority::Urgent),
            &cal,
            0.8,
            ts("2026-03-09T00:00:00Z"),
        );
        assert_eq!(sla.state, SlaState::Met);
        late.transition(Action::Resolve, "a", ts("2026-03-02T14:00:00Z"), None)
            .unwrap();
        let sla = evaluate(
            &late,
            default_targets(Priority::Urgent),
            &cal,
            0.8,
            ts("2026-03-09T00:00:00Z"),
        );
        assert_eq!(sla.resolution.state, SlaState::Breached);
        assert_eq!(sla.state, SlaState::Breached);
    }
}
