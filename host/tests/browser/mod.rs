//! The browser harness of the web surfaces' tests (`/guide/` and
//! `/console/`): a `yici` service in-process on an ephemeral port with a
//! temporary store and the repository's policies; Debian's Chromium,
//! headless, driven through `/usr/bin/chromedriver` by fantoccini, at a
//! phone's or a desk's viewport; a screenshot helper (into
//! `target/browser-screenshots/`) and
//! an axe-core scan (from `tests/browser-tools/node_modules`, installed by
//! `scripts/test.sh`). Nothing is downloaded, and nothing is skipped: a
//! missing browser, driver or axe-core fails the test, saying how to install it.

#![allow(
    dead_code,
    reason = "each test file uses the part of the harness it needs"
)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use host::config::{Config, TokenConfig, hash_token};
use host::http::Server;
use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const PLATFORM_TOKEN: &str = "browser-platform-token";
const INSTALL: &str = "install Debian's packages with `apt-get install -y chromium chromium-driver \
                       fonts-wqy-microhei` and the test tools with `npm ci` in tests/browser-tools \
                       (scripts/test.sh does both)";

pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where screenshots go: `target/browser-screenshots/` of the repository.
pub fn screenshot_dir() -> PathBuf {
    repository().join("target/browser-screenshots")
}

/// A service serving the repository's policies from a temporary store.
pub struct Site {
    pub server: Server,
    pub base: String,
    _store: tempfile::TempDir,
}

impl Site {
    /// Starts `yici serve` in-process on 127.0.0.1 with an ephemeral port;
    /// `adjust` may change the configuration first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Site {
        let store = tempfile::tempdir().expect("a temporary folder for the store");
        let mut config = Config {
            addr: "127.0.0.1:0".parse().expect("an address"),
            data_dir: store.path().to_path_buf(),
            policies_dir: repository().join("policies"),
            tokens: vec![TokenConfig {
                name: "platform".into(),
                sha256: hash_token(PLATFORM_TOKEN),
                department: None,
                platform: true,
                catalogue: false,
                reviewer: false,
            }],
            ..Config::default()
        };
        adjust(&mut config);
        let server = Server::start(config).await.expect("the service starts");
        let base = format!("http://{}", server.addr);
        Site {
            server,
            base,
            _store: store,
        }
    }

    pub async fn start() -> Site {
        Site::start_with(|_| {}).await
    }

    /// A browser at `viewport`, ready for `self.base`.
    pub async fn open(&self, test: &str, viewport: Viewport) -> Page {
        Page::open(&self.base, test, viewport).await
    }

    pub async fn stop(self, page: Page) {
        page.close().await;
        self.server.shutdown().await;
    }
}

/// A phone's screen in CSS pixels.
#[derive(Debug, Clone, Copy)]
pub struct Viewport {
    pub width: u32,
    pub height: u32,
}

impl Viewport {
    /// 360×640, the small phone a reviewer approves from.
    pub const PHONE: Viewport = Viewport {
        width: 360,
        height: 640,
    };
    /// An officer's desk.
    pub const DESK: Viewport = Viewport {
        width: 1280,
        height: 900,
    };

    fn mobile(self) -> bool {
        self.width < 600
    }
}

/// Chromium with its driver and profile; closed and removed on `close`
/// (and the driver killed on drop, whatever happens).
pub struct Page {
    pub client: Client,
    pub base: String,
    test: String,
    driver: Driver,
    _profile: tempfile::TempDir,
    shots: usize,
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port for chromedriver")
}

impl Page {
    async fn open(base: &str, test: &str, viewport: Viewport) -> Page {
        for (path, what) in [(CHROMIUM, "Chromium"), (CHROMEDRIVER, "chromedriver")] {
            assert!(
                Path::new(path).exists(),
                "{what} is missing at {path}: {INSTALL}"
            );
        }
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("chromedriver does not start: {e}; {INSTALL}"));
        let driver = Driver(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen on port {port} within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("a temporary browser profile");
        let mut capabilities = Capabilities::new();
        let mut options = json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                    "--disable-dev-shm-usage",
                    "--lang=zh-CN",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--window-size={},{}", viewport.width, viewport.height),
                ],
        });
        if viewport.mobile() {
            options["mobileEmulation"] = json!({
                "deviceMetrics": {"width": viewport.width, "height": viewport.height, "pixelRatio": 1.0, "touch": true, "mobile": true}
            });
        }
        capabilities.insert("goog:chromeOptions".into(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("no Chromium session through chromedriver: {e}; {INSTALL}"));
        Page {
            client,
            base: base.to_string(),
            test: test.to_string(),
            driver,
            _profile: profile,
            shots: 0,
        }
    }

    /// Opens `path` (from the service's root, e.g. `/guide/#/`).
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
    }

    /// Waits (at most 10 s) for an element matching `css`.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}` on the page within 10 s: {e}"))
    }

    /// Waits until `script` (a JavaScript expression) is true.
    pub async fn wait_until(&self, what: &str, script: &str) {
        let started = Instant::now();
        loop {
            let value = self
                .client
                .execute(&format!("return !!({script});"), vec![])
                .await
                .unwrap_or(Value::Bool(false));
            if value == Value::Bool(true) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{what}: not true within 10 s: {script}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The text of the first element matching `css` (found again when the
    /// page re-renders it meanwhile).
    pub async fn text(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            match self.wait_for(css).await.text().await {
                Ok(text) => return text,
                Err(e) if started.elapsed() > Duration::from_secs(10) => {
                    panic!("no text in `{css}`: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    pub async fn click(&self, css: &str) {
        self.wait_for(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click `{css}`: {e}"));
    }

    /// Sets a form field's value as a person's typing would end (date
    /// fields take their value in `YYYY-MM-DD` whatever the locale shows).
    pub async fn fill(&self, css: &str, value: &str) {
        self.wait_for(css).await;
        self.client
            .execute(
                "const el = document.querySelector(arguments[0]); el.focus(); el.value = arguments[1]; \
                 el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![json!(css), json!(value)],
            )
            .await
            .unwrap_or_else(|e| panic!("cannot fill `{css}`: {e}"));
    }

    /// Sends keystrokes to the focused element (`fantoccini::key::Key`
    /// characters for Enter, Tab, arrows and modifiers).
    pub async fn keys(&self, text: &str) {
        // The page may re-render between finding the focused element and
        // typing into it (a stale element): find it again, a few times.
        let mut last = String::new();
        for _ in 0..20 {
            let sent = match self.client.active_element().await {
                Ok(element) => element.send_keys(text).await,
                Err(e) => Err(e),
            };
            match sent {
                Ok(()) => return,
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("cannot type {text:?}: {last}");
    }

    /// Presses Tab (at most 80 times) until the focused element matches `css`.
    pub async fn tab_to(&self, css: &str) {
        let tab = char::from(fantoccini::key::Key::Tab).to_string();
        for _ in 0..80 {
            let there = self
                .client
                .execute(
                    "return !!document.activeElement && document.activeElement.matches(arguments[0]);",
                    vec![json!(css)],
                )
                .await
                .unwrap_or(Value::Bool(false));
            if there == Value::Bool(true) {
                return;
            }
            self.keys(&tab).await;
        }
        panic!("Tab never reaches `{css}`: it cannot be used with the keyboard");
    }

    pub async fn run(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("the script failed: {e}\n{script}"))
    }

    /// Saves what the viewport shows as `target/browser-screenshots/TEST-NN-NAME.png`.
    pub async fn screenshot(&mut self, name: &str) -> PathBuf {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("no screenshot: {e}"));
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("the screenshot folder");
        self.shots += 1;
        let path = dir.join(format!("{}-{:02}-{name}.png", self.test, self.shots));
        std::fs::write(&path, png).expect("the screenshot is written");
        path
    }

    /// Runs axe-core on the page; returns the serious and critical violations
    /// as `rule: help (targets)` lines.
    pub async fn axe(&self) -> Vec<String> {
        let axe_path = repository().join("tests/browser-tools/node_modules/axe-core/axe.min.js");
        let axe = std::fs::read_to_string(&axe_path).unwrap_or_else(|e| {
            panic!(
                "axe-core is missing at {}: {e}; {INSTALL}",
                axe_path.display()
            )
        });
        self.client
            .execute(&axe, vec![])
            .await
            .unwrap_or_else(|e| panic!("axe-core does not load: {e}"));
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']}).then(
                   (r) => done(r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                     targets: v.nodes.map((n) => n.target.join(' '))}))),
                   (e) => done([{id: 'axe-failed', impact: 'critical', help: String(e), targets: []}]));",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("axe-core did not run: {e}"));
        result
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| format!("{}: {} ({})", v["id"], v["help"], v["targets"]))
            .collect()
    }

    /// Fails with every serious or critical violation of the page.
    pub async fn assert_accessible(&self, where_: &str) {
        let violations = self.axe().await;
        assert!(
            violations.is_empty(),
            "axe-core finds serious violations on {where_}:\n{}",
            violations.join("\n")
        );
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
        drop(self.driver);
    }
}
