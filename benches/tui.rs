//! The TUI benchmark: starts the release binary in a pseudo-terminal on an existing database,
//! reads its screen through a terminal emulator, and times the first full frame and the answer
//! to a query typed as soon as that frame shows (the store opened and the search index loaded
//! meanwhile); then opens the first account found, as an agent would, and two seconds later
//! reads the process's peak resident memory, the store and the index both in use, and quits
//! it.
//!
//! ```text
//! cargo bench --bench tui -- --db PATH --query umbrella [--runs 3]
//! ```
//!
//! `bash benches/run` runs it on the database its import made. Without `--db` it only says how
//! to run it (so that building every target for the tests does not run it). The database is
//! only read, but the first run writes the search index file beside it when there is none.

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long any one step may take before the run is given up.
const DEADLINE: Duration = Duration::from_secs(300);

struct Run {
    frame: Duration,
    answer: Duration,
    opened: Duration,
    peak_mb: f64,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let Some(db) = arg("--db") else {
        eprintln!(
            "usage: cargo bench --bench tui -- --db PATH [--query TEXT] [--runs N]   (bash benches/run makes one)"
        );
        return;
    };
    let query = arg("--query").unwrap_or_else(|| "umbrella".into());
    let runs: usize = arg("--runs").map_or(3, |n| n.parse().expect("--runs N"));
    let results: Vec<Run> = (0..runs).map(|_| run(&db, &query)).collect();
    let worst = |f: fn(&Run) -> Duration| results.iter().map(f).max().expect("a run");
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let peak = results.iter().map(|r| r.peak_mb).fold(0.0, f64::max);
    println!(
        "\nTUI on {db}, {runs} starts, the slowest of each figure ({query:?} typed at the first frame)\n"
    );
    println!("{:<44} {:>12} {:>12}", "figure", "measured", "target");
    println!(
        "{:<44} {:>10.0}ms {:>12}",
        "first full frame",
        ms(worst(|r| r.frame)),
        "<= 200 ms"
    );
    println!(
        "{:<44} {:>10.0}ms {:>12}",
        "typed query answered",
        ms(worst(|r| r.answer)),
        "<= 1,000 ms"
    );
    println!(
        "{:<44} {:>10.0}ms {:>12}",
        "first account found, opened",
        ms(worst(|r| r.opened)),
        ""
    );
    println!("{:<44} {:>10.0}MB {:>12}", "peak memory", peak, "<= 400 MB");
}

/// One start: the times from spawning the process, and its peak memory.
fn run(db: &str, query: &str) -> Run {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_rapport"));
    cmd.args(["--db", db, "--as", "bench"]);
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("NO_COLOR");
    let started = Instant::now();
    let mut child = pair.slave.spawn_command(cmd).expect("rapport starts");
    drop(pair.slave);
    let pid = child.process_id().expect("a process id");
    let parser = Arc::new(Mutex::new(vt100::Parser::new(nz(40), nz(120), 0)));
    let mut reader = pair
        .master
        .try_clone_reader()
        .expect("the terminal's output");
    let sink = parser.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().expect("the screen").process(&buf[..n]);
        }
    });
    let mut writer = pair.master.take_writer().expect("the terminal's input");
    let screen = || parser.lock().expect("the screen").screen().contents();
    let wait = |what: &str, ok: &dyn Fn(&str) -> bool| -> Duration {
        loop {
            let text = screen();
            if ok(&text) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < DEADLINE,
                "waited {DEADLINE:?} for {what}; the screen:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    };
    // The status bar names the acting agent in every frame.
    let frame = wait("the first frame", &|s| s.contains("bench"));
    writer.write_all(query.as_bytes()).expect("typing");
    writer.flush().expect("typing");
    // Answered: the list is titled for the query and a row holds it besides the query line.
    let folded = query.to_lowercase();
    let answer = wait("the answer", &|s| {
        let s = s.to_lowercase();
        s.contains(&format!("> {folded}"))
            && !s.contains("recently contacted")
            && !s.contains("searching…")
            && s.matches(&folded).count() >= 2
    });
    writer.write_all(b"\r").expect("enter");
    writer.flush().expect("enter");
    let opened = wait("the account", &|s| s.contains("History ("));
    // What the session holds once the store and the index are both in use, not only at the
    // answer.
    std::thread::sleep(Duration::from_secs(2));
    let peak_mb = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0);
    writer.write_all(b"\x03").expect("ctrl-c");
    writer.flush().expect("ctrl-c");
    let status = child.wait().expect("rapport exits");
    assert!(status.success(), "rapport exited with {status:?}");
    Run {
        frame,
        answer,
        opened,
        peak_mb,
    }
}

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).expect("a terminal has a size")
}
