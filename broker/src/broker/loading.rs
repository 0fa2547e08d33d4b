//! Startup: recreating the vhosts, users, exchanges, queues and bindings the definitions log
//! holds, before the listener accepts connections.

use std::sync::Arc;

use super::BrokerState;
use crate::auth::UserStore;
use crate::routing::Destination;
use crate::storage::DefinitionStore;
use crate::vhost::{ExchangeDeclaration, QueueDeclaration, VHost};

/// Recreates what `store` holds in `state`, before the listener accepts connections: vhosts
/// made at run time (each given the message store's recovered messages), users made at run
/// time that the configuration does not name (the configuration wins for those it names),
/// durable exchanges, durable queues (re-declared: [`crate::vhost::VHost::declare_queue`]
/// hands them their recovered messages) and the bindings between them. Every vhost is
/// attached to `store`, so later durable changes are written. An entry that cannot be
/// recreated (its vhost is no longer configured, its arguments are refused) is logged and
/// skipped, and stays in the log.
pub(super) fn load(state: &BrokerState, store: &Arc<DefinitionStore>) {
    let defs = store.definitions();
    for v in &defs.vhosts {
        if state.vhost(v).is_none() {
            let vhost = VHost::new(v);
            state.attach_vhost(&vhost);
            state.vhosts.write().insert(v.clone(), vhost);
        }
    }
    for vhost in state.vhosts.read().values() {
        vhost.attach_definitions(store.clone());
    }
    let vhost_names: Vec<String> = state.vhosts.read().keys().cloned().collect();
    for u in defs.users.values() {
        if state.config.users.iter().any(|c| c.name == u.name) {
            continue;
        }
        let mut u = u.clone();
        u.permissions.retain(|p| vhost_names.contains(&p.vhost));
        match UserStore::from_config(std::slice::from_ref(&u), &vhost_names) {
            Ok(one) => {
                if let Some(user) = one.get(&u.name) {
                    state.users.write().insert(user.clone());
                }
            }
            Err(e) => tracing::warn!("stored user '{}' not loaded: {e}", u.name),
        }
    }
    let (mut exchanges, mut queues, mut bindings) = (0, 0, 0);
    for ((v, name), x) in &defs.exchanges {
        let Some(vhost) = state.vhost(v) else {
            tracing::warn!("durable exchange '{name}' not loaded: vhost '{v}' does not exist");
            continue;
        };
        let declared = vhost.declare_exchange(ExchangeDeclaration {
            name: name.clone(),
            kind: x.kind.clone(),
            passive: false,
            durable: true,
            auto_delete: x.auto_delete,
            internal: x.internal,
            arguments: x.arguments.clone(),
        });
        match declared {
            Ok(_) => exchanges += 1,
            Err(e) => tracing::warn!("durable exchange '{name}' in '{v}' not loaded: {}", e.text),
        }
    }
    for ((v, name), q) in &defs.queues {
        let Some(vhost) = state.vhost(v) else {
            tracing::warn!("durable queue '{name}' not loaded: vhost '{v}' does not exist");
            continue;
        };
        let declared = vhost.declare_queue(
            QueueDeclaration {
                name: name.clone(),
                passive: false,
                durable: true,
                exclusive: false,
                auto_delete: q.auto_delete,
                arguments: q.arguments.clone(),
            },
            0,
        );
        match declared {
            Ok(_) => queues += 1,
            Err(e) => tracing::warn!("durable queue '{name}' in '{v}' not loaded: {}", e.text),
        }
    }
    for b in &defs.bindings {
        let Some(vhost) = state.vhost(&b.vhost) else {
            continue;
        };
        let destination = if b.to_queue {
            vhost.queue(&b.destination).map(Destination::Queue)
        } else {
            vhost.exchange(&b.destination).map(Destination::Exchange)
        };
        let Some(destination) = destination else {
            continue;
        };
        match vhost.bind(&b.source, destination, b.key.clone(), b.arguments.clone()) {
            Ok(()) => bindings += 1,
            Err(e) => tracing::warn!("binding from '{}' not loaded: {}", b.source, e.text),
        }
    }
    // Hook for the message store: recovered messages are handed over as each durable queue
    // is re-declared above (VHost::declare_queue -> Queue::restore); anything that needs
    // every queue recreated first goes here.
    tracing::info!(
        vhosts = defs.vhosts.len(),
        users = defs.users.len(),
        exchanges,
        queues,
        bindings,
        "definitions loaded"
    );
}
