//! How generated code describes arguments and answers for traces, whatever
//! their types: with `Debug` where the type has it, as `_` where not.
//!
//! This is autoref specialisation, resolved where `#[actor]` expands, at
//! the concrete type: `(&Described(&value)).describe_into(out)` finds
//! [`ViaDebug`] (implemented for `Described<T: Debug>`) before it tries an
//! extra reference and finds [`Opaque`] (implemented for every
//! `&Described<T>`). The same trick tells an answer that is a `Result`'s
//! `Err` ([`IsErr`]) from any other ([`NotErr`]). Bring all four traits
//! into scope anonymously (`use ..::{ViaDebug as _, ..}`).

use std::fmt;

use crate::observe::debug_capped;

/// A value to describe; see the module docs.
pub struct Described<'a, T>(pub &'a T);

/// Describes a `Debug` value with its `Debug` form, cut at
/// [`DETAIL_LIMIT`](crate::observe::DETAIL_LIMIT) bytes.
pub trait ViaDebug {
    /// Writes the description.
    fn describe_into(&self, out: &mut String);
}

impl<T: fmt::Debug> ViaDebug for Described<'_, T> {
    fn describe_into(&self, out: &mut String) {
        debug_capped(out, self.0);
    }
}

/// Describes any other value as `_`.
pub trait Opaque {
    /// Writes the description.
    fn describe_into(&self, out: &mut String);
}

impl<T> Opaque for &Described<'_, T> {
    fn describe_into(&self, out: &mut String) {
        out.push('_');
    }
}

/// Says whether a `Result` answer is an `Err`.
pub trait IsErr {
    /// Whether the value is an `Err`.
    fn is_err_answer(&self) -> bool;
}

impl<T, E> IsErr for Described<'_, Result<T, E>> {
    fn is_err_answer(&self) -> bool {
        self.0.is_err()
    }
}

/// Any answer that is not a `Result` is no error.
pub trait NotErr {
    /// Always `false`.
    fn is_err_answer(&self) -> bool;
}

impl<T> NotErr for &Described<'_, T> {
    fn is_err_answer(&self) -> bool {
        false
    }
}

/// Describes an answer of a type known only as some `R`: as `_`.
pub fn opaque<R>(_: &R, out: Option<&mut String>) -> bool {
    if let Some(out) = out {
        out.push('_');
    }
    false
}

/// Describes a `Result` answer; an `Err` is an error.
pub fn result<T: fmt::Debug, E: fmt::Debug>(
    value: &Result<T, E>,
    out: Option<&mut String>,
) -> bool {
    if let Some(out) = out {
        debug_capped(out, value);
    }
    value.is_err()
}

#[cfg(test)]
#[expect(
    clippy::needless_borrow,
    reason = "the borrow is the specialisation: it is what generated code writes"
)]
mod tests {
    use {
        super::Described, super::IsErr as _, super::NotErr as _, super::Opaque as _,
        super::ViaDebug as _,
    };

    struct Secret;

    #[test]
    fn debug_values_are_described_and_others_are_blanks() {
        let mut out = String::new();
        (&Described(&(1, "a"))).describe_into(&mut out);
        out.push_str(", ");
        (&Described(&Secret)).describe_into(&mut out);
        assert_eq!(out, r#"(1, "a"), _"#);
    }

    #[test]
    fn only_err_results_are_errors() {
        let failed: Result<u8, String> = Err("no".into());
        let fine: Result<u8, String> = Ok(1);
        assert!((&Described(&failed)).is_err_answer());
        assert!(!(&Described(&fine)).is_err_answer());
        assert!(!(&Described(&7_u8)).is_err_answer());
        assert!(!(&Described(&Secret)).is_err_answer());
    }
}
