package dev.warren.client.impl;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * A native object's handle, kept alive while native code uses it (as libsignal's
 * {@code NativeHandleGuard}). Every native call {@link #acquire()}s the handle and
 * {@link #release()}s it after; {@link #close()} stops new calls, and the native object is
 * freed exactly once, when the handle is closed and no call is running. A {@link Cleaner}
 * closes the handles of Java objects that became unreachable without being closed.
 */
public final class NativeHandle {
    /** The cleaner shared by every Warren object. */
    static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "warren-cleaner");
        t.setDaemon(true);
        return t;
    });

    private static final long CLOSED = 1L << 62;
    private static final long FREED = 1L << 61;

    /** Calls in flight, plus the CLOSED and FREED bits. */
    private final AtomicLong state = new AtomicLong();
    private final long pointer;
    private final LongConsumer free;

    /**
     * @param pointer the native object's handle (non-zero)
     * @param free frees it; called once
     */
    public NativeHandle(long pointer, LongConsumer free) {
        if (pointer == 0) {
            throw new IllegalArgumentException("null native handle");
        }
        this.pointer = pointer;
        this.free = free;
    }

    /**
     * Registers {@code owner} with the cleaner: when it becomes unreachable, this handle is
     * closed. The action holds this handle, never the owner.
     *
     * @param owner the Java object that owns this handle
     * @param beforeFree run before the handle is closed (e.g. to close a connection), or null
     * @return the registration, to clean explicitly
     */
    public Cleaner.Cleanable registerCleaner(Object owner, Runnable beforeFree) {
        NativeHandle self = this;
        return CLEANER.register(owner, () -> {
            try {
                if (beforeFree != null) {
                    beforeFree.run();
                }
            } finally {
                self.close();
            }
        });
    }

    /**
     * Marks a native call starting.
     *
     * @return the pointer to pass to native code, or 0 if the handle is closed (then do not
     *     call {@link #release()})
     */
    public long acquire() {
        while (true) {
            long s = state.get();
            if ((s & CLOSED) != 0) {
                return 0;
            }
            if (state.compareAndSet(s, s + 1)) {
                return pointer;
            }
        }
    }

    /** Marks a native call finished; frees the object if it was the last one after a close. */
    public void release() {
        if (state.decrementAndGet() == CLOSED) {
            freeOnce();
        }
    }

    /** Refuses new calls and frees the object once no call runs; idempotent. */
    public void close() {
        while (true) {
            long s = state.get();
            if ((s & CLOSED) != 0) {
                return;
            }
            if (state.compareAndSet(s, s | CLOSED)) {
                if (s == 0) {
                    freeOnce();
                }
                return;
            }
        }
    }

    /** @return whether {@link #close()} was called */
    public boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }

    /** @return whether the native object was freed */
    public boolean isFreed() {
        return (state.get() & FREED) != 0;
    }

    private void freeOnce() {
        if (state.compareAndSet(CLOSED, CLOSED | FREED)) {
            free.accept(pointer);
        }
    }
}
