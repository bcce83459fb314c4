//! Every value of every indicator, streaming and batch, against TA-Lib.
//!
//! Fixtures in `tests/fixtures/<stem>.ref.csv[.gz]` come from `scripts/talib_reference.py`
//! (the PyPI `ta-lib` wheel; the version is in each fixture's first line). For every bar
//! file in `data/samples` we check, for each output column:
//!
//! * the first valid index: our streaming output is `None` and our batch output is NaN
//!   exactly where the fixture cell is empty;
//! * the value: `|ours - ref| <= 1e-9 * |ref|`, with no absolute floor — and in fact
//!   bit-identical: the test fails if any value differs in any bit, since every one of the
//!   ~1.4 million values matches exactly (so no floor for values near 0 is needed);
//! * streaming and batch agree bit for bit.
//!
//! Run with `--nocapture` to see the per-indicator maximum relative error.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use ploutos_core::Timestamp;
use ploutos_ta::{batch, *};

const REL_TOL: f64 = 1e-9;

struct Bars {
    time: Vec<Timestamp>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn load_bars(stem: &str) -> Bars {
    let p = root()
        .join("../../data/samples")
        .join(format!("{stem}.csv"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header,
        ["timestamp", "open", "high", "low", "close", "volume"],
        "{stem}"
    );
    let mut b = Bars {
        time: vec![],
        high: vec![],
        low: vec![],
        close: vec![],
        volume: vec![],
    };
    for line in lines.filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        b.time.push(Timestamp::parse(f[0]).unwrap());
        b.high.push(f[2].parse().unwrap());
        b.low.push(f[3].parse().unwrap());
        b.close.push(f[4].parse().unwrap());
        b.volume.push(f[5].parse().unwrap());
    }
    b
}

/// Column name -> cells (None = empty).
fn load_ref(stem: &str) -> (String, BTreeMap<String, Vec<Option<f64>>>) {
    let dir = root().join("tests/fixtures");
    let plain = dir.join(format!("{stem}.ref.csv"));
    let gz = dir.join(format!("{stem}.ref.csv.gz"));
    let mut text = String::new();
    if plain.exists() {
        File::open(&plain)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
    } else {
        flate2::read::GzDecoder::new(File::open(&gz).unwrap_or_else(|e| {
            panic!("no fixture for {stem} ({e}); run scripts/talib_reference.py")
        }))
        .read_to_string(&mut text)
        .unwrap();
    }
    let mut lines = text.lines();
    let comment = lines.next().unwrap().to_string();
    assert!(comment.starts_with('#'));
    let names: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let mut cols: BTreeMap<String, Vec<Option<f64>>> =
        names.iter().skip(1).map(|n| (n.clone(), vec![])).collect();
    for line in lines {
        for (name, cell) in names.iter().zip(line.split(',')).skip(1) {
            let v = if cell.is_empty() {
                None
            } else {
                Some(cell.parse::<f64>().unwrap())
            };
            cols.get_mut(name).unwrap().push(v);
        }
    }
    (comment, cols)
}

#[derive(Default, Clone, Copy)]
struct Stat {
    values: usize,
    not_identical: usize,
    max_rel: f64,
}

/// Compares one column; returns the stats or panics with the first mismatch.
fn check(
    stem: &str,
    name: &str,
    reference: &[Option<f64>],
    stream: &[Option<f64>],
    batch: &[f64],
) -> Stat {
    assert_eq!(reference.len(), stream.len(), "{stem}/{name}: length");
    assert_eq!(reference.len(), batch.len(), "{stem}/{name}: batch length");
    let mut st = Stat::default();
    for (i, ((r, s), b)) in reference.iter().zip(stream).zip(batch).enumerate() {
        match (r, s) {
            (None, None) => assert!(
                b.is_nan(),
                "{stem}/{name}[{i}]: batch {b} where TA-Lib has none"
            ),
            (None, Some(v)) => panic!("{stem}/{name}[{i}]: streaming {v} where TA-Lib has none"),
            (Some(r), None) => panic!("{stem}/{name}[{i}]: streaming None where TA-Lib has {r}"),
            (Some(r), Some(v)) => {
                assert_eq!(
                    v.to_bits(),
                    b.to_bits(),
                    "{stem}/{name}[{i}]: streaming {v} != batch {b}"
                );
                st.values += 1;
                if v.to_bits() != r.to_bits() {
                    st.not_identical += 1;
                    let err = (v - r).abs();
                    let rel = if *r == 0.0 { err } else { err / r.abs() };
                    st.max_rel = st.max_rel.max(rel);
                    assert!(
                        err <= REL_TOL * r.abs(),
                        "{stem}/{name}[{i}]: ours {v:?} vs TA-Lib {r:?} (rel {rel:e})"
                    );
                }
            }
        }
    }
    st
}

/// (name, streaming outputs, batch outputs)
type Column = (&'static str, Vec<Option<f64>>, Vec<f64>);

fn stream1<I: Indicator>(
    ind: &mut I,
    inputs: impl Iterator<Item = I::Input>,
    f: impl Fn(I::Output) -> f64,
) -> Vec<Option<f64>> {
    inputs.map(|x| ind.update(x).map(&f)).collect()
}

fn run_file(stem: &str, stats: &mut BTreeMap<String, Stat>) {
    let bars = load_bars(stem);
    let (_comment, refs) = load_ref(stem);
    let n = bars.close.len();
    let c = &bars.close;
    let (h, l, v) = (&bars.high, &bars.low, &bars.volume);
    let closes = || c.iter().copied();
    let hlc = || (0..n).map(|i| (h[i], l[i], c[i]));

    let mut cols: Vec<Column> = Vec::with_capacity(32);
    cols.push((
        "sma20",
        stream1(&mut Sma::new(20).unwrap(), closes(), |x| x),
        batch::sma(c, 20).unwrap(),
    ));
    cols.push((
        "ema9",
        stream1(&mut Ema::new(9).unwrap(), closes(), |x| x),
        batch::ema(c, 9).unwrap(),
    ));
    cols.push((
        "ema21",
        stream1(&mut Ema::new(21).unwrap(), closes(), |x| x),
        batch::ema(c, 21).unwrap(),
    ));
    cols.push((
        "wma20",
        stream1(&mut Wma::new(20).unwrap(), closes(), |x| x),
        batch::wma(c, 20).unwrap(),
    ));
    cols.push((
        "rsi14",
        stream1(&mut Rsi::new(14).unwrap(), closes(), |x| x),
        batch::rsi(c, 14).unwrap(),
    ));
    let m = batch::macd(c, 12, 26, 9).unwrap();
    cols.push((
        "macd",
        stream1(&mut Macd::new(12, 26, 9).unwrap(), closes(), |o| o.macd),
        m.macd,
    ));
    cols.push((
        "macd_signal",
        stream1(&mut Macd::new(12, 26, 9).unwrap(), closes(), |o| o.signal),
        m.signal,
    ));
    cols.push((
        "macd_hist",
        stream1(&mut Macd::new(12, 26, 9).unwrap(), closes(), |o| o.hist),
        m.hist,
    ));
    let bb = batch::bbands(c, 20, 2.0, 2.0).unwrap();
    let mk = || BollingerBands::new(20, 2.0, 2.0).unwrap();
    cols.push((
        "bb_upper",
        stream1(&mut mk(), closes(), |o| o.upper),
        bb.upper,
    ));
    cols.push((
        "bb_middle",
        stream1(&mut mk(), closes(), |o| o.middle),
        bb.middle,
    ));
    cols.push((
        "bb_lower",
        stream1(&mut mk(), closes(), |o| o.lower),
        bb.lower,
    ));
    cols.push((
        "trange",
        stream1(&mut TrueRange::new(), hlc(), |x| x),
        batch::trange(h, l, c).unwrap(),
    ));
    cols.push((
        "atr14",
        stream1(&mut Atr::new(14).unwrap(), hlc(), |x| x),
        batch::atr(h, l, c, 14).unwrap(),
    ));
    let st = batch::stoch(h, l, c, 14, 3, 3).unwrap();
    cols.push((
        "stoch_k",
        stream1(&mut Stoch::new(14, 3, 3).unwrap(), hlc(), |o| o.k),
        st.k,
    ));
    cols.push((
        "stoch_d",
        stream1(&mut Stoch::new(14, 3, 3).unwrap(), hlc(), |o| o.d),
        st.d,
    ));
    cols.push((
        "adx14",
        stream1(&mut Adx::new(14).unwrap(), hlc(), |x| x),
        batch::adx(h, l, c, 14).unwrap(),
    ));
    cols.push((
        "plus_di14",
        stream1(&mut PlusDi::new(14).unwrap(), hlc(), |x| x),
        batch::plus_di(h, l, c, 14).unwrap(),
    ));
    cols.push((
        "minus_di14",
        stream1(&mut MinusDi::new(14).unwrap(), hlc(), |x| x),
        batch::minus_di(h, l, c, 14).unwrap(),
    ));
    // The combined Dmi must agree with the three views.
    let batch::DmiSeries {
        plus_di: dp,
        minus_di: dm,
        adx: da,
    } = batch::dmi(h, l, c, 14).unwrap();
    let mut dmi = Dmi::new(14).unwrap();
    let dmi_out: Vec<_> = hlc().map(|(a, b, d)| dmi.update(a, b, d)).collect();
    cols.push((
        "plus_di14",
        dmi_out.iter().map(|o| o.map(|o| o.plus_di)).collect(),
        dp,
    ));
    cols.push((
        "minus_di14",
        dmi_out.iter().map(|o| o.map(|o| o.minus_di)).collect(),
        dm,
    ));
    cols.push((
        "adx14",
        dmi_out.iter().map(|o| o.and_then(|o| o.adx)).collect(),
        da,
    ));
    cols.push((
        "obv",
        stream1(&mut Obv::new(), (0..n).map(|i| (c[i], v[i])), |x| x),
        batch::obv(c, v).unwrap(),
    ));
    cols.push((
        "stddev20",
        stream1(&mut StdDev::new(20, 1.0).unwrap(), closes(), |x| x),
        batch::stddev(c, 20, 1.0).unwrap(),
    ));
    cols.push((
        "roc10",
        stream1(&mut Roc::new(10).unwrap(), closes(), |x| x),
        batch::roc(c, 10).unwrap(),
    ));
    cols.push((
        "vol_sma20",
        stream1(&mut Sma::new(20).unwrap(), v.iter().copied(), |x| x),
        batch::sma(v, 20).unwrap(),
    ));
    cols.push((
        "vwap",
        stream1(
            &mut Vwap::new(),
            (0..n).map(|i| (bars.time[i], h[i], l[i], c[i], v[i])),
            |x| x,
        ),
        batch::vwap(&bars.time, h, l, c, v).unwrap(),
    ));

    let mut seen = std::collections::BTreeSet::new();
    for (name, s, b) in &cols {
        let r = refs
            .get(*name)
            .unwrap_or_else(|| panic!("{stem}: fixture lacks {name}"));
        let one = check(stem, name, r, s, b);
        seen.insert(*name);
        let e = stats.entry(name.to_string()).or_default();
        e.values += one.values;
        e.not_identical += one.not_identical;
        e.max_rel = e.max_rel.max(one.max_rel);
    }
    for name in refs.keys() {
        assert!(
            seen.contains(name.as_str()),
            "{stem}: column {name} not checked"
        );
    }
}

#[test]
fn matches_talib_on_every_sample() {
    let mut stems: Vec<String> = std::fs::read_dir(root().join("../../data/samples"))
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".csv")?;
            (!stem.ends_with("_trades")).then(|| stem.to_string())
        })
        .collect();
    stems.sort();
    assert!(stems.len() >= 9, "samples: {stems:?}");
    let mut stats = BTreeMap::new();
    for stem in &stems {
        run_file(stem, &mut stats);
    }
    eprintln!("| indicator | values checked | not bit-identical | max rel error |");
    eprintln!("|---|---:|---:|---:|");
    for (name, s) in &stats {
        eprintln!(
            "| {name} | {} | {} | {:e} |",
            s.values, s.not_identical, s.max_rel
        );
    }
}
