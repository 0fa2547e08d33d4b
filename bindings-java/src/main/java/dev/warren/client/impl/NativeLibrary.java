package dev.warren.client.impl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads {@code libwarren_java.so} once, at first use: from the path in the system property
 * {@code warren.native.library} if set, else from inside the jar (extracted to a temporary
 * file that is deleted when the JVM exits, as sqlite-jdbc and netty-tcnative do).
 */
public final class NativeLibrary {
    /** Where the library sits in the jar, per platform. */
    static final String RESOURCE_DIR = "/dev/warren/client/native/";
    private static final String LIBRARY = "libwarren_java.so";
    private static volatile boolean loaded;

    private NativeLibrary() {
    }

    /** @return the platform directory name, e.g. {@code linux-x86_64} */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String osName = os.contains("linux") ? "linux" : os.replaceAll("\\s+", "");
        String archName = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch;
        return osName + "-" + archName;
    }

    /** Loads the library unless it is loaded; safe to call from any thread. */
    public static synchronized void load() {
        if (loaded) {
            return;
        }
        String override = System.getProperty("warren.native.library");
        if (override != null && !override.isEmpty()) {
            System.load(Path.of(override).toAbsolutePath().toString());
            loaded = true;
            return;
        }
        String resource = RESOURCE_DIR + platform() + "/" + LIBRARY;
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new UnsatisfiedLinkError("Warren's native library for " + platform()
                        + " is not in this jar (looked for " + resource + "); this build of warren-client supports "
                        + "linux-x86_64. Set -Dwarren.native.library=/path/to/" + LIBRARY + " to use another build.");
            }
            Path tmp = Files.createTempFile("libwarren_java-", ".so");
            tmp.toFile().deleteOnExit();
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            System.load(tmp.toAbsolutePath().toString());
            loaded = true;
        } catch (IOException e) {
            UnsatisfiedLinkError err = new UnsatisfiedLinkError("could not extract " + resource + ": " + e);
            err.initCause(e);
            throw err;
        }
    }
}
