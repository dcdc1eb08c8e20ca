//! Writes the issue-6 tables into docs/benchmarks.md from the outputs that
//! `bench/run.sh` collected: `cargo run -p bench --example report -- DIR DOC`.
//! DIR holds `peers.txt` and `scaling.txt` (divan's output), `memory.txt`
//! (the memory example's) and `machine.txt` (`key: value` lines). Each table
//! replaces the text between its pair of marker comments in DOC.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;

/// Divan's medians by benchmark path (`end_to_end/yici`, `evaluate/10/1`), in ns.
fn medians(divan_output: &str) -> HashMap<String, f64> {
    let mut medians = HashMap::new();
    let mut path: Vec<String> = Vec::new();
    for line in divan_output.lines() {
        let chars: Vec<char> = line.chars().collect();
        let Some(branch) = chars.iter().position(|c| *c == '├' || *c == '╰') else {
            continue;
        };
        let depth = branch / 3;
        let rest: String = chars[branch + 2..].iter().collect();
        let mut columns = rest.split('│');
        let first = columns.next().unwrap_or_default().trim();
        let name = first
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        path.truncate(depth);
        path.push(name);
        let columns: Vec<&str> = columns.map(str::trim).collect();
        // fastest (with the name) │ slowest │ median │ mean │ samples │ iters
        if columns.len() == 5 {
            if let Some(ns) = nanoseconds(columns[1]) {
                medians.insert(path.join("/"), ns);
            }
        }
    }
    medians
}

fn nanoseconds(text: &str) -> Option<f64> {
    let (number, unit) = text.trim().split_once(' ')?;
    let number: f64 = number.parse().ok()?;
    let scale = match unit.trim() {
        "ps" => 0.001,
        "ns" => 1.0,
        "µs" | "us" => 1_000.0,
        "ms" => 1_000_000.0,
        "s" => 1_000_000_000.0,
        _ => return None,
    };
    Some(number * scale)
}

fn duration(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else if ns < 1_000_000_000.0 {
        format!("{:.1} ms", ns / 1_000_000.0)
    } else {
        format!("{:.2} s", ns / 1_000_000_000.0)
    }
}

fn key_values(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn get(map: &HashMap<String, f64>, key: &str) -> anyhow::Result<f64> {
    map.get(key)
        .copied()
        .ok_or_else(|| anyhow::anyhow!("no median for `{key}` in the benchmark output"))
}

fn peers_table(
    medians: &HashMap<String, f64>,
    machine: &HashMap<String, String>,
) -> anyhow::Result<String> {
    let documents = bench::documents()?;
    let count = documents.len() as f64;
    let average_bytes = documents.iter().map(|d| d.json.len()).sum::<usize>() as f64 / count;
    let per = |key: &str| get(medians, key).map(|ns| ns / count);
    let yici = per("end_to_end/yici")?;
    let floor = per("end_to_end/floor")?;
    let engines = [
        ("Yici", "end_to_end/yici"),
        (
            "floor: serde_json into borrowed structs + the rules by hand",
            "end_to_end/floor",
        ),
        ("Rego — regorus interpreter", "end_to_end/rego_interpreter"),
        ("Rego — regorus RVM", "end_to_end/rego_rvm"),
        ("Cedar (cedar-policy)", "end_to_end/cedar"),
        ("ZEN expression (zen-expression)", "end_to_end/zen"),
        ("CEL (cel)", "end_to_end/cel"),
    ];
    let mut rows = Vec::new();
    for (name, key) in engines {
        rows.push((name, per(key)?));
    }
    rows.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Machine: {} cores (`nproc`), {}; {}; {}. {} documents, {:.0} bytes on average; \
         the time per evaluation is divan's median for all of them, divided by {}.\n",
        machine.get("nproc").map_or("?", String::as_str),
        machine.get("cpu").map_or("?", String::as_str),
        machine.get("rustc").map_or("?", String::as_str),
        machine.get("date").map_or("?", String::as_str),
        documents.len(),
        average_bytes,
        documents.len(),
    );
    out.push_str(
        "| engine, from the same JSON bytes | median per evaluation | × Yici | × floor |\n",
    );
    out.push_str("|---|---:|---:|---:|\n");
    for (name, ns) in &rows {
        let bold = if *name == "Yici" { "**" } else { "" };
        let _ = writeln!(
            out,
            "| {bold}{name}{bold} | {bold}{}{bold} | {:.2} | {:.2} |",
            duration(*ns),
            ns / yici,
            ns / floor
        );
    }
    let fastest_peer = rows
        .iter()
        .filter(|(name, _)| *name != "Yici" && !name.starts_with("floor"))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .ok_or_else(|| anyhow::anyhow!("no peers"))?;
    let encode = per("stages/yici_encode")?;
    let run = per("stages/yici_run")?;
    let decode = per("stages/yici_decode")?;
    let floor_run = per("stages/floor_run")?;
    let _ = writeln!(
        out,
        "\n| Yici by stage | median per evaluation |\n|---|---:|\n\
         | encode (JSON → linear memory) | {} |\n| run (`evaluate` on a pooled instance) | {} |\n\
         | decode (memory → `Decision`) | {} |\n| floor: the rules by hand on parsed facts | {} |\n",
        duration(encode),
        duration(run),
        duration(decode),
        duration(floor_run),
    );
    let _ = writeln!(
        out,
        "- End to end: the fastest peer, {}, takes **{:.2}×** Yici's time (goal ≥ 3×: **{}**).",
        fastest_peer.0,
        fastest_peer.1 / yici,
        if fastest_peer.1 / yici >= 3.0 {
            "met"
        } else {
            "not met"
        }
    );
    let _ = writeln!(
        out,
        "- Run part: Yici's run is **{:.2}×** the floor's rules on parsed facts (goal ≤ 3×: **{}**).",
        run / floor_run,
        if run / floor_run <= 3.0 {
            "met"
        } else {
            "not met"
        }
    );
    let _ = writeln!(
        out,
        "- End to end, Yici takes {:.2}× the floor's time from the same bytes.",
        yici / floor
    );
    Ok(out)
}

fn scaling_tables(
    medians: &HashMap<String, f64>,
    memory: &HashMap<String, String>,
    machine: &HashMap<String, String>,
) -> anyhow::Result<String> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Machine: {} cores, {}; {}; {}.\n",
        machine.get("nproc").map_or("?", String::as_str),
        machine.get("cpu").map_or("?", String::as_str),
        machine.get("rustc").map_or("?", String::as_str),
        machine.get("date").map_or("?", String::as_str),
    );
    out.push_str(
        "Evaluation, end to end (JSON bytes → `Decision`), median, by rules and household members:\n\n\
         | rules | 1 member | 10 members | 100 members |\n|---:|---:|---:|---:|\n",
    );
    for rules in [10, 100, 1000, 5000] {
        let mut row = format!("| {rules} |");
        for members in [1, 10, 100] {
            let _ = write!(
                row,
                " {} |",
                duration(get(medians, &format!("evaluate/{rules}/{members}"))?)
            );
        }
        let _ = writeln!(out, "{row}");
    }
    out.push_str(
        "\nCompile: source → checked → WebAssembly → a ready module (fresh bytes each time), median:\n\n\
         | rules | median |\n|---:|---:|\n",
    );
    for rules in [10, 100, 1000] {
        let _ = writeln!(
            out,
            "| {rules} | {} |",
            duration(get(medians, &format!("compile/{rules}"))?)
        );
    }
    let number = |key: &str| -> anyhow::Result<f64> {
        memory
            .get(key)
            .ok_or_else(|| anyhow::anyhow!("no `{key}` in memory.txt"))?
            .parse::<f64>()
            .with_context(|| format!("`{key}` in memory.txt"))
    };
    let versions = number("versions")?;
    let before = number("rss_before_kib")?;
    let after_load = number("rss_after_load_kib")?;
    let after_evaluate = number("rss_after_evaluate_kib")?;
    let _ = writeln!(
        out,
        "\nResident memory (VmRSS) with {versions:.0} versions of the peer-comparison policy loaded \
         (artifacts of {:.0} bytes each; `cargo run --release -p bench --example memory`):\n\n\
         | | VmRSS | per version |\n|---|---:|---:|\n\
         | before loading | {:.1} MiB | |\n\
         | after loading (compiled, one instance each) | {:.1} MiB | {:.0} KiB |\n\
         | after one evaluation each | {:.1} MiB | {:.0} KiB |\n\n\
         Loading all of them took {} ms. With all of them loaded, a second evaluation of one \
         version while a first is running (a second instance): `` {} ``.",
        number("artifact_bytes_each")?,
        before / 1024.0,
        after_load / 1024.0,
        (after_load - before) / versions,
        after_evaluate / 1024.0,
        (after_evaluate - before) / versions,
        number("load_ms")?,
        memory
            .get("second_concurrent_session")
            .map_or("not measured", String::as_str),
    );
    Ok(out)
}

fn replace_between(doc: &str, section: &str, body: &str) -> anyhow::Result<String> {
    let begin = format!("<!-- {section}: generated by bench/run.sh, do not edit -->");
    let end = format!("<!-- /{section} -->");
    let start = doc
        .find(&begin)
        .ok_or_else(|| anyhow::anyhow!("no `{begin}` in the document"))?;
    let stop = doc
        .find(&end)
        .ok_or_else(|| anyhow::anyhow!("no `{end}` in the document"))?;
    anyhow::ensure!(start < stop, "`{end}` before `{begin}`");
    Ok(format!(
        "{}{begin}\n{}{}",
        &doc[..start],
        body.trim_end().to_string() + "\n",
        &doc[stop..]
    ))
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(doc_path)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: report DIR DOC");
    };
    let dir = Path::new(&dir);
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .with_context(|| format!("cannot read `{}`", dir.join(name).display()))
    };
    let machine = key_values(&read("machine.txt")?);
    let peers = medians(&read("peers.txt")?);
    let scaling = medians(&read("scaling.txt")?);
    let memory = key_values(&read("memory.txt")?);
    let doc =
        std::fs::read_to_string(&doc_path).with_context(|| format!("cannot read `{doc_path}`"))?;
    let doc = replace_between(&doc, "issue-6 peers", &peers_table(&peers, &machine)?)?;
    let doc = replace_between(
        &doc,
        "issue-6 scaling",
        &scaling_tables(&scaling, &memory, &machine)?,
    )?;
    std::fs::write(&doc_path, doc).with_context(|| format!("cannot write `{doc_path}`"))?;
    println!("wrote the issue-6 tables into {doc_path}");
    Ok(())
}
