package dev.warren.client.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.warren.client.AMQP;
import dev.warren.client.AlreadyClosedException;
import dev.warren.client.AuthenticationFailureException;
import dev.warren.client.ConsumerCancelledException;
import dev.warren.client.MalformedFrameException;
import dev.warren.client.MissedHeartbeatException;
import dev.warren.client.ShutdownSignalException;
import dev.warren.client.UnroutableRpcRequestException;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Every core error, thrown by the native library through the one Rust mapping, becomes the
 * Java exception {@link Errors} says, with reply code, text, class id and method id reachable.
 */
class ErrorsTest {
    private static NativeException nativeError(int which) {
        return assertThrows(NativeException.class, () -> Native.errorForTest(which));
    }

    private static Exception translated(int which) {
        return Errors.translate(nativeError(which), "ref");
    }

    @Test
    void connectionCloseFromTheBrokerIsAHardShutdownWithItsReason() {
        ShutdownSignalException e = assertInstanceOf(ShutdownSignalException.class, translated(1));
        assertTrue(e.isHardError());
        assertFalse(e.isInitiatedByApplication());
        AMQP.Connection.Close close = assertInstanceOf(AMQP.Connection.Close.class, e.getReason());
        assertEquals(320, close.getReplyCode());
        assertEquals("CONNECTION_FORCED - shutdown", close.getReplyText());
        assertEquals(50, close.getClassId());
        assertEquals(10, close.getMethodId());
        assertEquals("ref", e.getReference());
    }

    @Test
    void channelCloseFromTheBrokerIsASoftShutdownAndAnIOExceptionFromAnOperation() {
        NativeException n = nativeError(2);
        assertEquals(404, n.replyCode());
        ShutdownSignalException e = assertInstanceOf(ShutdownSignalException.class, Errors.translate(n, null));
        assertFalse(e.isHardError());
        AMQP.Channel.Close close = assertInstanceOf(AMQP.Channel.Close.class, e.getReason());
        assertEquals(404, close.getReplyCode());
        assertEquals("NOT_FOUND - no queue 'q'", close.getReplyText());
        assertEquals(50, close.getClassId());
        assertEquals(10, close.getMethodId());
        IOException io = Errors.io(n, null);
        assertInstanceOf(ShutdownSignalException.class, io.getCause());
    }

    @Test
    void operationsOnWhatTheApplicationClosedAreAlreadyClosed() {
        AlreadyClosedException conn = assertInstanceOf(AlreadyClosedException.class, translated(3));
        assertTrue(conn.isHardError());
        assertTrue(conn.isInitiatedByApplication());
        AlreadyClosedException ch = assertInstanceOf(AlreadyClosedException.class, translated(4));
        assertFalse(ch.isHardError());
        assertThrows(AlreadyClosedException.class, () -> Errors.io(nativeError(4), null));
    }

    @Test
    void everyOtherKindHasItsJavaException() {
        assertInstanceOf(MalformedFrameException.class, translated(5));
        assertEquals(IOException.class, translated(6).getClass());
        assertInstanceOf(javax.net.ssl.SSLException.class, translated(7));
        assertInstanceOf(IllegalArgumentException.class, translated(8));
        assertInstanceOf(AuthenticationFailureException.class, translated(9));
        assertEquals(IOException.class, translated(10).getClass());
        assertInstanceOf(MissedHeartbeatException.class, translated(11));
        assertInstanceOf(java.net.SocketTimeoutException.class, translated(12));
        assertInstanceOf(TimeoutException.class, translated(13));
        assertInstanceOf(ConsumerCancelledException.class, translated(14));
        assertEquals(IOException.class, translated(15).getClass());
        assertInstanceOf(IllegalStateException.class, translated(16));
        IOException lost = assertInstanceOf(IOException.class, translated(17));
        assertInstanceOf(ShutdownSignalException.class, lost.getCause());
        assertEquals(IOException.class, translated(18).getClass());
        assertEquals(IOException.class, translated(19).getClass());
        ShutdownSignalException tooLarge = assertInstanceOf(ShutdownSignalException.class, translated(20));
        assertFalse(tooLarge.isHardError());
        UnroutableRpcRequestException unroutable = assertInstanceOf(UnroutableRpcRequestException.class,
                translated(21));
        assertEquals(312, unroutable.getReturnMessage().getReplyCode());
        ShutdownSignalException bad = assertInstanceOf(ShutdownSignalException.class, translated(22));
        assertEquals(505, ((AMQP.Channel.Close) bad.getReason()).getReplyCode());
        assertInstanceOf(IllegalStateException.class, translated(23));
        assertInstanceOf(java.net.ConnectException.class, translated(24));
    }

    @Test
    void aRequestCutOffByTheBrokersConnectionCloseCarriesThatClose() {
        NativeException n = nativeError(25);
        assertEquals(NativeException.CONNECTION_LOST, n.kind());
        assertEquals(503, n.replyCode());
        IOException io = assertInstanceOf(IOException.class, Errors.translate(n, "ref"));
        ShutdownSignalException sig = assertInstanceOf(ShutdownSignalException.class, io.getCause());
        assertTrue(sig.isHardError());
        assertFalse(sig.isInitiatedByApplication());
        AMQP.Connection.Close close = assertInstanceOf(AMQP.Connection.Close.class, sig.getReason());
        assertEquals(503, close.getReplyCode());
        assertEquals("COMMAND_INVALID - unknown exchange type 'x'", close.getReplyText());
        assertEquals(50, close.getClassId());
        assertEquals(10, close.getMethodId());
        IOException lost = assertInstanceOf(IOException.class, translated(17));
        assertNull(((ShutdownSignalException) lost.getCause()).getReason(), "a lost link has no close method");
    }

    @Test
    void theKindsMatchTheRustSide() {
        for (int which = 1; which <= 23; which++) {
            assertEquals(which, nativeError(which).kind(), "sample " + which);
        }
        assertEquals(NativeException.CONNECTION_REFUSED, nativeError(24).kind());
    }

    @Test
    void aPanicInNativeCodeIsAnExceptionNotACrash() {
        NativeException e = assertThrows(NativeException.class, Native::panicForTest);
        assertEquals(NativeException.INTERNAL, e.kind());
        assertTrue(e.getMessage().contains("on purpose"), e.getMessage());
        assertInstanceOf(IllegalStateException.class, Errors.translate(e, null));
    }
}
