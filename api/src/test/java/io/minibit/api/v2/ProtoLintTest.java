package io.minibit.api.v2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The rules of {@code buf lint} (STANDARD, see buf.yaml) that a reader of the API would notice,
 * checked on the compiled descriptors, so that a build without buf still keeps the contracts
 * lint-clean. {@code make lint-proto} runs buf itself.
 */
class ProtoLintTest {
  /** Every .proto file of the API, by its outer class; a new file must be added here. */
  private static final List<FileDescriptor> FILES = List.of(
      ControlProto.getDescriptor(), ManifestProto.getDescriptor(), PeerProto.getDescriptor(),
      SwarmProto.getDescriptor(), TrackerProto.getDescriptor());

  private static final Path SOURCES = Path.of("src/main/proto");

  private static final Pattern LOWER_SNAKE = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");
  private static final Pattern UPPER_SNAKE = Pattern.compile("[A-Z][A-Z0-9]*(_[A-Z0-9]+)*");
  private static final Pattern PASCAL = Pattern.compile("[A-Z][a-zA-Z0-9]*");
  // buf's PACKAGE_VERSION_SUFFIX: v1, v1beta1, v1alpha, v1p1beta1, ...
  private static final Pattern VERSION =
      Pattern.compile("v[1-9][0-9]*((alpha|beta)[0-9]*|p[1-9][0-9]*(alpha|beta)[0-9]*)?");

  @Test
  void everyProtoFileIsChecked() throws IOException {
    Set<String> onDisk = new TreeSet<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      files.filter(f -> f.toString().endsWith(".proto"))
          .forEach(f -> onDisk.add(SOURCES.relativize(f).toString().replace('\\', '/')));
    }
    Set<String> checked = new TreeSet<>();
    FILES.forEach(f -> checked.add(f.getName()));
    assertEquals(onDisk, checked, "add the new file's outer class to ProtoLintTest.FILES");
  }

  @Test
  void theApiPassesTheStandardRules() {
    assertEquals(List.of(), violations(FILES));
  }

  @Test
  void aViolationIsReported() throws Exception {
    // A file that breaks a rule of each kind, built the way protoc would describe it.
    FileDescriptor bad = FileDescriptor.buildFrom(
        com.google.protobuf.DescriptorProtos.FileDescriptorProto.newBuilder()
            .setName("bad.proto")
            .setPackage("minibit")
            .setSyntax("proto3")
            .addEnumType(com.google.protobuf.DescriptorProtos.EnumDescriptorProto.newBuilder()
                .setName("Color")
                .addValue(com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto
                    .newBuilder().setName("COLOR_NONE").setNumber(0))
                .addValue(com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto
                    .newBuilder().setName("RED").setNumber(1)))
            .addMessageType(com.google.protobuf.DescriptorProtos.DescriptorProto.newBuilder()
                .setName("pingRequest")
                .addField(FieldDescriptorProto.newBuilder().setName("peerId").setNumber(1)
                    .setType(FieldDescriptorProto.Type.TYPE_STRING)))
            .addService(com.google.protobuf.DescriptorProtos.ServiceDescriptorProto.newBuilder()
                .setName("Peer")
                .addMethod(com.google.protobuf.DescriptorProtos.MethodDescriptorProto.newBuilder()
                    .setName("Ping").setInputType(".minibit.pingRequest")
                    .setOutputType(".minibit.pingRequest")))
            .build(),
        new FileDescriptor[0]);

    List<String> found = violations(List.of(bad));

    for (String expected : List.of(
        "package minibit has no version suffix",
        "file bad.proto is not in directory minibit/",
        "service Peer should be named PeerService",
        "enum value COLOR_NONE: the zero value should be COLOR_UNSPECIFIED",
        "enum value RED should start with COLOR_",
        "message pingRequest is not PascalCase",
        "field pingRequest.peerId is not lower_snake_case",
        "rpc Peer.Ping: request pingRequest should be PingRequest or PeerPingRequest",
        "rpc Peer.Ping: response pingRequest should be PingResponse or PeerPingResponse",
        "pingRequest is the request or response of more than one rpc")) {
      assertTrue(found.stream().anyMatch(v -> v.startsWith(expected)),
          () -> "expected \"" + expected + "\" among " + found);
    }
  }

  /** What buf lint STANDARD would say about {@code files}, one line per violation. */
  static List<String> violations(List<FileDescriptor> files) {
    List<String> found = new ArrayList<>();
    Set<String> javaPackages = new HashSet<>();
    Set<Boolean> multipleFiles = new HashSet<>();
    Map<Descriptor, List<String>> rpcsByMessage = new LinkedHashMap<>();
    for (FileDescriptor file : files) {
      String pkg = file.getPackage();
      String name = file.getName();
      if (pkg.isEmpty()) {
        found.add("file " + name + " has no package");
        continue;
      }
      String[] parts = pkg.split("\\.");
      for (String part : parts) {
        if (!LOWER_SNAKE.matcher(part).matches()) {
          found.add("package " + pkg + " is not lower_snake_case");
        }
      }
      if (parts.length < 2 || !VERSION.matcher(parts[parts.length - 1]).matches()) {
        found.add("package " + pkg + " has no version suffix (such as v1)");
      }
      String directory = pkg.replace('.', '/') + "/";
      if (!name.startsWith(directory) || name.indexOf('/', directory.length()) >= 0) {
        found.add("file " + name + " is not in directory " + directory);
      }
      String base = name.substring(name.lastIndexOf('/') + 1);
      if (!LOWER_SNAKE.matcher(base.replaceFirst("\\.proto$", "")).matches()) {
        found.add("file " + name + " is not lower_snake_case");
      }
      if (!List.of("proto2", "proto3", "editions").contains(file.toProto().getSyntax())) {
        found.add("file " + name + " does not say its syntax");
      }
      if (!file.toProto().getPublicDependencyList().isEmpty()
          || !file.toProto().getWeakDependencyList().isEmpty()) {
        found.add("file " + name + " has a public or weak import");
      }
      javaPackages.add(pkg + " -> " + file.getOptions().getJavaPackage());
      multipleFiles.add(file.getOptions().getJavaMultipleFiles());
      unusedImports(file, found);
      for (Descriptor message : file.getMessageTypes()) {
        message(message, found);
      }
      for (EnumDescriptor e : file.getEnumTypes()) {
        enumeration(e, found);
      }
      for (ServiceDescriptor service : file.getServices()) {
        service(service, rpcsByMessage, found);
      }
    }
    if (javaPackages.stream().map(p -> p.substring(0, p.indexOf(' '))).distinct().count()
        != javaPackages.size()) {
      found.add("one package has several java_package options: " + javaPackages);
    }
    if (multipleFiles.size() > 1) {
      found.add("java_multiple_files differs between files of the same package");
    }
    rpcsByMessage.forEach((message, rpcs) -> {
      if (rpcs.size() > 1) {
        found.add(message.getName() + " is the request or response of more than one rpc: " + rpcs);
      }
    });
    return found;
  }

  private static void service(ServiceDescriptor service, Map<Descriptor, List<String>> uses,
      List<String> found) {
    String name = service.getName();
    if (!PASCAL.matcher(name).matches()) {
      found.add("service " + name + " is not PascalCase");
    }
    if (!name.endsWith("Service")) {
      found.add("service " + name + " should be named " + name + "Service");
    }
    for (MethodDescriptor rpc : service.getMethods()) {
      String where = "rpc " + name + "." + rpc.getName();
      if (!PASCAL.matcher(rpc.getName()).matches()) {
        found.add(where + " is not PascalCase");
      }
      standardName(where, "request", rpc.getInputType(), name, rpc.getName() + "Request", found);
      standardName(where, "response", rpc.getOutputType(), name, rpc.getName() + "Response",
          found);
      uses.computeIfAbsent(rpc.getInputType(), m -> new ArrayList<>()).add(where);
      uses.computeIfAbsent(rpc.getOutputType(), m -> new ArrayList<>()).add(where);
    }
  }

  /** RPC_REQUEST_STANDARD_NAME and RPC_RESPONSE_STANDARD_NAME: Method or ServiceMethod. */
  private static void standardName(String where, String role, Descriptor type, String service,
      String expected, List<String> found) {
    if (!type.getName().equals(expected) && !type.getName().equals(service + expected)) {
      found.add(where + ": " + role + " " + type.getName() + " should be " + expected + " or "
          + service + expected);
    }
  }

  private static void message(Descriptor message, List<String> found) {
    if (!PASCAL.matcher(message.getName()).matches()) {
      found.add("message " + message.getName() + " is not PascalCase");
    }
    for (FieldDescriptor field : message.getFields()) {
      if (!LOWER_SNAKE.matcher(field.getName()).matches()) {
        found.add("field " + message.getName() + "." + field.getName()
            + " is not lower_snake_case");
      }
      if (field.toProto().getLabel() == FieldDescriptorProto.Label.LABEL_REQUIRED) {
        found.add("field " + message.getName() + "." + field.getName() + " is required");
      }
    }
    for (OneofDescriptor oneof : message.getRealOneofs()) {
      if (!LOWER_SNAKE.matcher(oneof.getName()).matches()) {
        found.add("oneof " + message.getName() + "." + oneof.getName()
            + " is not lower_snake_case");
      }
    }
    for (Descriptor nested : message.getNestedTypes()) {
      if (!nested.getOptions().getMapEntry()) {
        message(nested, found);
      }
    }
    for (EnumDescriptor e : message.getEnumTypes()) {
      enumeration(e, found);
    }
  }

  private static void enumeration(EnumDescriptor e, List<String> found) {
    if (!PASCAL.matcher(e.getName()).matches()) {
      found.add("enum " + e.getName() + " is not PascalCase");
    }
    if (e.getOptions().getAllowAlias()) {
      found.add("enum " + e.getName() + " allows aliases");
    }
    // FooBar -> FOO_BAR_
    String prefix = e.getName().replaceAll("([a-z0-9])([A-Z])", "$1_$2")
        .toUpperCase(Locale.ROOT) + "_";
    for (EnumValueDescriptor value : e.getValues()) {
      String name = value.getName();
      if (value.getNumber() == 0 && !name.equals(prefix + "UNSPECIFIED")) {
        found.add("enum value " + name + ": the zero value should be " + prefix + "UNSPECIFIED");
      }
      if (!UPPER_SNAKE.matcher(name).matches()) {
        found.add("enum value " + name + " is not UPPER_SNAKE_CASE");
      }
      if (!name.startsWith(prefix)) {
        found.add("enum value " + name + " should start with " + prefix);
      }
    }
  }

  /** IMPORT_USED: every import gives the file a type it uses. */
  private static void unusedImports(FileDescriptor file, List<String> found) {
    Set<FileDescriptor> used = new HashSet<>();
    List<Descriptor> messages = new ArrayList<>(file.getMessageTypes());
    for (int i = 0; i < messages.size(); i++) {
      Descriptor message = messages.get(i);
      messages.addAll(message.getNestedTypes());
      for (FieldDescriptor field : message.getFields()) {
        if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
          used.add(field.getMessageType().getFile());
        } else if (field.getJavaType() == FieldDescriptor.JavaType.ENUM) {
          used.add(field.getEnumType().getFile());
        }
      }
    }
    for (ServiceDescriptor service : file.getServices()) {
      for (MethodDescriptor rpc : service.getMethods()) {
        used.add(rpc.getInputType().getFile());
        used.add(rpc.getOutputType().getFile());
      }
    }
    for (FileDescriptor imported : file.getDependencies()) {
      if (!used.contains(imported)) {
        found.add("file " + file.getName() + " imports " + imported.getName()
            + " and uses nothing from it");
      }
    }
  }
}
