//! The command line: argument parsing (clap) and one module per command.
//!
//! Exit codes, the same for every command: 0 when all is well, 1 when the
//! policies have errors (or a check fails), 2 when the command itself could
//! not run (a usage mistake, a file that cannot be read or written).
//!
//! Every message is written in Chinese and English ([`Words`]) and printed
//! in the language of `--lang` / `YICI_LANG`, Chinese by default. (clap's own
//! `--help` text is English.)

mod check;
mod compile;
mod eval;
mod files;
mod fmt;
mod serve;
mod test;
mod workspace;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use rules_dsl::{Diagnostic, Lang, SourceSet, Words, words};

/// Yici (一次): write, check and run the rules of government services.
///
/// Policies are `.rules` files: each states who qualifies for a service, which
/// materials to bring and which departments approve in what order. The
/// departments, shared datasets and materials are declared once in
/// `policies/catalogue.rules`.
#[derive(Debug, Parser)]
#[command(name = "yici", version, about, long_about)]
pub struct Cli {
    /// When to colour messages.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,
    /// The language of messages: `zh` (Chinese, the default) or `en`.
    /// For `yici serve`, it overrides the configuration's `lang`.
    #[arg(long, global = true, env = "YICI_LANG", value_name = "zh|en", value_parser = parse_lang)]
    lang: Option<Lang>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check policies for mistakes without changing them.
    ///
    /// Give files or folders; folders are searched for `.rules` files. Every
    /// mistake is reported with its line, column and a hint, not only the first.
    /// The catalogue is found by looking for `catalogue.rules` in the folder of
    /// each path and the folders above it. Exit code: 0 when there are no
    /// errors, 1 when there are errors, 2 when a file cannot be read.
    Check(CheckArgs),
    /// Rewrite policies in the one standard layout.
    ///
    /// Comments are kept and the meaning never changes. With `--check`, nothing
    /// is written: the command lists the files that are not yet formatted and
    /// exits with 1 if there are any.
    Fmt(FmtArgs),
    /// Compile a policy to a WebAssembly artifact (`.wasm`).
    ///
    /// The policy is checked first; a policy with errors is not compiled.
    /// The artifact holds the rules and a manifest with the titles,
    /// citations, materials and steps, and is what the service runs.
    Compile(CompileArgs),
    /// Evaluate one application against a policy and print the decision.
    ///
    /// POLICY is a `.rules` file (checked and compiled first) or a compiled
    /// `.wasm` artifact. The facts file is a JSON object of the applicant's
    /// facts, by name (`{"applicant.birth_date": "1990-05-01"}` or nested
    /// `{"applicant": {"birth_date": "1990-05-01"}}`). Prints the decision as
    /// JSON (exit 0); a mistake in the facts is printed with its path (exit 1).
    Eval(EvalArgs),
    /// Run the scenarios of the policies and report every failure.
    ///
    /// A scenario is a TOML file in a policy's `scenarios/` folder: an
    /// applicant's facts and the expected decision (see docs/testing.md).
    /// Each failure is printed with the expected and actual values; the last
    /// line is `N passed, N failed`. Exit code 1 when any scenario fails.
    Test(TestArgs),
    /// Serve the HTTP API: evaluation, publishing, the decision log.
    ///
    /// On first start the store (SQLite in the data directory) is filled with
    /// the policies of `--policies` (default `policies/`). The configuration is
    /// read from `--config` or `./yici.toml` if it exists, then `YICI_*`
    /// environment variables, then these flags. Stops gracefully on Ctrl-C or
    /// SIGTERM: requests in flight finish and every decision is stored.
    Serve(ServeArgs),
    /// Print the SHA-256 of a token, as the configuration's `tokens` keep it.
    HashToken(HashTokenArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, value_name = "HOST:PORT")]
    addr: Option<std::net::SocketAddr>,
    /// The store's folder (default `./yici-data`).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The configuration file (default `./yici.toml` when it exists).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Policies published on first start (default `./policies`).
    #[arg(long, value_name = "DIR")]
    policies: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct HashTokenArgs {
    /// The token (a long random string you hand to a department or the platform).
    token: String,
}

#[derive(Debug, clap::Args)]
struct TestArgs {
    /// A folder (default `policies`), one policy's folder, or one scenario file.
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct CompileArgs {
    /// The policy file.
    #[arg(value_name = "POLICY")]
    policy: PathBuf,
    /// Where to write the artifact (default: the policy's name with `.wasm`).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The catalogue file, when it is not found next to or above the policy.
    #[arg(long, value_name = "FILE")]
    catalogue: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct EvalArgs {
    /// The policy: a `.rules` file or a compiled `.wasm` artifact.
    #[arg(value_name = "POLICY_OR_WASM")]
    policy: PathBuf,
    /// The applicant's facts, a JSON file.
    #[arg(long, value_name = "FILE")]
    facts: PathBuf,
    /// The application date, `YYYY-MM-DD` (default: today, China time). It picks
    /// the parameters in force and is the reference date of every rule.
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<String>,
    /// Datasets the platform can fetch for this applicant (comma-separated ids);
    /// materials from them are not asked of the applicant.
    #[arg(long, value_name = "DATASET,...", value_delimiter = ',')]
    shared: Vec<String>,
    /// The catalogue file, when it is not found next to or above the policy.
    #[arg(long, value_name = "FILE")]
    catalogue: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Policy files or folders to check.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Treat warnings (such as an unused fact) as errors.
    #[arg(long)]
    deny_warnings: bool,
    /// The catalogue file, when it is not found next to or above the paths.
    #[arg(long, value_name = "FILE")]
    catalogue: Option<PathBuf>,
    /// Also print the checked policies in the engine's internal form (for developers).
    #[arg(long)]
    ir: bool,
}

#[derive(Debug, clap::Args)]
struct FmtArgs {
    /// Policy files or folders to format.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Only report files that would change; write nothing.
    #[arg(long)]
    check: bool,
}

/// `--lang` and `YICI_LANG`: `zh` or `en` in any case; the error names the value.
fn parse_lang(text: &str) -> Result<Lang, String> {
    text.parse::<Lang>().map_err(|error| error.to_string())
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let output = Output {
        color,
        lang: cli.lang.unwrap_or_default(),
    };
    match cli.command {
        Command::Check(args) => check::run(&args, output),
        Command::Fmt(args) => fmt::run(&args, output),
        Command::Compile(args) => compile::run(&args, output),
        Command::Eval(args) => eval::run(&args, output),
        Command::Test(args) => test::run(&args, output),
        Command::Serve(args) => serve::run(&args, cli.lang, output),
        Command::HashToken(args) => {
            println!("{}", host::config::hash_token(&args.token));
            ExitCode::SUCCESS
        }
    }
}

/// How messages are shown: coloured or not, in which language.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub color: bool,
    pub lang: Lang,
}

impl Output {
    /// The text of `words` in this output's language.
    pub fn say(self, words: &Words) -> &str {
        words.get(self.lang)
    }

    /// Diagnostics with their source lines, in this output's language.
    pub fn render(self, sources: &SourceSet, diagnostics: &[Diagnostic]) -> String {
        sources.render(diagnostics, self.color, self.lang)
    }

    /// Prints `error: …` (`错误：…`) on stderr.
    pub fn error(self, message: &Words) {
        eprintln!(
            "{}",
            self.say(&words!(
                "错误：{message}",
                "error: {message}",
                message = message
            ))
        );
    }
}

/// Exit code 2: the command could not do its job.
fn io_failure(output: Output, message: &Words) -> ExitCode {
    output.error(message);
    ExitCode::from(2)
}
