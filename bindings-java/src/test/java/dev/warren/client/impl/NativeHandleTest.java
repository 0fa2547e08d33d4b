package dev.warren.client.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The guard frees a native object once, and never while a call uses it. */
class NativeHandleTest {
    @Test
    void closeWhileInUseDefersTheFreeToTheLastRelease() {
        AtomicInteger frees = new AtomicInteger();
        NativeHandle h = new NativeHandle(42, p -> frees.incrementAndGet());
        assertEquals(42, h.acquire());
        assertEquals(42, h.acquire());
        h.close();
        assertEquals(0, h.acquire(), "a closed handle refuses new calls");
        assertEquals(0, frees.get());
        h.release();
        assertEquals(0, frees.get());
        h.release();
        assertEquals(1, frees.get());
        h.close();
        assertEquals(1, frees.get(), "close is idempotent");
        assertTrue(h.isFreed());
    }

    @Test
    void closeWithoutUsersFreesAtOnce() {
        AtomicInteger frees = new AtomicInteger();
        NativeHandle h = new NativeHandle(7, p -> frees.incrementAndGet());
        assertFalse(h.isClosed());
        h.close();
        h.close();
        assertEquals(1, frees.get());
    }

    @Test
    void manyThreadsRacingCloseFreeExactlyOnce() throws Exception {
        for (int round = 0; round < 200; round++) {
            AtomicInteger frees = new AtomicInteger();
            NativeHandle h = new NativeHandle(1, p -> frees.incrementAndGet());
            Thread[] threads = new Thread[4];
            for (int i = 0; i < threads.length; i++) {
                threads[i] = new Thread(() -> {
                    for (int j = 0; j < 1000; j++) {
                        if (h.acquire() != 0) {
                            h.release();
                        }
                    }
                });
                threads[i].start();
            }
            h.close();
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(1, frees.get());
        }
    }

    @Test
    void theCleanerClosesTheHandleOfAnUnreachableOwner() throws Exception {
        AtomicInteger frees = new AtomicInteger();
        NativeHandle h = new NativeHandle(9, p -> frees.incrementAndGet());
        Object owner = new Object();
        h.registerCleaner(owner, null);
        owner = null;
        for (int i = 0; i < 100 && frees.get() == 0; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(1, frees.get());
    }
}
