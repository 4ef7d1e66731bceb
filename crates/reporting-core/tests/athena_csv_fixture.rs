//! The report CSV against a file written the way Athena writes query results (header quoted,
//! values quoted with inner quotes doubled, NULL empty and unquoted, empty string `""`, `\n`).

use reporting_core::csv::athena_csv;

#[test]
fn matches_athenas_result_file_byte_for_byte() {
    let expected = include_str!("fixtures/athena_result.csv");
    let columns: Vec<String> = [
        "requestid",
        "requestrefid",
        "requestitemcompletedtime",
        "sendinggroupname",
        "requestitemplanfailedreason",
    ]
    .map(String::from)
    .to_vec();
    let s = |v: &str| Some(v.to_string());
    let rows = vec![
        vec![
            s("R1"),
            s("REF-1"),
            s("2026-11-20T10:00:00.123Z"),
            s("Group \"one\", main"),
            None,
        ],
        vec![s("R2"), None, None, s(""), s("")],
        vec![
            s("R3"),
            s("REF-3"),
            None,
            s("multi\nline"),
            s("tab\tand comma,"),
        ],
    ];
    assert_eq!(athena_csv(&columns, &rows), expected);
}
