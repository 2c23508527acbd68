/*
 * Writes the catalog of Flink configuration options declared by the classes of some Flink jars
 * (a home's lib/ jars, or the Maven artifacts generate.sh resolves for one release).
 *
 *   java -cp <catalog classes>:<jars> ConfigOptionCatalog <out.json> <jar to scan>...
 *
 * Every class under org.apache.flink (shaded third-party code excluded) of the given jars is
 * loaded without initialisation; each `public static final ConfigOption` field is read (which
 * initialises the declaring class). Options are deduplicated by key and written sorted by key,
 * one JSON object per line:
 *
 *   {"key", "type", "default", "deprecatedKeys", "fallbackKeys", "enumValues"?, "section", "deprecated"?}
 *
 * type: string|int|long|double|boolean|memory|duration|enum|list|map|other, from ConfigOption's
 *       private `clazz` and `isList` fields (float counts as double; a list of enums also carries
 *       enumValues).
 * default: the default rendered the way Flink writes a value into config.yaml
 *       (ConfigurationUtils.convertToString, standard-YAML flavour), or null.
 * deprecatedKeys / fallbackKeys: ConfigOption.fallbackKeys() split by FallbackKey.isDeprecated().
 * section: the first value of the field's @Documentation.Section, else the declaring class's simple
 *       name. key: prefixed like Flink's docs when the field or class has @Documentation.SuffixOption
 *       (1.15's SuffixOption has no prefix: such options are left out).
 *
 * Uses Flink only through reflection, so one build (javac with no classpath) runs on 1.15-2.x, whose
 * ConfigurationUtils.convertToString signatures differ.
 */
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

public final class ConfigOptionCatalog {

    /** One option as found in one field. */
    private static final class Found {
        final String key;
        final String type;
        final String defaultValue;
        final List<String> deprecatedKeys = new ArrayList<>();
        final List<String> fallbackKeys = new ArrayList<>();
        final List<String> enumValues;
        final String source;
        final boolean deprecatedField;
        String section;

        Found(String key, String type, String defaultValue, List<String> enumValues,
              String source, boolean deprecatedField) {
            this.key = key;
            this.type = type;
            this.defaultValue = defaultValue;
            this.enumValues = enumValues;
            this.source = source;
            this.deprecatedField = deprecatedField;
        }

        /** Preferred when two fields define the same key: not deprecated, then first by source. */
        boolean betterThan(Found other) {
            if (deprecatedField != other.deprecatedField) {
                return !deprecatedField;
            }
            return source.compareTo(other.source) < 0;
        }
    }

    private static Class<?> configOption;
    private static Class<?> memorySize;
    private static Method key;
    private static Method hasDefaultValue;
    private static Method defaultValue;
    private static Method fallbackKeys;
    private static Method fallbackKeyName;
    private static Method fallbackKeyDeprecated;
    private static Field clazzField;
    private static Field isListField;
    private static Method convertToString;
    private static boolean convertTakesYamlFlag;
    private static Class<? extends Annotation> sectionAnnotation;
    private static Class<? extends Annotation> suffixAnnotation;

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ConfigOptionCatalog <out.json> <jar>...");
            System.exit(2);
        }
        Path out = Paths.get(args[0]);

        ClassLoader loader = ConfigOptionCatalog.class.getClassLoader();
        configOption = Class.forName("org.apache.flink.configuration.ConfigOption", false, loader);
        memorySize = Class.forName("org.apache.flink.configuration.MemorySize", false, loader);
        Class<?> fallbackKey = Class.forName("org.apache.flink.configuration.FallbackKey", false, loader);
        key = configOption.getMethod("key");
        hasDefaultValue = configOption.getMethod("hasDefaultValue");
        defaultValue = configOption.getMethod("defaultValue");
        fallbackKeys = configOption.getMethod("fallbackKeys");
        fallbackKeyName = fallbackKey.getMethod("getKey");
        fallbackKeyDeprecated = fallbackKey.getMethod("isDeprecated");
        clazzField = configOption.getDeclaredField("clazz");
        clazzField.setAccessible(true);
        isListField = configOption.getDeclaredField("isList");
        isListField.setAccessible(true);
        sectionAnnotation = annotation("org.apache.flink.annotation.docs.Documentation$Section", loader);
        suffixAnnotation = annotation("org.apache.flink.annotation.docs.Documentation$SuffixOption", loader);
        Class<?> utils = Class.forName("org.apache.flink.configuration.ConfigurationUtils");
        try {
            convertToString = utils.getDeclaredMethod("convertToString", Object.class, boolean.class);
            convertTakesYamlFlag = true; // 1.19/1.20: (value, standardYaml)
        } catch (NoSuchMethodException e) {
            convertToString = utils.getDeclaredMethod("convertToString", Object.class); // 2.x
        }
        convertToString.setAccessible(true);

        Map<String, Found> byKey = new TreeMap<>();
        int classes = 0;
        int unloadable = 0;
        int fields = 0;
        TreeSet<String> seenClasses = new TreeSet<>();
        for (int i = 1; i < args.length; i++) {
            for (String name : classNames(args[i])) {
                if (!seenClasses.add(name)) {
                    continue;
                }
                classes++;
                Class<?> c;
                Field[] declared;
                try {
                    c = Class.forName(name, false, loader);
                    declared = c.getDeclaredFields();
                } catch (Throwable t) { // optional dependencies (Hadoop, ...) are not on the classpath
                    unloadable++;
                    if (System.getenv("CATALOG_DEBUG") != null) {
                        System.err.println("not loadable: " + name + " (" + t + ")");
                    }
                    continue;
                }
                for (Field f : declared) {
                    int m = f.getModifiers();
                    if (!Modifier.isPublic(m) || !Modifier.isStatic(m) || !Modifier.isFinal(m)
                            || !configOption.isAssignableFrom(f.getType())) {
                        continue;
                    }
                    Object option;
                    try {
                        f.setAccessible(true);
                        option = f.get(null);
                    } catch (Throwable t) {
                        System.err.println("WARN cannot read " + name + "." + f.getName() + ": " + t);
                        continue;
                    }
                    if (option == null) {
                        continue;
                    }
                    fields++;
                    boolean deprecated = f.isAnnotationPresent(Deprecated.class)
                            || c.isAnnotationPresent(Deprecated.class);
                    Found found = describe(option, f, name + "." + f.getName(), deprecated);
                    if (found == null) {
                        continue;
                    }
                    Found prev = byKey.get(found.key);
                    if (prev != null && System.getenv("CATALOG_DEBUG") != null
                            && (!prev.type.equals(found.type)
                                    || !String.valueOf(prev.defaultValue).equals(String.valueOf(found.defaultValue)))) {
                        System.err.println("duplicate key " + found.key + " differs: " + prev.source + " ("
                                + prev.type + ", " + prev.defaultValue + ") vs " + found.source + " ("
                                + found.type + ", " + found.defaultValue + ")");
                    }
                    if (prev == null || found.betterThan(prev)) {
                        byKey.put(found.key, found);
                    }
                }
            }
        }

        Files.createDirectories(out.toAbsolutePath().getParent());
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out, StandardCharsets.UTF_8))) {
            w.print("[\n");
            int n = 0;
            for (Found o : byKey.values()) {
                w.print(n++ == 0 ? "" : ",\n");
                w.print(toJson(o));
            }
            w.print("\n]\n");
        }
        System.err.printf("catalog: %d classes scanned (%d not loadable), %d option fields, %d keys -> %s%n",
                classes, unloadable, fields, byKey.size(), out);
    }

    private static List<String> classNames(String jar) throws IOException {
        List<String> names = new ArrayList<>();
        try (JarFile jf = new JarFile(jar)) {
            Enumeration<JarEntry> en = jf.entries();
            while (en.hasMoreElements()) {
                String n = en.nextElement().getName();
                if (!n.endsWith(".class") || n.startsWith("META-INF/") || n.endsWith("module-info.class")
                        || !n.startsWith("org/apache/flink/") || n.contains("/shaded/")) {
                    continue;
                }
                names.add(n.substring(0, n.length() - ".class".length()).replace('/', '.'));
            }
        }
        names.sort(null);
        return names;
    }

    @SuppressWarnings("unchecked")
    private static Class<? extends Annotation> annotation(String name, ClassLoader loader) {
        try {
            return (Class<? extends Annotation>) Class.forName(name, false, loader);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    /**
     * The annotation's value(), or null when absent, valueless (1.15's SuffixOption is a marker) or
     * flink-annotations is not on the classpath.
     */
    private static Object annotationValue(AnnotatedElement e, Class<? extends Annotation> type)
            throws ReflectiveOperationException {
        Annotation a = type == null ? null : e.getAnnotation(type);
        if (a == null) {
            return null;
        }
        try {
            return type.getMethod("value").invoke(a);
        } catch (NoSuchMethodException valueless) {
            return null;
        }
    }

    private static Found describe(Object option, Field field, String source, boolean deprecatedField)
            throws ReflectiveOperationException {
        Class<?> clazz = (Class<?>) clazzField.get(option);
        boolean isList = isListField.getBoolean(option);
        String type = isList ? "list" : typeOf(clazz);
        List<String> enumValues = null;
        if (clazz != null && clazz.isEnum()) {
            enumValues = new ArrayList<>();
            for (Object constant : clazz.getEnumConstants()) {
                enumValues.add(((Enum<?>) constant).name());
            }
        }
        String def = null;
        Object value = defaultValue.invoke(option);
        if ((Boolean) hasDefaultValue.invoke(option) && value != null) {
            def = render(value);
        }
        String k = (String) key.invoke(option);
        AnnotatedElement suffixed = suffixAnnotation == null ? null
                : field.isAnnotationPresent(suffixAnnotation) ? field
                : field.getDeclaringClass().isAnnotationPresent(suffixAnnotation) ? field.getDeclaringClass()
                : null;
        if (suffixed != null) {
            Object prefix = annotationValue(suffixed, suffixAnnotation);
            if (prefix == null) {
                return null; // 1.15: a marker without the prefix, the key alone is no config key
            }
            k = prefix + "." + k;
        }
        Found found = new Found(k, type, def, enumValues, source, deprecatedField);
        for (Object fk : (Iterable<?>) fallbackKeys.invoke(option)) {
            boolean deprecated = (Boolean) fallbackKeyDeprecated.invoke(fk);
            (deprecated ? found.deprecatedKeys : found.fallbackKeys).add((String) fallbackKeyName.invoke(fk));
        }
        String[] sections = (String[]) annotationValue(field, sectionAnnotation);
        found.section = sections != null && sections.length > 0
                ? sections[0] : field.getDeclaringClass().getSimpleName();
        return found;
    }

    private static String typeOf(Class<?> c) {
        if (c == null) {
            return "other";
        }
        if (c == String.class) {
            return "string";
        }
        if (c == Integer.class) {
            return "int";
        }
        if (c == Long.class) {
            return "long";
        }
        if (c == Double.class || c == Float.class) {
            return "double";
        }
        if (c == Boolean.class) {
            return "boolean";
        }
        if (c == memorySize) {
            return "memory";
        }
        if (c == Duration.class) {
            return "duration";
        }
        if (c.isEnum()) {
            return "enum";
        }
        if (Map.class.isAssignableFrom(c)) {
            return "map";
        }
        return "other";
    }

    private static String render(Object value) {
        try {
            Object s = convertTakesYamlFlag
                    ? convertToString.invoke(null, value, true)
                    : convertToString.invoke(null, value);
            return String.valueOf(s);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return String.valueOf(value);
        }
    }

    private static String toJson(Found o) {
        StringBuilder b = new StringBuilder(128);
        b.append("{\"key\":").append(str(o.key));
        b.append(",\"type\":").append(str(o.type));
        b.append(",\"default\":").append(o.defaultValue == null ? "null" : str(o.defaultValue));
        b.append(",\"deprecatedKeys\":").append(arr(o.deprecatedKeys));
        b.append(",\"fallbackKeys\":").append(arr(o.fallbackKeys));
        if (o.enumValues != null) {
            b.append(",\"enumValues\":").append(arr(o.enumValues));
        }
        b.append(",\"section\":").append(str(o.section));
        if (o.deprecatedField) { // every field that declares the key is @Deprecated (or its class is)
            b.append(",\"deprecated\":true");
        }
        return b.append('}').toString();
    }

    private static String arr(List<String> values) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            b.append(i == 0 ? "" : ",").append(str(values.get(i)));
        }
        return b.append(']').toString();
    }

    private static String str(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
            }
        }
        return b.append('"').toString();
    }

    private ConfigOptionCatalog() {}
}
