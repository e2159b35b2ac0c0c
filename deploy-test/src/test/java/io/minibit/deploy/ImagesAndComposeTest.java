package io.minibit.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.http.HttpEndpoint;
import io.minibit.core.telemetry.Telemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Dockerfiles and docker-compose.yml agree with each other and with the services: ports,
 * data directory, health check, launchers, images, two trackers on one Redis that keeps an
 * append-only file. (The images themselves are built and run by {@code make e2e}.)
 */
class ImagesAndComposeTest {
  private static final Path ROOT = DeployFiles.root();
  private static final Dockerfile TRACKER = Dockerfile.read(ROOT.resolve("docker/tracker.Dockerfile"));
  private static final Dockerfile PEER = Dockerfile.read(ROOT.resolve("docker/peer.Dockerfile"));
  /** "${VAR:-default}" as compose reads it when VAR is unset. */
  private static final Pattern INTERPOLATION = Pattern.compile("\\$\\{[A-Z_]+:-([^}]*)}");

  private static String unset(String value) {
    Matcher m = INTERPOLATION.matcher(value);
    return m.replaceAll(r -> Matcher.quoteReplacement(r.group(1)));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> compose() {
    // SnakeYAML, not Jackson: the file shares the peers' settings through an anchor and "<<".
    return new Yaml().load(DeployFiles.text(ROOT.resolve("docker-compose.yml")));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> service(String name) {
    Map<String, Object> services = (Map<String, Object>) compose().get("services");
    Map<String, Object> service = (Map<String, Object>) services.get(name);
    assertTrue(service != null, "compose has no service " + name);
    return service;
  }

  @Test
  void bothImagesRunAsANonRootUserOnTheJreBaseTheBuildChooses() {
    for (Dockerfile file : List.of(TRACKER, PEER)) {
      assertTrue(file.all("ARG").stream().anyMatch(
          arg -> arg.arguments().startsWith("JRE_IMAGE=eclipse-temurin:17")),
          file.path() + ": the default base is a public Temurin JRE");
      Dockerfile image = file.image();
      assertEquals("${JRE_IMAGE}", image.one("FROM").arguments());
      String user = image.one("USER").arguments();
      assertNotEquals("root", user);
      assertNotEquals("0", user);
      assertEquals(image.env("MINIBIT_DATA_DIR"), image.one("VOLUME").arguments());
    }
  }

  /**
   * A class-data archive serves only the JVM that made it and the jar it was made from, at the
   * same path, of the same size and time: each archive an image carries is trained in a stage on
   * the image's own base, from a copy of the jar the image runs at the path the image has it.
   */
  @Test
  void eachArchiveIsMadeOnTheImagesJreForTheJarTheImageRuns() {
    Map<Dockerfile, List<String>> archives = Map.of(
        TRACKER, List.of("minibit-tracker"), PEER, List.of("minibit-peer", "minibit"));
    archives.forEach((file, jars) -> {
      Dockerfile image = file.image();
      for (String jar : jars) {
        String archive = "/opt/minibit/lib/" + jar + ".jsa";
        Dockerfile.Instruction copy = image.all("COPY").stream()
            .filter(c -> c.flag("from") != null && c.sources().contains(archive)).findFirst()
            .orElseThrow(() -> new AssertionError(file.path() + " carries no " + archive));
        Dockerfile training = file.stage(copy.flag("from"));
        assertEquals("${JRE_IMAGE}", training.one("FROM").words().get(0),
            file.path() + ": " + archive + " is made on the image's JRE");
        for (Dockerfile stage : List.of(training, image)) {
          assertTrue(stage.all("COPY").stream().anyMatch(c -> c.flag("from") == null
              && c.sources().stream().anyMatch(s -> s.endsWith("/" + jar + ".jar"))
              && c.destination().equals("/opt/minibit/lib/")),
              file.path() + ": " + jar + ".jar lies in /opt/minibit/lib/ where " + archive
                  + " is made and where it is used");
        }
        assertTrue(training.all("RUN").stream().anyMatch(r -> r.arguments().contains("-cds.sh ")
            && r.words().contains("/opt/minibit/lib/" + jar + ".jar")),
            file.path() + ": a training script is given /opt/minibit/lib/" + jar + ".jar");
        assertTrue(image.all("RUN").stream().anyMatch(r -> String.join(" ", r.words()).contains(
            "-Xshare:on -XX:SharedArchiveFile=" + archive + " -jar /opt/minibit/lib/" + jar
                + ".jar")),
            file.path() + ": the build fails if the image's JVM cannot use " + archive);
      }
    });
  }

  @Test
  void imagesExposeAndCheckTheServicesDefaultPorts() {
    assertEquals(String.valueOf(ServiceDefaults.trackerPort()), TRACKER.env("MINIBIT_PORT"));
    assertEquals(String.valueOf(ServiceDefaults.peerPort()), PEER.env("MINIBIT_PORT"));
    assertTrue(TRACKER.exposedPorts().contains(ServiceDefaults.trackerPort()));
    assertTrue(PEER.exposedPorts().contains(ServiceDefaults.peerPort()));
  }

  @Test
  void thePeerImagesControlApiIsAUnixSocketItsCliFinds() {
    String socket = PEER.env("MINIBIT_CONTROL_SOCKET");
    assertTrue(socket.startsWith("/run/minibit/"), socket);
    assertEquals("unix:" + socket, PEER.env("MINIBIT_PEER"), "docker exec ... minibit finds it");
    // No TCP control port: with --network host, any process of the machine could use one.
    assertThrows(AssertionError.class, () -> PEER.env("MINIBIT_CONTROL_PORT"));
  }

  @Test
  void theHealthCheckStartsNoJvmAndAsksTheDaemonsHealthz() {
    Map<Dockerfile, Integer> httpPorts = Map.of(TRACKER, 9969, PEER, 9881);
    httpPorts.forEach((file, port) -> {
      Dockerfile image = file.image();
      String check = image.one("HEALTHCHECK").arguments();
      assertTrue(check.endsWith("CMD [\"/opt/minibit/bin/healthcheck\"]"), file.path() + ": " + check);
      assertFalse(check.contains("java"), check);
      assertTrue(image.all("COPY").stream().anyMatch(c -> c.sources().equals(
          List.of("docker/healthcheck.sh")) && c.destination().equals("/opt/minibit/bin/healthcheck")),
          file.path() + " copies the script its HEALTHCHECK runs");
      // the script asks MINIBIT_HTTP_PORT, which the image sets to the port it exposes
      assertEquals(String.valueOf(port), file.env("MINIBIT_HTTP_PORT"));
      assertTrue(file.exposedPorts().contains(port), file.path() + " exposes " + port);
    });
  }

  /** The script itself, against a real /healthz: what docker runs every 15 s. */
  @Test
  void theHealthCheckScriptPassesOnlyWhileTheDaemonServes() throws Exception {
    AtomicBoolean serving = new AtomicBoolean(true);
    try (HttpEndpoint http = HttpEndpoint.start("127.0.0.1", 0, Telemetry.noop(), Map.of(),
        serving::get)) {
      assertEquals(0, healthcheck(http.port()), "SERVING");
      serving.set(false);
      assertEquals(1, healthcheck(http.port()), "NOT_SERVING");
    }
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      int closedPort = free.getLocalPort();
      free.close();
      assertEquals(1, healthcheck(closedPort), "nothing listening");
    }
  }

  private static int healthcheck(int port) throws Exception {
    Process process = new ProcessBuilder("bash", ROOT.resolve("docker/healthcheck.sh").toString(),
        String.valueOf(port)).redirectErrorStream(true).start();
    assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the health check ends");
    return process.exitValue();
  }

  @Test
  void theImagesCarryTheirVersionRevisionAndLicense() {
    for (Dockerfile file : List.of(TRACKER, PEER)) {
      Dockerfile image = file.image();
      String labels = image.all("LABEL").stream().map(Dockerfile.Instruction::arguments)
          .reduce("", String::concat);
      for (String label : List.of("org.opencontainers.image.version=\"${VERSION}\"",
          "org.opencontainers.image.revision=\"${REVISION}\"",
          "org.opencontainers.image.licenses=\"Apache-2.0\"")) {
        assertTrue(labels.contains(label), file.path() + " has " + label + ": " + labels);
      }
      assertTrue(image.all("COPY").stream().anyMatch(c -> c.sources().equals(List.of("LICENSE"))),
          file.path() + " carries the license");
    }
    String images = DeployFiles.text(ROOT.resolve("docker/images.sh"));
    assertTrue(images.contains("--build-arg \"VERSION=$VERSION\" --build-arg \"REVISION=$REVISION\""),
        "images.sh passes the version and the commit");
    assertTrue(images.contains("-t \"$image\" -t \"$repo:$VERSION\" -t \"$repo:$REVISION\""),
        "images.sh tags each image with both");
  }

  @Test
  void everythingTheImagesCopyExistsAndPassesTheDockerignore() {
    Set<String> allowed = Set.copyOf(DeployFiles.text(ROOT.resolve(".dockerignore")).lines()
        .filter(l -> l.startsWith("!")).map(l -> l.substring(1)).toList());
    for (Dockerfile image : List.of(TRACKER, PEER)) {
      for (Dockerfile.Instruction copy : image.all("COPY")) {
        if (copy.flag("from") != null) {
          continue; // from another stage, not from the build context
        }
        for (String source : copy.sources()) {
          assertTrue(allowed.contains(source), source + " is let through by .dockerignore");
          assertTrue(Files.exists(ROOT.resolve(source)) || source.endsWith(".jar"),
              source + " exists (jars once built)");
        }
      }
      String entrypoint = image.one("ENTRYPOINT").arguments();
      String launcher = entrypoint.replaceAll("[\\[\\]\"]", "");
      assertTrue(launcher.startsWith("/opt/minibit/bin/"), entrypoint);
      String name = launcher.substring("/opt/minibit/bin/".length());
      assertTrue(image.all("COPY").stream().anyMatch(c -> c.words().contains("bin/" + name)),
          image.path() + " copies its entrypoint " + name);
      assertTrue(Files.isExecutable(ROOT.resolve("bin/" + name)), "bin/" + name);
    }
    assertTrue(PEER.all("COPY").stream().anyMatch(c -> c.words().contains("bin/minibit")),
        "the peer image has the CLI");
    assertTrue(PEER.all("RUN").stream().anyMatch(r -> r.arguments().contains("/usr/local/bin/minibit")),
        "`minibit` is on the PATH of the peer image, for docker exec");
  }

  private static final List<String> TRACKERS = List.of("tracker-a", "tracker-b");
  private static final List<String> PEERS = List.of("peer1", "peer2", "peer3");

  @SuppressWarnings("unchecked")
  private static Map<String, Object> environment(String service) {
    Map<String, Object> env = (Map<String, Object>) service(service).get("environment");
    assertTrue(env != null, service + " has an environment");
    return env;
  }

  /** What compose runs for a service's command, as one line. */
  @SuppressWarnings("unchecked")
  private static String command(String service) {
    Object command = service(service).get("command");
    return command instanceof List<?> words ? String.join(" ", (List<String>) words)
        : (String) command;
  }

  @Test
  @SuppressWarnings("unchecked")
  void composeUsesTheImagesPortsAndVolumes() {
    String containerPort = String.valueOf(ServiceDefaults.trackerPort());
    Set<String> hostPorts = new java.util.HashSet<>();
    for (String name : TRACKERS) {
      Map<String, Object> tracker = service(name);
      assertEquals("minibit/tracker:latest", unset((String) tracker.get("image")), name);
      assertEquals("docker/tracker.Dockerfile",
          ((Map<String, Object>) tracker.get("build")).get("dockerfile"), name);
      List<String> ports = (List<String>) tracker.get("ports");
      assertEquals(1, ports.size(), name);
      String published = unset(ports.get(0));
      assertEquals(containerPort, published.replaceFirst("^.*:", ""), name);
      assertTrue(TRACKER.exposedPorts().contains(Integer.parseInt(containerPort)));
      assertTrue(hostPorts.add(published.replaceFirst(":[^:]*$", "")),
          name + " is published on a host port of its own: " + published);
    }

    for (String name : PEERS) {
      Map<String, Object> peer = service(name);
      assertEquals("minibit/peer:latest", unset((String) peer.get("image")), name);
      assertEquals("docker/peer.Dockerfile",
          ((Map<String, Object>) peer.get("build")).get("dockerfile"), name);
      assertEquals(name + "-data:" + PEER.one("VOLUME").arguments(),
          ((List<String>) peer.get("volumes")).get(0));
    }
    Map<String, Object> volumes = (Map<String, Object>) compose().get("volumes");
    assertFalse(compose().containsKey("version"), "the Compose Specification has no version key");
    assertEquals(Set.of("redis-data", "peer1-data", "peer2-data", "peer3-data"), volumes.keySet());
  }

  @Test
  void composeRunsTwoTrackersOnOneRedisAndGivesEveryPeerBoth() {
    @SuppressWarnings("unchecked")
    Set<String> services = ((Map<String, Object>) compose().get("services")).keySet();
    assertEquals(Set.of("redis", "tracker-a", "tracker-b", "peer1", "peer2", "peer3"), services);
    String port = String.valueOf(ServiceDefaults.trackerPort());
    for (String name : TRACKERS) {
      assertEquals("redis://redis:6379", environment(name).get("MINIBIT_STORE"),
          name + " keeps its state in the redis service");
    }
    for (String name : PEERS) {
      List<String> trackers = List.of(((String) environment(name).get("MINIBIT_TRACKER")).split(","));
      assertEquals(TRACKERS.stream().map(t -> t + ":" + port).toList(), trackers,
          name + " is given both trackers, by service name and port");
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void composesRedisKeepsAnAppendOnlyFileOnItsVolume() {
    Map<String, Object> redis = service("redis");
    assertEquals("minibit/redis:latest", unset((String) redis.get("image")));
    assertFalse(redis.containsKey("build"), "built by docker/redis-image.sh, not from a Dockerfile");
    String line = " " + command("redis") + " ";
    assertTrue(line.startsWith(" redis-server "), line);
    for (String flag : List.of(" --appendonly yes ", " --appendfsync everysec ", " --dir /data ")) {
      assertTrue(line.contains(flag), "redis-server" + flag + ": " + line);
    }
    assertEquals(List.of("redis-data:/data"), redis.get("volumes"),
        "the append-only file is on a named volume, kept by `down` without -v");
    String script = DeployFiles.text(ROOT.resolve("docker/redis-image.sh"));
    assertTrue(script.contains("--change 'VOLUME /data'") && script.contains("WORKDIR /data"),
        "the image keeps its data where compose mounts the volume");
  }

  @Test
  @SuppressWarnings("unchecked")
  void composeChecksEveryServicesHealthAndStartsEachOnceWhatItNeedsIsHealthy() {
    for (String name : List.of("tracker-a", "tracker-b", "peer1", "peer2", "peer3")) {
      Map<String, Object> check = (Map<String, Object>) service(name).get("healthcheck");
      assertTrue(check != null, name + " has a healthcheck");
      assertEquals(List.of("CMD", "/opt/minibit/bin/healthcheck"), check.get("test"), name);
    }
    Map<String, Object> redisCheck = (Map<String, Object>) service("redis").get("healthcheck");
    assertTrue(redisCheck != null, "redis has a healthcheck");
    String asked = String.join(" ", (List<String>) redisCheck.get("test"));
    assertTrue(asked.contains("redis-cli ping") && asked.contains("PONG"), asked);

    Map<String, Object> healthy = Map.of("condition", "service_healthy");
    for (String name : TRACKERS) {
      assertEquals(Map.of("redis", healthy), service(name).get("depends_on"), name);
    }
    for (String name : PEERS) {
      assertEquals(Map.of("tracker-a", healthy, "tracker-b", healthy),
          service(name).get("depends_on"), name);
    }
  }

  @Test
  void composeAndTheImageBuildNameTheSameImages() {
    String images = DeployFiles.text(ROOT.resolve("docker/images.sh"));
    assertTrue(images.contains("TRACKER_IMAGE=\"${TRACKER_IMAGE:-minibit/tracker:latest}\""));
    assertTrue(images.contains("PEER_IMAGE=\"${PEER_IMAGE:-minibit/peer:latest}\""));
    assertTrue(images.contains("REDIS_IMAGE=\"${REDIS_IMAGE:-minibit/redis:latest}\"")
        && images.contains("docker/redis-image.sh \"$REDIS_IMAGE\""), "images.sh builds Redis too");
    assertTrue(images.contains("docker/tracker.Dockerfile") && images.contains("docker/peer.Dockerfile"));
  }
}
