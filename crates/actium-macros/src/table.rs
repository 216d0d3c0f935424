//! What the runtime asks about a message without handling it: which
//! method it calls (`Actor::method_index`) and whether that method is
//! `blocking` (`Handler::blocks`). Matches on the message enum, no lookup.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

use crate::ast::Method;

/// `Actor::method_index` and `Handler::blocks` for `methods`, the
/// messages' methods in `METHODS` order.
pub(crate) fn tables<'a, 'b: 'a>(
    methods: impl Iterator<Item = &'a Method<'b>>,
    msg: &Ident,
) -> (Option<TokenStream>, Option<TokenStream>) {
    let methods: Vec<&Method<'_>> = methods.collect();
    (method_index(&methods, msg), blocks(&methods, msg))
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

/// `Handler::blocks`: whether a message calls a `blocking` method, which a
/// caller standing in for an idle actor's loop leaves to the loop. Types
/// without `blocking` methods keep the default (`false`).
fn blocks(methods: &[&Method<'_>], msg: &Ident) -> Option<TokenStream> {
    let blocking: Vec<_> = methods
        .iter()
        .filter(|method| method.options.blocking.is_some())
        .map(|method| method.name())
        .collect();
    if blocking.is_empty() {
        return None;
    }
    Some(quote! {
        #[inline]
        fn blocks(__msg: &Self::Msg) -> bool {
            matches!(__msg, #(#msg::#blocking { .. })|*)
        }
    })
}
