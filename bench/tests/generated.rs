//! The scaling benchmark's generated policies check, compile and accept
//! their generated requests, and different salts give different artifacts.

use bench::generated::{GENERATED_ID, policy, request};
use bench::yici::{Yici, artifact};
use engine::Eligibility;

#[test]
fn a_generated_policy_accepts_its_requests() {
    let yici = Yici::from_source(&policy(12, 0), GENERATED_ID).expect("compiles");
    for members in [0, 1, 10, 100] {
        let decision = yici
            .policy()
            .evaluate(request(members).as_bytes())
            .expect("evaluates");
        assert_eq!(
            decision.eligibility,
            Eligibility::Eligible,
            "{members} members"
        );
        assert_eq!(decision.rules.len(), 12);
    }
}

#[test]
fn salts_give_different_artifacts() {
    let first = artifact(&policy(3, 1), GENERATED_ID, "0").expect("compiles");
    let second = artifact(&policy(3, 2), GENERATED_ID, "0").expect("compiles");
    assert_ne!(first, second);
}
