package io.minibit.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetSpec;
import io.fabric8.openshift.api.model.monitoring.v1.Endpoint;
import io.fabric8.openshift.api.model.monitoring.v1.NamespaceSelector;
import io.fabric8.openshift.api.model.monitoring.v1.PodMetricsEndpoint;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.minibit.core.http.HttpEndpoint;
import io.minibit.core.telemetry.Telemetry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * k8s/ without a cluster: every manifest read strictly against the Kubernetes API's model, and
 * the deployment's invariants (host networking, gRPC probes, ports that match the images and
 * the services, three trackers on one Redis that keeps an append-only file on its own volume,
 * peers that find every tracker through a headless Service, telemetry from one ConfigMap, a
 * disruption budget that never holds a drain); the overlays built as kustomize builds them,
 * their monitors scraping the daemons' real metrics ports, and every selector picking the pods
 * meant.
 */
class KubernetesManifestsTest {
  private static final String DATA = "/var/lib/minibit";
  private static final String TRACKERS = "minibit-tracker";
  private static final String TRACKERS_HEADLESS = "minibit-tracker-headless";
  private static final String REDIS = "minibit-redis";
  private static final List<HasMetadata> ALL = new ArrayList<>();

  @BeforeAll
  static void readEveryManifest() {
    for (Path file : DeployFiles.k8sFiles()) {
      if (file.getFileName().toString().equals("kustomization.yaml")) {
        continue;
      }
      HasMetadata resource;
      try {
        resource = StrictModel.parse(DeployFiles.yaml(file));
      } catch (IllegalArgumentException e) {
        throw new AssertionError(file.getFileName() + " is not a valid manifest: " + e.getMessage(), e);
      }
      assertNotNull(resource.getMetadata(), file + ": metadata");
      assertFalse(resource.getMetadata().getName() == null
          || resource.getMetadata().getName().isBlank(), file + ": metadata.name");
      assertTrue(ALL.stream().noneMatch(r -> r.getKind().equals(resource.getKind())
          && r.getMetadata().getName().equals(resource.getMetadata().getName())),
          "one " + resource.getKind() + " " + resource.getMetadata().getName() + ": " + file);
      ALL.add(resource);
    }
  }

  /** The one resource of its kind in k8s/base/. */
  private static <T> T only(Class<T> type) {
    List<T> found = all(ALL, type);
    assertEquals(1, found.size(), "one " + type.getSimpleName() + " in k8s/base/");
    return found.get(0);
  }

  /** The resource of that kind and name in k8s/base/. */
  private static <T extends HasMetadata> T named(Class<T> type, String name) {
    return all(ALL, type).stream().filter(r -> r.getMetadata().getName().equals(name))
        .findFirst().orElseThrow(() -> new AssertionError(
            "k8s/base/ has no " + type.getSimpleName() + " " + name));
  }

  /** The pods of every workload: the trackers', Redis's and the peers'. */
  private static List<PodSpec> everyPod() {
    return List.of(only(Deployment.class).getSpec().getTemplate().getSpec(),
        only(StatefulSet.class).getSpec().getTemplate().getSpec(),
        only(DaemonSet.class).getSpec().getTemplate().getSpec());
  }

  /** The pods that run MiniBit's daemons (on its images, a JVM each). */
  private static List<PodSpec> daemonPods() {
    return List.of(only(Deployment.class).getSpec().getTemplate().getSpec(),
        only(DaemonSet.class).getSpec().getTemplate().getSpec());
  }

  private static Container container(PodSpec pod) {
    assertEquals(1, pod.getContainers().size(), "one container per pod");
    return pod.getContainers().get(0);
  }

  private static String env(Container container, String name) {
    return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
        .map(EnvVar::getValue)
        .orElseThrow(() -> new AssertionError(container.getName() + " has no env " + name));
  }

  private static int port(Container container, String name) {
    return container.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
        .map(ContainerPort::getContainerPort)
        .orElseThrow(() -> new AssertionError(container.getName() + " has no port " + name));
  }

  /** The volume {@code container} keeps its data on, checked to be where the service looks. */
  private static Volume dataVolume(PodSpec pod, Container container) {
    VolumeMount mount = container.getVolumeMounts().get(0);
    assertEquals(DATA, mount.getMountPath());
    assertEquals(DATA, env(container, "MINIBIT_DATA_DIR"));
    return pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
        .findFirst().orElseThrow(() -> new AssertionError("no volume " + mount.getName()));
  }

  private static void assertGrpcProbe(Probe probe, int port, String what) {
    assertNotNull(probe, what);
    assertNotNull(probe.getGrpc(), what + " is a grpc probe (grpc.health.v1)");
    assertEquals(port, probe.getGrpc().getPort(), what + " port");
    assertEquals(null, probe.getHttpGet(), what);
    assertEquals(null, probe.getExec(), what);
  }

  @Test
  void everyKindTheDeploymentNeedsIsThere() {
    // no PersistentVolumeClaim of its own: the trackers keep nothing, Redis claims its volume
    // through its StatefulSet's volumeClaimTemplates
    assertEquals(Set.of("Namespace", "ConfigMap", "Deployment", "StatefulSet", "Service",
        "DaemonSet", "PodDisruptionBudget", "NetworkPolicy"), kinds(ALL));
    assertEquals(Set.of(TRACKERS, TRACKERS_HEADLESS, REDIS), all(ALL, Service.class).stream()
        .map(s -> s.getMetadata().getName()).collect(Collectors.toSet()));
  }

  @Test
  void theStrictReaderRejectsWhatTheApiWould() throws Exception {
    JsonNode good = DeployFiles.yaml(DeployFiles.k8sBase().resolve("peer-daemonset.yaml"));
    StrictModel.parse(good);

    JsonNode typo = good.deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) typo.at("/spec/template/spec"))
        .put("hostNetwrok", true);
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> StrictModel.parse(typo));
    assertTrue(unknown.getMessage().contains("hostNetwrok"), unknown.getMessage());

    JsonNode wrongType = good.deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) wrongType.at("/spec/template/spec"))
        .put("hostNetwork", "yes");
    assertThrows(IllegalArgumentException.class, () -> StrictModel.parse(wrongType));

    JsonNode probeTypo = good.deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode)
        probeTypo.at("/spec/template/spec/containers/0/livenessProbe/grpc")).put("prot", 6881);
    assertThrows(IllegalArgumentException.class, () -> StrictModel.parse(probeTypo));

    JsonNode unknownKind = DeployFiles.YAML.readTree("apiVersion: v1\nkind: Pood\nmetadata: {name: x}\n");
    assertThrows(IllegalArgumentException.class, () -> StrictModel.parse(unknownKind));
  }

  /** Every container of every pod, init containers included. */
  private static List<Container> everyContainer() {
    return everyPod().stream()
        .flatMap(pod -> Stream.concat(pod.getContainers().stream(), pod.getInitContainers().stream()))
        .toList();
  }

  private static boolean runsMinibit(Container container) {
    return container.getImage().startsWith("minibit/");
  }

  @Test
  void everyContainerRunsLockedDown() {
    for (PodSpec pod : everyPod()) {
      assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot());
      assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
    }
    for (Container container : everyContainer()) {
      var context = container.getSecurityContext();
      assertNotNull(context, container.getName() + " has a securityContext");
      assertEquals(Boolean.FALSE, context.getAllowPrivilegeEscalation(), container.getName());
      assertEquals(Boolean.TRUE, context.getReadOnlyRootFilesystem(), container.getName());
      assertEquals(List.of("ALL"), context.getCapabilities().getDrop(), container.getName());
      List<String> added = context.getCapabilities().getAdd();
      if (container.getName().equals("data-owner")) {
        assertEquals(List.of("CHOWN"), added, "the init container only chowns");
      } else {
        assertTrue(added == null || added.isEmpty(), container.getName() + " adds " + added);
      }
    }
    // a read-only root: the daemons' JVM scratch files go to a volume (Redis writes only /data,
    // the init containers nothing)
    for (PodSpec pod : daemonPods()) {
      Container daemon = container(pod);
      assertTrue(daemon.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/tmp")),
          daemon.getName() + " /tmp");
    }
    // the peer's control socket is made in its image's /run/minibit
    Container peer = container(only(DaemonSet.class).getSpec().getTemplate().getSpec());
    assertTrue(peer.getVolumeMounts().stream()
        .anyMatch(m -> m.getMountPath().equals("/run/minibit")), "a writable socket directory");
  }

  @Test
  void telemetryNamesTheNodeAndPodOfEveryDaemon() {
    for (PodSpec pod : daemonPods()) {
      Container daemon = container(pod);
      List<String> names = daemon.getEnv().stream().map(EnvVar::getName).toList();
      Map<String, String> fields = new HashMap<>();
      daemon.getEnv().stream().filter(e -> e.getValueFrom() != null
              && e.getValueFrom().getFieldRef() != null)
          .forEach(e -> fields.put(e.getName(), e.getValueFrom().getFieldRef().getFieldPath()));
      assertEquals("spec.nodeName", fields.get("K8S_NODE_NAME"));
      assertEquals("metadata.name", fields.get("K8S_POD_NAME"));
      assertEquals("metadata.namespace", fields.get("K8S_NAMESPACE_NAME"));
      String attributes = env(daemon, "OTEL_RESOURCE_ATTRIBUTES");
      for (String variable : List.of("K8S_NODE_NAME", "K8S_POD_NAME", "K8S_NAMESPACE_NAME")) {
        assertTrue(attributes.contains("$(" + variable + ")"), attributes);
        // Kubernetes expands $(VAR) only from variables defined before it
        assertTrue(names.indexOf(variable) < names.indexOf("OTEL_RESOURCE_ATTRIBUTES"), variable);
      }
      assertTrue(attributes.contains("k8s.node.name=") && attributes.contains("k8s.pod.name="),
          attributes);
    }
  }

  @Test
  void theNamespaceCarriesPodSecurityLabels() {
    Map<String, String> labels = only(io.fabric8.kubernetes.api.model.Namespace.class)
        .getMetadata().getLabels();
    // hostNetwork and a hostPath volume, which the peer needs, are admitted only at "privileged"
    assertEquals("privileged", labels.get("pod-security.kubernetes.io/enforce"));
    assertEquals("restricted", labels.get("pod-security.kubernetes.io/warn"));
    assertEquals("restricted", labels.get("pod-security.kubernetes.io/audit"));
  }

  @Test
  void aPeerRunsOnEveryNodeTaintedOnesToo() {
    PodSpec pod = only(DaemonSet.class).getSpec().getTemplate().getSpec();
    assertTrue(pod.getTolerations().stream().anyMatch(t -> "Exists".equals(t.getOperator())
        && t.getKey() == null && t.getEffect() == null), "a toleration of every taint");
  }

  @Test
  void imagesArePinnedToTheProjectsVersion() throws Exception {
    Matcher version = Pattern.compile("<artifactId>minibit-parent</artifactId>\\s*<version>([^<]+)</version>")
        .matcher(java.nio.file.Files.readString(DeployFiles.root().resolve("pom.xml")));
    assertTrue(version.find(), "the parent pom's version");
    JsonNode kustomization = DeployFiles.yaml(DeployFiles.k8sBase().resolve("kustomization.yaml"));
    Map<String, String> tags = new HashMap<>();
    kustomization.path("images").forEach(image ->
        tags.put(image.path("name").asText(), image.path("newTag").asText()));
    for (Container container : everyContainer()) {
      String image = container.getImage();
      String name = image.replaceFirst(":[^:/]+$", "");
      // MiniBit's at the project's version; another (Redis) at a release, never "latest"
      String tag = runsMinibit(container) ? version.group(1) : tags.get(name);
      assertTrue(tag != null && !tag.equals("latest"), container.getName() + " runs " + image);
      assertEquals(name + ":" + tag, image, container.getName());
      assertEquals(tag, tags.get(name), "kustomization.yaml pins " + name);
    }
    assertEquals("redis:7.0", named(StatefulSet.class, REDIS).getSpec().getTemplate().getSpec()
        .getContainers().get(0).getImage(), "the public Redis of the version the trackers use");
  }

  @Test
  void kustomizationListsEveryManifestAndTheImages() {
    JsonNode kustomization = DeployFiles.yaml(DeployFiles.k8sBase().resolve("kustomization.yaml"));
    assertEquals("kustomize.config.k8s.io/v1beta1", kustomization.path("apiVersion").asText());
    assertEquals("Kustomization", kustomization.path("kind").asText());
    Set<String> listed = new TreeSet<>();
    kustomization.path("resources").forEach(r -> listed.add(r.asText()));
    Set<String> files = DeployFiles.k8sFiles().stream().map(f -> f.getFileName().toString())
        .filter(f -> !f.equals("kustomization.yaml")).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(files, listed, "kustomization.yaml resources vs the files in k8s/");

    assertEquals(only(io.fabric8.kubernetes.api.model.Namespace.class).getMetadata().getName(),
        kustomization.path("namespace").asText());
    Set<String> images = new TreeSet<>();
    kustomization.path("images").forEach(i -> images.add(i.path("name").asText()));
    Set<String> used = everyContainer().stream()
        .map(c -> c.getImage().replaceFirst(":[^:/]+$", ""))
        .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(used, images, "kustomization.yaml images vs the images the pods run");
  }

  @Test
  void peersRunOnEveryNodesNetworkWithGrpcProbesOnTheirPort() {
    DaemonSet peers = only(DaemonSet.class);
    PodSpec pod = peers.getSpec().getTemplate().getSpec();
    assertEquals(Boolean.TRUE, pod.getHostNetwork(), "hostNetwork");
    assertEquals("ClusterFirstWithHostNet", pod.getDnsPolicy(), "dnsPolicy");
    Container peer = container(pod);
    int port = Integer.parseInt(env(peer, "MINIBIT_PORT"));
    assertEquals(ServiceDefaults.peerPort(), port, "the peer's default port");
    assertEquals(port, port(peer, "peer"));
    for (ContainerPort p : peer.getPorts()) {
      assertEquals(p.getContainerPort(), p.getHostPort(), "on the host network, hostPort = port");
    }
    assertGrpcProbe(peer.getLivenessProbe(), port, "peer liveness probe");
    assertGrpcProbe(peer.getReadinessProbe(), port, "peer readiness probe");
    // On the node's network a TCP control port would let any process of the node drive the
    // peer: it keeps the image's Unix socket.
    assertTrue(peer.getEnv().stream().noneMatch(e -> e.getName().equals("MINIBIT_CONTROL_PORT")),
        "no TCP control port on the host network");
    // Other peers dial the node: the peer advertises the node's address.
    EnvVar advertise = peer.getEnv().stream().filter(e -> e.getName().equals("MINIBIT_ADVERTISE"))
        .findFirst().orElseThrow(() -> new AssertionError("no MINIBIT_ADVERTISE"));
    assertEquals("status.hostIP", advertise.getValueFrom().getFieldRef().getFieldPath());

    Volume data = dataVolume(pod, peer);
    assertNotNull(data.getHostPath(), "the peer's data is a hostPath volume");
  }

  /** The port of a Service that leads to {@code container}'s port named {@code target}. */
  private static int servicePort(Service service, Container container, String name) {
    ServicePort servicePort = service.getSpec().getPorts().stream()
        .filter(p -> p.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError(service.getMetadata().getName() + " has no port " + name));
    int target = port(container, servicePort.getTargetPort().getStrVal());
    assertEquals(servicePort.getPort(), target, service.getMetadata().getName() + " port " + name
        + " is the container's own port number, so an address is the same one way or the other");
    return servicePort.getPort();
  }

  /** Whether a Service sends its traffic to the pods of {@code workload}. */
  private static boolean fronts(Service service, HasMetadata workload) {
    return LabelSelectors.matches(new LabelSelector(null, service.getSpec().getSelector()),
        podLabels(workload));
  }

  @Test
  void peersFindEveryTrackerThroughTheHeadlessService() {
    Service headless = named(Service.class, TRACKERS_HEADLESS);
    Deployment trackers = only(Deployment.class);
    assertEquals("None", headless.getSpec().getClusterIP(),
        "headless: the name resolves to every tracker pod's own address, not to one virtual IP");
    assertEquals(trackers.getSpec().getSelector().getMatchLabels(), headless.getSpec().getSelector());
    assertTrue(fronts(headless, trackers), "it lists the trackers' pods");
    assertFalse(fronts(headless, only(DaemonSet.class)) || fronts(headless, only(StatefulSet.class)),
        "and no other");
    assertFalse(Boolean.TRUE.equals(headless.getSpec().getPublishNotReadyAddresses()),
        "a tracker that is not ready is left out of the answer");
    Container tracker = container(trackers.getSpec().getTemplate().getSpec());
    int port = servicePort(headless, tracker, "grpc");
    assertEquals(Integer.parseInt(env(tracker, "MINIBIT_PORT")), port);

    Container peer = container(only(DaemonSet.class).getSpec().getTemplate().getSpec());
    String namespace = only(io.fabric8.kubernetes.api.model.Namespace.class).getMetadata().getName();
    assertEquals("dns:///" + TRACKERS_HEADLESS + "." + namespace + ".svc.cluster.local:" + port,
        env(peer, "MINIBIT_TRACKER"), "a peer takes every tracker the name resolves to");
  }

  @Test
  void threeTrackersShareOneRedisAndKeepNothingOfTheirOwn() {
    Deployment deployment = only(Deployment.class);
    assertEquals(3, deployment.getSpec().getReplicas());
    assertEquals("RollingUpdate", deployment.getSpec().getStrategy().getType(),
        "no volume of its own to hand over: a new pod starts before an old one stops");
    assertEquals(0, deployment.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable()
        .getIntVal(), "a rollout never leaves fewer than three ready trackers");
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    assertTrue(pod.getTopologySpreadConstraints().stream().anyMatch(c ->
        "kubernetes.io/hostname".equals(c.getTopologyKey())
            && LabelSelectors.matches(c.getLabelSelector(), podLabels(deployment))),
        "the trackers spread over the nodes");
    Container tracker = container(pod);
    int port = Integer.parseInt(env(tracker, "MINIBIT_PORT"));
    assertEquals(ServiceDefaults.trackerPort(), port, "the tracker's default port");
    assertEquals(port, port(tracker, "grpc"));
    assertGrpcProbe(tracker.getLivenessProbe(), port, "tracker liveness probe");
    assertGrpcProbe(tracker.getReadinessProbe(), port, "tracker readiness probe");

    // the store: the Redis Service, by its short name (the trackers' own namespace), on the port
    // that leads to the Redis container's
    Service redisService = named(Service.class, REDIS);
    StatefulSet redis = only(StatefulSet.class);
    assertTrue(fronts(redisService, redis), "the Redis Service fronts the Redis pod");
    Container redisContainer = container(redis.getSpec().getTemplate().getSpec());
    assertEquals("redis://" + REDIS + ":" + servicePort(redisService, redisContainer, "redis"),
        env(tracker, "MINIBIT_STORE"));
    assertEquals(6379, port(redisContainer, "redis"));
    // a tracker does not start until its store answers: its pod waits for that same store first
    List<Container> init = pod.getInitContainers();
    assertEquals(1, init.size(), "one init container");
    assertEquals(env(tracker, "MINIBIT_STORE"), env(init.get(0), "MINIBIT_STORE"),
        init.get(0).getName() + " waits for the store the tracker uses");
    assertTrue(String.join(" ", init.get(0).getCommand()).contains("/dev/tcp/$host/$port"),
        init.get(0).getName() + " waits for the store's port");

    Volume data = dataVolume(pod, tracker);
    assertNotNull(data.getEmptyDir(), "with the store in Redis, the data directory is scratch");
    assertTrue(pod.getVolumes().stream().noneMatch(v -> v.getPersistentVolumeClaim() != null),
        "three replicas share no ReadWriteOnce claim");

    Service service = named(Service.class, TRACKERS);
    assertEquals(deployment.getSpec().getSelector().getMatchLabels(), service.getSpec().getSelector());
    assertTrue(fronts(service, deployment), "the Service fronts the trackers");
    assertEquals(port, servicePort(service, tracker, "grpc"));
    servicePort(service, tracker, "http");
  }

  @Test
  void redisKeepsAnAppendOnlyFileOnAVolumeOfItsOwn() {
    StatefulSet redis = named(StatefulSet.class, REDIS);
    assertEquals(1, redis.getSpec().getReplicas(), "one Redis: the trackers' one store");
    assertEquals(REDIS, named(Service.class, redis.getSpec().getServiceName()).getMetadata().getName(),
        "its governing Service exists");
    PodSpec pod = redis.getSpec().getTemplate().getSpec();
    Container container = container(pod);
    List<String> command = new ArrayList<>(container.getCommand());
    command.addAll(container.getArgs());
    assertEquals("redis-server", command.get(0), String.join(" ", command));
    String line = " " + String.join(" ", command) + " ";
    for (String flag : List.of(" --appendonly yes ", " --appendfsync everysec ", " --dir /data ")) {
      assertTrue(line.contains(flag), "redis-server" + flag + ": " + line);
    }

    // /data is the claim every replica of the StatefulSet gets, not a volume of the pod's
    VolumeMount mount = container.getVolumeMounts().stream()
        .filter(m -> m.getMountPath().equals("/data")).findFirst()
        .orElseThrow(() -> new AssertionError("nothing mounted at /data"));
    assertTrue(pod.getVolumes().stream().noneMatch(v -> v.getName().equals(mount.getName())),
        mount.getName() + " is not an ephemeral pod volume");
    PersistentVolumeClaim claim = redis.getSpec().getVolumeClaimTemplates().stream()
        .filter(c -> c.getMetadata().getName().equals(mount.getName())).findFirst()
        .orElseThrow(() -> new AssertionError("no volumeClaimTemplate " + mount.getName()));
    assertEquals(List.of("ReadWriteOnce"), claim.getSpec().getAccessModes());
    assertNotNull(claim.getSpec().getResources().getRequests().get("storage"));
    assertNotNull(pod.getSecurityContext().getFsGroup(), "the claim is made writable for its user");

    Probe ready = container.getReadinessProbe();
    assertNotNull(ready, "Redis has a readiness probe");
    assertNotNull(ready.getExec(), "the readiness probe asks Redis itself");
    String asked = String.join(" ", ready.getExec().getCommand());
    assertTrue(asked.contains("redis-cli") && asked.contains(" ping"), asked);
    assertTrue(asked.contains("PONG"), "a LOADING or error reply is not ready: " + asked);
    assertNotNull(container.getLivenessProbe(), "Redis has a liveness probe");
  }

  @Test
  void onlyTheTrackersReachRedis() {
    NetworkPolicy policy = only(NetworkPolicy.class);
    StatefulSet redis = only(StatefulSet.class);
    assertTrue(LabelSelectors.matches(policy.getSpec().getPodSelector(), podLabels(redis)),
        "the policy covers the Redis pod");
    assertEquals(List.of("Ingress"), policy.getSpec().getPolicyTypes());
    List<NetworkPolicyIngressRule> rules = policy.getSpec().getIngress();
    assertEquals(1, rules.size(), "one rule: " + rules);
    List<NetworkPolicyPeer> from = rules.get(0).getFrom();
    assertEquals(1, from.size(), "one source");
    assertEquals(null, from.get(0).getNamespaceSelector(), "from this namespace only");
    LabelSelector sources = from.get(0).getPodSelector();
    assertTrue(LabelSelectors.matches(sources, podLabels(only(Deployment.class))), "the trackers");
    assertFalse(LabelSelectors.matches(sources, podLabels(only(DaemonSet.class))), "not the peers");
    Container container = container(redis.getSpec().getTemplate().getSpec());
    assertEquals(1, rules.get(0).getPorts().size());
    IntOrString allowed = rules.get(0).getPorts().get(0).getPort();
    assertEquals(port(container, "redis"), allowed.getIntVal() != null ? allowed.getIntVal()
        : port(container, allowed.getStrVal()), "to Redis's port");
  }

  @Test
  void everyContainerHasResourceRequestsAndLimits() {
    for (Container c : everyContainer()) {
      for (String resource : List.of("cpu", "memory")) {
        assertNotNull(c.getResources().getRequests().get(resource), c.getName() + " requests " + resource);
        assertNotNull(c.getResources().getLimits().get(resource), c.getName() + " limits " + resource);
      }
    }
  }

  @Test
  void telemetryIsConfiguredFromOneConfigMap() {
    ConfigMap otel = only(ConfigMap.class);
    assertTrue(otel.getData().get("OTEL_EXPORTER_OTLP_ENDPOINT").startsWith("http"),
        "OTEL_EXPORTER_OTLP_ENDPOINT is a URL");
    otel.getData().keySet().forEach(k -> assertTrue(k.startsWith("OTEL_"), k));
    for (PodSpec pod : daemonPods()) {
      Container c = container(pod);
      assertTrue(c.getEnvFrom().stream().anyMatch(e -> e.getConfigMapRef() != null
          && e.getConfigMapRef().getName().equals(otel.getMetadata().getName())),
          c.getName() + " takes its OTEL_* variables from " + otel.getMetadata().getName());
      assertTrue(env(c, "OTEL_SERVICE_NAME").startsWith("minibit-"));
    }
  }

  @Test
  void portsMatchWhatTheImagesExpose() {
    Dockerfile trackerImage = Dockerfile.read(DeployFiles.root().resolve("docker/tracker.Dockerfile"));
    Dockerfile peerImage = Dockerfile.read(DeployFiles.root().resolve("docker/peer.Dockerfile"));
    Container tracker = container(only(Deployment.class).getSpec().getTemplate().getSpec());
    Container peer = container(only(DaemonSet.class).getSpec().getTemplate().getSpec());
    assertEquals(Set.copyOf(trackerImage.exposedPorts()),
        tracker.getPorts().stream().map(ContainerPort::getContainerPort).collect(Collectors.toSet()));
    assertEquals(Set.copyOf(peerImage.exposedPorts()),
        peer.getPorts().stream().map(ContainerPort::getContainerPort).collect(Collectors.toSet()));
    assertEquals(trackerImage.env("MINIBIT_PORT"), env(tracker, "MINIBIT_PORT"));
    assertEquals(peerImage.env("MINIBIT_PORT"), env(peer, "MINIBIT_PORT"));
    assertEquals(trackerImage.one("VOLUME").arguments(), tracker.getVolumeMounts().get(0).getMountPath());
    assertEquals(peerImage.one("VOLUME").arguments(), peer.getVolumeMounts().get(0).getMountPath());
  }

  @Test
  void theTrackersBudgetKeepsAllButOneServingAndNeverHoldsADrain() {
    PodDisruptionBudget budget = only(PodDisruptionBudget.class);
    Deployment tracker = only(Deployment.class);
    LabelSelector selector = budget.getSpec().getSelector();
    assertEquals(tracker.getSpec().getSelector(), selector,
        "the budget selects the pods the tracker's Deployment does");
    assertTrue(LabelSelectors.matches(selector, podLabels(tracker)), "it covers the tracker's pods");
    assertFalse(LabelSelectors.matches(selector, podLabels(only(DaemonSet.class)))
        || LabelSelectors.matches(selector, podLabels(only(StatefulSet.class))),
        "it leaves the peers' and Redis's pods alone");
    // A budget that keeps every replica from eviction holds every drain forever; one that
    // lets more than one go at once can leave the peers with a single tracker, or none.
    int replicas = tracker.getSpec().getReplicas();
    int kept = keptHealthy(budget.getSpec(), replicas);
    assertTrue(kept < replicas, "the budget lets a drain evict a tracker: " + budget.getSpec());
    assertEquals(replicas - 1, kept,
        "a drain evicts one tracker at a time, the others serve: " + budget.getSpec());
    assertEquals("AlwaysAllow", budget.getSpec().getUnhealthyPodEvictionPolicy(),
        "an unready tracker never holds a drain");
  }

  /** The pods a budget keeps from eviction, counted as the disruption controller does. */
  private static int keptHealthy(PodDisruptionBudgetSpec spec, int replicas) {
    assertTrue(spec.getMinAvailable() == null ^ spec.getMaxUnavailable() == null,
        "minAvailable or maxUnavailable, one of them");
    if (spec.getMinAvailable() != null) {
      return scaled(spec.getMinAvailable(), replicas);
    }
    return Math.max(0, replicas - scaled(spec.getMaxUnavailable(), replicas));
  }

  /** A budget's number, or its percentage of {@code replicas} rounded up. */
  private static int scaled(IntOrString value, int replicas) {
    if (value.getIntVal() != null) {
      return value.getIntVal();
    }
    int percent = Integer.parseInt(value.getStrVal().replace("%", ""));
    return (percent * replicas + 99) / 100;
  }

  private static Map<String, String> podLabels(HasMetadata workload) {
    if (workload instanceof Deployment deployment) {
      return deployment.getSpec().getTemplate().getMetadata().getLabels();
    }
    if (workload instanceof StatefulSet statefulSet) {
      return statefulSet.getSpec().getTemplate().getMetadata().getLabels();
    }
    return ((DaemonSet) workload).getSpec().getTemplate().getMetadata().getLabels();
  }

  private static LabelSelector workloadSelector(HasMetadata workload) {
    if (workload instanceof Deployment deployment) {
      return deployment.getSpec().getSelector();
    }
    if (workload instanceof StatefulSet statefulSet) {
      return statefulSet.getSpec().getSelector();
    }
    return ((DaemonSet) workload).getSpec().getSelector();
  }

  private static final Path PROMETHEUS_OPERATOR =
      DeployFiles.k8s().resolve("overlays/prometheus-operator");

  private static <T> List<T> all(List<HasMetadata> resources, Class<T> type) {
    return resources.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static <T> T one(List<HasMetadata> resources, Class<T> type) {
    List<T> found = all(resources, type);
    assertEquals(1, found.size(), "one " + type.getSimpleName());
    return found.get(0);
  }

  private static Set<String> kinds(List<HasMetadata> resources) {
    return resources.stream().map(HasMetadata::getKind).collect(Collectors.toSet());
  }

  @Test
  void applyingK8sAppliesTheBaseInItsNamespace() {
    List<HasMetadata> base = Kustomization.build(DeployFiles.k8sBase());
    assertEquals(base, Kustomization.build(DeployFiles.k8s()), "kubectl apply -k k8s/");
    assertEquals(kinds(ALL), kinds(base), "the base is the manifests in k8s/base/");
    assertEquals(ALL.size(), base.size(), "the base is the manifests in k8s/base/");
    String namespace = only(io.fabric8.kubernetes.api.model.Namespace.class).getMetadata().getName();
    for (HasMetadata resource : base) {
      if (!resource.getKind().equals("Namespace")) {
        assertEquals(namespace, resource.getMetadata().getNamespace(), resource.getFullResourceName());
      }
      assertEquals("minibit", resource.getMetadata().getLabels().get("app.kubernetes.io/part-of"));
    }
  }

  @Test
  void thePrometheusOperatorOverlayIsTheBaseAndTwoMonitors() {
    List<HasMetadata> base = Kustomization.build(DeployFiles.k8sBase());
    List<HasMetadata> overlay = Kustomization.build(PROMETHEUS_OPERATOR);
    assertTrue(overlay.containsAll(base), "the overlay changes nothing of the base");
    List<HasMetadata> added = overlay.stream().filter(r -> !base.contains(r)).toList();
    assertEquals(List.of("PodMonitor", "ServiceMonitor"),
        added.stream().map(HasMetadata::getKind).sorted().toList());
    String namespace = one(base, io.fabric8.kubernetes.api.model.Namespace.class)
        .getMetadata().getName();
    for (HasMetadata monitor : added) {
      assertEquals(namespace, monitor.getMetadata().getNamespace(), monitor.getKind());
    }
  }

  /** Whether a monitor in {@code monitorNamespace} looks into {@code namespace}. */
  private static boolean watches(NamespaceSelector selector, String monitorNamespace,
      String namespace) {
    if (selector != null && Boolean.TRUE.equals(selector.getAny())) {
      return true;
    }
    if (selector != null && selector.getMatchNames() != null && !selector.getMatchNames().isEmpty()) {
      return selector.getMatchNames().contains(namespace);
    }
    return namespace.equals(monitorNamespace);
  }

  @Test
  void theTrackersServiceMonitorScrapesItsServicesMetricsPort() throws Exception {
    List<HasMetadata> overlay = Kustomization.build(PROMETHEUS_OPERATOR);
    ServiceMonitor monitor = one(overlay, ServiceMonitor.class);
    List<Service> picked = all(overlay, Service.class).stream()
        .filter(s -> LabelSelectors.matches(monitor.getSpec().getSelector(), s.getMetadata().getLabels())
            && watches(monitor.getSpec().getNamespaceSelector(),
                monitor.getMetadata().getNamespace(), s.getMetadata().getNamespace()))
        .toList();
    assertEquals(1, picked.size(), "the ServiceMonitor picks one Service: " + picked);
    Service service = picked.get(0);
    Deployment deployment = one(overlay, Deployment.class);
    assertTrue(LabelSelectors.matches(new LabelSelector(null, service.getSpec().getSelector()),
        podLabels(deployment)), "the Service it picks fronts the tracker's pods");
    assertNotNull(service.getMetadata().getLabels().get(monitor.getSpec().getJobLabel()),
        "the job is named by a label the Service has: " + monitor.getSpec().getJobLabel());

    assertEquals(1, monitor.getSpec().getEndpoints().size(), "one endpoint");
    Endpoint endpoint = monitor.getSpec().getEndpoints().get(0);
    ServicePort servicePort = service.getSpec().getPorts().stream()
        .filter(p -> p.getName().equals(endpoint.getPort())).findFirst()
        .orElseThrow(() -> new AssertionError("the Service has no port " + endpoint.getPort()));
    Container tracker = container(deployment.getSpec().getTemplate().getSpec());
    assertEquals(metricsPort(tracker, "docker/tracker.Dockerfile"),
        port(tracker, servicePort.getTargetPort().getStrVal()),
        "the Service's " + servicePort.getName() + " port leads to the tracker's metrics port");
    assertServesMetrics(endpoint.getScheme(), endpoint.getPath());
  }

  @Test
  void thePeersPodMonitorScrapesEveryPeersMetricsPort() throws Exception {
    List<HasMetadata> overlay = Kustomization.build(PROMETHEUS_OPERATOR);
    PodMonitor monitor = one(overlay, PodMonitor.class);
    DaemonSet peers = one(overlay, DaemonSet.class);
    LabelSelector selector = monitor.getSpec().getSelector();
    assertTrue(LabelSelectors.matches(selector, podLabels(peers))
        && watches(monitor.getSpec().getNamespaceSelector(), monitor.getMetadata().getNamespace(),
            peers.getMetadata().getNamespace()), "the PodMonitor picks the peers' pods");
    assertFalse(LabelSelectors.matches(selector, podLabels(one(overlay, Deployment.class))),
        "and not the tracker's, which the ServiceMonitor scrapes");
    assertNotNull(podLabels(peers).get(monitor.getSpec().getJobLabel()),
        "the job is named by a label the pods have: " + monitor.getSpec().getJobLabel());

    assertEquals(1, monitor.getSpec().getPodMetricsEndpoints().size(), "one endpoint");
    PodMetricsEndpoint endpoint = monitor.getSpec().getPodMetricsEndpoints().get(0);
    Container peer = container(peers.getSpec().getTemplate().getSpec());
    assertEquals(metricsPort(peer, "docker/peer.Dockerfile"), port(peer, endpoint.getPort()),
        "the PodMonitor's port " + endpoint.getPort() + " is the peer's metrics port");
    assertServesMetrics(endpoint.getScheme(), endpoint.getPath());
  }

  /**
   * The port the daemon in {@code container} serves /metrics on (its MINIBIT_HTTP_PORT, the pod's
   * or else its image's), checked to listen where Prometheus, in another pod, can reach it.
   */
  private static int metricsPort(Container container, String dockerfile) {
    Dockerfile image = Dockerfile.read(DeployFiles.root().resolve(dockerfile)).image();
    Map<String, String> set = new HashMap<>();
    container.getEnv().stream().filter(e -> e.getValue() != null)
        .forEach(e -> set.put(e.getName(), e.getValue()));
    assertEquals("0.0.0.0", set.getOrDefault("MINIBIT_HTTP_HOST", image.env("MINIBIT_HTTP_HOST")),
        container.getName() + " serves HTTP on every interface");
    return Integer.parseInt(set.getOrDefault("MINIBIT_HTTP_PORT", image.env("MINIBIT_HTTP_PORT")));
  }

  /** A monitor's scheme and path get Prometheus text from the daemons' HTTP endpoint. */
  private static void assertServesMetrics(String scheme, String path) throws Exception {
    assertTrue(scheme == null || scheme.equals("http"), "the daemons serve plain HTTP: " + scheme);
    String scraped = path == null ? "/metrics" : path; // the operator's default
    try (HttpEndpoint http = HttpEndpoint.start("127.0.0.1", 0, Telemetry.noop(), Map.of(),
        () -> true)) {
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + scraped))
              .timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), scraped);
      assertEquals(Telemetry.prometheusContentType(),
          response.headers().firstValue("Content-Type").orElse(null), scraped);
    }
  }

  /**
   * Every selector of the whole deployment, monitors included, picks the pods of one workload:
   * each workload's own, the trackers' Services', budget's and spread's the trackers', Redis's
   * Service's and policy's Redis's. (The policy's sources are checked by onlyTheTrackersReachRedis.)
   */
  @Test
  void everySelectorPicksOneWorkloadsPods() {
    List<HasMetadata> overlay = Kustomization.build(PROMETHEUS_OPERATOR);
    List<HasMetadata> workloads = overlay.stream()
        .filter(r -> r instanceof Deployment || r instanceof DaemonSet || r instanceof StatefulSet)
        .toList();
    assertEquals(3, workloads.size());
    Map<String, LabelSelector> selectors = new HashMap<>();
    for (HasMetadata workload : workloads) {
      selectors.put(workload.getKind() + " " + workload.getMetadata().getName(),
          workloadSelector(workload));
    }
    for (Service service : all(overlay, Service.class)) {
      selectors.put("Service " + service.getMetadata().getName(),
          new LabelSelector(null, service.getSpec().getSelector()));
    }
    for (PodDisruptionBudget budget : all(overlay, PodDisruptionBudget.class)) {
      selectors.put("PodDisruptionBudget " + budget.getMetadata().getName(),
          budget.getSpec().getSelector());
    }
    for (PodMonitor monitor : all(overlay, PodMonitor.class)) {
      selectors.put("PodMonitor " + monitor.getMetadata().getName(), monitor.getSpec().getSelector());
    }
    for (NetworkPolicy policy : all(overlay, NetworkPolicy.class)) {
      selectors.put("NetworkPolicy " + policy.getMetadata().getName(),
          policy.getSpec().getPodSelector());
    }
    for (Deployment deployment : all(overlay, Deployment.class)) {
      deployment.getSpec().getTemplate().getSpec().getTopologySpreadConstraints().forEach(c ->
          selectors.put("Deployment " + deployment.getMetadata().getName() + " spread "
              + c.getTopologyKey(), c.getLabelSelector()));
    }
    selectors.forEach((owner, selector) -> {
      List<String> picked = workloads.stream()
          .filter(w -> LabelSelectors.matches(selector, podLabels(w)))
          .map(w -> w.getMetadata().getName()).toList();
      assertEquals(1, picked.size(), owner + " picks the pods of " + picked);
      // a name's pods carry that name, so a selector that picks one picks the one it names
      // (minibit-tracker-headless, say, the pods of minibit-tracker)
      String name = owner.split(" ")[1];
      assertTrue(name.equals(picked.get(0)) || name.startsWith(picked.get(0) + "-"),
          owner + " picks the pods of " + picked);
    });
  }

  @Test
  void theBuildRefusesWhatKustomizeWould(@TempDir Path dir) throws Exception {
    Files.copy(DeployFiles.k8sBase().resolve("otel-config.yaml"), dir.resolve("otel-config.yaml"));
    Files.writeString(dir.resolve("kustomization.yaml"), "resources: [otel-config.yaml]\n");
    assertEquals(List.of("ConfigMap"),
        Kustomization.build(dir).stream().map(HasMetadata::getKind).toList());

    // an overlay inside its base's directory: what k8s/ had to move its base to base/ for
    Path nested = Files.createDirectories(dir.resolve("overlays/one"));
    Files.writeString(nested.resolve("kustomization.yaml"), "resources: [../..]\n");
    AssertionError cycle = assertThrows(AssertionError.class, () -> Kustomization.build(nested));
    assertTrue(cycle.getMessage().contains("holds its overlay"), cycle.getMessage());

    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(outside.resolve("kustomization.yaml"), "resources: [../otel-config.yaml]\n");
    AssertionError loaded = assertThrows(AssertionError.class, () -> Kustomization.build(outside));
    assertTrue(loaded.getMessage().contains("outside"), loaded.getMessage());

    Path patched = Files.createDirectories(dir.resolve("patched"));
    Files.writeString(patched.resolve("kustomization.yaml"),
        "resources: [../otel-config.yaml]\npatches: [{path: p.yaml}]\n");
    AssertionError unknown = assertThrows(AssertionError.class, () -> Kustomization.build(patched));
    assertTrue(unknown.getMessage().contains("patches"), unknown.getMessage());
  }
}
