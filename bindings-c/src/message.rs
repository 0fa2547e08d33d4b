//! Messages: basic properties, deliveries, returned messages and publish confirmations.

use std::os::raw::c_char;

use warren_core::client::blocking::PublishConfirm;
use warren_core::client::{ConfirmOutcome, Confirmation, Delivery, Returned};
use warren_core::codec::{BasicProperties, ShortString};

use crate::error::{
    warren_result, Failure, WARREN_EMPTY, WARREN_INVALID_ARGUMENT, WARREN_INVALID_STATE, WARREN_OK,
};
use crate::ffi::{self, boundary, boundary_or, warren_bytes, Out};
use crate::table::warren_table;

/// The 14 basic properties of a message. Build them with warren_properties_new and the
/// setters for a publish; read them from a delivery with the getters. Not thread-safe for
/// writing: change one from one thread at a time.
#[repr(transparent)]
#[allow(non_camel_case_types)]
pub struct warren_properties(pub(crate) BasicProperties);

/// Which basic property (for warren_properties_set_string, _get_string and _clear).
#[allow(non_camel_case_types)]
pub type warren_property = u32;

/// `content-type` (string), e.g. "application/json".
pub const WARREN_PROPERTY_CONTENT_TYPE: warren_property = 1;
/// `content-encoding` (string).
pub const WARREN_PROPERTY_CONTENT_ENCODING: warren_property = 2;
/// `headers` (table): warren_properties_set_headers / _get_headers.
pub const WARREN_PROPERTY_HEADERS: warren_property = 3;
/// `delivery-mode` (1 transient, 2 persistent).
pub const WARREN_PROPERTY_DELIVERY_MODE: warren_property = 4;
/// `priority` (0-9).
pub const WARREN_PROPERTY_PRIORITY: warren_property = 5;
/// `correlation-id` (string).
pub const WARREN_PROPERTY_CORRELATION_ID: warren_property = 6;
/// `reply-to` (string).
pub const WARREN_PROPERTY_REPLY_TO: warren_property = 7;
/// `expiration` (string: milliseconds, e.g. "60000").
pub const WARREN_PROPERTY_EXPIRATION: warren_property = 8;
/// `message-id` (string).
pub const WARREN_PROPERTY_MESSAGE_ID: warren_property = 9;
/// `timestamp` (seconds since the epoch).
pub const WARREN_PROPERTY_TIMESTAMP: warren_property = 10;
/// `type` (string).
pub const WARREN_PROPERTY_TYPE: warren_property = 11;
/// `user-id` (string; RabbitMQ checks it against the connection's user).
pub const WARREN_PROPERTY_USER_ID: warren_property = 12;
/// `app-id` (string).
pub const WARREN_PROPERTY_APP_ID: warren_property = 13;
/// `cluster-id` (string).
pub const WARREN_PROPERTY_CLUSTER_ID: warren_property = 14;

/// `delivery-mode` value of a persistent message.
pub const WARREN_DELIVERY_PERSISTENT: u8 = 2;
/// `delivery-mode` value of a transient message.
pub const WARREN_DELIVERY_TRANSIENT: u8 = 1;

/// The string property `prop` selects.
fn string_property(
    p: &mut BasicProperties,
    prop: warren_property,
) -> Result<&mut Option<ShortString>, Failure> {
    Ok(match prop {
        WARREN_PROPERTY_CONTENT_TYPE => &mut p.content_type,
        WARREN_PROPERTY_CONTENT_ENCODING => &mut p.content_encoding,
        WARREN_PROPERTY_CORRELATION_ID => &mut p.correlation_id,
        WARREN_PROPERTY_REPLY_TO => &mut p.reply_to,
        WARREN_PROPERTY_EXPIRATION => &mut p.expiration,
        WARREN_PROPERTY_MESSAGE_ID => &mut p.message_id,
        WARREN_PROPERTY_TYPE => &mut p.kind,
        WARREN_PROPERTY_USER_ID => &mut p.user_id,
        WARREN_PROPERTY_APP_ID => &mut p.app_id,
        WARREN_PROPERTY_CLUSTER_ID => &mut p.cluster_id,
        other => {
            return Err(Failure::new(
                WARREN_INVALID_ARGUMENT,
                format!("property {other} is not a string property"),
            ))
        }
    })
}

fn string_property_ref(
    p: &BasicProperties,
    prop: warren_property,
) -> Result<&Option<ShortString>, Failure> {
    Ok(match prop {
        WARREN_PROPERTY_CONTENT_TYPE => &p.content_type,
        WARREN_PROPERTY_CONTENT_ENCODING => &p.content_encoding,
        WARREN_PROPERTY_CORRELATION_ID => &p.correlation_id,
        WARREN_PROPERTY_REPLY_TO => &p.reply_to,
        WARREN_PROPERTY_EXPIRATION => &p.expiration,
        WARREN_PROPERTY_MESSAGE_ID => &p.message_id,
        WARREN_PROPERTY_TYPE => &p.kind,
        WARREN_PROPERTY_USER_ID => &p.user_id,
        WARREN_PROPERTY_APP_ID => &p.app_id,
        WARREN_PROPERTY_CLUSTER_ID => &p.cluster_id,
        other => {
            return Err(Failure::new(
                WARREN_INVALID_ARGUMENT,
                format!("property {other} is not a string property"),
            ))
        }
    })
}

/// New, empty properties. Free them with warren_properties_free.
#[no_mangle]
pub extern "C" fn warren_properties_new() -> *mut warren_properties {
    boundary_or(std::ptr::null_mut(), || {
        ffi::into_handle(warren_properties(BasicProperties::default()))
    })
}

/// A copy of `props` (NULL gives NULL), e.g. to keep a delivery's properties.
#[no_mangle]
pub extern "C" fn warren_properties_clone(
    props: *const warren_properties,
) -> *mut warren_properties {
    boundary_or(std::ptr::null_mut(), || {
        // SAFETY: NULL or live properties (documented).
        match unsafe { ffi::optional_object(props) } {
            Some(p) => ffi::into_handle(warren_properties(p.0.clone())),
            None => std::ptr::null_mut(),
        }
    })
}

/// Frees properties made with warren_properties_new or _clone; NULL does nothing. Never
/// free the properties a delivery or returned message lends.
#[no_mangle]
pub extern "C" fn warren_properties_free(props: *mut warren_properties) {
    // SAFETY: NULL or properties this library handed over (documented).
    boundary_or((), || unsafe { ffi::free_handle(props) })
}

/// Sets a string property to NUL-terminated `value` (at most 255 bytes); NULL clears it.
#[no_mangle]
pub extern "C" fn warren_properties_set_string(
    props: *mut warren_properties,
    property: warren_property,
    value: *const c_char,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let p = unsafe { ffi::object_mut(props, "props")? };
        let new = if value.is_null() {
            None
        } else {
            // SAFETY: non-NULL, NUL-terminated (documented).
            let s = unsafe { ffi::string(value, "value")? };
            Some(
                ShortString::try_from(s)
                    .map_err(|e| Failure::new(WARREN_INVALID_ARGUMENT, e.to_string()))?,
            )
        };
        *string_property(&mut p.0, property)? = new;
        Ok(WARREN_OK)
    })
}

/// Reads a string property into `*value` (borrowed from `props`); WARREN_EMPTY if unset.
#[no_mangle]
pub extern "C" fn warren_properties_get_string(
    props: *const warren_properties,
    property: warren_property,
    value: *mut warren_bytes,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (p, out) = unsafe { (ffi::object(props, "props")?, Out::new(value, "value")?) };
        Ok(match string_property_ref(&p.0, property)? {
            Some(s) => {
                out.write(warren_bytes::of(s.as_bytes()));
                WARREN_OK
            }
            None => WARREN_EMPTY,
        })
    })
}

/// Sets `delivery-mode`: WARREN_DELIVERY_PERSISTENT (2) or WARREN_DELIVERY_TRANSIENT (1).
#[no_mangle]
pub extern "C" fn warren_properties_set_delivery_mode(
    props: *mut warren_properties,
    mode: u8,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract.
        unsafe { ffi::object_mut(props, "props")? }.0.delivery_mode = Some(mode);
        Ok(WARREN_OK)
    })
}

/// Sets `priority`.
#[no_mangle]
pub extern "C" fn warren_properties_set_priority(
    props: *mut warren_properties,
    priority: u8,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract.
        unsafe { ffi::object_mut(props, "props")? }.0.priority = Some(priority);
        Ok(WARREN_OK)
    })
}

/// Sets `timestamp` (seconds since the epoch).
#[no_mangle]
pub extern "C" fn warren_properties_set_timestamp(
    props: *mut warren_properties,
    timestamp: u64,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract.
        unsafe { ffi::object_mut(props, "props")? }.0.timestamp = Some(timestamp);
        Ok(WARREN_OK)
    })
}

/// Sets `headers` to a copy of `headers`; NULL clears them.
#[no_mangle]
pub extern "C" fn warren_properties_set_headers(
    props: *mut warren_properties,
    headers: *const warren_table,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (p, h) = unsafe {
            (
                ffi::object_mut(props, "props")?,
                ffi::optional_object(headers),
            )
        };
        p.0.headers = h.map(|t| t.0.clone());
        Ok(WARREN_OK)
    })
}

/// Reads `delivery-mode`; WARREN_EMPTY if unset.
#[no_mangle]
pub extern "C" fn warren_properties_get_delivery_mode(
    props: *const warren_properties,
    mode: *mut u8,
) -> warren_result {
    // SAFETY: the documented contract of each argument.
    boundary(|| unsafe { get_copy(props, mode, |p| p.delivery_mode) })
}

/// Reads `priority`; WARREN_EMPTY if unset.
#[no_mangle]
pub extern "C" fn warren_properties_get_priority(
    props: *const warren_properties,
    priority: *mut u8,
) -> warren_result {
    // SAFETY: the documented contract of each argument.
    boundary(|| unsafe { get_copy(props, priority, |p| p.priority) })
}

/// Reads `timestamp`; WARREN_EMPTY if unset.
#[no_mangle]
pub extern "C" fn warren_properties_get_timestamp(
    props: *const warren_properties,
    timestamp: *mut u64,
) -> warren_result {
    // SAFETY: the documented contract of each argument.
    boundary(|| unsafe { get_copy(props, timestamp, |p| p.timestamp) })
}

/// Reads `headers` into `*headers` (borrowed from `props`); WARREN_EMPTY if unset.
#[no_mangle]
pub extern "C" fn warren_properties_get_headers(
    props: *const warren_properties,
    headers: *mut *const warren_table,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (p, out) = unsafe { (ffi::object(props, "props")?, Out::new(headers, "headers")?) };
        Ok(match &p.0.headers {
            Some(h) => {
                out.write(ffi::table_view(h));
                WARREN_OK
            }
            None => WARREN_EMPTY,
        })
    })
}

/// Unsets any property.
#[no_mangle]
pub extern "C" fn warren_properties_clear(
    props: *mut warren_properties,
    property: warren_property,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract.
        let p = &mut unsafe { ffi::object_mut(props, "props")? }.0;
        match property {
            WARREN_PROPERTY_HEADERS => p.headers = None,
            WARREN_PROPERTY_DELIVERY_MODE => p.delivery_mode = None,
            WARREN_PROPERTY_PRIORITY => p.priority = None,
            WARREN_PROPERTY_TIMESTAMP => p.timestamp = None,
            other => *string_property(p, other)? = None,
        }
        Ok(WARREN_OK)
    })
}

/// Reads a copyable property.
///
/// # Safety
/// `props` NULL or live; `out` NULL or writable.
unsafe fn get_copy<T: Copy>(
    props: *const warren_properties,
    out: *mut T,
    field: impl Fn(&BasicProperties) -> Option<T>,
) -> Result<warren_result, Failure> {
    // SAFETY: the caller's promise.
    let (p, out) = unsafe { (ffi::object(props, "props")?, Out::new(out, "out")?) };
    Ok(match field(&p.0) {
        Some(v) => {
            out.write(v);
            WARREN_OK
        }
        None => WARREN_EMPTY,
    })
}

/// A message delivered to a consumer, fetched with basic.get, or received as an RPC reply.
/// Free it with warren_delivery_free; its acknowledgement functions may be called from any
/// thread, before it is freed.
#[allow(non_camel_case_types)]
pub struct warren_delivery(pub(crate) Delivery);

/// Frees a delivery; NULL does nothing. An unacknowledged delivery stays unacknowledged.
#[no_mangle]
pub extern "C" fn warren_delivery_free(delivery: *mut warren_delivery) {
    // SAFETY: NULL or a delivery this library handed over, not used after (documented).
    boundary_or((), || unsafe { ffi::free_handle(delivery) })
}

/// A copy of `delivery` (NULL gives NULL) that outlives the callback or object it came
/// from; free it with warren_delivery_free. It acknowledges the same message.
#[no_mangle]
pub extern "C" fn warren_delivery_clone(delivery: *const warren_delivery) -> *mut warren_delivery {
    boundary_or(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live delivery (documented).
        match unsafe { ffi::optional_object(delivery) } {
            Some(d) => ffi::into_handle(warren_delivery(d.0.clone())),
            None => std::ptr::null_mut(),
        }
    })
}

/// The body (borrowed from `delivery`).
#[no_mangle]
pub extern "C" fn warren_delivery_body(delivery: *const warren_delivery) -> warren_bytes {
    delivery_view(delivery, |d| warren_bytes::of(&d.body))
}

/// The exchange it was published to (borrowed).
#[no_mangle]
pub extern "C" fn warren_delivery_exchange(delivery: *const warren_delivery) -> warren_bytes {
    delivery_view(delivery, |d| warren_bytes::of(d.exchange.as_bytes()))
}

/// The routing key it was published with (borrowed).
#[no_mangle]
pub extern "C" fn warren_delivery_routing_key(delivery: *const warren_delivery) -> warren_bytes {
    delivery_view(delivery, |d| warren_bytes::of(d.routing_key.as_bytes()))
}

/// The consumer tag it was delivered to (borrowed; empty for basic.get).
#[no_mangle]
pub extern "C" fn warren_delivery_consumer_tag(delivery: *const warren_delivery) -> warren_bytes {
    delivery_view(delivery, |d| warren_bytes::of(d.consumer_tag.as_bytes()))
}

fn delivery_view(
    delivery: *const warren_delivery,
    f: impl FnOnce(&Delivery) -> warren_bytes,
) -> warren_bytes {
    boundary_or(warren_bytes::EMPTY, || {
        // SAFETY: NULL or a live delivery (documented).
        unsafe { ffi::optional_object(delivery) }.map_or(warren_bytes::EMPTY, |d| f(&d.0))
    })
}

/// The delivery tag (0 for NULL).
#[no_mangle]
pub extern "C" fn warren_delivery_tag(delivery: *const warren_delivery) -> u64 {
    boundary_or(0, || {
        // SAFETY: NULL or a live delivery.
        unsafe { ffi::optional_object(delivery) }.map_or(0, |d| d.0.delivery_tag)
    })
}

/// Whether it was delivered before and not acknowledged.
#[no_mangle]
pub extern "C" fn warren_delivery_redelivered(delivery: *const warren_delivery) -> bool {
    boundary_or(false, || {
        // SAFETY: NULL or a live delivery.
        unsafe { ffi::optional_object(delivery) }.is_some_and(|d| d.0.redelivered)
    })
}

/// The number of the channel it arrived on.
#[no_mangle]
pub extern "C" fn warren_delivery_channel_id(delivery: *const warren_delivery) -> u16 {
    boundary_or(0, || {
        // SAFETY: NULL or a live delivery.
        unsafe { ffi::optional_object(delivery) }.map_or(0, |d| d.0.channel().id())
    })
}

/// For basic.get: the messages left in the queue, in `*count`; WARREN_EMPTY for a consumer's
/// delivery.
#[no_mangle]
pub extern "C" fn warren_delivery_message_count(
    delivery: *const warren_delivery,
    count: *mut u32,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (d, out) = unsafe {
            (
                ffi::object(delivery, "delivery")?,
                Out::new(count, "count")?,
            )
        };
        Ok(match d.0.message_count {
            Some(n) => {
                out.write(n);
                WARREN_OK
            }
            None => WARREN_EMPTY,
        })
    })
}

/// Its properties, borrowed from `delivery` (never free them; NULL for NULL).
#[no_mangle]
pub extern "C" fn warren_delivery_properties(
    delivery: *const warren_delivery,
) -> *const warren_properties {
    boundary_or(std::ptr::null(), || {
        // SAFETY: NULL or a live delivery.
        unsafe { ffi::optional_object(delivery) }
            .map_or(std::ptr::null(), |d| ffi::properties_view(&d.0.properties))
    })
}

/// Acknowledges the delivery (basic.ack on its channel). Thread-safe.
#[no_mangle]
pub extern "C" fn warren_delivery_ack(delivery: *const warren_delivery) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract.
        let d = unsafe { ffi::object(delivery, "delivery")? };
        d.0.ack().map_err(Failure::from)?;
        Ok(WARREN_OK)
    })
}

/// Rejects the delivery with basic.nack; with `requeue` the broker delivers it again.
#[no_mangle]
pub extern "C" fn warren_delivery_nack(
    delivery: *const warren_delivery,
    requeue: bool,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract.
        let d = unsafe { ffi::object(delivery, "delivery")? };
        d.0.nack(requeue).map_err(Failure::from)?;
        Ok(WARREN_OK)
    })
}

/// Rejects the delivery with basic.reject; with `requeue` the broker delivers it again.
#[no_mangle]
pub extern "C" fn warren_delivery_reject(
    delivery: *const warren_delivery,
    requeue: bool,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract.
        let d = unsafe { ffi::object(delivery, "delivery")? };
        d.0.reject(requeue).map_err(Failure::from)?;
        Ok(WARREN_OK)
    })
}

/// A mandatory message the broker could not route (basic.return). Free it with
/// warren_returned_free.
#[allow(non_camel_case_types)]
pub struct warren_returned(pub(crate) Returned);

/// Frees a returned message; NULL does nothing.
#[no_mangle]
pub extern "C" fn warren_returned_free(returned: *mut warren_returned) {
    // SAFETY: NULL or a returned message this library handed over (documented).
    boundary_or((), || unsafe { ffi::free_handle(returned) })
}

fn returned_view(
    r: *const warren_returned,
    f: impl FnOnce(&Returned) -> warren_bytes,
) -> warren_bytes {
    boundary_or(warren_bytes::EMPTY, || {
        // SAFETY: NULL or a live returned message.
        unsafe { ffi::optional_object(r) }.map_or(warren_bytes::EMPTY, |r| f(&r.0))
    })
}

/// Why it was returned: the reply code, usually 312 NO_ROUTE (0 for NULL).
#[no_mangle]
pub extern "C" fn warren_returned_reply_code(returned: *const warren_returned) -> u16 {
    boundary_or(0, || {
        // SAFETY: NULL or a live returned message.
        unsafe { ffi::optional_object(returned) }.map_or(0, |r| r.0.reply_code)
    })
}

/// The broker's reply text (borrowed).
#[no_mangle]
pub extern "C" fn warren_returned_reply_text(returned: *const warren_returned) -> warren_bytes {
    returned_view(returned, |r| warren_bytes::of(r.reply_text.as_bytes()))
}

/// The exchange it was published to (borrowed).
#[no_mangle]
pub extern "C" fn warren_returned_exchange(returned: *const warren_returned) -> warren_bytes {
    returned_view(returned, |r| warren_bytes::of(r.exchange.as_bytes()))
}

/// The routing key it was published with (borrowed).
#[no_mangle]
pub extern "C" fn warren_returned_routing_key(returned: *const warren_returned) -> warren_bytes {
    returned_view(returned, |r| warren_bytes::of(r.routing_key.as_bytes()))
}

/// Its body (borrowed).
#[no_mangle]
pub extern "C" fn warren_returned_body(returned: *const warren_returned) -> warren_bytes {
    returned_view(returned, |r| warren_bytes::of(&r.body))
}

/// Its properties (borrowed; never free them).
#[no_mangle]
pub extern "C" fn warren_returned_properties(
    returned: *const warren_returned,
) -> *const warren_properties {
    boundary_or(std::ptr::null(), || {
        // SAFETY: NULL or a live returned message.
        unsafe { ffi::optional_object(returned) }
            .map_or(std::ptr::null(), |r| ffi::properties_view(&r.0.properties))
    })
}

/// The broker's answer to a publish in confirm mode.
#[repr(u32)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum warren_confirmation {
    /// basic.ack: the broker took responsibility for the message.
    WARREN_CONFIRM_ACK = 0,
    /// basic.nack: the broker could not take it.
    WARREN_CONFIRM_NACK = 1,
    /// The channel is not in confirm mode: nothing to wait for.
    WARREN_CONFIRM_NOT_REQUESTED = 2,
    /// The connection was lost before the broker answered (confirm events only).
    WARREN_CONFIRM_LOST = 3,
}

impl From<Confirmation> for warren_confirmation {
    fn from(c: Confirmation) -> Self {
        match c {
            Confirmation::Ack => warren_confirmation::WARREN_CONFIRM_ACK,
            Confirmation::Nack => warren_confirmation::WARREN_CONFIRM_NACK,
            Confirmation::NotRequested => warren_confirmation::WARREN_CONFIRM_NOT_REQUESTED,
        }
    }
}

impl From<ConfirmOutcome> for warren_confirmation {
    fn from(c: ConfirmOutcome) -> Self {
        match c {
            ConfirmOutcome::Ack => warren_confirmation::WARREN_CONFIRM_ACK,
            ConfirmOutcome::Nack => warren_confirmation::WARREN_CONFIRM_NACK,
            ConfirmOutcome::Lost => warren_confirmation::WARREN_CONFIRM_LOST,
        }
    }
}

/// One publish's pending confirmation (from warren_channel_basic_publish_confirmed). Wait
/// for it once with warren_confirm_wait, then free it.
#[allow(non_camel_case_types)]
pub struct warren_confirm(pub(crate) std::sync::Mutex<Option<PublishConfirm>>);

/// Waits at most `timeout_ms` for the broker's answer and writes it to `*outcome`.
/// WARREN_TIMEOUT if none came (the confirmation is then given up: use
/// warren_channel_next_confirm or warren_channel_wait_for_confirms to learn it later);
/// WARREN_PUBLISH_UNCONFIRMED if the connection was lost first; WARREN_INVALID_STATE if it
/// was already waited for.
#[no_mangle]
pub extern "C" fn warren_confirm_wait(
    confirm: *mut warren_confirm,
    timeout_ms: i32,
    outcome: *mut warren_confirmation,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (c, out) = unsafe {
            (
                ffi::object(confirm, "confirm")?,
                Out::new(outcome, "outcome")?,
            )
        };
        let pending =
            c.0.lock()
                .unwrap_or_else(|p| p.into_inner())
                .take()
                .ok_or_else(|| {
                    Failure::new(
                        WARREN_INVALID_STATE,
                        "this confirmation was already waited for",
                    )
                })?;
        let answer = match crate::timeout(timeout_ms) {
            Some(t) => pending.wait_timeout(t),
            None => pending.wait(),
        };
        match answer {
            Ok(a) => {
                out.write(a.into());
                Ok(WARREN_OK)
            }
            Err(warren_core::error::Error::Timeout) => Ok(crate::error::WARREN_TIMEOUT),
            Err(e) => Err(Failure::from(e)),
        }
    })
}

/// Frees a confirmation; NULL does nothing.
#[no_mangle]
pub extern "C" fn warren_confirm_free(confirm: *mut warren_confirm) {
    // SAFETY: NULL or a confirmation this library handed over (documented).
    boundary_or((), || unsafe { ffi::free_handle(confirm) })
}

/// A publisher confirm as warren_channel_next_confirm reports it.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct warren_confirm_event {
    /// The publish's sequence number (see warren_channel_next_publish_seq_no).
    pub seq_no: u64,
    /// Whether it covers every earlier unanswered publish too.
    pub multiple: bool,
    /// Ack, nack, or lost with the connection.
    pub outcome: warren_confirmation,
}
