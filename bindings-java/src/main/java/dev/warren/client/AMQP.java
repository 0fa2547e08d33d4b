package dev.warren.client;

import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * AMQP 0-9-1's constants, the basic properties class with its builder, and the replies of the
 * channel's methods, named as in the official client ({@code AMQP.BasicProperties},
 * {@code AMQP.Queue.DeclareOk}, ...).
 */
public interface AMQP {
    /** The protocol version and port this client speaks. */
    class PROTOCOL {
        /** Major version. */
        public static final int MAJOR = 0;
        /** Minor version. */
        public static final int MINOR = 9;
        /** Revision. */
        public static final int REVISION = 1;
        /** The IANA-assigned AMQP port. */
        public static final int PORT = 5672;

        /** Not needed: the fields are constants. */
        public PROTOCOL() {
        }
    }

    /** Frame type of a method frame. */
    int FRAME_METHOD = 1;
    /** Frame type of a content header frame. */
    int FRAME_HEADER = 2;
    /** Frame type of a content body frame. */
    int FRAME_BODY = 3;
    /** Frame type of a heartbeat frame. */
    int FRAME_HEARTBEAT = 8;
    /** The smallest frame-max a peer may ask for. */
    int FRAME_MIN_SIZE = 4096;
    /** Frame end octet. */
    int FRAME_END = 206;
    /** The message was too large for the broker. */
    int CONTENT_TOO_LARGE = 311;
    /** Success. */
    int REPLY_SUCCESS = 200;
    /** The message could not be delivered immediately. */
    int NO_CONSUMERS = 313;
    /** The message could not be routed. */
    int NO_ROUTE = 312;
    /** An operator closed the connection. */
    int CONNECTION_FORCED = 320;
    /** The virtual host does not exist. */
    int INVALID_PATH = 402;
    /** Access was refused. */
    int ACCESS_REFUSED = 403;
    /** The entity does not exist. */
    int NOT_FOUND = 404;
    /** Another connection holds the entity exclusively. */
    int RESOURCE_LOCKED = 405;
    /** The entity exists with other arguments, or a precondition failed. */
    int PRECONDITION_FAILED = 406;
    /** A malformed frame. */
    int FRAME_ERROR = 501;
    /** Bad field values in a method. */
    int SYNTAX_ERROR = 502;
    /** An invalid sequence of frames. */
    int COMMAND_INVALID = 503;
    /** A channel error. */
    int CHANNEL_ERROR = 504;
    /** An unexpected frame. */
    int UNEXPECTED_FRAME = 505;
    /** The broker is out of a resource. */
    int RESOURCE_ERROR = 506;
    /** Not allowed. */
    int NOT_ALLOWED = 530;
    /** Not implemented. */
    int NOT_IMPLEMENTED = 540;
    /** An internal error. */
    int INTERNAL_ERROR = 541;

    /** The 14 content properties of class {@code basic}; unset ones are null. Immutable. */
    class BasicProperties implements dev.warren.client.BasicProperties {
        private final String contentType;
        private final String contentEncoding;
        private final Map<String, Object> headers;
        private final Integer deliveryMode;
        private final Integer priority;
        private final String correlationId;
        private final String replyTo;
        private final String expiration;
        private final String messageId;
        private final Date timestamp;
        private final String type;
        private final String userId;
        private final String appId;
        private final String clusterId;

        /**
         * @param contentType MIME type
         * @param contentEncoding MIME encoding
         * @param headers application headers (copied)
         * @param deliveryMode 1 transient, 2 persistent
         * @param priority 0 to 9
         * @param correlationId correlation id
         * @param replyTo queue to reply to
         * @param expiration per-message TTL in milliseconds, as a string
         * @param messageId message id
         * @param timestamp timestamp (seconds on the wire)
         * @param type message type name
         * @param userId user id
         * @param appId application id
         * @param clusterId deprecated cluster id
         */
        public BasicProperties(String contentType, String contentEncoding, Map<String, Object> headers,
                               Integer deliveryMode, Integer priority, String correlationId, String replyTo,
                               String expiration, String messageId, Date timestamp, String type, String userId,
                               String appId, String clusterId) {
            this.contentType = contentType;
            this.contentEncoding = contentEncoding;
            // Copied into a HashMap and made read-only, as the official client does: the same
            // entries then iterate, and encode, in the same order.
            this.headers = headers == null ? null : Collections.unmodifiableMap(new HashMap<>(headers));
            this.deliveryMode = deliveryMode;
            this.priority = priority;
            this.correlationId = correlationId;
            this.replyTo = replyTo;
            this.expiration = expiration;
            this.messageId = messageId;
            this.timestamp = timestamp;
            this.type = type;
            this.userId = userId;
            this.appId = appId;
            this.clusterId = clusterId;
        }

        /** No property set. */
        public BasicProperties() {
            this(null, null, null, null, null, null, null, null, null, null, null, null, null, null);
        }

        /** @return 60, the class id of {@code basic} */
        public int getClassId() {
            return 60;
        }

        /** @return {@code "basic"} */
        public String getClassName() {
            return "basic";
        }

        /** @return a builder holding these properties, to derive others */
        public Builder builder() {
            return new Builder().contentType(contentType).contentEncoding(contentEncoding).headers(headers)
                    .deliveryMode(deliveryMode).priority(priority).correlationId(correlationId).replyTo(replyTo)
                    .expiration(expiration).messageId(messageId).timestamp(timestamp).type(type).userId(userId)
                    .appId(appId).clusterId(clusterId);
        }

        @Override
        public String getContentType() {
            return contentType;
        }

        @Override
        public String getContentEncoding() {
            return contentEncoding;
        }

        @Override
        public Map<String, Object> getHeaders() {
            return headers;
        }

        @Override
        public Integer getDeliveryMode() {
            return deliveryMode;
        }

        @Override
        public Integer getPriority() {
            return priority;
        }

        @Override
        public String getCorrelationId() {
            return correlationId;
        }

        @Override
        public String getReplyTo() {
            return replyTo;
        }

        @Override
        public String getExpiration() {
            return expiration;
        }

        @Override
        public String getMessageId() {
            return messageId;
        }

        @Override
        public Date getTimestamp() {
            return timestamp;
        }

        @Override
        public String getType() {
            return type;
        }

        @Override
        public String getUserId() {
            return userId;
        }

        @Override
        public String getAppId() {
            return appId;
        }

        /** @return the deprecated cluster id, or null */
        public String getClusterId() {
            return clusterId;
        }

        @Override
        public boolean equals(Object o) {
            if (this == o) {
                return true;
            }
            if (!(o instanceof BasicProperties)) {
                return false;
            }
            BasicProperties p = (BasicProperties) o;
            return Objects.equals(contentType, p.contentType) && Objects.equals(contentEncoding, p.contentEncoding)
                    && Objects.equals(headers, p.headers) && Objects.equals(deliveryMode, p.deliveryMode)
                    && Objects.equals(priority, p.priority) && Objects.equals(correlationId, p.correlationId)
                    && Objects.equals(replyTo, p.replyTo) && Objects.equals(expiration, p.expiration)
                    && Objects.equals(messageId, p.messageId) && Objects.equals(timestamp, p.timestamp)
                    && Objects.equals(type, p.type) && Objects.equals(userId, p.userId)
                    && Objects.equals(appId, p.appId) && Objects.equals(clusterId, p.clusterId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(contentType, contentEncoding, headers, deliveryMode, priority, correlationId,
                    replyTo, expiration, messageId, timestamp, type, userId, appId, clusterId);
        }

        @Override
        public String toString() {
            return "#contentHeader<basic>(content-type=" + contentType + ", content-encoding=" + contentEncoding
                    + ", headers=" + headers + ", delivery-mode=" + deliveryMode + ", priority=" + priority
                    + ", correlation-id=" + correlationId + ", reply-to=" + replyTo + ", expiration=" + expiration
                    + ", message-id=" + messageId + ", timestamp=" + timestamp + ", type=" + type
                    + ", user-id=" + userId + ", app-id=" + appId + ", cluster-id=" + clusterId + ")";
        }

        /** Builds {@link BasicProperties}: set what you need, then {@link #build()}. */
        public static final class Builder {
            private String contentType;
            private String contentEncoding;
            private Map<String, Object> headers;
            private Integer deliveryMode;
            private Integer priority;
            private String correlationId;
            private String replyTo;
            private String expiration;
            private String messageId;
            private Date timestamp;
            private String type;
            private String userId;
            private String appId;
            private String clusterId;

            /** A builder with nothing set. */
            public Builder() {
            }

            /**
             * @param contentType MIME type
             * @return this builder
             */
            public Builder contentType(String contentType) {
                this.contentType = contentType;
                return this;
            }

            /**
             * @param contentEncoding MIME encoding
             * @return this builder
             */
            public Builder contentEncoding(String contentEncoding) {
                this.contentEncoding = contentEncoding;
                return this;
            }

            /**
             * @param headers application headers
             * @return this builder
             */
            public Builder headers(Map<String, Object> headers) {
                this.headers = headers;
                return this;
            }

            /**
             * @param deliveryMode 1 transient, 2 persistent
             * @return this builder
             */
            public Builder deliveryMode(Integer deliveryMode) {
                this.deliveryMode = deliveryMode;
                return this;
            }

            /**
             * @param priority 0 to 9
             * @return this builder
             */
            public Builder priority(Integer priority) {
                this.priority = priority;
                return this;
            }

            /**
             * @param correlationId correlation id
             * @return this builder
             */
            public Builder correlationId(String correlationId) {
                this.correlationId = correlationId;
                return this;
            }

            /**
             * @param replyTo queue to reply to
             * @return this builder
             */
            public Builder replyTo(String replyTo) {
                this.replyTo = replyTo;
                return this;
            }

            /**
             * @param expiration TTL in milliseconds, as a string
             * @return this builder
             */
            public Builder expiration(String expiration) {
                this.expiration = expiration;
                return this;
            }

            /**
             * @param messageId message id
             * @return this builder
             */
            public Builder messageId(String messageId) {
                this.messageId = messageId;
                return this;
            }

            /**
             * @param timestamp timestamp
             * @return this builder
             */
            public Builder timestamp(Date timestamp) {
                this.timestamp = timestamp;
                return this;
            }

            /**
             * @param type message type name
             * @return this builder
             */
            public Builder type(String type) {
                this.type = type;
                return this;
            }

            /**
             * @param userId user id
             * @return this builder
             */
            public Builder userId(String userId) {
                this.userId = userId;
                return this;
            }

            /**
             * @param appId application id
             * @return this builder
             */
            public Builder appId(String appId) {
                this.appId = appId;
                return this;
            }

            /**
             * @param clusterId cluster id
             * @return this builder
             */
            public Builder clusterId(String clusterId) {
                this.clusterId = clusterId;
                return this;
            }

            /** @return the properties */
            public BasicProperties build() {
                return new BasicProperties(contentType, contentEncoding, headers, deliveryMode, priority,
                        correlationId, replyTo, expiration, messageId, timestamp, type, userId, appId, clusterId);
            }
        }
    }

    /** Replies of class {@code connection}. */
    interface Connection {
        /** A {@code connection.close}: why a connection ended. */
        interface Close extends Method {
            /** @return the reply code, e.g. 320 */
            int getReplyCode();

            /** @return the reply text */
            String getReplyText();

            /** @return the class of the method that caused it (0 if none) */
            int getClassId();

            /** @return the method that caused it (0 if none) */
            int getMethodId();
        }
    }

    /** Replies of class {@code channel}. */
    interface Channel {
        /** A {@code channel.close}: why a channel ended. */
        interface Close extends Method {
            /** @return the reply code, e.g. 404 */
            int getReplyCode();

            /** @return the reply text */
            String getReplyText();

            /** @return the class of the method that caused it (0 if none) */
            int getClassId();

            /** @return the method that caused it (0 if none) */
            int getMethodId();
        }
    }

    /** Replies of class {@code exchange}. */
    interface Exchange {
        /** {@code exchange.declare-ok}. */
        interface DeclareOk extends Method {
        }

        /** {@code exchange.delete-ok}. */
        interface DeleteOk extends Method {
        }

        /** {@code exchange.bind-ok}. */
        interface BindOk extends Method {
        }

        /** {@code exchange.unbind-ok}. */
        interface UnbindOk extends Method {
        }
    }

    /** Replies of class {@code queue}. */
    interface Queue {
        /** {@code queue.declare-ok}: the queue's name and counts. */
        interface DeclareOk extends Method {
            /** @return the queue's name (the broker's choice for a server-named queue) */
            String getQueue();

            /** @return messages ready in the queue */
            int getMessageCount();

            /** @return active consumers of the queue */
            int getConsumerCount();
        }

        /** {@code queue.bind-ok}. */
        interface BindOk extends Method {
        }

        /** {@code queue.unbind-ok}. */
        interface UnbindOk extends Method {
        }

        /** {@code queue.purge-ok}. */
        interface PurgeOk extends Method {
            /** @return messages purged */
            int getMessageCount();
        }

        /** {@code queue.delete-ok}. */
        interface DeleteOk extends Method {
            /** @return messages deleted with the queue */
            int getMessageCount();
        }
    }

    /** Replies of class {@code basic}. */
    interface Basic {
        /** {@code basic.recover-ok}. */
        interface RecoverOk extends Method {
        }
    }

    /** Replies of class {@code tx}. */
    interface Tx {
        /** {@code tx.select-ok}. */
        interface SelectOk extends Method {
        }

        /** {@code tx.commit-ok}. */
        interface CommitOk extends Method {
        }

        /** {@code tx.rollback-ok}. */
        interface RollbackOk extends Method {
        }
    }

    /** Replies of class {@code confirm}. */
    interface Confirm {
        /** {@code confirm.select-ok}. */
        interface SelectOk extends Method {
        }
    }
}
