//! Compile-fail tests of `#[actor(remote)]`: a type that cannot cross
//! nodes is reported where the user wrote it. (Run with the `remote`
//! feature; without it, `#[actor(remote)]` is itself the error.)
#![cfg(feature = "remote")]

#[test]
fn remote_misuse_is_reported_at_the_users_tokens() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui-remote/*.rs");
}
