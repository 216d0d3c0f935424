//! `#[actium::test]`: one async test body, run once per execution model.
//!
//! ```ignore
//! #[actium::test]
//! async fn counts() -> actium::Result<()> { .. }
//! ```
//!
//! becomes a module `counts` with two `#[test]` functions, `tasks` and
//! `threads`, each starting a fresh system in that mode, running the body
//! with a time limit, and shutting the system down.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ItemFn;

pub(crate) fn expand(args: TokenStream, item: &ItemFn) -> syn::Result<TokenStream> {
    let mut tasks = true;
    let mut threads = true;
    if !args.is_empty() {
        tasks = false;
        threads = false;
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("tasks") {
                tasks = true;
                Ok(())
            } else if meta.path.is_ident("threads") {
                threads = true;
                Ok(())
            } else {
                Err(meta.error(
                    "expected `tasks` or `threads` (which execution models to run; both by default)",
                ))
            }
        });
        syn::parse::Parser::parse2(parser, args)?;
    }
    let sig = &item.sig;
    async_and_not_generic(sig, "#[actium::test]")?;
    if !sig.inputs.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.inputs,
            "a test function takes no arguments",
        ));
    }
    let name = &sig.ident;
    let output = &sig.output;
    let block = &item.block;
    let attrs = &item.attrs;
    let vis = &item.vis;
    let modes = [
        (tasks, "tasks", quote!(Tasks)),
        (threads, "threads", quote!(Threads)),
    ];
    let tests = modes
        .iter()
        .filter(|(on, ..)| *on)
        .map(|(_, fn_name, mode)| {
            let fn_name = format_ident!("{}", fn_name);
            quote! {
                #[test]
                #(#attrs)*
                fn #fn_name() {
                    ::actium::__private::run_test(
                        ::actium::Mode::#mode,
                        ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#fn_name)),
                        body(),
                    );
                }
            }
        });
    Ok(quote! {
        #vis mod #name {
            #[allow(unused_imports)]
            use super::*;

            async fn body() #output #block

            #(#tests)*
        }
    })
}

/// What both test attributes ask of the function: `async`, not generic.
pub(crate) fn async_and_not_generic(sig: &syn::Signature, attribute: &str) -> syn::Result<()> {
    if sig.asyncness.is_none() {
        return Err(syn::Error::new_spanned(
            sig.fn_token,
            format!("{attribute} runs an `async fn`"),
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            "a test function cannot be generic",
        ));
    }
    Ok(())
}
