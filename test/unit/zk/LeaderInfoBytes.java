// Writes leader information exactly as Flink's ZooKeeperUtils does: an ObjectOutputStream with
// writeUTF(address) then writeObject(UUID). Input on stdin, one "<uuid>\t<address>" per line
// (address as UTF-8); output one hex string per line. Run: java LeaderInfoBytes.java
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.UUID;

public class LeaderInfoBytes {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        for (String line; (line = in.readLine()) != null; ) {
            if (line.isEmpty()) continue;
            int tab = line.indexOf('\t');
            ByteArrayOutputStream baos = new ByteArrayOutputStream();
            ObjectOutputStream oos = new ObjectOutputStream(baos);
            oos.writeUTF(line.substring(tab + 1));
            oos.writeObject(UUID.fromString(line.substring(0, tab)));
            oos.close();
            out.append(HexFormat.of().formatHex(baos.toByteArray())).append('\n');
        }
        System.out.print(out);
    }
}
