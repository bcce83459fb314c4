//! `ploutos`: the command-line shell over the Ploutos library crates.

mod analyze;
mod backtest;
mod cli;
mod config;
mod download;
mod indicators;
mod optimize;
mod report;
mod run;
mod samples;
mod synth;
mod venues;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, ConfigCommand, DataCommand, StateCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => analyze::run_analyze(args),
        Command::Demo(args) => analyze::run_demo(args),
        Command::Indicators(args) => indicators::run(args),
        Command::Data {
            command: DataCommand::Synth(args),
        } => synth::run(args),
        Command::Data {
            command: DataCommand::Convert { input, output },
        } => synth::convert(&input, &output),
        Command::Data {
            command: DataCommand::Inspect { file, json },
        } => synth::inspect(&file, json),
        Command::Data {
            command: DataCommand::Download(args),
        } => download::run(args),
        Command::Run(args) => run_cmd(args),
        Command::Backtest(args) => backtest::run(args),
        Command::Optimize(args) => optimize::run(args),
        Command::BenchEngine {
            strategies,
            symbols,
            bars,
            kind,
            journal,
        } => {
            if let Some(j) = &journal {
                let _ = std::fs::remove_dir_all(j);
            }
            run::bench::bench(
                strategies,
                symbols,
                bars,
                kind.as_deref(),
                journal.as_deref(),
            )
        }
        Command::State { command } => match command {
            StateCommand::Show { dir, json } => run::commands::state_show(&dir.data_dir, json),
            StateCommand::List { dir, json } => run::commands::state_list(&dir.data_dir, json),
            StateCommand::Restore { dir, file } => {
                run::commands::state_restore(&dir.data_dir, &file)
            }
        },
        Command::Panic(dir) => run::commands::command(&dir.data_dir, "panic"),
        Command::Resume(args) => run::commands::command(
            &args.dir.data_dir,
            &match args.scope {
                Some(s) => format!("resume {s}"),
                None => "resume".to_string(),
            },
        ),
        Command::Config {
            command: ConfigCommand::Check { file },
        } => run::commands::config_check(&file),
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

fn run_cmd(args: cli::RunArgs) -> anyhow::Result<()> {
    let config = config::Config::load(&args.config)?;
    let base_dir = args
        .config
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    run::run(run::RunPlan {
        config,
        base_dir,
        data_dir: args.data_dir,
        restore: args.restore,
        verbose: args.verbose,
        bars: false,
        align: None,
        max_events: args.max_events,
        live: args.live,
    })
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
