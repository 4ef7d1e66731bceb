//! The known answers the prelude is held to (crates/duckdb-trino/tests/known_answers.tsv) are
//! Trino's own: every line runs on Trino and must give exactly the text recorded.

mod common;

use common::*;

async fn trino_gives_every_recorded_answer() {
    let t = TestHome::new(&[]);
    let answers = include_str!("../../duckdb-trino/tests/known_answers.tsv");
    let mut checked = 0;
    let mut differ = Vec::new();
    for line in answers
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (sql, recorded) = line.split_once('\t').expect("query<TAB>answer");
        let got = t.select(&format!("SELECT CAST(({sql}) AS VARCHAR)"));
        let got = got[0][0].clone().unwrap_or_else(|| "NULL".into());
        if got != recorded {
            differ.push(format!("{sql}\n  recorded: {recorded}\n  Trino: {got}"));
        }
        checked += 1;
    }
    assert!(checked > 70, "{checked}");
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[tokio::test]
async fn on_trino() {
    on_engine(TestEngine::Trino, trino_gives_every_recorded_answer()).await
}
