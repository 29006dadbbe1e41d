//! The in-process search benchmark: builds the index from a dump (accounts and contacts), then
//! types queries one key at a time and times every keystroke's result list.
//!
//! ```text
//! cargo run --release --example gen -- --accounts 1000000 --interactions-per-account 1 -o big.jsonl
//! cargo bench --bench search -- --dump big.jsonl
//! ```
//!
//! `bash benches/run` does both. `--index FILE` keeps the index in FILE and reads it from there
//! on the next run, without the dump. Without either it only says how to run it (so that
//! building every target for the tests does not run it).

use rapport::domain::Record;
use rapport::interchange::dump::{Line, Reader};
use rapport::search::index::IndexBuilder;
use rapport::search::keys::document;
use rapport::search::snapshot;
use std::io::BufReader;
use std::time::{Duration, Instant};

/// How many results a keystroke asks for (a tall terminal's list).
const LIMIT: usize = 50;

/// What agents type, ten keys each: a company name, a person, pinyin, pinyin initials and
/// more, a transliterated Russian name, phone digits, an email.
const QUERIES: &[&str] = &[
    "globex ene",
    "umbrella m",
    "maria lope",
    "zhangwei y",
    "huaweikeji",
    "ivanov ser",
    "smirnov ol",
    "4155550123",
    "2079460123",
    "info@a-123",
];

// The allocator the binary uses, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `--index FILE`: the index kept in FILE between runs (written there from the dump the
    // first time, read from it after), to time the queries again without reading the dump.
    let kept = args
        .iter()
        .position(|a| a == "--index")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from);
    let file = kept.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("rapport-search-bench-{}.idx", std::process::id()))
    });
    let dump = args
        .iter()
        .position(|a| a == "--dump")
        .and_then(|i| args.get(i + 1));
    let mut built = None;
    if !kept.as_ref().is_some_and(|f| f.exists()) {
        let Some(path) = dump else {
            eprintln!(
                "usage: cargo bench --bench search -- --dump FILE [--index FILE] [--verbose]   (bash benches/run makes the dump)"
            );
            return;
        };
        let started = Instant::now();
        let builder = read(path);
        let read_time = started.elapsed();
        let started = Instant::now();
        let index = builder.finish();
        let build = started.elapsed();
        let started = Instant::now();
        let stamp = rapport::store::Generation { epoch: 0, seq: 1 };
        snapshot::write(&file, &index, stamp).expect("the snapshot is written");
        built = Some(Built {
            read_time,
            build,
            saved: started.elapsed(),
            peak: peak_mb(),
        });
        // The rest runs on the index as a search loads it, the built one gone.
    }
    let file_mb = std::fs::metadata(&file).map_or(0, |m| m.len() >> 20);
    let started = Instant::now();
    let (index, _) = snapshot::read(&file).expect("the snapshot reads back");
    let loaded = started.elapsed();
    if kept.is_none() {
        let _ = std::fs::remove_file(&file);
    }
    let verbose = args.iter().any(|a| a == "--verbose");
    if let Some(only) = args
        .iter()
        .position(|a| a == "--profile")
        .and_then(|i| args.get(i + 1))
    {
        // Only the fast path, the query typed one key at a time over and over, for a profiler.
        let chars: Vec<char> = only.chars().collect();
        for _ in 0..50 {
            for n in 1..=chars.len() {
                index.query(&chars[..n].iter().collect::<String>(), LIMIT);
            }
        }
        return;
    }
    let mut first = Vec::new();
    let mut rest = Vec::new();
    let mut differ = 0;
    for query in QUERIES {
        let chars: Vec<char> = query.chars().collect();
        for n in 1..=chars.len() {
            let typed: String = chars[..n].iter().collect();
            let started = Instant::now();
            let hits = index.query(&typed, LIMIT);
            let took = started.elapsed();
            if n == 1 { &mut first } else { &mut rest }.push(took);
            if verbose {
                eprintln!(
                    "{typed:>12} {:>8.2} ms  {} hits, best tier {:?}",
                    took.as_secs_f64() * 1e3,
                    hits.len(),
                    hits.first().map(|h| h.tier)
                );
            }
            if n % 3 == 0 && hits != index.query_plain(&typed, LIMIT) {
                differ += 1;
            }
        }
    }
    let plain = {
        let started = Instant::now();
        index.query_plain(QUERIES[0], LIMIT);
        started.elapsed()
    };
    rest.sort();
    first.sort();
    let p99 = rest[(rest.len() * 99).div_ceil(100) - 1];
    let worst_first = *first.last().expect("queries");
    println!(
        "\nrapport search benchmark: {} accounts, {} documents, {} keys",
        index.accounts(),
        index.len(),
        index.keys()
    );
    println!("{:<44} {:>12} {:>12}", "figure", "measured", "target");
    if let Some(built) = &built {
        row("read the dump", built.read_time, "");
        row("build the index", built.build, "");
        row(&format!("write its file ({file_mb} MB)"), built.saved, "");
    }
    row("load the index from its file", loaded, "");
    row(
        "first key (slowest of the queries)",
        worst_first,
        "<= 50 ms",
    );
    row("keys 2-10, p99", p99, "<= 16 ms");
    row("keys 2-10, median", rest[rest.len() / 2], "");
    row("one query the plain way (reference)", plain, "");
    if let Some(built) = &built {
        println!(
            "{:<44} {:>12}",
            "peak memory while building (whole process)",
            format!("{} MB", built.peak)
        );
    }
    println!(
        "{:<44} {:>12}",
        "resident after loading and querying",
        format!("{} MB", resident_mb())
    );
    for (part, bytes) in index.footprint() {
        println!(
            "{:<44} {:>12}",
            format!("  index {part}"),
            format!("{} MB", bytes >> 20)
        );
    }
    println!(
        "{:<44} {:>12}",
        "fast results unlike the plain path's",
        format!("{differ} of {}", QUERIES.len() * 3)
    );
    if differ > 0 {
        std::process::exit(1);
    }
}

/// What building the index from the dump took.
struct Built {
    read_time: Duration,
    build: Duration,
    saved: Duration,
    peak: u64,
}

fn row(what: &str, took: Duration, target: &str) {
    println!(
        "{what:<44} {:>9.2} ms {target:>12}",
        took.as_secs_f64() * 1000.0
    );
}

/// Accounts' and contacts' search documents from a dump, added to an index builder one at a
/// time as a store's are.
fn read(path: &str) -> IndexBuilder {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let reader = Reader::new(BufReader::with_capacity(1 << 20, file), path)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut builder = IndexBuilder::default();
    for line in reader {
        if let Line::Record(record @ (Record::Account(_) | Record::Contact(_))) =
            line.unwrap_or_else(|e| panic!("{e}"))
            && let Some(doc) = document(&record)
        {
            builder.add(record.id(), &doc);
        }
    }
    builder
}

/// The process's peak resident memory, from /proc (0 where there is none).
fn peak_mb() -> u64 {
    status_mb("VmHWM:")
}

/// The process's resident memory now.
fn resident_mb() -> u64 {
    status_mb("VmRSS:")
}

fn status_mb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
