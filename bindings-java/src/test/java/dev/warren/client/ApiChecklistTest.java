package dev.warren.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The checklist of COMPATIBILITY.md, checked: every public class of the official client's
 * {@code com.rabbitmq.client} package (and its nested classes), and every public constructor,
 * method and field of them, exists in {@code dev.warren.client} with the same signature and the
 * same checked exceptions — except the entries COMPATIBILITY.md lists as not provided. A
 * program using a member that is missing here would not compile after swapping its imports.
 */
class ApiChecklistTest {
    private static final String OFFICIAL = "com.rabbitmq.client.";
    private static final String OURS = "dev.warren.client.";

    /**
     * The "Not provided" list of COMPATIBILITY.md: lines starting with "- `" in that section,
     * each a class ({@code SocketConfigurators}) or a member ({@code Class#signature}); a
     * {@code *} stands for any text.
     */
    private static Set<String> notProvided() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("COMPATIBILITY.md"));
        Set<String> out = new TreeSet<>();
        boolean inSection = false;
        for (String line : lines) {
            if (line.startsWith("## ")) {
                inSection = line.startsWith("## Not provided");
            } else if (inSection && line.startsWith("- `")) {
                out.add(line.substring(3, line.indexOf('`', 3)));
            }
        }
        assertTrue(!out.isEmpty(), "COMPATIBILITY.md has a 'Not provided' section");
        return out;
    }

    private static List<String> officialClassNames() throws Exception {
        URL jar = com.rabbitmq.client.Channel.class.getProtectionDomain().getCodeSource().getLocation();
        List<String> names = new ArrayList<>();
        try (JarFile file = new JarFile(Path.of(jar.toURI()).toFile())) {
            Enumeration<JarEntry> entries = file.entries();
            while (entries.hasMoreElements()) {
                String n = entries.nextElement().getName();
                if (n.startsWith("com/rabbitmq/client/") && n.endsWith(".class") && n.indexOf('/', 20) < 0) {
                    names.add(n.substring(0, n.length() - 6).replace('/', '.'));
                }
            }
        }
        return names;
    }

    private static String map(String typeName) {
        return typeName.replace(OFFICIAL, OURS);
    }

    private static String signature(Executable e) {
        String params = Arrays.stream(e.getGenericParameterTypes()).map(t -> map(t.getTypeName()))
                .collect(Collectors.joining(", "));
        String exceptions = Arrays.stream(e.getExceptionTypes())
                .filter(x -> !RuntimeException.class.isAssignableFrom(x) && !Error.class.isAssignableFrom(x))
                .map(x -> map(x.getName())).sorted().collect(Collectors.joining(", "));
        String name = e instanceof Constructor ? "<init>" : e.getName();
        String ret = e instanceof Method ? map(((Method) e).getGenericReturnType().getTypeName()) + " " : "";
        String stat = Modifier.isStatic(e.getModifiers()) ? "static " : "";
        return stat + ret + name + "(" + params + ")" + (exceptions.isEmpty() ? "" : " throws " + exceptions);
    }

    private static Set<String> members(Class<?> c) {
        Set<String> out = new TreeSet<>();
        for (Method m : c.getMethods()) {
            if (!m.isSynthetic() && !m.isBridge() && m.getDeclaringClass() != Object.class) {
                out.add(signature(m));
            }
        }
        for (Constructor<?> k : c.getConstructors()) {
            out.add(signature(k));
        }
        for (Field f : c.getFields()) {
            out.add((Modifier.isStatic(f.getModifiers()) ? "static " : "") + map(f.getGenericType().getTypeName())
                    + " " + f.getName());
        }
        return out;
    }

    /** @return the first pattern matching the missing item, or null */
    private static String listed(Set<String> patterns, String item) {
        for (String p : patterns) {
            String regex = Arrays.stream(p.split("\\*", -1)).map(Pattern::quote).collect(Collectors.joining(".*"));
            if (item.matches(regex)) {
                return p;
            }
        }
        return null;
    }

    @Test
    void everyPublicTypeAndMemberOfTheOfficialPackageExistsOrIsListedAsNotProvided() throws Exception {
        Set<String> allowed = notProvided();
        Set<String> used = new TreeSet<>();
        List<String> missing = new ArrayList<>();
        int checkedClasses = 0;
        int checkedMembers = 0;
        for (String name : officialClassNames()) {
            Class<?> official = Class.forName(name, false, getClass().getClassLoader());
            if (!Modifier.isPublic(official.getModifiers()) || official.isAnonymousClass()
                    || official.isSynthetic() || name.endsWith(".package-info")) {
                continue;
            }
            String simple = name.substring(OFFICIAL.length());
            Class<?> ours;
            try {
                ours = Class.forName(OURS + simple, false, getClass().getClassLoader());
            } catch (ClassNotFoundException e) {
                String p = listed(allowed, simple);
                if (p != null) {
                    used.add(p);
                } else {
                    missing.add("class " + simple);
                }
                continue;
            }
            checkedClasses++;
            Set<String> ourMembers = members(ours);
            for (String member : members(official)) {
                String key = simple + "#" + member;
                if (ourMembers.contains(member)) {
                    checkedMembers++;
                    continue;
                }
                String p = listed(allowed, key);
                if (p != null) {
                    used.add(p);
                } else {
                    missing.add(key);
                }
            }
        }
        assertEquals(List.of(), missing, "official API not in dev.warren.client (nor in COMPATIBILITY.md)");
        Set<String> stale = new TreeSet<>(allowed);
        stale.removeAll(used);
        assertEquals(Set.of(), stale, "COMPATIBILITY.md lists as not provided what is provided, or what the official client lacks");
        assertTrue(checkedClasses > 90 && checkedMembers > 900,
                "checked " + checkedClasses + " classes and " + checkedMembers + " members");
    }
}
