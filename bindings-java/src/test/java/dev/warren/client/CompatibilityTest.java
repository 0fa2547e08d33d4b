package dev.warren.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Programs written for the official client (src/test/compat, in the style of RabbitMQ's Java
 * tutorials) compile and run on Warren with only their imports changed.
 */
class CompatibilityTest {
    private static final Path SOURCES = Path.of("src/test/compat");

    /** A source held in memory. */
    private static final class Source extends SimpleJavaFileObject {
        private final String code;

        Source(String className, String code) {
            super(java.net.URI.create("string:///" + className + ".java"), JavaFileObject.Kind.SOURCE);
            this.code = code;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return code;
        }
    }

    static Path compile(String className, String code) throws Exception {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "a JDK is needed (javac)");
        Path out = Files.createTempDirectory("warren-compat-" + className);
        StringWriter diagnostics = new StringWriter();
        List<String> options = List.of("-Xlint:all", "-Werror", "-classpath", System.getProperty("java.class.path"),
                "-d", out.toString());
        boolean ok = javac.getTask(diagnostics, null, null, options, null,
                List.of(new Source(className, code))).call();
        assertTrue(ok, className + " does not compile:\n" + diagnostics);
        return out;
    }

    static void run(Path classes, String className, String uri) throws Throwable {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                CompatibilityTest.class.getClassLoader())) {
            Method main = loader.loadClass(className).getMethod("main", String[].class);
            try {
                main.invoke(null, (Object) new String[] {uri});
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> officialClientProgramsRunWithOnlyTheirImportsChanged() throws Exception {
        List<Path> files;
        try (Stream<Path> list = Files.list(SOURCES)) {
            files = list.filter(p -> p.toString().endsWith(".java")).sorted().collect(Collectors.toList());
        }
        assertEquals(11, files.size(), "the seven tutorial programs and four application-style programs");
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : files) {
            String className = file.getFileName().toString().replace(".java", "");
            tests.add(DynamicTest.dynamicTest(className, () -> {
                String original = Files.readString(file, StandardCharsets.UTF_8);
                String swapped = original.replace("import com.rabbitmq.client.", "import dev.warren.client.");
                assertTrue(!swapped.contains("com.rabbitmq"), "only imports name the official client");
                Path officialBuild = compile(className, original);
                Path warrenBuild = compile(className, swapped);
                if (!Brokers.isWarren()) {
                    // The program itself is checked with the official client first.
                    run(officialBuild, className, Brokers.uri());
                }
                run(warrenBuild, className, Brokers.uri());
            }));
        }
        return tests.stream();
    }
}
