//! The store benchmark: on an existing database, opens accounts' histories (newest 100 first),
//! saves calls durably on one account, then opens that account's long history, timing each.
//!
//! ```text
//! cargo run --release --example gen -- --accounts 100000 -o d.jsonl
//! cargo run --release -- --db /tmp/bench-db import --all d.jsonl
//! cargo bench --bench store -- --db /tmp/bench-db
//! ```
//!
//! `bash benches/run` does this at a tenth of its size. Without `--db` it only says how to run
//! it (so that building every target for the tests does not run it). It writes calls into the
//! database it is given.

use rapport::domain::{Id, Kind};
use rapport::ops::{CallLog, Ops};
use rapport::store::Store;
use std::time::{Duration, Instant};

/// How many histories to open and calls to save.
const SAMPLES: usize = 500;

// The allocator the binary uses, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args
        .iter()
        .position(|a| a == "--db")
        .and_then(|i| args.get(i + 1))
    else {
        eprintln!("usage: cargo bench --bench store -- --db PATH   (bash benches/run makes one)");
        return;
    };
    let store = rapport::store::sled::open(std::path::Path::new(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let counters = store.counters().expect("counters");
    let count = |name: &str| {
        counters
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, v)| *v)
    };
    let (accounts, interactions) = (count("A"), count("I"));
    assert!(accounts > 0, "{path} holds no accounts");
    let ops = Ops::new(&store, "bench", jiff::Timestamp::now());
    let mut rng = fastrand::Rng::with_seed(42);

    let mut history = Vec::with_capacity(SAMPLES);
    let mut shown = 0;
    for _ in 0..SAMPLES {
        let account = Id::new(Kind::Account, rng.u64(1..=accounts));
        let started = Instant::now();
        shown += ops.history(account, Some(100)).expect("history").len();
        history.push(started.elapsed());
    }
    // Calls saved on one busy account, whose history then holds hundreds of them.
    let busy = Id::new(Kind::Account, rng.u64(1..=accounts));
    let mut saves = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        ops.log(CallLog::call(busy)).expect("the call is saved");
        saves.push(started.elapsed());
    }
    let mut busy_history = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let shown = ops.history(busy, Some(100)).expect("history").len();
        busy_history.push(started.elapsed());
        assert_eq!(shown, 100);
    }
    println!("\nrapport store benchmark: {accounts} accounts, {interactions} interactions");
    println!(
        "{:<44} {:>10} {:>10} {:>10}",
        "figure", "median", "p99", "target"
    );
    row(
        &format!("history, newest 100 ({} shown on average)", shown / SAMPLES),
        &mut history,
        "<= 5 ms",
    );
    row(
        &format!("history of {busy}, newest 100 of {SAMPLES}+"),
        &mut busy_history,
        "<= 5 ms",
    );
    row("save a call (durable)", &mut saves, "<= 20 ms p99");
}

fn row(what: &str, times: &mut [Duration], target: &str) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p99 = times[(times.len() * 99).div_ceil(100) - 1];
    println!(
        "{what:<44} {:>7.2} ms {:>7.2} ms {target:>10}",
        ms(times[times.len() / 2]),
        ms(p99)
    );
}
