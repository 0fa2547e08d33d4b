//! Warren's PHP extension: the native `Warren\` API over warren-core's blocking client.
//!
//! The bridge is thin on purpose: every AMQP behaviour (heartbeats, confirms, recovery,
//! buffering) is warren-core's; this crate converts PHP values, maps core errors to PHP
//! exceptions in one place ([`errors::to_exception`]) and runs PHP callbacks from `wait()` on
//! the one PHP thread. Panics never cross into PHP: ext-php-rs runs every generated method
//! handler under `catch_unwind` and throws an `Error` instead, and the few hand-written
//! handlers here ([`errors`]) use the same guard.
//!
//! Layout: `errors` (the exception classes and the one mapping), `values` (PHP values ⇄
//! field tables and basic properties), `session` (what a connection's PHP objects share), `confirms` (merging confirms for PHP),
//! `connection`, `channel`, `message`, `properties`, `signals` (prompt return from `wait()` on a signal).

#![cfg_attr(windows, feature(abi_vectorcall))]

mod channel;
mod connection;
mod errors;
mod message;
mod properties;
mod session;
mod signals;
mod values;

use ext_php_rs::prelude::*;
use ext_php_rs::zend::ModuleEntry;
use ext_php_rs::{info_table_end, info_table_row, info_table_start};

/// The extension's version, as `phpversion('warren')` reports it.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Registers the exception classes before ext-php-rs registers the other classes: they are
/// built by hand (see [`errors`]) so that PHP's own exception constructor keeps filling in
/// file, line and trace.
///
/// # Safety
/// Called by PHP once per module startup, on the startup thread.
unsafe extern "C" fn startup(_ty: i32, _module_number: i32) -> i32 {
    match std::panic::catch_unwind(errors::register_classes) {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            eprintln!("warren: could not register the exception classes: {e}");
            -1
        }
        Err(_) => {
            eprintln!("warren: panic while registering the exception classes");
            -1
        }
    }
}

/// `phpinfo()` section.
///
/// # Safety
/// Called by PHP with its module entry.
unsafe extern "C" fn module_info(_module: *mut ModuleEntry) {
    info_table_start!();
    info_table_row!("warren support", "enabled");
    info_table_row!("warren version", VERSION);
    info_table_end!();
}

#[php_module]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    module
        .name("warren")
        .version(VERSION)
        .startup_function(startup)
        .info_function(module_info)
        .class::<connection::Connection>()
        .class::<channel::Channel>()
        .class::<message::Message>()
        .class::<properties::Properties>()
        .class::<connection::RpcClient>()
}
