//! Access checks: the connection's vhost, and RabbitMQ's configure/write/read permission checks
//! for every declaration, binding, publish and consume.

use super::*;

impl Session {
    pub(in crate::connection) fn vhost(&self) -> AmqpResult<Arc<VHost>> {
        self.vhost
            .clone()
            .ok_or_else(|| crate::error::command_invalid("no vhost open"))
    }

    /// Checks the user's permission, refusing in RabbitMQ's words (which do not name the
    /// permission; the log does).
    pub(in crate::connection) fn check(
        &self,
        access: Access,
        kind: &str,
        name: &str,
    ) -> AmqpResult {
        let vhost = self.vhost.as_ref().map(|v| v.name.as_str()).unwrap_or("/");
        match &self.user {
            Some(u) if u.allows(vhost, access, name) => Ok(()),
            Some(u) => {
                tracing::debug!(connection = self.id, user = %u.name, %vhost, "{} access to {kind} '{name}' refused", access.name());
                Err(access_refused(format!(
                    "access to {kind} '{name}' in vhost '{vhost}' refused for user '{}'",
                    u.name
                )))
            }
            None => Err(access_refused("not authenticated")),
        }
    }

    /// `exchange.declare`'s checks in RabbitMQ's order: the type (an unknown one is left to
    /// the vhost's 503), not the default exchange (even passive), configure (not when
    /// passive); for a new exchange with an `alternate-exchange`, read on the exchange and
    /// write on the alternate.
    pub(in crate::connection) fn check_exchange_declare(
        &self,
        vhost: &VHost,
        d: &codec::ExchangeDeclare,
    ) -> AmqpResult {
        if !d.passive && crate::routing::ExchangeKind::from_name(&d.kind.as_str()).is_none() {
            return Ok(());
        }
        not_default_exchange(&d.exchange)?;
        if d.passive {
            return Ok(());
        }
        self.check(Access::Configure, "exchange", &d.exchange.as_str())?;
        if vhost.exchange(&d.exchange).is_none() {
            if let Some(codec::FieldValue::LongString(ae)) = d.arguments.get("alternate-exchange") {
                self.check(Access::Read, "exchange", &d.exchange.as_str())?;
                let ae = String::from_utf8_lossy(ae.as_bytes());
                self.check(Access::Write, "exchange", &resource_or_default(&ae))?;
            }
        }
        Ok(())
    }

    /// `exchange.delete`'s checks in RabbitMQ's order: not the default exchange, not an
    /// `amq.*` one (existing or not), configure.
    pub(in crate::connection) fn check_exchange_delete(
        &self,
        vhost: &VHost,
        name: &ShortString,
    ) -> AmqpResult {
        not_default_exchange(name)?;
        if name.as_bytes().starts_with(b"amq.") {
            return Err(access_refused(format!(
                "deletion of system exchange '{name}' in vhost '{}' not allowed",
                vhost.name
            )));
        }
        self.check(Access::Configure, "exchange", &name.as_str())
    }

    /// A binding's checks in RabbitMQ's order: write on the destination (a queue, or an
    /// exchange with `""` read as `amq.default`), neither end the default exchange, read on
    /// the source.
    pub(in crate::connection) fn check_binding(
        &self,
        dest_kind: &str,
        dest: &ShortString,
        source: &ShortString,
    ) -> AmqpResult {
        if dest_kind == "exchange" {
            self.check(Access::Write, "exchange", &exchange_resource(dest))?;
            not_default_exchange(dest)?;
        } else {
            self.check(Access::Write, dest_kind, &dest.as_str())?;
        }
        not_default_exchange(source)?;
        self.check(Access::Read, "exchange", &source.as_str())
    }

    /// For a new queue with an `x-dead-letter-exchange`: read on the queue and write on the
    /// dead-letter exchange (`""` read as `amq.default`), as RabbitMQ checks them.
    pub(in crate::connection) fn check_dead_letter(
        &self,
        queue: &str,
        dlx: Option<&str>,
    ) -> AmqpResult {
        if let Some(dlx) = dlx {
            self.check(Access::Read, "queue", queue)?;
            self.check(Access::Write, "exchange", &resource_or_default(dlx))?;
        }
        Ok(())
    }
}

/// Resource name RabbitMQ checks permissions against for the default exchange.
pub(super) fn exchange_resource(name: &ShortString) -> String {
    resource_or_default(&name.as_str())
}

/// An exchange name as a permission resource: `""` is `amq.default`.
pub(super) fn resource_or_default(name: &str) -> String {
    if name.is_empty() {
        "amq.default".into()
    } else {
        name.to_string()
    }
}

/// RabbitMQ's `check_not_default_exchange`.
pub(super) fn not_default_exchange(name: &ShortString) -> AmqpResult {
    if name.is_empty() {
        return Err(access_refused(
            "operation not permitted on the default exchange",
        ));
    }
    Ok(())
}
