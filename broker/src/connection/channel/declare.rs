//! Declarations: exchanges, queues and bindings (declare, delete, bind, unbind, purge), and
//! AMQP's empty-queue-name shortcuts.

use super::*;

impl Session {
    /// `exchange.declare`.
    pub(in crate::connection) fn exchange_declare(
        &mut self,
        ch: u16,
        d: codec::ExchangeDeclare,
        vhost: &Arc<VHost>,
    ) -> AmqpResult {
        self.check_exchange_declare(vhost, &d)?;
        let nowait = d.nowait;
        vhost.declare_exchange(ExchangeDeclaration {
            name: d.exchange,
            kind: d.kind.as_str().into_owned(),
            passive: d.passive,
            durable: d.durable,
            auto_delete: d.auto_delete,
            internal: d.internal,
            arguments: d.arguments,
        })?;
        if !nowait {
            self.out
                .push_method(ch, &codec::ExchangeDeclareOk {}.into());
        }
        Ok(())
    }

    /// `exchange.delete`.
    pub(in crate::connection) fn exchange_delete(
        &mut self,
        ch: u16,
        d: codec::ExchangeDelete,
        vhost: &Arc<VHost>,
    ) -> AmqpResult {
        self.check_exchange_delete(vhost, &d.exchange)?;
        vhost.delete_exchange(&d.exchange, d.if_unused)?;
        if !d.nowait {
            self.out.push_method(ch, &codec::ExchangeDeleteOk {}.into());
        }
        Ok(())
    }

    /// `exchange.bind`.
    pub(in crate::connection) fn exchange_bind(
        &mut self,
        ch: u16,
        b: codec::ExchangeBind,
        vhost: &Arc<VHost>,
    ) -> AmqpResult {
        self.check_binding("exchange", &b.destination, &b.source)?;
        let dest = vhost.exchange_or_404(&b.destination)?;
        vhost.bind(
            &b.source,
            Destination::Exchange(dest),
            b.routing_key,
            b.arguments,
        )?;
        if !b.nowait {
            self.out.push_method(ch, &codec::ExchangeBindOk {}.into());
        }
        Ok(())
    }

    /// `exchange.unbind`.
    pub(in crate::connection) fn exchange_unbind(
        &mut self,
        ch: u16,
        b: codec::ExchangeUnbind,
        vhost: &Arc<VHost>,
    ) -> AmqpResult {
        self.check_binding("exchange", &b.destination, &b.source)?;
        if let Some(dest) = vhost.exchange(&b.destination) {
            vhost.unbind(
                &b.source,
                &Destination::Exchange(dest),
                &b.routing_key,
                &b.arguments,
            )?;
        }
        if !b.nowait {
            self.out.push_method(ch, &codec::ExchangeUnbindOk {}.into());
        }
        Ok(())
    }

    /// `queue.declare`.
    pub(in crate::connection) fn queue_declare(
        &mut self,
        ch: u16,
        d: codec::QueueDeclare,
        vhost: &Arc<VHost>,
    ) -> AmqpResult {
        // RabbitMQ checks nothing for a passive declare; otherwise the reserved prefix,
        // configure, and for a new queue its dead-letter exchange.
        let server_named = !d.passive && d.queue.is_empty();
        let dlx = match d.arguments.get("x-dead-letter-exchange") {
            Some(codec::FieldValue::LongString(s)) => {
                Some(String::from_utf8_lossy(s.as_bytes()).into_owned())
            }
            _ => None,
        };
        if !d.passive && !server_named {
            if d.queue.as_bytes().starts_with(b"amq.") {
                return Err(access_refused(format!(
                    "queue name '{}' contains reserved prefix 'amq.*'",
                    d.queue
                )));
            }
            let name = d.queue.as_str();
            self.check(Access::Configure, "queue", &name)?;
            if vhost.queue(&d.queue).is_none() {
                self.check_dead_letter(&name, dlx.as_deref())?;
            }
        }
        let nowait = d.nowait;
        let q = vhost.declare_queue(
            QueueDeclaration {
                name: d.queue,
                passive: d.passive,
                durable: d.durable,
                exclusive: d.exclusive,
                auto_delete: d.auto_delete,
                arguments: d.arguments,
            },
            self.id,
        )?;
        if server_named {
            // RabbitMQ checks configure (and the dead-letter permissions) on the
            // generated `amq.gen-...` name before creating the queue; the vhost makes
            // the name, so check now and undo: nobody else can know the name yet.
            let name = q.name.as_str();
            let checked = self
                .check(Access::Configure, "queue", &name)
                .and_then(|()| self.check_dead_letter(&name, dlx.as_deref()));
            if let Err(e) = checked {
                vhost.remove_queue(&q);
                return Err(e);
            }
        }
        self.channel(ch)?.last_declared_queue = Some(q.name.clone());
        if !nowait {
            let ok = codec::QueueDeclareOk {
                queue: q.name.clone(),
                message_count: q.message_count(),
                consumer_count: q.consumer_count(),
            };
            self.out.push_method(ch, &ok.into());
        }
        Ok(())
    }

    /// `queue.bind`.
    pub(in crate::connection) fn queue_bind(
        &mut self,
        ch: u16,
        b: codec::QueueBind,
        vhost: &Arc<VHost>,
    ) -> AmqpResult {
        self.check_binding("queue", &b.queue, &b.exchange)?;
        let q = vhost.queue_or_404(&b.queue)?;
        q.check_access(self.id)?;
        vhost.bind(
            &b.exchange,
            Destination::Queue(q),
            b.routing_key,
            b.arguments,
        )?;
        if !b.nowait {
            self.out.push_method(ch, &codec::QueueBindOk {}.into());
        }
        Ok(())
    }

    /// `queue.unbind`.
    pub(in crate::connection) fn queue_unbind(
        &mut self,
        ch: u16,
        b: codec::QueueUnbind,
        vhost: &Arc<VHost>,
    ) -> AmqpResult {
        self.check_binding("queue", &b.queue, &b.exchange)?;
        if let Some(q) = vhost.queue(&b.queue) {
            q.check_access(self.id)?;
            vhost.unbind(
                &b.exchange,
                &Destination::Queue(q),
                &b.routing_key,
                &b.arguments,
            )?;
        }
        self.out.push_method(ch, &codec::QueueUnbindOk {}.into());
        Ok(())
    }

    /// `queue.purge`.
    pub(in crate::connection) fn queue_purge(
        &mut self,
        ch: u16,
        p: codec::QueuePurge,
        vhost: &Arc<VHost>,
    ) -> AmqpResult {
        self.check(Access::Read, "queue", &p.queue.as_str())?;
        let q = vhost.queue_or_404(&p.queue)?;
        q.check_access(self.id)?;
        let n = q.purge();
        if !p.nowait {
            self.out
                .push_method(ch, &codec::QueuePurgeOk { message_count: n }.into());
        }
        Ok(())
    }

    /// `queue.delete`.
    pub(in crate::connection) fn queue_delete(
        &mut self,
        ch: u16,
        d: codec::QueueDelete,
        vhost: &Arc<VHost>,
    ) -> AmqpResult {
        self.check(Access::Configure, "queue", &d.queue.as_str())?;
        let n = vhost.delete_queue(&d.queue, d.if_unused, d.if_empty, self.id)?;
        if !d.nowait {
            self.out
                .push_method(ch, &codec::QueueDeleteOk { message_count: n }.into());
        }
        Ok(())
    }

    /// AMQP's shortcuts, as RabbitMQ's `expand_shortcuts`: an empty queue name in
    /// `queue.bind`, `queue.unbind`, `queue.purge`, `queue.delete`, `basic.consume` and
    /// `basic.get` is the queue the channel declared last (404 if it declared none), and an
    /// empty routing key in a binding whose queue name is empty too is that queue's name.
    pub(in crate::connection) fn expand_shortcuts(
        &self,
        ch: u16,
        method: Method,
    ) -> AmqpResult<Method> {
        let last = self
            .channels
            .get(&ch)
            .and_then(|s| s.last_declared_queue.as_ref());
        let expand = |queue: &mut ShortString| -> AmqpResult {
            if queue.is_empty() {
                *queue = last
                    .cloned()
                    .ok_or_else(|| not_found("no previously declared queue"))?;
            }
            Ok(())
        };
        let mut method = method;
        match &mut method {
            Method::BasicGet(m) => expand(&mut m.queue)?,
            Method::BasicConsume(m) => expand(&mut m.queue)?,
            Method::QueueDelete(m) => expand(&mut m.queue)?,
            Method::QueuePurge(m) => expand(&mut m.queue)?,
            Method::QueueBind(m) => {
                if m.queue.is_empty() && m.routing_key.is_empty() {
                    expand(&mut m.routing_key)?;
                }
                expand(&mut m.queue)?;
            }
            Method::QueueUnbind(m) => {
                if m.queue.is_empty() && m.routing_key.is_empty() {
                    expand(&mut m.routing_key)?;
                }
                expand(&mut m.queue)?;
            }
            _ => {}
        }
        Ok(method)
    }
}
