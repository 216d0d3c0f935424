//! What `#[actor]` emits when the impl has mistakes: the impl block as the
//! user wrote it, minus our attributes (which would otherwise be reported as
//! unknown), plus the errors. The user sees their mistake, not a cascade.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{ImplItem, ItemImpl};

use crate::attr::Role;

/// The impl block without `#[tell]`, `#[ask]`, `#[on_start]`, `#[on_stop]`.
pub(crate) fn strip(item: &ItemImpl) -> TokenStream {
    let mut item = item.clone();
    for impl_item in &mut item.items {
        if let ImplItem::Fn(function) = impl_item {
            function.attrs.retain(|attr| Role::of(attr).is_none());
        }
    }
    item.into_token_stream()
}

pub(crate) fn actor(item: &ItemImpl, error: syn::Error) -> TokenStream {
    let stripped = strip(item);
    let errors = error.to_compile_error();
    quote! {
        #stripped
        #errors
    }
}
