//! Procedural macros of [Actium](https://docs.rs/actium). Use them through
//! the `actium` crate, which documents them: `actium::actor` and
//! `actium::test`.
//!
//! # Layout
//!
//! `#[actor]` is a pipeline of small steps, each in its own module:
//!
//! - `attr` — parses the attributes (`#[tell]`, `#[ask(timeout = "2s")]`,
//!   `#[on_start]`, `#[actor(on_panic = "stop")]`).
//! - `ast` — a typed view of the `impl` block that keeps the user's spans:
//!   which methods are messages, their arguments, the context parameter.
//! - `valid` — the rules a message method must follow, each one
//!   `syn::Error` pointing at the offending tokens.
//! - `expand` — the generated message enum, proxy and `Actor` impl. It emits
//!   calls into `actium::__private` and no runtime logic of its own.
//! - `not_message` — for each method without `#[ask]` or `#[tell]`, a
//!   stand-in on the proxy whose call from a reference is one error that
//!   says to add one.
//! - `fallback` — on errors, the user's `impl` without our attributes, so
//!   that only the real mistake is reported.
//!
//! `#[actium::test]` lives in `harness`.

use proc_macro::TokenStream;

mod ast;
mod attr;
mod expand;
mod fallback;
mod harness;
mod not_message;
mod sim_harness;
mod table;
mod valid;

/// Turns an inherent `impl` block into an actor whose methods are messages.
/// Documented in the `actium` crate.
#[proc_macro_attribute]
pub fn actor(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = syn::parse_macro_input!(input as syn::ItemImpl);
    let options = match attr::actor_options(args.into()) {
        Ok(options) => options,
        Err(error) => return fallback::actor(&item, error).into(),
    };
    match ast::Actor::from_syn(&item, options).and_then(|actor| {
        valid::check(&actor)?;
        Ok(expand::actor(&actor))
    }) {
        Ok(tokens) => tokens.into(),
        Err(error) => fallback::actor(&item, error).into(),
    }
}

/// Runs an `async fn` test in a simulation, once per seed. Documented in
/// the `actium` crate.
#[proc_macro_attribute]
pub fn sim_test(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = syn::parse_macro_input!(input as syn::ItemFn);
    match sim_harness::expand(args.into(), &item) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// Runs an `async fn` test once in each execution model. Documented in the
/// `actium` crate.
#[proc_macro_attribute]
pub fn test(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = syn::parse_macro_input!(input as syn::ItemFn);
    match harness::expand(args.into(), &item) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}
