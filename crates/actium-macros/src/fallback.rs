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
    let stub = stub(item);
    quote! {
        #stripped
        #stub
        #errors
    }
}

/// An `Actor` impl without messages, so uses of `ActorRef<T>` elsewhere
/// still type-check and do not bury the real error. Only for impls that
/// could be actors at all (a plain, non-generic type's own impl).
fn stub(item: &ItemImpl) -> TokenStream {
    let name = match &*item.self_ty {
        syn::Type::Path(path) if path.qself.is_none() => path.path.get_ident(),
        _ => None,
    };
    let (Some(name), None, true) = (name, &item.trait_, item.generics.params.is_empty()) else {
        return TokenStream::new();
    };
    let type_name = name.to_string();
    let private = quote!(::actium::__private);
    quote! {
        impl ::actium::Actor for #name {
            type Msg = #private::NoMessage;
            type Methods<D: #private::Dispatch<Self>> = #private::NoMethods<D>;
            const NAME: &'static str = #type_name;
        }

        impl #private::Handler for #name {
            fn handle<'a>(
                &'a mut self,
                __msg: Self::Msg,
                _: &'a mut ::actium::Context<Self>,
            ) -> #private::Handled<'a> {
                match __msg {}
            }
        }
    }
}
