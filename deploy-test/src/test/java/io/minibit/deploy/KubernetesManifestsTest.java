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
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetSpec;
import java.nio.file.Path;
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

/**
 * k8s/ without a cluster: every manifest read strictly against the Kubernetes API's model, and
 * the deployment's invariants (host networking, gRPC probes, ports that match the images and
 * the services, the catalog on a persistent volume, telemetry from one ConfigMap, a disruption
 * budget that never holds a drain).
 */
class KubernetesManifestsTest {
  private static final String DATA = "/var/lib/minibit";
  private static final Map<String, HasMetadata> BY_KIND = new HashMap<>();

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
      assertTrue(BY_KIND.put(resource.getKind(), resource) == null,
          "one " + resource.getKind() + " expected: " + file);
    }
  }

  private static <T> T only(Class<T> type) {
    HasMetadata resource = BY_KIND.get(type.getSimpleName());
    assertNotNull(resource, "k8s/ has no " + type.getSimpleName());
    return type.cast(resource);
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
    assertEquals(Set.of("Namespace", "ConfigMap", "PersistentVolumeClaim", "Deployment", "Service",
        "DaemonSet", "PodDisruptionBudget"), BY_KIND.keySet());
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

  /** Every container of both pods, init containers included. */
  private static List<Container> everyContainer() {
    return Stream.of(only(Deployment.class).getSpec().getTemplate().getSpec(),
            only(DaemonSet.class).getSpec().getTemplate().getSpec())
        .flatMap(pod -> Stream.concat(pod.getContainers().stream(), pod.getInitContainers().stream()))
        .toList();
  }

  @Test
  void everyContainerRunsLockedDown() {
    for (PodSpec pod : List.of(only(Deployment.class).getSpec().getTemplate().getSpec(),
        only(DaemonSet.class).getSpec().getTemplate().getSpec())) {
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
        // a read-only root: the JVM's scratch files go to a volume
        assertTrue(container.getVolumeMounts().stream()
            .anyMatch(m -> m.getMountPath().equals("/tmp")), container.getName() + " /tmp");
      }
    }
    // the peer's control socket is made in its image's /run/minibit
    Container peer = container(only(DaemonSet.class).getSpec().getTemplate().getSpec());
    assertTrue(peer.getVolumeMounts().stream()
        .anyMatch(m -> m.getMountPath().equals("/run/minibit")), "a writable socket directory");
  }

  @Test
  void telemetryNamesTheNodeAndPodOfEveryDaemon() {
    for (PodSpec pod : List.of(only(Deployment.class).getSpec().getTemplate().getSpec(),
        only(DaemonSet.class).getSpec().getTemplate().getSpec())) {
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
    for (Container container : everyContainer()) {
      assertTrue(container.getImage().endsWith(":" + version.group(1)),
          container.getName() + " runs " + container.getImage());
    }
    JsonNode kustomization = DeployFiles.yaml(DeployFiles.k8sBase().resolve("kustomization.yaml"));
    kustomization.path("images").forEach(image -> assertEquals(version.group(1),
        image.path("newTag").asText(), image.path("name").asText()));
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
    Set<String> used = Stream.of(only(Deployment.class).getSpec().getTemplate().getSpec(),
            only(DaemonSet.class).getSpec().getTemplate().getSpec())
        .flatMap(pod -> Stream.concat(pod.getContainers().stream(), pod.getInitContainers().stream()))
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

  @Test
  void peersFindTheTrackerThroughItsService() {
    Service service = only(Service.class);
    Container peer = container(only(DaemonSet.class).getSpec().getTemplate().getSpec());
    ServicePort grpc = service.getSpec().getPorts().stream()
        .filter(p -> p.getName().equals("grpc")).findFirst().orElseThrow();
    String namespace = only(io.fabric8.kubernetes.api.model.Namespace.class).getMetadata().getName();
    assertEquals(service.getMetadata().getName() + "." + namespace + ".svc.cluster.local:"
        + grpc.getPort(), env(peer, "MINIBIT_TRACKER"));
  }

  @Test
  void theTrackerKeepsItsCatalogOnAPersistentVolumeBehindItsService() {
    Deployment deployment = only(Deployment.class);
    assertEquals(1, deployment.getSpec().getReplicas());
    assertEquals("Recreate", deployment.getSpec().getStrategy().getType(),
        "a ReadWriteOnce catalog cannot be mounted by two pods during a rollout");
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    Container tracker = container(pod);
    int port = Integer.parseInt(env(tracker, "MINIBIT_PORT"));
    assertEquals(ServiceDefaults.trackerPort(), port, "the tracker's default port");
    assertEquals(port, port(tracker, "grpc"));
    assertGrpcProbe(tracker.getLivenessProbe(), port, "tracker liveness probe");
    assertGrpcProbe(tracker.getReadinessProbe(), port, "tracker readiness probe");

    Volume catalog = dataVolume(pod, tracker);
    assertNotNull(catalog.getPersistentVolumeClaim(), "the catalog is on a PVC");
    assertEquals(only(PersistentVolumeClaim.class).getMetadata().getName(),
        catalog.getPersistentVolumeClaim().getClaimName());

    Service service = only(Service.class);
    assertEquals(deployment.getSpec().getSelector().getMatchLabels(), service.getSpec().getSelector());
    for (Map.Entry<String, String> label : service.getSpec().getSelector().entrySet()) {
      assertEquals(label.getValue(),
          deployment.getSpec().getTemplate().getMetadata().getLabels().get(label.getKey()));
    }
    for (ServicePort servicePort : service.getSpec().getPorts()) {
      String target = servicePort.getTargetPort().getStrVal();
      int containerPort = port(tracker, target);
      if (servicePort.getName().equals("grpc")) {
        assertEquals(port, containerPort);
      }
    }
  }

  @Test
  void everyContainerHasResourceRequestsAndLimits() {
    List<Container> containers = new ArrayList<>();
    for (PodSpec pod : List.of(only(Deployment.class).getSpec().getTemplate().getSpec(),
        only(DaemonSet.class).getSpec().getTemplate().getSpec())) {
      containers.addAll(pod.getContainers());
      containers.addAll(pod.getInitContainers());
    }
    for (Container c : containers) {
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
    for (PodSpec pod : List.of(only(Deployment.class).getSpec().getTemplate().getSpec(),
        only(DaemonSet.class).getSpec().getTemplate().getSpec())) {
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
  void theTrackersBudgetCoversItsPodsAloneAndNeverHoldsADrain() {
    PodDisruptionBudget budget = only(PodDisruptionBudget.class);
    Deployment tracker = only(Deployment.class);
    LabelSelector selector = budget.getSpec().getSelector();
    assertEquals(tracker.getSpec().getSelector(), selector,
        "the budget selects the pods the tracker's Deployment does");
    assertTrue(LabelSelectors.matches(selector, podLabels(tracker)), "it covers the tracker's pods");
    assertFalse(LabelSelectors.matches(selector, podLabels(only(DaemonSet.class))),
        "it leaves the peers' pods alone");
    // One replica on a ReadWriteOnce volume: a budget that keeps it from eviction holds every
    // drain of its node forever.
    int replicas = tracker.getSpec().getReplicas();
    assertTrue(keptHealthy(budget.getSpec(), replicas) < replicas,
        "the budget lets a drain evict the tracker: " + budget.getSpec());
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
    return ((DaemonSet) workload).getSpec().getTemplate().getMetadata().getLabels();
  }
}
