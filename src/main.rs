//! The `stateful` binary: argv -> Config -> run.

use std::process::ExitCode;

use stateful::config::{parse_args, Command, USAGE};

fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Command::Run(config)) => match stateful::run(config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("stateful: {e}");
                ExitCode::from(stateful::exit_status(&e))
            }
        },
        Err(e) => {
            eprintln!("stateful: {e}\ntry `stateful --help`");
            ExitCode::from(2)
        }
    }
}
