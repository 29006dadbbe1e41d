//! `rapport report …`

use super::output::{Column, Output};
use super::{CliError, time_arg};
use crate::ops::Ops;
use crate::report::Scope;
use clap::{Args, Subcommand};
use serde::Serialize;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Tickets created, by status, priority and queue
    #[command(after_help = "Example:\n  rapport report tickets --since 2026-03-01 --queue billing")]
    Tickets(ScopeArgs),
    /// SLA attainment by priority: share met, median and 90th percentile first response and
    /// resolution, in business minutes
    #[command(
        after_help = "Example:\n  rapport report sla --since 2026-03-01 --until 2026-04-01 --format csv"
    )]
    Sla(ScopeArgs),
    /// Per agent: calls, talk time, average handle time, tickets resolved, CSAT average
    #[command(after_help = "Example:\n  rapport report agents --since 2026-03-01 --agent bo")]
    Agents(ScopeArgs),
    /// How many tickets got each satisfaction score
    #[command(after_help = "Example:\n  rapport report csat --since 2026-03-01")]
    Csat(ScopeArgs),
}

#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// From this date or time
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Before this date or time
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Only this queue
    #[arg(long)]
    queue: Option<String>,
    /// Only this agent
    #[arg(long)]
    agent: Option<String>,
}

impl ScopeArgs {
    fn scope(&self) -> Result<Scope, CliError> {
        Ok(Scope {
            since: self
                .since
                .as_deref()
                .map(|s| time_arg("since", s))
                .transpose()?,
            until: self
                .until
                .as_deref()
                .map(|s| time_arg("until", s))
                .transpose()?,
            queue: self.queue.clone(),
            agent: self.agent.clone(),
        })
    }
}

const TICKETS: &[Column] = &[("BY", "/by"), ("VALUE", "/value"), ("TICKETS", "/tickets")];
const SLA: &[Column] = &[
    ("PRIORITY", "/priority"),
    ("TICKETS", "/tickets"),
    ("DECIDED", "/decided"),
    ("MET", "/met"),
    ("MET %", "/met_share"),
    ("FIRST RESP. MEDIAN", "/first_response_median_minutes"),
    ("FIRST RESP. P90", "/first_response_p90_minutes"),
    ("RESOLUTION MEDIAN", "/resolution_median_minutes"),
    ("RESOLUTION P90", "/resolution_p90_minutes"),
];
const AGENTS: &[Column] = &[
    ("AGENT", "/agent"),
    ("CALLS", "/calls"),
    ("TALK S", "/talk_seconds"),
    ("AHT S", "/average_handle_seconds"),
    ("RESOLVED", "/tickets_resolved"),
    ("CSAT", "/csat_average"),
    ("CSAT N", "/csat_responses"),
];
const CSAT: &[Column] = &[
    ("SCORE", "/score"),
    ("RESPONSES", "/responses"),
    ("SHARE", "/share"),
];

fn rows<T: Serialize>(items: Vec<T>) -> Vec<serde_json::Value> {
    items
        .into_iter()
        .map(|item| round(serde_json::to_value(item).expect("report rows serialise")))
        .collect()
}

/// Two decimals are plenty for shares, minutes and averages.
fn round(mut value: serde_json::Value) -> serde_json::Value {
    if let Some(obj) = value.as_object_mut() {
        for v in obj.values_mut() {
            if let Some(f) = v.as_f64().filter(|_| v.is_f64()) {
                *v = serde_json::json!((f * 100.0).round() / 100.0);
            }
        }
    }
    value
}

pub fn run(ops: &Ops, command: &ReportCommand) -> Result<Output, CliError> {
    let data = ops.report_data()?;
    Ok(match command {
        ReportCommand::Tickets(a) => Output::List {
            rows: rows(data.tickets(&a.scope()?)),
            columns: TICKETS,
        },
        ReportCommand::Sla(a) => Output::List {
            rows: rows(data.sla(&a.scope()?)),
            columns: SLA,
        },
        ReportCommand::Agents(a) => Output::List {
            rows: rows(data.agents(&a.scope()?)),
            columns: AGENTS,
        },
        ReportCommand::Csat(a) => Output::List {
            rows: rows(data.csat(&a.scope()?)),
            columns: CSAT,
        },
    })
}
