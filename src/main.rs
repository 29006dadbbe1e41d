use clap::Parser;
use rapport::cli::{self, Cli};

fn main() {
    let cli = Cli::parse();
    if let Err(e) = cli::run(cli) {
        eprintln!("rapport: {e}");
        std::process::exit(e.exit_code());
    }
}
