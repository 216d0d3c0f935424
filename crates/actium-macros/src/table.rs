//! What the runtime asks about a message without handling it: which
//! method it calls (`Actor::method_index`) and whether a caller standing
//! in for the actor's idle loop may run it (`Handler::runs_inline`).
//! Matches on the message enum, no lookup.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

use crate::ast::Method;

/// `Actor::method_index` and `Handler::runs_inline` for `methods`, the
/// messages' methods in `METHODS` order.
pub(crate) fn tables<'a, 'b: 'a>(
    methods: impl Iterator<Item = &'a Method<'b>>,
    msg: &Ident,
) -> (Option<TokenStream>, Option<TokenStream>) {
    let methods: Vec<&Method<'_>> = methods.collect();
    (method_index(&methods, msg), runs_inline(&methods, msg))
}

/// `Actor::method_index`: which entry of `METHODS` a message calls (its
/// variant's position, as `METHODS` lists them in the same order).
fn method_index(methods: &[&Method<'_>], msg: &Ident) -> Option<TokenStream> {
    if methods.is_empty() {
        return None;
    }
    let arms = methods.iter().enumerate().map(|(index, method)| {
        let name = method.name();
        let index = u16::try_from(index).unwrap_or(u16::MAX);
        quote!(#msg::#name { .. } => #index,)
    });
    Some(quote! {
        #[inline(always)]
        fn method_index(__msg: &Self::Msg) -> u16 {
            match __msg {
                #(#arms)*
            }
        }
    })
}

/// `Handler::runs_inline`: whether a message calls a plain synchronous
/// method, which a caller standing in for an idle actor's loop may run on
/// its own thread. A `blocking` method may hold the thread for long; an
/// `async` or `parallel` method leaves a future that borrows the actor,
/// which only the loop may keep. Types with no such method keep the
/// default (`false`).
fn runs_inline(methods: &[&Method<'_>], msg: &Ident) -> Option<TokenStream> {
    let inline: Vec<_> = methods
        .iter()
        .filter(|method| {
            method.options.blocking.is_none() && !method.is_async() && !method.is_parallel()
        })
        .map(|method| method.name())
        .collect();
    if inline.is_empty() {
        return None;
    }
    Some(quote! {
        #[inline]
        fn runs_inline(__msg: &Self::Msg) -> bool {
            matches!(__msg, #(#msg::#inline { .. })|*)
        }
    })
}
