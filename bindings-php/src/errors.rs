//! The exception classes of `Warren\Exception\` and the one function that maps warren-core's
//! errors to them ([`to_exception`]).
//!
//! The classes are registered by hand rather than with `#[php_class]`: a `#[php_class]`
//! replaces the object constructor, and PHP's exception constructor is what records file,
//! line and trace. They carry no Rust data; the AMQP close (reply code and text, class and
//! method id) lives in protected PHP properties that the getters read.

use std::sync::atomic::{AtomicPtr, Ordering};

use ext_php_rs::args::ArgInfoTables;
use ext_php_rs::builders::{ClassBuilder, ClassProperty, FunctionBuilder};
use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::PhpException;
use ext_php_rs::flags::{DataType, MethodFlags, PropertyFlags};
use ext_php_rs::types::{ZendObject, Zval};
use ext_php_rs::zend::{ce, ClassEntry, ExecuteData, ExecutorGlobals};
use warren_core::error::{AmqpError, Error};

/// The exception classes, parents first (registration order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `Warren\Exception\AMQPException`, the root; extends `RuntimeException`.
    Amqp,
    /// The connection failed or was closed (hard errors, I/O, heartbeats, use after fork).
    Connection,
    /// The broker closed a channel (soft errors), or the channel is closed.
    Channel,
    /// The broker refused the credentials; extends `ConnectionException`.
    Authentication,
    /// An operation waited longer than it was allowed to.
    Timeout,
    /// The broker nacked a publish, or the connection was lost before it confirmed.
    Nack,
    /// A mandatory publish came back unroutable.
    Unroutable,
    /// An argument that cannot be sent (a bad URI, a name too long, a value of no AMQP type).
    InvalidArgument,
}

impl Kind {
    const ALL: [Kind; 8] = [
        Kind::Amqp,
        Kind::Connection,
        Kind::Channel,
        Kind::Authentication,
        Kind::Timeout,
        Kind::Nack,
        Kind::Unroutable,
        Kind::InvalidArgument,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Amqp => "Warren\\Exception\\AMQPException",
            Kind::Connection => "Warren\\Exception\\ConnectionException",
            Kind::Channel => "Warren\\Exception\\ChannelException",
            Kind::Authentication => "Warren\\Exception\\AuthenticationException",
            Kind::Timeout => "Warren\\Exception\\TimeoutException",
            Kind::Nack => "Warren\\Exception\\NackException",
            Kind::Unroutable => "Warren\\Exception\\UnroutableException",
            Kind::InvalidArgument => "Warren\\Exception\\InvalidArgumentException",
        }
    }

    fn slot(self) -> &'static AtomicPtr<ClassEntry> {
        &SLOTS[self as usize]
    }

    /// The registration callback storing this class's entry (a plain `fn`, as the builder
    /// takes no closure).
    fn store(self) -> fn(&'static mut ClassEntry, ArgInfoTables) {
        fn store<const K: usize>(ce: &'static mut ClassEntry, _: ArgInfoTables) {
            SLOTS[K].store(ce, Ordering::Release);
        }
        match self {
            Kind::Amqp => store::<0>,
            Kind::Connection => store::<1>,
            Kind::Channel => store::<2>,
            Kind::Authentication => store::<3>,
            Kind::Timeout => store::<4>,
            Kind::Nack => store::<5>,
            Kind::Unroutable => store::<6>,
            Kind::InvalidArgument => store::<7>,
        }
    }

    /// The registered class entry.
    fn ce(self) -> &'static ClassEntry {
        let ptr = self.slot().load(Ordering::Acquire);
        // SAFETY: set once per module startup from the engine's registered (persistent) class
        // entry, before any PHP code can run; null only if registration failed, in which case
        // PHP refuses to load the extension and no method of it runs.
        unsafe { ptr.as_ref() }.unwrap_or_else(ce::exception)
    }
}

/// The registered class entries, indexed by `Kind as usize`.
static SLOTS: [AtomicPtr<ClassEntry>; 8] = [const { AtomicPtr::new(std::ptr::null_mut()) }; 8];

extern "C" {
    /// SPL's `RuntimeException`, exported by the PHP binary (`PHPAPI` in spl_exceptions.h).
    static spl_ce_RuntimeException: *mut ClassEntry;
}

/// `RuntimeException`, the root's parent. SPL is part of PHP itself and registers its classes
/// before any extension's startup runs.
fn runtime_exception() -> &'static ClassEntry {
    // SAFETY: a static the engine sets once at startup, before extensions start, and never
    // frees while the process lives; read only (null only in a PHP without SPL, then
    // `Exception` stands in).
    unsafe { spl_ce_RuntimeException.as_ref() }.unwrap_or_else(ce::exception)
}

/// The parent class entry of each class, as `fn` pointers for [`ClassBuilder::extends`].
fn parent_of(kind: Kind) -> (fn() -> &'static ClassEntry, &'static str) {
    match kind {
        Kind::Amqp => (runtime_exception, "\\RuntimeException"),
        Kind::Authentication => (
            || Kind::Connection.ce(),
            "\\Warren\\Exception\\ConnectionException",
        ),
        _ => (|| Kind::Amqp.ce(), "\\Warren\\Exception\\AMQPException"),
    }
}

/// The protected properties every class carries, with their getters.
const FIELDS: [(&str, &str, DataType); 4] = [
    ("replyCode", "getReplyCode", DataType::Long),
    ("replyText", "getReplyText", DataType::String),
    ("classId", "getClassId", DataType::Long),
    ("methodId", "getMethodId", DataType::Long),
];

/// Registers the classes; called from the module's startup, before anything else runs.
pub(crate) fn register_classes() -> ext_php_rs::error::Result<()> {
    for kind in Kind::ALL {
        let mut builder = ClassBuilder::new(kind.name()).extends(parent_of(kind));
        if kind == Kind::Amqp {
            // Declared once on the root; the children inherit properties and getters.
            for (prop, getter, ty) in FIELDS {
                builder = builder.property(ClassProperty {
                    name: prop.into(),
                    flags: PropertyFlags::Protected,
                    default: None,
                    docs: &[],
                    ty: Some(ty),
                    nullable: false,
                    readonly: false,
                    default_stub: None,
                });
                let handler: extern "C" fn(&mut ExecuteData, &mut Zval) = match prop {
                    "replyCode" => get_reply_code,
                    "replyText" => get_reply_text,
                    "classId" => get_class_id,
                    _ => get_method_id,
                };
                builder = builder.method(
                    FunctionBuilder::new(getter, handler).returns(ty, false, false),
                    MethodFlags::Public,
                );
            }
        }
        builder = builder.registration(kind.store());
        builder.register()?;
    }
    Ok(())
}

/// Runs `f` with the executor's scope set to the root exception class, so that its protected
/// properties can be read and written from here.
fn in_exception_scope<R>(f: impl FnOnce() -> R) -> R {
    let root = std::ptr::from_ref(Kind::Amqp.ce()).cast_mut();
    let previous = {
        let mut eg = ExecutorGlobals::get_mut();
        std::mem::replace(&mut eg.fake_scope, root)
    };
    let out = f();
    ExecutorGlobals::get_mut().fake_scope = previous;
    out
}

/// Shared body of the four getters: `$this->{name}` into the return value.
fn read_field(ex: &mut ExecuteData, retval: &mut Zval, name: &str, ty: DataType) {
    ext_php_rs::zend::run_handler(std::panic::AssertUnwindSafe(|| {
        let Some(this) = ex.get_self() else {
            return;
        };
        let this: &ZendObject = this;
        in_exception_scope(|| match ty {
            DataType::Long => retval.set_long(this.get_property::<i64>(name).unwrap_or(0)),
            _ => {
                let text = this.get_property::<String>(name).unwrap_or_default();
                let _ = retval.set_string(&text, false);
            }
        });
    }));
}

extern "C" fn get_reply_code(ex: &mut ExecuteData, retval: &mut Zval) {
    read_field(ex, retval, "replyCode", DataType::Long);
}
extern "C" fn get_reply_text(ex: &mut ExecuteData, retval: &mut Zval) {
    read_field(ex, retval, "replyText", DataType::String);
}
extern "C" fn get_class_id(ex: &mut ExecuteData, retval: &mut Zval) {
    read_field(ex, retval, "classId", DataType::Long);
}
extern "C" fn get_method_id(ex: &mut ExecuteData, retval: &mut Zval) {
    read_field(ex, retval, "methodId", DataType::Long);
}

/// Which class an error becomes, and the AMQP close behind it if there is one.
fn classify(err: &Error) -> (Kind, Option<&AmqpError>) {
    match err {
        Error::ConnectionClosed(e) => (Kind::Connection, Some(e)),
        Error::ChannelClosed(e) | Error::BadContent(e) => (Kind::Channel, Some(e)),
        Error::Unroutable(e) => (Kind::Unroutable, Some(e)),
        Error::AuthenticationFailed(_) | Error::MechanismNotOffered { .. } => {
            (Kind::Authentication, None)
        }
        Error::AllHostsFailed(last) => classify(last),
        Error::ConnectionLost(cause) => match classify(cause) {
            (_, Some(close)) => (Kind::Connection, Some(close)),
            _ => (Kind::Connection, None),
        },
        Error::ConnectionClosedByClient
        | Error::Protocol(_)
        | Error::Decode(_)
        | Error::Io(_)
        | Error::Tls(_)
        | Error::MissedHeartbeats
        | Error::ConnectTimeout(_)
        | Error::UsedAfterFork { .. } => (Kind::Connection, None),
        Error::ChannelClosedByClient
        | Error::ChannelsExhausted(_)
        | Error::StaleDeliveryTag(_)
        | Error::MessageTooLarge { .. }
        | Error::ConsumerCancelled(_) => (Kind::Channel, None),
        Error::Timeout => (Kind::Timeout, None),
        Error::PublishUnconfirmed(_) => (Kind::Nack, None),
        Error::InvalidUri(_) | Error::InvalidArgument(_) => (Kind::InvalidArgument, None),
        Error::InvalidState(_) => (Kind::Amqp, None),
        // The enum may grow; a new variant is at least an AMQPException.
        #[allow(unreachable_patterns)]
        _ => (Kind::Amqp, None),
    }
}

/// The one mapping from a warren-core error to a PHP exception: the class by [`classify`],
/// the message from the error's text, `getCode()` and `getReplyCode()` the AMQP reply code
/// (0 when the broker sent none), plus reply text, class id and method id.
pub(crate) fn to_exception(err: &Error) -> PhpException {
    let (kind, amqp) = classify(err);
    let message = err.to_string();
    let (code, text, class_id, method_id) = match amqp {
        Some(a) => (
            i64::from(a.reply_code),
            a.reply_text.clone(),
            i64::from(a.class_id),
            i64::from(a.method_id),
        ),
        None => (0, String::new(), 0, 0),
    };
    new_exception(kind, &message, code, &text, class_id, method_id)
}

/// An exception of `kind` built by PHP's own constructor (so file, line and trace are the
/// caller's), with the AMQP fields set.
pub(crate) fn new_exception(
    kind: Kind,
    message: &str,
    code: i64,
    reply_text: &str,
    class_id: i64,
    method_id: i64,
) -> PhpException {
    let ce = kind.ce();
    let fallback = || PhpException::new(message.to_string(), code as i32, ce);
    let mut obj = ZendObject::new(ce);
    if obj
        .try_call_method("__construct", vec![&message, &code])
        .is_err()
    {
        return fallback();
    }
    let set = in_exception_scope(|| {
        obj.set_property("replyCode", code)
            .and_then(|()| obj.set_property("replyText", reply_text))
            .and_then(|()| obj.set_property("classId", class_id))
            .and_then(|()| obj.set_property("methodId", method_id))
    });
    if set.is_err() {
        return fallback();
    }
    match obj.into_zval(false) {
        Ok(zv) => PhpException::new(message.to_string(), code as i32, ce).with_object(zv),
        Err(_) => fallback(),
    }
}

/// An `InvalidArgumentException` for a PHP value this extension cannot send.
pub(crate) fn invalid_argument(message: impl Into<String>) -> PhpException {
    to_exception(&Error::InvalidArgument(message.into()))
}

/// `Result` with core errors, converted at the boundary by [`to_exception`].
pub(crate) type CoreResult<T> = Result<T, Error>;

/// Converts a core result at the PHP boundary.
pub(crate) trait OrThrow<T> {
    /// The value, or the mapped exception.
    fn or_throw(self) -> Result<T, PhpException>;
}

impl<T> OrThrow<T> for CoreResult<T> {
    fn or_throw(self) -> Result<T, PhpException> {
        self.map_err(|e| to_exception(&e))
    }
}
