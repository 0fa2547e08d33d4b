package dev.warren.client;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * An AMQP channel: declare topology, publish, consume, acknowledge. Thread-safe: any number of
 * threads may call any method at once. Consumers' callbacks run on the channel's dispatcher
 * thread ({@code warren-dispatch-<n>}), confirm listeners on its confirm thread, return
 * listeners on its return thread. Operations that fail because the broker closed the channel
 * throw {@link IOException} with a {@link ShutdownSignalException} cause carrying the reply code
 * and text; operations on a channel already closed throw {@link AlreadyClosedException}.
 */
public interface Channel extends ShutdownNotifier, AutoCloseable {
    /** @return the channel number */
    int getChannelNumber();

    /** @return the connection the channel belongs to */
    Connection getConnection();

    /**
     * Closes the channel (200 OK); idempotent.
     *
     * @throws IOException if the broker's answer reports an error
     * @throws TimeoutException declared for compatibility
     */
    @Override
    void close() throws IOException, TimeoutException;

    /**
     * @param closeCode the reply code to send
     * @param closeMessage the reply text to send
     * @throws IOException if the close fails
     * @throws TimeoutException declared for compatibility
     */
    void close(int closeCode, String closeMessage) throws IOException, TimeoutException;

    /**
     * Closes the channel, ignoring any error.
     *
     * @throws IOException never; declared for compatibility
     */
    void abort() throws IOException;

    /**
     * @param closeCode the reply code to send
     * @param closeMessage the reply text to send
     * @throws IOException never; declared for compatibility
     */
    void abort(int closeCode, String closeMessage) throws IOException;

    /** @param listener told of returned messages (starts the return thread) */
    void addReturnListener(ReturnListener listener);

    /**
     * @param returnCallback told of returned messages
     * @return the listener made of it, for {@link #removeReturnListener(ReturnListener)}
     */
    ReturnListener addReturnListener(ReturnCallback returnCallback);

    /**
     * @param listener the listener to remove
     * @return whether it was registered
     */
    boolean removeReturnListener(ReturnListener listener);

    /** Removes every return listener. */
    void clearReturnListeners();

    /** @param listener told of confirms (add it before publishing) */
    void addConfirmListener(ConfirmListener listener);

    /**
     * @param ackCallback told of acks
     * @param nackCallback told of nacks
     * @return the listener made of them
     */
    ConfirmListener addConfirmListener(ConfirmCallback ackCallback, ConfirmCallback nackCallback);

    /**
     * @param listener the listener to remove
     * @return whether it was registered
     */
    boolean removeConfirmListener(ConfirmListener listener);

    /** Removes every confirm listener. */
    void clearConfirmListeners();

    /** @return the consumer of deliveries no consumer claims, or null */
    Consumer getDefaultConsumer();

    /** @param consumer receives deliveries whose consumer tag is unknown */
    void setDefaultConsumer(Consumer consumer);

    /**
     * @param prefetchSize ignored by RabbitMQ (and not sent)
     * @param prefetchCount unacknowledged deliveries allowed (0: unlimited)
     * @param global true: shared by the channel's consumers (RabbitMQ's meaning)
     * @throws IOException if the broker refuses
     */
    void basicQos(int prefetchSize, int prefetchCount, boolean global) throws IOException;

    /**
     * @param prefetchCount unacknowledged deliveries allowed (0: unlimited)
     * @param global true: shared by the channel's consumers
     * @throws IOException if the broker refuses
     */
    void basicQos(int prefetchCount, boolean global) throws IOException;

    /**
     * @param prefetchCount unacknowledged deliveries allowed per consumer (0: unlimited)
     * @throws IOException if the broker refuses
     */
    void basicQos(int prefetchCount) throws IOException;

    /**
     * Publishes a message; returns once it is queued for sending.
     *
     * @param exchange the exchange ("" for the default exchange)
     * @param routingKey the routing key
     * @param props the properties, or null
     * @param body the body
     * @throws IOException if the channel or connection failed
     */
    void basicPublish(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body) throws IOException;

    /**
     * @param exchange the exchange
     * @param routingKey the routing key
     * @param mandatory return the message if no queue takes it
     * @param props the properties, or null
     * @param body the body
     * @throws IOException if the channel or connection failed
     */
    void basicPublish(String exchange, String routingKey, boolean mandatory, AMQP.BasicProperties props, byte[] body)
            throws IOException;

    /**
     * @param exchange the exchange
     * @param routingKey the routing key
     * @param mandatory return the message if no queue takes it
     * @param immediate refused by RabbitMQ
     * @param props the properties, or null
     * @param body the body
     * @throws IOException if the channel or connection failed
     */
    void basicPublish(String exchange, String routingKey, boolean mandatory, boolean immediate,
                      AMQP.BasicProperties props, byte[] body) throws IOException;

    /**
     * @param exchange the name
     * @param type the type, e.g. "topic"
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, String type) throws IOException;

    /**
     * @param exchange the name
     * @param type the type
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, BuiltinExchangeType type) throws IOException;

    /**
     * @param exchange the name
     * @param type the type
     * @param durable survives a broker restart
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, String type, boolean durable) throws IOException;

    /**
     * @param exchange the name
     * @param type the type
     * @param durable survives a broker restart
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, BuiltinExchangeType type, boolean durable)
            throws IOException;

    /**
     * @param exchange the name
     * @param type the type
     * @param durable survives a broker restart
     * @param autoDelete deleted when its last binding goes
     * @param arguments extra arguments, or null
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, String type, boolean durable, boolean autoDelete,
                                            Map<String, Object> arguments) throws IOException;

    /**
     * @param exchange the name
     * @param type the type
     * @param durable survives a broker restart
     * @param autoDelete deleted when its last binding goes
     * @param arguments extra arguments, or null
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, BuiltinExchangeType type, boolean durable,
                                            boolean autoDelete, Map<String, Object> arguments) throws IOException;

    /**
     * @param exchange the name
     * @param type the type
     * @param durable survives a broker restart
     * @param autoDelete deleted when its last binding goes
     * @param internal only reachable through exchange-to-exchange bindings
     * @param arguments extra arguments, or null
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, String type, boolean durable, boolean autoDelete,
                                            boolean internal, Map<String, Object> arguments) throws IOException;

    /**
     * @param exchange the name
     * @param type the type
     * @param durable survives a broker restart
     * @param autoDelete deleted when its last binding goes
     * @param internal only reachable through exchange-to-exchange bindings
     * @param arguments extra arguments, or null
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Exchange.DeclareOk exchangeDeclare(String exchange, BuiltinExchangeType type, boolean durable,
                                            boolean autoDelete, boolean internal, Map<String, Object> arguments)
            throws IOException;

    /**
     * Like {@link #exchangeDeclare(String, String, boolean, boolean, boolean, Map)} without waiting.
     *
     * @param exchange the name
     * @param type the type
     * @param durable survives a broker restart
     * @param autoDelete deleted when its last binding goes
     * @param internal only reachable through exchange-to-exchange bindings
     * @param arguments extra arguments, or null
     * @throws IOException if the channel failed
     */
    void exchangeDeclareNoWait(String exchange, String type, boolean durable, boolean autoDelete, boolean internal,
                               Map<String, Object> arguments) throws IOException;

    /**
     * @param exchange the name
     * @param type the type
     * @param durable survives a broker restart
     * @param autoDelete deleted when its last binding goes
     * @param internal only reachable through exchange-to-exchange bindings
     * @param arguments extra arguments, or null
     * @throws IOException if the channel failed
     */
    void exchangeDeclareNoWait(String exchange, BuiltinExchangeType type, boolean durable, boolean autoDelete,
                               boolean internal, Map<String, Object> arguments) throws IOException;

    /**
     * Checks that an exchange exists (the broker closes the channel with 404 if not).
     *
     * @param name the exchange
     * @return the broker's answer
     * @throws IOException if it does not exist
     */
    AMQP.Exchange.DeclareOk exchangeDeclarePassive(String name) throws IOException;

    /**
     * @param exchange the name
     * @param ifUnused only if it has no bindings
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Exchange.DeleteOk exchangeDelete(String exchange, boolean ifUnused) throws IOException;

    /**
     * @param exchange the name
     * @param ifUnused only if it has no bindings
     * @throws IOException if the channel failed
     */
    void exchangeDeleteNoWait(String exchange, boolean ifUnused) throws IOException;

    /**
     * @param exchange the name
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Exchange.DeleteOk exchangeDelete(String exchange) throws IOException;

    /**
     * @param destination the exchange that receives
     * @param source the exchange that routes
     * @param routingKey the binding key
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Exchange.BindOk exchangeBind(String destination, String source, String routingKey) throws IOException;

    /**
     * @param destination the exchange that receives
     * @param source the exchange that routes
     * @param routingKey the binding key
     * @param arguments binding arguments, or null
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Exchange.BindOk exchangeBind(String destination, String source, String routingKey,
                                      Map<String, Object> arguments) throws IOException;

    /**
     * @param destination the exchange that receives
     * @param source the exchange that routes
     * @param routingKey the binding key
     * @param arguments binding arguments, or null
     * @throws IOException if the channel failed
     */
    void exchangeBindNoWait(String destination, String source, String routingKey, Map<String, Object> arguments)
            throws IOException;

    /**
     * @param destination the exchange that receives
     * @param source the exchange that routes
     * @param routingKey the binding key
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Exchange.UnbindOk exchangeUnbind(String destination, String source, String routingKey) throws IOException;

    /**
     * @param destination the exchange that receives
     * @param source the exchange that routes
     * @param routingKey the binding key
     * @param arguments binding arguments, or null
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Exchange.UnbindOk exchangeUnbind(String destination, String source, String routingKey,
                                          Map<String, Object> arguments) throws IOException;

    /**
     * @param destination the exchange that receives
     * @param source the exchange that routes
     * @param routingKey the binding key
     * @param arguments binding arguments, or null
     * @throws IOException if the channel failed
     */
    void exchangeUnbindNoWait(String destination, String source, String routingKey, Map<String, Object> arguments)
            throws IOException;

    /**
     * Declares a server-named, exclusive, auto-delete, non-durable queue.
     *
     * @return the broker's answer, with the queue's name
     * @throws IOException if the broker refuses
     */
    AMQP.Queue.DeclareOk queueDeclare() throws IOException;

    /**
     * @param queue the name ("" for a server-named queue)
     * @param durable survives a broker restart
     * @param exclusive used by this connection only, deleted when it closes
     * @param autoDelete deleted when its last consumer goes
     * @param arguments extra arguments (e.g. {@code x-queue-type}), or null
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Queue.DeclareOk queueDeclare(String queue, boolean durable, boolean exclusive, boolean autoDelete,
                                      Map<String, Object> arguments) throws IOException;

    /**
     * @param queue the name
     * @param durable survives a broker restart
     * @param exclusive used by this connection only
     * @param autoDelete deleted when its last consumer goes
     * @param arguments extra arguments, or null
     * @throws IOException if the channel failed
     */
    void queueDeclareNoWait(String queue, boolean durable, boolean exclusive, boolean autoDelete,
                            Map<String, Object> arguments) throws IOException;

    /**
     * Checks that a queue exists (the broker closes the channel with 404 if not).
     *
     * @param queue the name
     * @return the broker's answer with the counts
     * @throws IOException if it does not exist
     */
    AMQP.Queue.DeclareOk queueDeclarePassive(String queue) throws IOException;

    /**
     * @param queue the name
     * @return the broker's answer with the messages deleted
     * @throws IOException if the broker refuses
     */
    AMQP.Queue.DeleteOk queueDelete(String queue) throws IOException;

    /**
     * @param queue the name
     * @param ifUnused only without consumers
     * @param ifEmpty only without messages
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Queue.DeleteOk queueDelete(String queue, boolean ifUnused, boolean ifEmpty) throws IOException;

    /**
     * @param queue the name
     * @param ifUnused only without consumers
     * @param ifEmpty only without messages
     * @throws IOException if the channel failed
     */
    void queueDeleteNoWait(String queue, boolean ifUnused, boolean ifEmpty) throws IOException;

    /**
     * @param queue the queue
     * @param exchange the exchange
     * @param routingKey the binding key
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Queue.BindOk queueBind(String queue, String exchange, String routingKey) throws IOException;

    /**
     * @param queue the queue
     * @param exchange the exchange
     * @param routingKey the binding key
     * @param arguments binding arguments, or null
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Queue.BindOk queueBind(String queue, String exchange, String routingKey, Map<String, Object> arguments)
            throws IOException;

    /**
     * @param queue the queue
     * @param exchange the exchange
     * @param routingKey the binding key
     * @param arguments binding arguments, or null
     * @throws IOException if the channel failed
     */
    void queueBindNoWait(String queue, String exchange, String routingKey, Map<String, Object> arguments)
            throws IOException;

    /**
     * @param queue the queue
     * @param exchange the exchange
     * @param routingKey the binding key
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Queue.UnbindOk queueUnbind(String queue, String exchange, String routingKey) throws IOException;

    /**
     * @param queue the queue
     * @param exchange the exchange
     * @param routingKey the binding key
     * @param arguments binding arguments, or null
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Queue.UnbindOk queueUnbind(String queue, String exchange, String routingKey, Map<String, Object> arguments)
            throws IOException;

    /**
     * @param queue the queue
     * @return the broker's answer with the messages purged
     * @throws IOException if the broker refuses
     */
    AMQP.Queue.PurgeOk queuePurge(String queue) throws IOException;

    /**
     * Fetches one message.
     *
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @return the message, or null if the queue was empty
     * @throws IOException if the broker refuses
     */
    GetResponse basicGet(String queue, boolean autoAck) throws IOException;

    /**
     * @param deliveryTag the delivery's tag
     * @param multiple also every earlier unacknowledged delivery
     * @throws IOException if the channel failed
     */
    void basicAck(long deliveryTag, boolean multiple) throws IOException;

    /**
     * @param deliveryTag the delivery's tag
     * @param multiple also every earlier unacknowledged delivery
     * @param requeue give it back to the queue
     * @throws IOException if the channel failed
     */
    void basicNack(long deliveryTag, boolean multiple, boolean requeue) throws IOException;

    /**
     * @param deliveryTag the delivery's tag
     * @param requeue give it back to the queue
     * @throws IOException if the channel failed
     */
    void basicReject(long deliveryTag, boolean requeue) throws IOException;

    /**
     * @param queue the queue
     * @param callback the consumer (manual acknowledgement)
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, Consumer callback) throws IOException;

    /**
     * @param queue the queue
     * @param deliverCallback called with each message
     * @param cancelCallback called if the broker cancels the consumer
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, DeliverCallback deliverCallback, CancelCallback cancelCallback)
            throws IOException;

    /**
     * @param queue the queue
     * @param deliverCallback called with each message
     * @param shutdownSignalCallback called when the channel or connection shuts down
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, DeliverCallback deliverCallback,
                        ConsumerShutdownSignalCallback shutdownSignalCallback) throws IOException;

    /**
     * @param queue the queue
     * @param deliverCallback called with each message
     * @param cancelCallback called if the broker cancels the consumer
     * @param shutdownSignalCallback called when the channel or connection shuts down
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, DeliverCallback deliverCallback, CancelCallback cancelCallback,
                        ConsumerShutdownSignalCallback shutdownSignalCallback) throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param callback the consumer
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, Consumer callback) throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param deliverCallback called with each message
     * @param cancelCallback called if the broker cancels the consumer
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, DeliverCallback deliverCallback, CancelCallback cancelCallback)
            throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param deliverCallback called with each message
     * @param shutdownSignalCallback called when the channel or connection shuts down
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, DeliverCallback deliverCallback,
                        ConsumerShutdownSignalCallback shutdownSignalCallback) throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param deliverCallback called with each message
     * @param cancelCallback called if the broker cancels the consumer
     * @param shutdownSignalCallback called when the channel or connection shuts down
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, DeliverCallback deliverCallback, CancelCallback cancelCallback,
                        ConsumerShutdownSignalCallback shutdownSignalCallback) throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param arguments consumer arguments (e.g. {@code x-priority}), or null
     * @param callback the consumer
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, Map<String, Object> arguments, Consumer callback)
            throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param arguments consumer arguments, or null
     * @param deliverCallback called with each message
     * @param cancelCallback called if the broker cancels the consumer
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, Map<String, Object> arguments, DeliverCallback deliverCallback,
                        CancelCallback cancelCallback) throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param arguments consumer arguments, or null
     * @param deliverCallback called with each message
     * @param shutdownSignalCallback called when the channel or connection shuts down
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, Map<String, Object> arguments, DeliverCallback deliverCallback,
                        ConsumerShutdownSignalCallback shutdownSignalCallback) throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param arguments consumer arguments, or null
     * @param deliverCallback called with each message
     * @param cancelCallback called if the broker cancels the consumer
     * @param shutdownSignalCallback called when the channel or connection shuts down
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, Map<String, Object> arguments, DeliverCallback deliverCallback,
                        CancelCallback cancelCallback, ConsumerShutdownSignalCallback shutdownSignalCallback)
            throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param consumerTag the tag ("" to have one generated)
     * @param callback the consumer
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, String consumerTag, Consumer callback) throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param consumerTag the tag ("" to have one generated)
     * @param deliverCallback called with each message
     * @param cancelCallback called if the broker cancels the consumer
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, String consumerTag, DeliverCallback deliverCallback,
                        CancelCallback cancelCallback) throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param consumerTag the tag ("" to have one generated)
     * @param deliverCallback called with each message
     * @param shutdownSignalCallback called when the channel or connection shuts down
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, String consumerTag, DeliverCallback deliverCallback,
                        ConsumerShutdownSignalCallback shutdownSignalCallback) throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param consumerTag the tag ("" to have one generated)
     * @param deliverCallback called with each message
     * @param cancelCallback called if the broker cancels the consumer
     * @param shutdownSignalCallback called when the channel or connection shuts down
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, String consumerTag, DeliverCallback deliverCallback,
                        CancelCallback cancelCallback, ConsumerShutdownSignalCallback shutdownSignalCallback)
            throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param consumerTag the tag ("" to have one generated)
     * @param noLocal ignored by RabbitMQ
     * @param exclusive the queue's only consumer
     * @param arguments consumer arguments, or null
     * @param callback the consumer
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, String consumerTag, boolean noLocal, boolean exclusive,
                        Map<String, Object> arguments, Consumer callback) throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param consumerTag the tag ("" to have one generated)
     * @param noLocal ignored by RabbitMQ
     * @param exclusive the queue's only consumer
     * @param arguments consumer arguments, or null
     * @param deliverCallback called with each message
     * @param cancelCallback called if the broker cancels the consumer
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, String consumerTag, boolean noLocal, boolean exclusive,
                        Map<String, Object> arguments, DeliverCallback deliverCallback, CancelCallback cancelCallback)
            throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param consumerTag the tag ("" to have one generated)
     * @param noLocal ignored by RabbitMQ
     * @param exclusive the queue's only consumer
     * @param arguments consumer arguments, or null
     * @param deliverCallback called with each message
     * @param shutdownSignalCallback called when the channel or connection shuts down
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, String consumerTag, boolean noLocal, boolean exclusive,
                        Map<String, Object> arguments, DeliverCallback deliverCallback,
                        ConsumerShutdownSignalCallback shutdownSignalCallback) throws IOException;

    /**
     * @param queue the queue
     * @param autoAck acknowledged on delivery
     * @param consumerTag the tag ("" to have one generated)
     * @param noLocal ignored by RabbitMQ
     * @param exclusive the queue's only consumer
     * @param arguments consumer arguments, or null
     * @param deliverCallback called with each message
     * @param cancelCallback called if the broker cancels the consumer
     * @param shutdownSignalCallback called when the channel or connection shuts down
     * @return the consumer tag
     * @throws IOException if the broker refuses
     */
    String basicConsume(String queue, boolean autoAck, String consumerTag, boolean noLocal, boolean exclusive,
                        Map<String, Object> arguments, DeliverCallback deliverCallback, CancelCallback cancelCallback,
                        ConsumerShutdownSignalCallback shutdownSignalCallback) throws IOException;

    /**
     * Cancels a consumer; its {@link Consumer#handleCancelOk(String)} follows its last delivery.
     *
     * @param consumerTag the consumer's tag
     * @throws IOException if the broker refuses
     */
    void basicCancel(String consumerTag) throws IOException;

    /**
     * Redelivers unacknowledged messages (requeued).
     *
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Basic.RecoverOk basicRecover() throws IOException;

    /**
     * @param requeue requeue (true) or redeliver to the same consumer (false; RabbitMQ requeues anyway)
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Basic.RecoverOk basicRecover(boolean requeue) throws IOException;

    /**
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Tx.SelectOk txSelect() throws IOException;

    /**
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Tx.CommitOk txCommit() throws IOException;

    /**
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Tx.RollbackOk txRollback() throws IOException;

    /**
     * Puts the channel in publisher-confirm mode.
     *
     * @return the broker's answer
     * @throws IOException if the broker refuses
     */
    AMQP.Confirm.SelectOk confirmSelect() throws IOException;

    /** @return the sequence number of the next publish in confirm mode (0 outside it) */
    long getNextPublishSeqNo();

    /**
     * Waits until every publish so far is acked or nacked.
     *
     * @return true if all were acked
     * @throws InterruptedException if interrupted
     * @throws IllegalStateException outside confirm mode
     */
    boolean waitForConfirms() throws InterruptedException;

    /**
     * @param timeout milliseconds to wait at most
     * @return true if all were acked
     * @throws InterruptedException if interrupted
     * @throws TimeoutException if the time ran out
     */
    boolean waitForConfirms(long timeout) throws InterruptedException, TimeoutException;

    /**
     * Waits for every confirm; if any publish was nacked, closes the channel and throws.
     *
     * @throws IOException if a publish was nacked
     * @throws InterruptedException if interrupted
     */
    void waitForConfirmsOrDie() throws IOException, InterruptedException;

    /**
     * @param timeout milliseconds to wait at most
     * @throws IOException if a publish was nacked
     * @throws InterruptedException if interrupted
     * @throws TimeoutException if the time ran out (the channel is closed)
     */
    void waitForConfirmsOrDie(long timeout) throws IOException, InterruptedException, TimeoutException;

    /**
     * @param queue the queue
     * @return its ready messages
     * @throws IOException if it does not exist
     */
    long messageCount(String queue) throws IOException;

    /**
     * @param queue the queue
     * @return its consumers
     * @throws IOException if it does not exist
     */
    long consumerCount(String queue) throws IOException;

    /**
     * Publishes the bytes between the buffer's position and its limit (the position moves to
     * the limit), then tells the listener. The body is copied once into the native publish, so
     * the buffer may be reused as soon as this returns.
     *
     * @param exchange the exchange
     * @param routingKey the routing key
     * @param mandatory return the message if no queue gets it
     * @param immediate refused by RabbitMQ (and Warren's broker)
     * @param props the properties, or null
     * @param body the body, or null for an empty one
     * @param listener told of the outcome, or null
     * @throws IOException if the channel or connection failed
     */
    default void basicPublish(String exchange, String routingKey, boolean mandatory, boolean immediate,
                              AMQP.BasicProperties props, ByteBuffer body, WriteListener listener)
            throws IOException {
        byte[] bytes = new byte[body == null ? 0 : body.remaining()];
        if (body != null) {
            body.get(bytes);
        }
        try {
            basicPublish(exchange, routingKey, mandatory, immediate, props, bytes);
        } catch (IOException | RuntimeException e) {
            if (listener != null) {
                listener.done(false, e);
            }
            throw e;
        }
        if (listener != null) {
            listener.done(true, null);
        }
    }

    /**
     * Not supported: Warren's channel methods are typed calls into its core, which has no path
     * for arbitrary method frames. Use the typed method instead (e.g. {@code queueDeclare}).
     *
     * @param method the method
     * @throws IOException never
     * @throws UnsupportedOperationException always
     */
    default void asyncRpc(Method method) throws IOException {
        throw new UnsupportedOperationException("Channel.asyncRpc(Method) is not supported by Warren: call the "
                + "typed channel method for " + method + " instead");
    }

    /**
     * Not supported: see {@link #asyncRpc(Method)}.
     *
     * @param method the method
     * @return never
     * @throws IOException never
     * @throws UnsupportedOperationException always
     */
    default Command rpc(Method method) throws IOException {
        throw new UnsupportedOperationException("Channel.rpc(Method) is not supported by Warren: call the typed "
                + "channel method for " + method + " instead");
    }

    /**
     * Not supported: see {@link #asyncRpc(Method)}.
     *
     * @param method the method
     * @return never
     * @throws IOException never
     * @throws UnsupportedOperationException always
     */
    default CompletableFuture<Command> asyncCompletableRpc(Method method) throws IOException {
        throw new UnsupportedOperationException("Channel.asyncCompletableRpc(Method) is not supported by Warren: "
                + "call the typed channel method for " + method + " instead");
    }
}
