//! `yici serve`: configuration, logging, then the service until a signal.

use std::process::ExitCode;

use host::config::{Config, LogFormat, Overrides};
use tracing_subscriber::EnvFilter;

use super::ServeArgs;

pub fn run(args: &ServeArgs) -> ExitCode {
    let overrides = Overrides {
        config: args.config.clone(),
        addr: args.addr,
        data_dir: args.data_dir.clone(),
        policies_dir: args.policies.clone(),
    };
    let config = match Config::load(&overrides) {
        Ok(config) => config,
        Err(problems) => {
            eprintln!("error: the configuration is not valid:");
            for problem in problems {
                eprintln!("  - {problem}");
            }
            return ExitCode::from(2);
        }
    };
    let filter = EnvFilter::try_from_env("YICI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let subscriber = tracing_subscriber::fmt().with_env_filter(filter);
    let installed = match config.log_format {
        LogFormat::Json => subscriber.json().try_init(),
        LogFormat::Text => subscriber.try_init(),
    };
    if let Err(error) = installed {
        eprintln!("error: cannot start logging: {error}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(host::http::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "cannot start");
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}
