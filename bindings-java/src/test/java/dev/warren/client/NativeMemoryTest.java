package dev.warren.client;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Opening and closing connections and channels does not grow the process's native memory. */
class NativeMemoryTest {
    /** Resident set size of this process, KiB (Linux). */
    private static long rssKib() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    @Test
    void tenThousandOpenCloseLoopsDoNotGrowNativeMemory() throws Exception {
        int loops = Integer.getInteger("warren.test.leakLoops", 10_000);
        ConnectionFactory f = Brokers.factory();
        // Warm up: the shared runtime, TLS-less socket paths and JIT settle first.
        for (int i = 0; i < 300; i++) {
            openClose(f);
        }
        System.gc();
        long before = rssKib();
        for (int i = 0; i < loops; i++) {
            openClose(f);
        }
        System.gc();
        Thread.sleep(200);
        long after = rssKib();
        long growthKib = after - before;
        System.out.println("native memory test: " + loops + " loops, RSS " + before + " KiB -> " + after + " KiB");
        // A leak of one connection's state (a few KiB) per loop would show as tens of MiB.
        assertTrue(growthKib < 32 * 1024, "RSS grew by " + growthKib + " KiB over " + loops + " loops");
    }

    private static void openClose(ConnectionFactory f) throws Exception {
        Connection c = f.newConnection();
        Channel ch = c.createChannel();
        ch.close();
        c.close();
    }
}
