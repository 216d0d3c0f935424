//! `#[actium::sim_test]`: one async test body, run in a fresh simulated
//! system for each of many seeds.
//!
//! ```ignore
//! #[actium::sim_test(seeds = 500)]
//! async fn never_loses_an_update(seed: u64) -> actium::Result<()> { .. }
//! ```
//!
//! becomes one `#[test]` function of that name that calls
//! `actium::sim::run_test` with the body, which runs it with seeds
//! `0..500` (`ACTIUM_SEEDS`, `ACTIUM_SEED` override) and fails with the
//! first seed that fails and the command that replays it.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{FnArg, ItemFn, LitInt};

/// Seeds run when the attribute names no count.
const DEFAULT_SEEDS: u64 = 100;

pub(crate) fn expand(args: TokenStream, item: &ItemFn) -> syn::Result<TokenStream> {
    let mut seeds = DEFAULT_SEEDS;
    if !args.is_empty() {
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("seeds") {
                seeds = meta.value()?.parse::<LitInt>()?.base10_parse()?;
                Ok(())
            } else {
                Err(meta.error("expected `seeds = <count>`"))
            }
        });
        syn::parse::Parser::parse2(parser, args)?;
    }
    let sig = &item.sig;
    crate::harness::async_and_not_generic(sig, "#[actium::sim_test]")?;
    let seed = match sig.inputs.len() {
        0 => quote!(_seed),
        1 => match &sig.inputs[0] {
            FnArg::Typed(typed) => {
                let pattern = &typed.pat;
                quote!(#pattern)
            }
            FnArg::Receiver(receiver) => {
                return Err(syn::Error::new_spanned(receiver, "a test takes no `self`"));
            }
        },
        _ => {
            return Err(syn::Error::new_spanned(
                &sig.inputs,
                "a simulation test takes no arguments, or one: `seed: u64`",
            ));
        }
    };
    let name = &sig.ident;
    let output = &sig.output;
    let block = &item.block;
    let attrs = &item.attrs;
    let vis = &item.vis;
    Ok(quote! {
        #[test]
        #(#attrs)*
        #vis fn #name() {
            async fn body(#seed: u64) #output #block
            ::actium::sim::run_test(
                ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                #seeds,
                body,
            );
        }
    })
}
