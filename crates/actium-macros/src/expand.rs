//! Code generation for `#[actor]`.
//!
//! For `impl Counter { #[tell] fn incr(&mut self, by: u64) .. }` this emits:
//!
//! - the impl block itself, minus our attributes;
//! - `enum __ActiumMsgCounter { incr { by: u64 }, get { __reply: Reply<u64> } }`,
//!   one variant per message method, named after the method;
//! - `struct __ActiumMethodsCounter<D>`, the proxy `ActorRef<Counter>`
//!   dereferences to, with one method per message that hands its arguments
//!   to the dispatcher `D`;
//! - `impl Actor for Counter`, whose `handle` matches a message and calls the
//!   method through `actium::__private` helpers (which catch panics and
//!   answer the caller).
//!
//! Generated code reaches the runtime only through `::actium::__private`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Ident, Type};

use crate::ast::{Actor, Method, Param};
use crate::attr::Role;
use crate::{fallback, not_message, table};

pub(crate) fn actor(actor: &Actor<'_>) -> TokenStream {
    // `valid` has rejected impls whose type is not a plain name.
    let Some(name) = &actor.name else {
        return fallback::strip(actor.item);
    };
    let stripped = fallback::strip(actor.item);
    let msg = format_ident!("__ActiumMsg{}", name);
    let proxy = format_ident!("__ActiumMethods{}", name);
    let private = quote!(::actium::__private);

    let messages: Vec<Message<'_>> = actor
        .messages()
        .map(|method| Message::new(method, name))
        .collect();
    let variants = messages.iter().map(Message::variant);
    let proxy_methods = messages.iter().map(|m| m.proxy_method(name, &msg));
    let arms = messages.iter().map(|m| m.handle_arm(&msg));
    let describe = describe_messages(&messages, &msg);
    let type_name = name.to_string();
    let panic_policy = panic_policy(actor);
    let hooks = lifecycle_hooks(actor);
    let method_names = messages.iter().map(|m| m.method.name().to_string());
    let remote = actor
        .options
        .remote
        .map(|span| remote_codec(&messages, &msg, span));
    let (method_index, runs_inline) = table::tables(messages.iter().map(|m| m.method), &msg);
    let reentrant = actor.messages().any(Method::is_parallel);
    let has_on_start = actor.role(Role::OnStart).next().is_some();
    let has_on_stop = actor.role(Role::OnStop).next().is_some();
    let message_names: Vec<_> = actor.messages().map(Method::name).collect();
    let stand_ins = not_message::stand_ins(name, &proxy, &actor.helpers, &message_names);

    quote! {
        #stripped

        #[doc(hidden)]
        #[allow(non_camel_case_types, private_interfaces, missing_docs, dead_code)]
        pub enum #msg {
            #(#variants,)*
        }

        #[doc(hidden)]
        #[allow(private_interfaces, missing_docs)]
        pub struct #proxy<D> {
            dispatch: D,
        }

        #[allow(private_interfaces, private_bounds)]
        impl<D: #private::Dispatch<#name>> #private::Methods<#name, D> for #proxy<D> {
            fn new(dispatch: D) -> Self {
                #proxy { dispatch }
            }

            fn dispatch(&self) -> &D {
                &self.dispatch
            }
        }

        #[allow(private_interfaces, private_bounds, missing_docs, clippy::too_many_arguments)]
        impl<D: #private::Dispatch<#name>> #proxy<D> {
            #(#proxy_methods)*
        }

        #stand_ins

        impl ::actium::Actor for #name {
            type Msg = #msg;
            type Methods<D: #private::Dispatch<Self>> = #proxy<D>;
            const NAME: &'static str = #type_name;
            const METHODS: &'static [&'static str] = &[#(#method_names),*];
            #method_index
            #remote
            #describe
        }

        impl #private::Handler for #name {
            const REENTRANT: bool = #reentrant;
            const HAS_ON_START: bool = #has_on_start;
            const HAS_ON_STOP: bool = #has_on_stop;
            #panic_policy
            #runs_inline

            #[allow(unused_variables, clippy::let_unit_value)]
            #[inline]
            fn handle<'a>(
                &'a mut self,
                __msg: Self::Msg,
                __ctx: &'a mut ::actium::Context<Self>,
            ) -> #private::Handled<'a> {
                match __msg {
                    #(#arms)*
                }
            }

            #hooks
        }
    }
}

/// `PANIC_POLICY`, when `#[actor(stop_on_panic = ..)]` chose one.
fn panic_policy(actor: &Actor<'_>) -> Option<TokenStream> {
    actor.options.stop_on_panic.map(|stop| {
        let policy = if stop { quote!(Stop) } else { quote!(Resume) };
        quote!(
            const PANIC_POLICY: ::core::option::Option<::actium::PanicPolicy> =
                ::core::option::Option::Some(::actium::PanicPolicy::#policy);
        )
    })
}

/// The `Handler` hooks for the methods marked `on_start`, `on_stop`,
/// `on_exit` and `on_down`; the trait's defaults stand for the others.
fn lifecycle_hooks(actor: &Actor<'_>) -> TokenStream {
    let on_start = actor.role(Role::OnStart).next().map(on_start);
    let on_stop = actor.role(Role::OnStop).next().map(on_stop);
    let on_exit = actor
        .role(Role::OnExit)
        .next()
        .map(|m| signal_hook(m, "on_exit", quote!(::actium::Exit)));
    let on_down = actor
        .role(Role::OnDown)
        .next()
        .map(|m| signal_hook(m, "on_down", quote!(::actium::Down)));
    quote! {
        #on_start
        #on_stop
        #on_exit
        #on_down
    }
}

/// The wire codec of `#[actor(remote)]`: `encode_call` turns a message
/// into its method name and encoded arguments, `decode_call` the reverse.
/// Each argument and result type is checked where the user wrote it.
fn remote_codec(messages: &[Message<'_>], msg: &Ident, span: proc_macro2::Span) -> TokenStream {
    let private = quote!(::actium::__private);
    let enabled = quote_spanned!(span=> ::actium::__actium_remote_enabled!(););
    let checks = messages
        .iter()
        .flat_map(|m| m.types().chain(m.reply.as_ref()))
        .map(|ty| {
            quote_spanned! {ty.span()=>
                #private::remote::must_cross_nodes::<#ty>();
            }
        });
    // Each arm picks its codec at the concrete types (`Call`, autoref
    // specialisation): a type without serde is then reported once, by the
    // check above, and not again by the encoding and decoding of it.
    let call = |m: &Message<'_>| {
        let types = m.types();
        let reply = m
            .reply
            .as_ref()
            .map_or_else(|| quote!(()), |ty| quote!(#ty));
        quote!((&#private::remote::Call::<(#(#types,)*), #reply>::new()))
    };
    let encode_arms = messages.iter().map(|m| {
        let name = m.method.name();
        let name_str = name.to_string();
        let names: Vec<_> = m.names().collect();
        let call = call(m);
        match &m.reply {
            None => quote! {
                #msg::#name { #(#names),* } => #call.encode_tell(
                    Self::NAME, #name_str, &(#(#names,)*), __out,
                ),
            },
            Some(_) => quote! {
                #msg::#name { #(#names,)* __reply } => #call.encode_ask(
                    Self::NAME, #name_str, &(#(#names,)*), __reply, __out,
                ),
            },
        }
    });
    let decode_arms = messages.iter().map(|m| {
        let name = m.method.name();
        let name_str = name.to_string();
        let names: Vec<_> = m.names().collect();
        let call = call(m);
        match &m.reply {
            None => quote! {
                #name_str => {
                    let (#(#names,)*) =
                        #call.decode_tell(Self::NAME, #name_str, __payload, __responder)?;
                    ::core::result::Result::Ok(#msg::#name { #(#names),* })
                }
            },
            Some(_) => quote! {
                #name_str => {
                    let ((#(#names,)*), __reply) =
                        #call.decode_ask(Self::NAME, #name_str, __payload, __responder)?;
                    ::core::result::Result::Ok(#msg::#name { #(#names,)* __reply })
                }
            },
        }
    });
    let codecs = quote! {
        #[allow(unused_imports)]
        use #private::remote::{Unencodable as _, ViaSerde as _};
    };
    quote! {
        const REMOTE: bool = true;

        // Inlined where used: a message returned through memory is waited on.
        #[inline]
        fn encode_call(
            __msg: Self::Msg,
            __out: &mut ::std::vec::Vec<u8>,
        ) -> ::core::result::Result<#private::EncodedCall, ::actium::Error> {
            #enabled
            const _: fn() = || { #(#checks)* };
            #codecs
            match __msg {
                #(#encode_arms)*
            }
        }

        // Into its one or two callers (the cell's): decoded where queued.
        #[inline(always)]
        fn decode_call(
            __method: &str,
            __payload: &[u8],
            __responder: &mut ::core::option::Option<#private::Responder>,
        ) -> ::core::result::Result<Self::Msg, ::actium::Error> {
            #codecs
            match __method {
                #(#decode_arms)*
                __other => ::core::result::Result::Err(
                    #private::remote::unknown_method(Self::NAME, __other),
                ),
            }
        }
    }
}

/// One message method, with `Self` already replaced by the actor's name in
/// its types (generated items live outside the impl, where `Self` means
/// something else).
struct Message<'a> {
    method: &'a Method<'a>,
    args: Vec<(Ident, Type)>,
    /// The reply type of an ask; `None` for a tell.
    reply: Option<Type>,
}

impl<'a> Message<'a> {
    fn new(method: &'a Method<'a>, actor: &Ident) -> Self {
        let args = method
            .args()
            .map(|(arg, ty)| (arg.clone(), replace_self(ty, actor)))
            .collect();
        let reply = (method.role == Role::Ask).then(|| {
            method
                .output()
                .map_or_else(|| syn::parse_quote!(()), |ty| replace_self(ty, actor))
        });
        Message {
            method,
            args,
            reply,
        }
    }

    fn names(&self) -> impl Iterator<Item = &Ident> {
        self.args.iter().map(|(arg, _)| arg)
    }

    fn types(&self) -> impl Iterator<Item = &Type> {
        self.args.iter().map(|(_, ty)| ty)
    }

    fn variant(&self) -> TokenStream {
        let name = self.method.name();
        let fields = self.args.iter().map(|(arg, ty)| quote!(#arg: #ty));
        let reply = self
            .reply
            .as_ref()
            .map(|reply| quote!(__reply: ::actium::__private::Reply<#reply>));
        quote!(#name { #(#fields,)* #reply })
    }

    fn proxy_method(&self, actor: &Ident, msg: &Ident) -> TokenStream {
        let method = self.method;
        let name = method.name();
        let name_str = name.to_string();
        let vis = method.vis();
        let docs = method.docs();
        let names: Vec<_> = self.names().collect();
        let types: Vec<_> = self.types().collect();
        let private = quote!(::actium::__private);
        let timeout = match method.options.timeout {
            Some((duration, _)) => {
                let (secs, nanos) = (duration.as_secs(), duration.subsec_nanos());
                quote!(::core::option::Option::Some(::core::time::Duration::new(#secs, #nanos)))
            }
            None => quote!(::core::option::Option::None),
        };
        let blocking = method.options.blocking.is_some();
        let info = quote!(#private::MethodInfo {
            name: #name_str,
            timeout: #timeout,
            blocking: #blocking,
        });
        // Arguments and replies must be able to cross to the actor's thread;
        // checking here points the error at the user's own type.
        let checks = types.iter().copied().chain(self.reply.as_ref()).map(|ty| {
            quote_spanned! {ty.span()=>
                const _: fn() = || {
                    fn must_be_sendable<T: ::core::marker::Send + 'static>() {}
                    must_be_sendable::<#ty>();
                };
            }
        });
        let body = match &self.reply {
            None => quote! {
                #(#checks)*
                self.dispatch.tell(#info, (#(#names,)*), |(#(#names,)*)| #msg::#name { #(#names),* })
            },
            Some(_) => quote! {
                #(#checks)*
                self.dispatch.ask(#info, (#(#names,)*), |(#(#names,)*), __reply| #msg::#name { #(#names,)* __reply })
            },
        };
        let output = match &self.reply {
            None => quote!(<D as #private::Dispatch<#actor>>::Tell<(#(#types,)*)>),
            Some(reply) => quote!(<D as #private::Dispatch<#actor>>::Ask<(#(#types,)*), #reply>),
        };
        quote! {
            #(#docs)*
            #vis fn #name(&self, #(#names: #types),*) -> #output {
                #body
            }
        }
    }

    fn handle_arm(&self, msg: &Ident) -> TokenStream {
        let method = self.method;
        let name = method.name();
        let name_str = name.to_string();
        let names: Vec<_> = self.names().collect();
        let call = call_method(method, &Passing::message());
        let blocking = method.options.blocking.is_some();
        let private = quote!(::actium::__private);
        let handled = quote!(#private::Handled);
        // An ask's answer is described for traces by a function made here,
        // where its type is known.
        let reply = self.reply.as_ref().map(|ty| {
            let describe = describe_answer(ty);
            quote!(__reply, #describe)
        });
        let run = match (&self.reply, method.is_async(), blocking) {
            _ if method.is_parallel() => match &self.reply {
                None => quote!(#handled::Done(#private::parallel_tell(#name_str, #call))),
                Some(_) => {
                    quote!(#handled::Done(#private::parallel_ask(#name_str, #reply, #call)))
                }
            },
            (None, false, false) => quote!(#handled::Done(#private::tell(#name_str, || #call))),
            (None, false, true) => quote!(#handled::Done(#private::tell(#name_str, || {
                #private::block_in_place(|| #call)
            }))),
            (None, true, _) => {
                quote!(#handled::Pending(::std::boxed::Box::pin(#private::tell_async(#name_str, #call))))
            }
            (Some(_), false, false) => {
                quote!(#handled::Done(#private::ask(#name_str, #reply, || #call)))
            }
            (Some(_), false, true) => quote!(#handled::Done(#private::ask(#name_str, #reply, || {
                #private::block_in_place(|| #call)
            }))),
            (Some(_), true, _) => quote!(#handled::Pending(::std::boxed::Box::pin(
                #private::ask_async(#name_str, #reply, #call)
            ))),
        };
        let reply_field = self.reply.as_ref().map(|_| quote!(__reply));
        quote! {
            #msg::#name { #(#names,)* #reply_field } => #run,
        }
    }
}

/// `Actor::describe`: writes a message's arguments for a trace, each with
/// `Debug` where its type has it (see `__private::describe`). Actors
/// without messages keep the default.
fn describe_messages(messages: &[Message<'_>], msg: &Ident) -> Option<TokenStream> {
    if messages.is_empty() {
        return None;
    }
    let describe = quote!(::actium::__private::describe);
    let arms = messages.iter().map(|message| {
        let name = message.method.name();
        let names: Vec<_> = message.names().collect();
        let writes = names.iter().enumerate().map(|(i, arg)| {
            let comma = (i > 0).then(|| quote!(__out.push_str(", ");));
            quote!(#comma (&#describe::Described(#arg)).describe_into(__out);)
        });
        quote!(#msg::#name { #(#names,)* .. } => { #(#writes)* })
    });
    Some(quote! {
        fn describe(__msg: &Self::Msg, __out: &mut ::std::string::String) {
            #[allow(unused_imports)]
            use #describe::{Opaque as _, ViaDebug as _};
            match __msg {
                #(#arms)*
            }
        }
    })
}

/// A function describing an answer of type `ty` for a trace, and saying
/// whether it is an `Err`.
fn describe_answer(ty: &Type) -> TokenStream {
    let describe = quote!(::actium::__private::describe);
    quote! {{
        #[allow(unused_imports)]
        use #describe::{IsErr as _, NotErr as _, Opaque as _, ViaDebug as _};
        |__value: &#ty, __out: ::std::option::Option<&mut ::std::string::String>| -> bool {
            if let ::std::option::Option::Some(__out) = __out {
                (&#describe::Described(__value)).describe_into(__out);
            }
            (&#describe::Described(__value)).is_err_answer()
        }
    }}
}

/// What the generated code passes for each kind of parameter.
struct Passing {
    /// For `#[on_exit]` / `#[on_down]` hooks: what their one argument gets.
    /// Message methods pass their arguments by their own names.
    signal: Option<TokenStream>,
    /// What an `&ExitReason` parameter gets (`#[on_stop]`).
    reason: TokenStream,
}

impl Passing {
    fn message() -> Self {
        Passing {
            signal: None,
            reason: quote!(::core::unreachable!()),
        }
    }
}

/// `Self::method(self, ..)` with the parameters in declaration order (no
/// `self` for a `parallel` method); spans point at the user's method so type
/// errors land there.
fn call_method(method: &Method<'_>, passing: &Passing) -> TokenStream {
    let name = method.name();
    let params = method
        .params
        .iter()
        .map(|param| match (param, &passing.signal) {
            (Param::Arg { .. }, Some(signal)) => signal.clone(),
            (
                Param::Arg {
                    name: Some(arg), ..
                },
                None,
            ) => quote!(#arg),
            // Rejected by `valid`; emit something that type-checks regardless.
            (Param::Arg { name: None, .. }, None) => quote!(::core::unreachable!()),
            (Param::Context { .. }, _) => quote!(__ctx),
            (Param::Reentrant { .. }, _) => quote!(__ctx.reentrant()),
            (Param::ExitReason { .. }, _) => passing.reason.clone(),
        });
    let receiver = method.receiver().map(|_| quote!(self,));
    let span = method.item.sig.span();
    quote_spanned!(span=> Self::#name(#receiver #(#params),*))
}

/// The call, awaited if the method is `async`.
fn awaited(method: &Method<'_>, call: TokenStream) -> TokenStream {
    if method.is_async() {
        quote!(#call.await)
    } else {
        call
    }
}

fn on_start(method: &Method<'_>) -> TokenStream {
    let call = call_method(method, &Passing::message());
    let call = awaited(method, call);
    quote! {
        fn on_start(
            &mut self,
            __ctx: &mut ::actium::Context<Self>,
        ) -> impl ::core::future::Future<Output = ::core::result::Result<(), ::std::string::String>>
               + ::core::marker::Send {
            async move { ::actium::__private::StartResult::into_start_result(#call) }
        }
    }
}

fn on_stop(method: &Method<'_>) -> TokenStream {
    let call = call_method(
        method,
        &Passing {
            signal: None,
            reason: quote!(__reason),
        },
    );
    let call = awaited(method, call);
    quote! {
        #[allow(unused_variables)]
        fn on_stop(
            &mut self,
            __ctx: &mut ::actium::Context<Self>,
            __reason: &::actium::ExitReason,
        ) -> impl ::core::future::Future<Output = ()> + ::core::marker::Send {
            async move { #call; }
        }
    }
}

fn signal_hook(method: &Method<'_>, hook: &str, signal: TokenStream) -> TokenStream {
    let hook = Ident::new(hook, proc_macro2::Span::call_site());
    let call = call_method(
        method,
        &Passing {
            signal: Some(quote!(__signal)),
            reason: quote!(::core::unreachable!()),
        },
    );
    let call = awaited(method, call);
    quote! {
        #[allow(unused_variables)]
        fn #hook(
            &mut self,
            __ctx: &mut ::actium::Context<Self>,
            __signal: #signal,
        ) -> impl ::core::future::Future<Output = ()> + ::core::marker::Send {
            async move { #call; }
        }
    }
}

fn replace_self(ty: &Type, actor: &Ident) -> Type {
    struct ReplaceSelf<'a>(&'a Ident);
    impl VisitMut for ReplaceSelf<'_> {
        fn visit_path_mut(&mut self, path: &mut syn::Path) {
            if let Some(first) = path.segments.first_mut() {
                if first.ident == "Self" {
                    first.ident = Ident::new(&self.0.to_string(), first.ident.span());
                }
            }
            syn::visit_mut::visit_path_mut(self, path);
        }
    }
    let mut ty = ty.clone();
    ReplaceSelf(actor).visit_type_mut(&mut ty);
    ty
}
