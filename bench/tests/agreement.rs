//! Every engine gives every document its expected eligibility. Without the
//! `peers` feature only Yici and the floor are checked (so the default test
//! build checks the data); with it, every peer as well.

#![expect(
    clippy::expect_used,
    reason = "the test helper stops the test with its message"
)]

use bench::{Evaluator, disagreements, documents};

fn check(evaluator: &mut dyn Evaluator) {
    let documents = documents().expect("documents");
    assert!(documents.len() >= 20, "{} documents", documents.len());
    assert!(documents.iter().any(|d| d.expected_eligible));
    assert!(documents.iter().any(|d| !d.expected_eligible));
    let problems = disagreements(evaluator, &documents);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn yici_agrees_with_every_document() {
    check(&mut bench::yici::Yici::new().expect("loads"));
}

#[test]
fn floor_agrees_with_every_document() {
    check(&mut bench::floor::Floor);
}

#[cfg(feature = "peers")]
#[test]
fn every_peer_agrees_with_every_document() {
    for mut peer in bench::peers::all().expect("peers load") {
        check(peer.as_mut());
    }
}
