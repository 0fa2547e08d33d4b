package dev.warren.client.impl;

import dev.warren.client.AMQP;

/** The replies of channel methods, as the API's {@code AMQP.*} interfaces. */
public final class Methods {
    private Methods() {
    }

    /** A reply without fields. */
    static final class Ok implements AMQP.Exchange.DeclareOk, AMQP.Exchange.DeleteOk, AMQP.Exchange.BindOk,
            AMQP.Exchange.UnbindOk, AMQP.Queue.BindOk, AMQP.Queue.UnbindOk, AMQP.Basic.RecoverOk, AMQP.Tx.SelectOk,
            AMQP.Tx.CommitOk, AMQP.Tx.RollbackOk, AMQP.Confirm.SelectOk {
        private final int classId;
        private final int methodId;
        private final String name;

        Ok(int classId, int methodId, String name) {
            this.classId = classId;
            this.methodId = methodId;
            this.name = name;
        }

        @Override
        public int protocolClassId() {
            return classId;
        }

        @Override
        public int protocolMethodId() {
            return methodId;
        }

        @Override
        public String protocolMethodName() {
            return name;
        }

        @Override
        public String toString() {
            return "#method<" + name + ">()";
        }
    }

    static final Ok EXCHANGE_DECLARE_OK = new Ok(40, 11, "exchange.declare-ok");
    static final Ok EXCHANGE_DELETE_OK = new Ok(40, 21, "exchange.delete-ok");
    static final Ok EXCHANGE_BIND_OK = new Ok(40, 31, "exchange.bind-ok");
    static final Ok EXCHANGE_UNBIND_OK = new Ok(40, 51, "exchange.unbind-ok");
    static final Ok QUEUE_BIND_OK = new Ok(50, 21, "queue.bind-ok");
    static final Ok QUEUE_UNBIND_OK = new Ok(50, 51, "queue.unbind-ok");
    static final Ok RECOVER_OK = new Ok(60, 111, "basic.recover-ok");
    static final Ok TX_SELECT_OK = new Ok(90, 11, "tx.select-ok");
    static final Ok TX_COMMIT_OK = new Ok(90, 21, "tx.commit-ok");
    static final Ok TX_ROLLBACK_OK = new Ok(90, 31, "tx.rollback-ok");
    static final Ok CONFIRM_SELECT_OK = new Ok(85, 11, "confirm.select-ok");

    /** {@code queue.declare-ok}. */
    static final class QueueDeclareOk implements AMQP.Queue.DeclareOk {
        private final String queue;
        private final int messageCount;
        private final int consumerCount;

        QueueDeclareOk(String queue, int messageCount, int consumerCount) {
            this.queue = queue;
            this.messageCount = messageCount;
            this.consumerCount = consumerCount;
        }

        @Override
        public String getQueue() {
            return queue;
        }

        @Override
        public int getMessageCount() {
            return messageCount;
        }

        @Override
        public int getConsumerCount() {
            return consumerCount;
        }

        @Override
        public int protocolClassId() {
            return 50;
        }

        @Override
        public int protocolMethodId() {
            return 11;
        }

        @Override
        public String protocolMethodName() {
            return "queue.declare-ok";
        }

        @Override
        public String toString() {
            return "#method<queue.declare-ok>(queue=" + queue + ", message-count=" + messageCount
                    + ", consumer-count=" + consumerCount + ")";
        }
    }

    /** {@code queue.purge-ok} and {@code queue.delete-ok}. */
    static final class CountOk implements AMQP.Queue.PurgeOk, AMQP.Queue.DeleteOk {
        private final int methodId;
        private final String name;
        private final int messageCount;

        CountOk(int methodId, String name, int messageCount) {
            this.methodId = methodId;
            this.name = name;
            this.messageCount = messageCount;
        }

        @Override
        public int getMessageCount() {
            return messageCount;
        }

        @Override
        public int protocolClassId() {
            return 50;
        }

        @Override
        public int protocolMethodId() {
            return methodId;
        }

        @Override
        public String protocolMethodName() {
            return name;
        }

        @Override
        public String toString() {
            return "#method<" + name + ">(message-count=" + messageCount + ")";
        }
    }

    /** {@code connection.close} and {@code channel.close}. */
    static final class Close implements AMQP.Connection.Close, AMQP.Channel.Close {
        private final boolean connection;
        private final int replyCode;
        private final String replyText;
        private final int classId;
        private final int methodId;

        Close(boolean connection, int replyCode, String replyText, int classId, int methodId) {
            this.connection = connection;
            this.replyCode = replyCode;
            this.replyText = replyText;
            this.classId = classId;
            this.methodId = methodId;
        }

        @Override
        public int getReplyCode() {
            return replyCode;
        }

        @Override
        public String getReplyText() {
            return replyText;
        }

        @Override
        public int getClassId() {
            return classId;
        }

        @Override
        public int getMethodId() {
            return methodId;
        }

        @Override
        public int protocolClassId() {
            return connection ? 10 : 20;
        }

        @Override
        public int protocolMethodId() {
            return 40;
        }

        @Override
        public String protocolMethodName() {
            return connection ? "connection.close" : "channel.close";
        }

        @Override
        public String toString() {
            return "#method<" + protocolMethodName() + ">(reply-code=" + replyCode + ", reply-text=" + replyText
                    + ", class-id=" + classId + ", method-id=" + methodId + ")";
        }
    }
}
