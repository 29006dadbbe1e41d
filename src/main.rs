use clap::Parser;
use rapport::cli::{self, Cli};

// Records, search documents and sled's pages are many small allocations; mimalloc serves them
// at a fraction of the system allocator's cost (import, export and index builds measured in
// benches/README.md). Built without transparent huge pages (its `no_thp` feature): with them,
// pages half used counted 2 MB each and the kernel stalled compacting memory to make them (a
// search process 0.2 to 2.3 s, the TUI's first answer 2 s instead of 0.3 s).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    if let Err(e) = cli::run(cli) {
        eprintln!("rapport: {e}");
        std::process::exit(e.exit_code());
    }
}
