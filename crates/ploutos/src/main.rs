//! `ploutos`: the command-line shell over the Ploutos library crates.

mod analyze;
mod cli;
mod config;
mod indicators;
mod samples;
mod synth;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, DataCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => analyze::run_analyze(args),
        Command::Demo(args) => analyze::run_demo(args),
        Command::Indicators(args) => indicators::run(args),
        Command::Data {
            command: DataCommand::Synth(args),
        } => synth::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`ploutos analyze … | head`) is the reader's choice, not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", describe(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each cause shown once (library errors often quote their
/// source in their own message already).
fn describe(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if msg.contains(&text) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&text);
    }
    msg
}
