import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A connection-level error (an unknown exchange type is 503 COMMAND_INVALID, which closes the
 * connection): the failing call throws an IOException caused by the connection's shutdown
 * signal; by the time it returns the connection and that channel are closed, and the
 * listeners of the connection and of its other channels are told. Automatic recovery is off, as in applications that handle it themselves.
 */
public class ConnectionErrors {
    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("check failed: " + what);
        }
    }

    public static void main(String[] argv) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(argv[0]);
        factory.setAutomaticRecoveryEnabled(false);
        Connection connection = factory.newConnection();
        BlockingQueue<ShutdownSignalException> connectionSignals = new LinkedBlockingQueue<>();
        connection.addShutdownListener(connectionSignals::add);
        Channel channel = connection.createChannel();
        Channel bystander = connection.createChannel();
        BlockingQueue<ShutdownSignalException> bystanderSignals = new LinkedBlockingQueue<>();
        bystander.addShutdownListener(bystanderSignals::add);
        try {
            channel.exchangeDeclare("connection-errors-" + System.nanoTime(), "no-such-type");
            check(false, "an unknown exchange type is refused");
        } catch (IOException e) {
            check(e.getCause() instanceof ShutdownSignalException, "caused by a shutdown signal: " + e.getCause());
            ShutdownSignalException sig = (ShutdownSignalException) e.getCause();
            check(sig.isHardError(), "a connection error");
            check(!sig.isInitiatedByApplication(), "from the broker");
            check(sig.getReason() instanceof AMQP.Connection.Close, "the reason is a connection.close");
            AMQP.Connection.Close close = (AMQP.Connection.Close) sig.getReason();
            check(close.getReplyCode() == AMQP.COMMAND_INVALID, "503, not " + close.getReplyCode());
            check(close.getReplyText().startsWith("COMMAND_INVALID"), "text: " + close.getReplyText());
            check(close.getClassId() == 40 && close.getMethodId() == 10, "caused by exchange.declare");
        }
        check(!connection.isOpen(), "the connection is closed when the call returns");
        check(!channel.isOpen(), "so is the channel of the call");
        ShutdownSignalException reason = connection.getCloseReason();
        check(reason != null && reason.isHardError(), "the connection's close reason");
        ShutdownSignalException heard = connectionSignals.poll(10, TimeUnit.SECONDS);
        check(heard != null && ((AMQP.Connection.Close) heard.getReason()).getReplyCode() == 503,
                "the connection's listener heard it");
        ShutdownSignalException bystanderHeard = bystanderSignals.poll(10, TimeUnit.SECONDS);
        check(bystanderHeard != null && bystanderHeard.isHardError(), "the other channel's listener heard it");
        check(!bystander.isOpen(), "the other channel is closed too");
        try {
            connection.createChannel();
            check(false, "no channel on a closed connection");
        } catch (AlreadyClosedException e) {
            check(e.getReason() instanceof AMQP.Connection.Close, "AlreadyClosedException carries the close");
        }
        try {
            bystander.basicPublish("", "anything", null, new byte[0]);
            check(false, "no publishing on a channel of a closed connection");
        } catch (AlreadyClosedException e) {
            check(e.isHardError(), "the channel's end was the connection's");
        }
        System.out.println(" [x] a connection error reaches the call, the connection and its listeners");
    }
}
