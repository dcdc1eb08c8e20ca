//! `yici serve`: configuration, logging, then the service until a signal.

use std::process::ExitCode;

use host::config::{Config, LogFormat, Overrides};
use rules_dsl::{Lang, Words, words};
use tracing_subscriber::EnvFilter;

use super::{Output, ServeArgs};

/// `lang` is `--lang` (or `YICI_LANG`) when given; the configuration's
/// `lang` otherwise. Messages before the configuration is read use `output`.
pub fn run(args: &ServeArgs, lang: Option<Lang>, output: Output) -> ExitCode {
    let overrides = Overrides {
        config: args.config.clone(),
        addr: args.addr,
        data_dir: args.data_dir.clone(),
        policies_dir: args.policies.clone(),
        lang,
    };
    let config = match Config::load(&overrides) {
        Ok(config) => config,
        Err(problems) => {
            // Each problem names its key (in English, as the keys are).
            output.error(&words!("配置无效：", "the configuration is not valid:"));
            for problem in problems {
                eprintln!("  - {problem}");
            }
            return ExitCode::from(2);
        }
    };
    let output = Output {
        lang: config.lang,
        ..output
    };
    let filter = EnvFilter::try_from_env("YICI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let subscriber = tracing_subscriber::fmt().with_env_filter(filter);
    let installed = match config.log_format {
        LogFormat::Json => subscriber.json().try_init(),
        LogFormat::Text => subscriber.try_init(),
    };
    if let Err(error) = installed {
        output.error(&words!(
            "无法启动日志：{error}",
            "cannot start logging: {error}"
        ));
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            output.error(&words!(
                "无法启动异步运行时：{error}",
                "cannot start the async runtime: {error}"
            ));
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(host::http::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "cannot start");
            // The service's start-up errors (store, seed, address) are English.
            output.error(&Words::same(error.to_string()));
            ExitCode::from(2)
        }
    }
}
