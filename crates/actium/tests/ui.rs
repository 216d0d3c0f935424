//! Misuses of `#[actor]` and `#[actium::test]` are compile errors that point
//! at the user's own tokens, one mistake per file under `tests/ui/`.

#[test]
fn macro_misuse_is_reported_at_the_users_tokens() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
