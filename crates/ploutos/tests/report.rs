//! `ploutos backtest --report`: the HTML file is self-contained (no network references outside
//! the vendored library's fixed ones), embeds the data and the library, and — where Chromium is
//! installed — renders its charts in a headless browser.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LIBRARY: &str =
    include_str!("../assets/lightweight-charts/lightweight-charts.standalone.production.js");

/// Every `http(s)://` reference of the vendored library, in order: the license URL in its
/// leading comment, the target of the attribution logo (a link the reader may click; nothing is
/// loaded from it) and the SVG namespace (an identifier, never fetched).
const LIBRARY_URLS: [&str; 3] = [
    "https://www.apache.org/licenses/LICENSE-2.0",
    "https://www.tradingview.com/?utm_medium=lwc-link&utm_campaign=lwc-chart",
    "http://www.w3.org/2000/svg",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `(position, url)` of every `http://` or `https://` (any case), the URL up to a quote, a
/// space, `)` or `$`.
fn urls(text: &str) -> Vec<(usize, String)> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find("http").map(|i| i + from) {
        let rest = &lower[i..];
        if rest.starts_with("http://") || rest.starts_with("https://") {
            let end = text[i..]
                .find(|c: char| c.is_whitespace() || "\"'`)$<>".contains(c))
                .map_or(text.len(), |e| i + e);
            out.push((i, text[i..end].to_string()));
        }
        from = i + 4;
    }
    out
}

fn write_report(dir: &Path) -> (String, serde_json::Value) {
    let html = dir.join("report.html");
    let json = dir.join("result.json");
    let out = Command::new(env!("CARGO_BIN_EXE_ploutos"))
        .current_dir(root())
        .args(["backtest", "--data", "data/samples/btcusdt_binance_1h.csv"])
        .args(["--strategy", "ema-cross", "--report"])
        .arg(&html)
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run ploutos");
    assert!(
        out.status.success(),
        "ploutos backtest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&html).expect("report written");
    let json = std::fs::read_to_string(&json).expect("json written");
    (html, serde_json::from_str(&json).expect("json result"))
}

#[test]
fn report_is_self_contained_and_renders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (html, result) = write_report(dir.path());

    // The library, embedded once and unmodified.
    assert_eq!(html.matches(LIBRARY).count(), 1, "library embedded once");
    let found: Vec<String> = urls(LIBRARY).into_iter().map(|(_, u)| u).collect();
    assert_eq!(found, LIBRARY_URLS, "the vendored library's URLs changed");
    let comment_end = LIBRARY.find("*/").expect("license comment");
    assert!(LIBRARY.starts_with("/*!") && urls(LIBRARY)[0].0 < comment_end);
    assert!(LIBRARY[..comment_end].contains("Licensed under Apache License 2.0"));

    // Outside the library: no URL at all, no external resource of any kind.
    let own = html.replacen(LIBRARY, "", 1);
    assert_eq!(urls(&own), vec![], "network references outside the library");
    let lower = own.to_ascii_lowercase();
    for needle in [
        "src=",
        "<link",
        "@import",
        "url(",
        "//cdn",
        "fetch(",
        "xmlhttprequest",
    ] {
        assert!(!lower.contains(needle), "{needle:?} in the report");
    }
    assert!(own.contains("Content-Security-Policy") && own.contains("default-src 'none'"));

    // The embedded data: one JSON document, complete, with no `<` left raw.
    let open = r#"<script type="application/json" id="report-data">"#;
    let start = own.find(open).expect("data tag") + open.len();
    let len = own[start..].find("</script>").expect("end of the data tag");
    let data = &own[start..start + len];
    assert!(!data.contains('<'), "raw < in the embedded JSON");
    let doc: serde_json::Value = serde_json::from_str(data).expect("embedded JSON parses");
    assert_eq!(
        doc["trades"].as_array().map(Vec::len),
        result["trades"].as_array().map(Vec::len)
    );
    assert!(doc["trades"].as_array().is_some_and(|t| !t.is_empty()));
    assert_eq!(doc["metrics"], result["metrics"]);
    assert_eq!(doc["config"], result["config"]);
    assert_eq!(doc["conventions"], result["conventions"]);
    assert_eq!(doc["equity"]["points"], 999);
    assert_eq!(doc["symbols"][0]["symbol"], "BTCUSDT");
    assert_eq!(
        doc["symbols"][0]["candles"].as_array().map(Vec::len),
        Some(999)
    );
    assert_eq!(doc["symbols"][0]["per_candle"], 1);

    // In a browser, where one is installed.
    let Some(chromium) = chromium() else {
        println!(
            "skipping the browser check: no Chromium (/usr/bin/chromium; set PLOUTOS_CHROMIUM)"
        );
        return;
    };
    let page = dir.path().join("report.html");
    let url = format!("file://{}", page.display());
    let dom = headless(&chromium, dir.path(), &["--dump-dom", &url]);
    let body = dom
        .find("<body")
        .map(|i| &dom[i..dom[i..].find('>').map_or(dom.len(), |e| i + e)])
        .unwrap_or("");
    assert!(
        !body.contains("data-error"),
        "the page script failed: {body}"
    );
    assert!(
        body.contains(r#"data-ready="1""#),
        "the page did not finish: {body}"
    );
    assert!(
        body.contains(r#"data-charts="3""#),
        "equity, drawdown, candles: {body}"
    );
    assert!(dom.matches("<canvas").count() >= 6, "chart canvases");
    assert!(dom.contains("<table"), "tables");

    let png = dir.path().join("report.png");
    let shot = format!("--screenshot={}", png.display());
    headless(
        &chromium,
        dir.path(),
        &[&shot, "--window-size=1400,2000", &url],
    );
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
    assert!(
        bytes.len() > 50_000,
        "screenshot of {} bytes: blank page?",
        bytes.len()
    );
}

fn chromium() -> Option<PathBuf> {
    std::env::var_os("PLOUTOS_CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from))
        .find(|p| p.is_file())
}

/// Runs headless Chromium (no network, a throw-away profile) and returns its standard output.
fn headless(chromium: &Path, dir: &Path, args: &[&str]) -> String {
    let profile = dir.join(format!("profile-{}", args.len()));
    let out_path = dir.join("chromium.out");
    let out_file = std::fs::File::create(&out_path).expect("chromium output file");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(out_file)
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            assert!(status.success(), "chromium failed: {status}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish in 180 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::read_to_string(&out_path).expect("chromium output")
}
