//! The actor's own methods, those without `#[ask]` or `#[tell]`, as they
//! look from a reference: each one a stand-in on the proxy whose call is
//! one error that says what to add.
//!
//! Without them, `counter.greet()` on an `ActorRef<Counter>` whose `greet`
//! has no attribute is rustc's "no method named `greet` found", which says
//! nothing of the attribute. With them, the method is found, and calling
//! it fails one bound that no dispatcher meets: a trait made here for that
//! method, whose `#[diagnostic::on_unimplemented]` message is the advice.
//! The stand-in takes any arguments and returns any type, so the rest of
//! the caller's expression (`.await?`) adds no errors of its own.
//!
//! The methods themselves are untouched: the actor's messages call them
//! as before, and a stand-in nobody calls costs nothing and says nothing.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::{FnArg, Ident, ImplItemFn};

use crate::ast::Param;

/// The stand-ins of `helpers` on the proxy `proxy` of actor `actor`, one
/// per name: two methods may share one under exclusive `#[cfg]`s, and a
/// message may share its name with a helper that way too.
pub(crate) fn stand_ins(
    actor: &Ident,
    proxy: &Ident,
    helpers: &[&ImplItemFn],
    messages: &[&Ident],
) -> TokenStream {
    let mut named: Vec<&Ident> = messages.to_vec();
    helpers
        .iter()
        .filter(|helper| {
            let name = &helper.sig.ident;
            let fresh = !named.contains(&name);
            named.push(name);
            fresh
        })
        .map(|helper| stand_in(actor, proxy, helper))
        .collect()
}

fn stand_in(actor: &Ident, proxy: &Ident, helper: &ImplItemFn) -> TokenStream {
    let name = &helper.sig.ident;
    let private = quote!(::actium::__private);
    // The trait's name shows in rustc's help line, so it reads as what is
    // missing; it lives in its own `const _` block, and only clashes with
    // an actor of the same name.
    // Spanned at the user's method, where "required by this bound" points.
    let bound = Ident::new(
        if actor == "Message" {
            "ActorMessage"
        } else {
            "Message"
        },
        name.span(),
    );
    let message = format!(
        "`{name}` is not a message of `{actor}`: add `#[ask]` (request-reply) or \
         `#[tell]` (one-way) to make `{name}` a message"
    );
    let label = format!("`{name}` has neither `#[ask]` nor `#[tell]`");
    let note = "a method without `#[ask]` or `#[tell]` is the actor's own: \
                its messages can call it, its references cannot";
    // The arguments a caller would pass: those a message would carry.
    let args: Vec<Ident> = helper
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(typed) => Some(Param::classify(&typed.pat, &typed.ty)),
            FnArg::Receiver(_) => None,
        })
        .filter(|param| matches!(param, Param::Arg { .. }))
        .enumerate()
        .map(|(index, _)| format_ident!("__A{}", index))
        .collect();
    let where_clause = quote_spanned!(name.span()=> where (D,): #bound);
    quote! {
        const _: () = {
            #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
            trait #bound {}

            // An implementation rustc never suggests, so that it does not
            // suggest adding one either.
            enum __ActiumNever {}
            #[diagnostic::do_not_recommend]
            impl #bound for (__ActiumNever,) {}

            #[allow(private_bounds, private_interfaces, missing_docs, clippy::unused_self)]
            impl<D: #private::Dispatch<#actor>> #proxy<D> {
                #[doc(hidden)]
                pub fn #name<__R, #(#args),*>(&self, #(_: #args),*) -> __R #where_clause {
                    ::core::unreachable!()
                }
            }
        };
    }
}
