package dev.warren.client;

import java.util.Date;
import java.util.Map;

/**
 * The read side of a message's properties; {@link AMQP.BasicProperties} is the class that
 * carries them.
 */
public interface BasicProperties {
    /** @return the MIME content type, or null */
    String getContentType();

    /** @return the MIME content encoding, or null */
    String getContentEncoding();

    /** @return the application headers, or null */
    Map<String, Object> getHeaders();

    /** @return the delivery mode (1 transient, 2 persistent), or null */
    Integer getDeliveryMode();

    /** @return the priority (0 to 9), or null */
    Integer getPriority();

    /** @return the correlation id, or null */
    String getCorrelationId();

    /** @return the queue to reply to, or null */
    String getReplyTo();

    /** @return the expiration (per-message TTL in milliseconds, as a string), or null */
    String getExpiration();

    /** @return the message id, or null */
    String getMessageId();

    /** @return the timestamp (second precision on the wire), or null */
    Date getTimestamp();

    /** @return the message type name, or null */
    String getType();

    /** @return the user id the publisher claims, or null */
    String getUserId();

    /** @return the creating application's id, or null */
    String getAppId();
}
