import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Runs Flink's own BashJavaUtils once per input line inside one JVM (a JVM per case would make
 * the parity test take minutes). Input: tab-separated `id, COMMAND, args...`. Output per case:
 * `=== id`, then the BASH_JAVA_UTILS_EXEC_RESULT: lines without the prefix, or `!!! <error>`.
 */
public class BashJavaUtilsBatch {
    private static final String PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";

    public static void main(String[] ignored) throws Exception {
        Method main = Class.forName("org.apache.flink.runtime.util.bash.BashJavaUtils").getMethod("main", String[].class);
        PrintStream real = System.out;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) continue;
            String[] parts = line.split("\t");
            String[] args = Arrays.copyOfRange(parts, 1, parts.length);
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            String error = null;
            System.setOut(new PrintStream(buf, true, "UTF-8"));
            try {
                main.invoke(null, (Object) args);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                while (cause.getCause() != null && cause.getCause() != cause) cause = cause.getCause();
                error = cause.getClass().getSimpleName() + ": " + cause.getMessage();
            } finally {
                System.out.flush();
                System.setOut(real);
            }
            real.println("=== " + parts[0]);
            for (String out : buf.toString(StandardCharsets.UTF_8).split("\n")) {
                if (out.startsWith(PREFIX)) real.println(out.substring(PREFIX.length()));
            }
            if (error != null) real.println("!!! " + error.replace('\n', ' '));
        }
        real.println("=== END");
        real.flush();
    }
}
