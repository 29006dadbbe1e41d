//! `rapport sla …`

use super::output::{Column, Output, object};
use super::ticket::sla_row;
use super::{CliError, choice_arg, id_arg, json};
use crate::domain::Kind;
use crate::domain::choice::Choice;
use crate::domain::ticket::Priority;
use crate::domain::validate;
use crate::ops::{CalendarDraft, Ops};
use clap::{Args, Subcommand};
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum SlaCommand {
    /// Breached and near-breach tickets, soonest due first (for cron); --escalate escalates
    /// the breached ones (supervisors)
    #[command(
        after_help = "Examples:\n  rapport sla check\n  rapport sla check --escalate --format json"
    )]
    Check {
        /// Escalate breached new and open tickets, with an event saying why
        #[arg(long)]
        escalate: bool,
    },
    /// The targets in force for each priority and the business calendars
    #[command(after_help = "Example:\n  rapport sla show")]
    Show,
    /// Set the targets for one priority (supervisors)
    #[command(
        after_help = "Example:\n  rapport sla policy urgent --first-response 30m --resolution 4h --warning 75\n\nTargets are business time on the policy's calendar (the default calendar unless --calendar)."
    )]
    Policy {
        /// urgent, high, normal or low
        priority: String,
        /// Business time to the first response (1h, 30m, 4h30m)
        #[arg(long, value_name = "DURATION")]
        first_response: String,
        /// Business time to resolution
        #[arg(long, value_name = "DURATION")]
        resolution: String,
        /// Percent of a target used that counts as a near-breach [default: 80]
        #[arg(long, value_name = "PERCENT")]
        warning: Option<u8>,
        /// The calendar the clock runs on (CAL-N) [default: the default calendar]
        #[arg(long)]
        calendar: Option<String>,
    },
    /// Business calendars: working days, hours, time zone and holidays
    #[command(subcommand)]
    Calendar(CalendarCommand),
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Add a calendar (supervisors); the first one is the default
    #[command(
        after_help = "Example:\n  rapport sla calendar add --name london --zone Europe/London --days mon-fri --hours 09:00-17:30 --holiday 2026-12-25,2026-12-28"
    )]
    Add(CalendarArgs),
    /// Change a calendar (supervisors)
    #[command(after_help = "Example:\n  rapport sla calendar edit CAL-1 --holiday 2027-01-01")]
    Edit {
        /// The calendar (CAL-N)
        id: String,
        #[command(flatten)]
        args: CalendarArgs,
    },
}

#[derive(Debug, Args)]
pub struct CalendarArgs {
    /// Its name
    #[arg(long)]
    name: Option<String>,
    /// An IANA time zone (Europe/London, Asia/Shanghai) [default: UTC]
    #[arg(long)]
    zone: Option<String>,
    /// Working days: mon-fri, or mon,wed,fri [default: mon-fri]
    #[arg(long)]
    days: Option<String>,
    /// Opening hours, local time [default: 09:00-17:00]
    #[arg(long)]
    hours: Option<String>,
    /// Holidays (dates, comma-separated or repeated); replaces the list
    #[arg(long = "holiday", value_name = "DATE")]
    holidays: Vec<String>,
}

impl CalendarArgs {
    fn draft(&self) -> CalendarDraft {
        CalendarDraft {
            name: self.name.clone(),
            time_zone: self.zone.clone(),
            days: self.days.clone(),
            hours: self.hours.clone(),
            holidays: (!self.holidays.is_empty()).then(|| self.holidays.clone()),
        }
    }
}

const CHECK_COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("SLA", "/sla_state"),
    ("DUE", "/sla_left"),
    ("PRIORITY", "/priority"),
    ("STATUS", "/status"),
    ("SUBJECT", "/subject"),
    ("ASSIGNEE", "/assignee"),
    ("QUEUE", "/queue"),
];

const POLICY_COLUMNS: &[Column] = &[
    ("PRIORITY", "/priority"),
    ("FIRST RESPONSE", "/first_response"),
    ("RESOLUTION", "/resolution"),
    ("WARNING", "/warning_percent"),
    ("CALENDAR", "/calendar"),
    ("SOURCE", "/source"),
];

fn seconds(field: &str, text: &str) -> Result<u32, CliError> {
    validate::duration(text).map_err(|e| validate::Invalid::new(field, e.reason).into())
}

pub fn run(ops: &Ops, command: &SlaCommand) -> Result<Output, CliError> {
    Ok(match command {
        SlaCommand::Check { escalate } => {
            let book = ops.sla_book()?;
            let rows = ops
                .sla_check(*escalate)?
                .into_iter()
                .map(|(ticket, _)| sla_row(&book, ops.now, ticket))
                .collect();
            Output::List {
                rows,
                columns: CHECK_COLUMNS,
            }
        }
        SlaCommand::Show => {
            let book = ops.sla_book()?;
            let calendars = ops.calendars()?;
            let mut rows = Vec::new();
            for &priority in Priority::ALL {
                let (targets, policy) = book.targets(priority);
                let minutes =
                    |d: jiff::SignedDuration| validate::format_duration(d.as_secs() as u32);
                rows.push(object(vec![
                    ("priority", json!(priority)),
                    ("first_response", json!(minutes(targets.first_response))),
                    ("resolution", json!(minutes(targets.resolution))),
                    (
                        "warning_percent",
                        json!(
                            policy
                                .map_or(crate::ops::DEFAULT_WARNING_PERCENT, |p| p.warning_percent)
                        ),
                    ),
                    (
                        "calendar",
                        json!(
                            policy
                                .and_then(|p| p.calendar)
                                .or(calendars.first().map(|c| c.meta.id))
                                .map(|c| c.to_string())
                                .unwrap_or_else(|| "standard (mon-fri 09:00-17:00 UTC)".into())
                        ),
                    ),
                    (
                        "source",
                        json!(if policy.is_some() {
                            "policy"
                        } else {
                            "default"
                        }),
                    ),
                ]));
            }
            Output::List {
                rows,
                columns: POLICY_COLUMNS,
            }
        }
        SlaCommand::Policy {
            priority,
            first_response,
            resolution,
            warning,
            calendar,
        } => {
            let priority: Priority = choice_arg("priority", priority)?;
            let calendar = calendar
                .as_deref()
                .map(|c| id_arg(Kind::Calendar, c))
                .transpose()?;
            let policy = ops.set_policy(
                priority,
                seconds("first_response", first_response)?,
                seconds("resolution", resolution)?,
                *warning,
                calendar,
            )?;
            let row = json(policy);
            Output::One {
                detail: super::output::fields_view(&row),
                row,
            }
        }
        SlaCommand::Calendar(CalendarCommand::Add(args)) => {
            Output::Created(json(ops.add_calendar(args.draft())?))
        }
        SlaCommand::Calendar(CalendarCommand::Edit { id, args }) => {
            let row = json(ops.edit_calendar(id_arg(Kind::Calendar, id)?, args.draft())?);
            Output::One {
                detail: super::output::fields_view(&row),
                row,
            }
        }
    })
}
