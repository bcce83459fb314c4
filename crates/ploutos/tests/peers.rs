//! Agreement with the peers: `ploutos backtest` of EMA 9/21 long-only gives the same trades
//! (entry and exit bars and prices) and the same final equity (1e-6 relative) as
//! backtesting.py and vectorbt, whose results `scripts/peers_agreement.py` committed in
//! data/peers/ (the tests never run the peers).

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs().max(1e-12)
}

#[test]
fn ema_cross_agrees_with_backtesting_py_and_vectorbt_on_every_file() {
    let dir = root().join("data/peers");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 10, "nine sample files and the synthetic one");
    let mut trades_checked = 0;
    for f in files {
        let peer: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let data = peer["file"].as_str().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_ploutos"))
            .args([
                "backtest",
                "--data",
                data,
                "--strategy",
                "ema-cross",
                "--fee",
                "0.001",
                "--cash",
                "10000",
                "--json",
                "-",
            ])
            .current_dir(root())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{data}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ours: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let our_trades = ours["trades"].as_array().unwrap();
        let our_final = ours["equity"].as_array().unwrap().last().unwrap()[1]
            .as_f64()
            .unwrap();
        for fw in ["backtesting.py", "vectorbt"] {
            let theirs = &peer["frameworks"][fw];
            let their_trades = theirs["trades"].as_array().unwrap();
            assert_eq!(
                our_trades.len(),
                their_trades.len(),
                "{data} vs {fw}: trade count"
            );
            for (o, t) in our_trades.iter().zip(their_trades) {
                assert_eq!(o["entry_time"], t["entry_time"], "{data} vs {fw}");
                let num = |v: &serde_json::Value| {
                    v.as_str()
                        .map_or_else(|| v.as_f64().unwrap(), |s| s.parse().unwrap())
                };
                assert!(
                    close(num(&o["entry_price"]), t["entry_price"].as_f64().unwrap()),
                    "{data} {fw} entry price {o} {t}"
                );
                assert!(
                    close(num(&o["quantity"]), t["quantity"].as_f64().unwrap()),
                    "{data} {fw} quantity {o} {t}"
                );
                if t["open"].as_bool().unwrap() {
                    assert_eq!(o["exit_reason"], "open", "{data} {fw}");
                    assert!(o["exit_time"].is_null());
                } else {
                    assert_eq!(o["exit_time"], t["exit_time"], "{data} vs {fw}");
                }
                assert!(
                    close(num(&o["exit_price"]), t["exit_price"].as_f64().unwrap()),
                    "{data} {fw} exit price"
                );
                assert!(
                    close(num(&o["pnl"]) + 1e9, t["pnl"].as_f64().unwrap() + 1e9),
                    "{data} {fw} pnl {o} {t}"
                );
                trades_checked += 1;
            }
            let final_equity = theirs["final_equity"].as_f64().unwrap();
            assert!(
                close(our_final, final_equity),
                "{data} vs {fw}: final equity {our_final} vs {final_equity}"
            );
        }
    }
    assert!(trades_checked > 3000, "{trades_checked}");
}
