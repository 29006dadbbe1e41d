//! Loading the agent's work lists on a job: every active ticket is read to pick the agent's
//! (there is no index by assignee or queue), which at scale must not hold up searches.

use crate::app::work::{WorkKind, WorkRow};
use crate::app::{Msg, RequestId};
use crate::domain::Id;
use crate::ops::{Ops, OpsError, TicketFilter};
use std::collections::HashMap;

/// Loads the list of `kind` for the acting agent; the answer to `request`.
pub fn run(ops: &Ops, request: RequestId, kind: WorkKind) -> Msg {
    match load(ops, kind) {
        Ok((rows, queues)) => Msg::Worklist {
            request,
            rows,
            queues,
        },
        Err(message) => Msg::Failed {
            request: Some(request),
            message,
        },
    }
}

fn load(ops: &Ops, kind: WorkKind) -> Result<(Vec<WorkRow>, Vec<String>), String> {
    let me = ops.user.clone();
    let (tickets, queues) = match kind {
        WorkKind::Mine => {
            let filter = TicketFilter {
                assignee: Some(me),
                active: true,
                ..TicketFilter::default()
            };
            (ops.tickets(&filter).map_err(|e| e.to_string())?, Vec::new())
        }
        WorkKind::Queues => {
            let user = ops.user(&me).map_err(|e| match e {
                OpsError::UnknownUser(_) => format!(
                    "no user '{me}': my queues come from your user record (an admin adds it: rapport user add {me} --queue billing)"
                ),
                other => other.to_string(),
            })?;
            if user.queues.is_empty() {
                return Err(format!(
                    "{me} belongs to no queue (an admin adds some: rapport user edit {me} --queues billing,technical)"
                ));
            }
            let filter = TicketFilter {
                active: true,
                ..TicketFilter::default()
            };
            let tickets = ops
                .tickets(&filter)
                .map_err(|e| e.to_string())?
                .into_iter()
                .filter(|t| {
                    t.queue
                        .as_ref()
                        .is_some_and(|q| user.queues.iter().any(|u| u.eq_ignore_ascii_case(q)))
                })
                .collect();
            (tickets, user.queues)
        }
    };
    // Service levels are shown, not enforced here: a broken SLA setup hides them only.
    let book = ops.sla_book().ok();
    let mut names: HashMap<Id, String> = HashMap::new();
    let rows = tickets
        .into_iter()
        .map(|ticket| {
            let account_name = names
                .entry(ticket.account)
                .or_insert_with(|| {
                    ops.account(ticket.account)
                        .map_or_else(|_| ticket.account.to_string(), |a| a.name)
                })
                .clone();
            WorkRow {
                sla: book.as_ref().map(|b| b.evaluate(&ticket, ops.now)),
                ticket,
                account_name,
            }
        })
        .collect();
    Ok((rows, queues))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::record::Role;
    use crate::domain::ticket::Action;
    use crate::ops::TicketDraft;
    use crate::store::memory::MemoryStore;

    fn ids(msg: Msg) -> Vec<String> {
        match msg {
            Msg::Worklist { rows, .. } => rows
                .iter()
                .map(|r| format!("{} {}", r.ticket.meta.id, r.account_name))
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mine_is_assigned_to_me_and_queues_are_my_users_queues() {
        let store = MemoryStore::empty();
        let now = "2026-03-02T10:00:00Z".parse().unwrap();
        let root = Ops::new(&store, "root", now);
        root.add_user("root", Role::Admin, vec![]).unwrap();
        root.add_user("ann", Role::Agent, vec!["Billing".into()])
            .unwrap();
        root.add_user("bo", Role::Agent, vec![]).unwrap();
        let acme = crate::ops::testing::account(&root, "Acme");
        let ticket = |subject: &str, queue: Option<&str>, assignee: Option<&str>| {
            let mut draft = TicketDraft::new(acme, subject);
            draft.queue = queue.map(str::to_string);
            draft.assignee = assignee.map(str::to_string);
            root.new_ticket(draft).unwrap().meta.id
        };
        ticket("mine, billing", Some("billing"), Some("ann")); // T-1
        ticket("bo's, billing", Some("billing"), Some("bo")); // T-2
        ticket("nobody's, billing", Some("billing"), None); // T-3
        ticket("mine, technical", Some("technical"), Some("ann")); // T-4
        let done = ticket("mine, done", Some("billing"), Some("ann")); // T-5
        root.transition(done, Action::Open, None).unwrap();
        root.transition(done, Action::Resolve, None).unwrap();

        let ann = Ops::new(&store, "ann", now);
        assert_eq!(
            ids(run(&ann, RequestId(1), WorkKind::Mine)),
            ["T-1 Acme", "T-4 Acme"]
        );
        let queues = run(&ann, RequestId(2), WorkKind::Queues);
        let Msg::Worklist { queues: named, .. } = &queues else {
            panic!()
        };
        assert_eq!(named, &["Billing"]);
        assert_eq!(ids(queues), ["T-1 Acme", "T-2 Acme", "T-3 Acme"]);

        let bo = Ops::new(&store, "bo", now);
        let Msg::Failed { message, .. } = run(&bo, RequestId(3), WorkKind::Queues) else {
            panic!()
        };
        assert!(message.starts_with("bo belongs to no queue"), "{message}");
        let zed = Ops::new(&store, "zed", now);
        let Msg::Failed { message, .. } = run(&zed, RequestId(4), WorkKind::Queues) else {
            panic!()
        };
        assert!(message.starts_with("no user 'zed'"), "{message}");
    }
}
