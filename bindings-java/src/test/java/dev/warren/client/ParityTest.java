package dev.warren.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The same program (src/test/parity/EdgeCases.java: error paths, counts, returns, confirms,
 * properties — one line per case saying what came back or what was thrown) run with the
 * official client and with Warren against the broker under test: the transcripts must be equal.
 */
class ParityTest {
    private static String transcript(Path classes, String className) throws Throwable {
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream capture = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            CompatibilityTest.run(classes, className, Brokers.uri());
        } finally {
            System.setOut(saved);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void edgeCasesEndTheSameWithTheOfficialClientAndWithWarren() throws Throwable {
        String original = Files.readString(Path.of("src/test/parity/EdgeCases.java"), StandardCharsets.UTF_8);
        String swapped = original.replace("import com.rabbitmq.client.", "import dev.warren.client.");
        assertTrue(!swapped.contains("com.rabbitmq"), "only imports name the official client");
        String official = transcript(CompatibilityTest.compile("EdgeCases", original), "EdgeCases");
        String warren = transcript(CompatibilityTest.compile("EdgeCases", swapped), "EdgeCases");
        assertTrue(official.lines().count() >= 35, "the official run printed every case:\n" + official);
        assertEquals(official, warren);
    }
}
