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
 * the services, the catalog on a persistent volume, telemetry from one ConfigMap, a disruption
 * budget that never holds a drain); the overlays built as kustomize builds them, their
 * monitors scraping the daemons' real metrics ports, and every selector picking the pods meant.
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

  private static LabelSelector workloadSelector(HasMetadata workload) {
    return workload instanceof Deployment deployment ? deployment.getSpec().getSelector()
        : ((DaemonSet) workload).getSpec().getSelector();
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
    assertEquals(BY_KIND.keySet(), kinds(base), "the base is the manifests in k8s/base/");
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
   * each workload's own, the Service's and the budget's the tracker's.
   */
  @Test
  void everySelectorPicksOneWorkloadsPods() {
    List<HasMetadata> overlay = Kustomization.build(PROMETHEUS_OPERATOR);
    List<HasMetadata> workloads = overlay.stream()
        .filter(r -> r instanceof Deployment || r instanceof DaemonSet).toList();
    assertEquals(2, workloads.size());
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
    selectors.forEach((owner, selector) -> {
      List<String> picked = workloads.stream()
          .filter(w -> LabelSelectors.matches(selector, podLabels(w)))
          .map(w -> w.getMetadata().getName()).toList();
      assertEquals(1, picked.size(), owner + " picks the pods of " + picked);
      // a name's pods carry that name, so a selector that picks one picks the one it names
      assertTrue(owner.endsWith(" " + picked.get(0)), owner + " picks the pods of " + picked);
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
