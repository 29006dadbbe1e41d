use clap::Parser;
use rapport::cli::{self, Cli};

// Records, search documents and sled's pages are many small allocations; mimalloc serves them
// at a fraction of the system allocator's cost (import, export and index builds measured in
// benches/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    if let Err(e) = cli::run(cli) {
        eprintln!("rapport: {e}");
        std::process::exit(e.exit_code());
    }
}
