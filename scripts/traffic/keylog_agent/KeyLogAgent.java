// A Java agent that writes the TLS secrets of the JDK's own TLS (JSSE) to an NSS key log,
// as Python's keylog_filename and curl's SSLKEYLOGFILE do: the JDK has no such option, and the
// agents that add one are not packaged in Debian. ZooKeeper's quorum (sslQuorum) speaks JSSE.
//
// usage: java -javaagent:keylog-agent.jar=KEYLOG -cp ...:asm.jar:asm-commons.jar ...
//
// JSSE derives every TLS 1.3 secret in sun.security.ssl.SSLSecretDerivation.deriveKey(label,
// spec); the handshake it serves is the one given to its constructor. As that class loads, this
// agent makes its constructor keep the handshake in a new field and deriveKey hand the handshake,
// the label and the secret to a sink the agent leaves in the system properties (a type of
// java.base's, so that code inside java.base can call it). TLS 1.2's master secret, whether the
// session is new or resumed, reaches the constructor of SSLTrafficKeyDerivation's
// LegacyTrafficKeyDerivation with its handshake: that constructor hands both to the sink. The
// sink reads the client random from the handshake and appends one line for each secret. Later
// secrets (KeyUpdate) follow from these, as the key log format expects.
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.security.ProtectionDomain;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import javax.crypto.SecretKey;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.AdviceAdapter;
import org.objectweb.asm.commons.GeneratorAdapter;
import org.objectweb.asm.commons.Method;

public final class KeyLogAgent implements Consumer<Object[]> {
  private static final String SINK_PROPERTY = "zkdump.jsse.keylog";
  private static final String DERIVATION = "sun/security/ssl/SSLSecretDerivation";
  private static final String LEGACY_TRAFFIC_KEYS =
      "sun/security/ssl/SSLTrafficKeyDerivation$LegacyTrafficKeyDerivation";
  private static final String MASTER_SECRET = "TlsMasterSecret";
  private static final String HANDSHAKE_FIELD = "keyLogHandshake";
  private static final Map<String, String> NSS_LABELS = Map.of(
      "TlsClientEarlyTrafficSecret", "CLIENT_EARLY_TRAFFIC_SECRET",
      "TlsClientHandshakeTrafficSecret", "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
      "TlsServerHandshakeTrafficSecret", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
      "TlsClientAppTrafficSecret", "CLIENT_TRAFFIC_SECRET_0",
      "TlsServerAppTrafficSecret", "SERVER_TRAFFIC_SECRET_0",
      MASTER_SECRET, "CLIENT_RANDOM");

  private final OutputStream keyLog;
  private final Field clientRandom;
  private final Field randomBytes;

  private KeyLogAgent(String path) throws ReflectiveOperationException, IOException {
    keyLog = new FileOutputStream(path, true);
    clientRandom = jsseClass("HandshakeContext").getDeclaredField("clientHelloRandom");
    clientRandom.setAccessible(true);
    randomBytes = jsseClass("RandomCookie").getDeclaredField("randomBytes");
    randomBytes.setAccessible(true);
  }

  private static Class<?> jsseClass(String name) throws ClassNotFoundException {
    return Class.forName("sun.security.ssl." + name, false, null);
  }

  public static void premain(String path, Instrumentation instrumentation) throws Exception {
    if (path == null || path.isEmpty()) throw new IllegalArgumentException("keylog-agent.jar=KEYLOG");
    Module base = Object.class.getModule();
    instrumentation.redefineModule(base, Set.of(), Map.of(),
        Map.of("sun.security.ssl", Set.of(KeyLogAgent.class.getModule())), Set.of(), Map.of());
    // The transformer first: the sink's lookups load JSSE classes.
    instrumentation.addTransformer(new DerivationTransformer());
    System.getProperties().put(SINK_PROPERTY, new KeyLogAgent(path));
  }

  /** One derived secret: {handshake, label, secret}. */
  @Override
  public void accept(Object[] derived) {
    String label = NSS_LABELS.get((String) derived[1]);
    if (label == null || derived[0] == null) return;
    try {
      Object random = clientRandom.get(derived[0]);
      if (random == null) return;
      HexFormat hex = HexFormat.of();
      String line = label + " " + hex.formatHex((byte[]) randomBytes.get(random)) + " "
          + hex.formatHex(((SecretKey) derived[2]).getEncoded()) + "\n";
      synchronized (this) {
        keyLog.write(line.getBytes(StandardCharsets.US_ASCII));
        keyLog.flush();
      }
    } catch (ReflectiveOperationException | IOException e) {
      System.err.println("keylog-agent: " + e);
    }
  }

  /** Code to insert before a method's returns by `returnOpcode`. */
  private record Advice(int returnOpcode, Consumer<GeneratorAdapter> code) {}

  /** By class, then by method: what each method is given. */
  private static final Map<String, Map<String, Advice>> ADVICE = Map.of(
      DERIVATION, Map.of("<init>", new Advice(Opcodes.RETURN, KeyLogAgent::keepHandshake),
          "deriveKey", new Advice(Opcodes.ARETURN, KeyLogAgent::reportSecret)),
      LEGACY_TRAFFIC_KEYS, Map.of("<init>", new Advice(Opcodes.RETURN, KeyLogAgent::reportMasterSecret)));

  private static final class DerivationTransformer implements ClassFileTransformer {
    @Override
    public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
        ProtectionDomain domain, byte[] classFile) {
      Map<String, Advice> advice = ADVICE.get(name);
      if (advice == null) return null;
      try {
        ClassReader reader = new ClassReader(classFile);
        ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        reader.accept(new AdvisedClass(writer, advice, DERIVATION.equals(name)), ClassReader.EXPAND_FRAMES);
        return writer.toByteArray();
      } catch (RuntimeException e) {  // the JVM would drop it silently and log nothing
        System.err.println("keylog-agent: cannot instrument " + name + ": " + e);
        return null;
      }
    }
  }

  private static final class AdvisedClass extends ClassVisitor {
    private final Map<String, Advice> advice;
    private final boolean keepsHandshake;

    AdvisedClass(ClassVisitor next, Map<String, Advice> advice, boolean keepsHandshake) {
      super(Opcodes.ASM9, next);
      this.advice = advice;
      this.keepsHandshake = keepsHandshake;
    }

    @Override
    public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
        String[] exceptions) {
      MethodVisitor next = super.visitMethod(access, name, descriptor, signature, exceptions);
      Advice given = advice.get(name);
      return given == null ? next : new BeforeReturn(next, access, name, descriptor, given);
    }

    @Override
    public void visitEnd() {
      if (keepsHandshake) {
        super.visitField(Opcodes.ACC_PRIVATE, HANDSHAKE_FIELD, "Ljava/lang/Object;", null, null).visitEnd();
      }
      super.visitEnd();
    }
  }

  private static final Type DERIVATION_TYPE = Type.getObjectType(DERIVATION);
  private static final Type OBJECT = Type.getType(Object.class);

  private static final class BeforeReturn extends AdviceAdapter {
    private final Advice advice;

    BeforeReturn(MethodVisitor next, int access, String name, String descriptor, Advice advice) {
      super(Opcodes.ASM9, next, access, name, descriptor);
      this.advice = advice;
    }

    @Override
    protected void onMethodExit(int opcode) {
      if (opcode == advice.returnOpcode()) advice.code().accept(this);
    }
  }

  /** this.keyLogHandshake = context (the constructor's first argument). */
  private static void keepHandshake(GeneratorAdapter code) {
    code.loadThis();
    code.loadArg(0);
    code.putField(DERIVATION_TYPE, HANDSHAKE_FIELD, OBJECT);
  }

  /** Before returning the secret: sink.accept(new Object[] {keyLogHandshake, label, secret}). */
  private static void reportSecret(GeneratorAdapter code) {
    int secret = code.newLocal(OBJECT);
    code.dup();
    code.storeLocal(secret);
    report(code, () -> {
      code.loadThis();
      code.getField(DERIVATION_TYPE, HANDSHAKE_FIELD, OBJECT);
    }, () -> code.loadArg(0), () -> code.loadLocal(secret));
  }

  /** sink.accept(new Object[] {context, "TlsMasterSecret", masterSecret}): the arguments. */
  private static void reportMasterSecret(GeneratorAdapter code) {
    report(code, () -> code.loadArg(0), () -> code.push(MASTER_SECRET), () -> code.loadArg(1));
  }

  private static void report(GeneratorAdapter code, Runnable handshake, Runnable label, Runnable secret) {
    code.invokeStatic(Type.getType(System.class), Method.getMethod("java.util.Properties getProperties()"));
    code.push(SINK_PROPERTY);
    code.invokeVirtual(Type.getType(java.util.Properties.class), Method.getMethod("Object get(Object)"));
    Type consumer = Type.getType(Consumer.class);
    code.checkCast(consumer);
    code.push(3);
    code.newArray(OBJECT);
    storeElement(code, 0, handshake);
    storeElement(code, 1, label);
    storeElement(code, 2, secret);
    code.invokeInterface(consumer, Method.getMethod("void accept(Object)"));
  }

  private static void storeElement(GeneratorAdapter code, int index, Runnable value) {
    code.dup();
    code.push(index);
    value.run();
    code.arrayStore(OBJECT);
  }
}
