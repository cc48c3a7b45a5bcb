/*
 * Decoder for request bodies sent as `application/vnd.kubernetes.protobuf`.
 *
 * kubectl (1.32) sends typed objects it builds itself, e.g. the Job of
 * `kubectl create job --from=cronjob/X`, as protobuf: the 4 magic bytes `k8s\0`
 * and then a `runtime.Unknown` {1: typeMeta {1: apiVersion, 2: kind}, 2: raw,
 * 3: contentEncoding, 4: contentType} whose `raw` is the object's message.
 * This module turns such a body into the JSON form of the Kubernetes API, the
 * object kubectl would have sent as JSON.
 *
 * The schema below is a hand-written subset of the `generated.proto` files of
 * k8s.io/api (batch/v1, core/v1) and k8s.io/apimachinery (meta/v1,
 * api/resource, util/intstr, runtime); field numbers and types match the
 * descriptors kubectl 1.32 itself carries. A field number the schema does not
 * know makes decoding fail with a ProtobufDecodeError naming the message type
 * and field number (and where in the object it was): nothing is dropped
 * silently.
 *
 * Supported kinds: batch/v1 Job, batch/v1 CronJob, v1 Pod.
 *
 * Supported messages (every field of each, as in Kubernetes 1.32, unless noted):
 * - meta/v1: ObjectMeta, OwnerReference, LabelSelector,
 *   LabelSelectorRequirement, ManagedFieldsEntry, FieldsV1, Time;
 *   api/resource: Quantity; util/intstr: IntOrString.
 * - batch/v1: Job, JobSpec, JobStatus, JobCondition, UncountedTerminatedPods,
 *   CronJob, CronJobSpec, CronJobStatus, JobTemplateSpec, PodFailurePolicy
 *   (+Rule, OnExitCodesRequirement, OnPodConditionsPattern), SuccessPolicy
 *   (+Rule).
 * - core/v1: Pod, PodTemplateSpec, PodSpec (all but ephemeralContainers),
 *   PodStatus (only phase, message, reason, nominatedNodeName, hostIP, podIP,
 *   startTime, qosClass, resize), Container, ContainerPort,
 *   ContainerResizePolicy, EnvVar, EnvVarSource, ObjectFieldSelector,
 *   ResourceFieldSelector, ConfigMapKeySelector, SecretKeySelector,
 *   EnvFromSource, ConfigMapEnvSource, SecretEnvSource, ResourceRequirements,
 *   ResourceClaim, VolumeMount, VolumeDevice, Probe, ProbeHandler, ExecAction,
 *   HTTPGetAction, HTTPHeader, TCPSocketAction, GRPCAction, Lifecycle,
 *   LifecycleHandler, SleepAction, SecurityContext, Capabilities,
 *   SELinuxOptions, WindowsSecurityContextOptions, SeccompProfile,
 *   AppArmorProfile, PodSecurityContext, Sysctl, LocalObjectReference,
 *   Toleration, HostAlias, PodDNSConfig, PodDNSConfigOption, PodReadinessGate,
 *   TopologySpreadConstraint, PodOS, PodSchedulingGate, PodResourceClaim,
 *   Affinity, NodeAffinity, NodeSelector, NodeSelectorTerm,
 *   NodeSelectorRequirement, PreferredSchedulingTerm, PodAffinity,
 *   PodAntiAffinity, PodAffinityTerm, WeightedPodAffinityTerm, ObjectReference,
 *   Volume, VolumeSource (only hostPath, emptyDir, secret, nfs,
 *   persistentVolumeClaim, downwardAPI, configMap, projected, csi, image),
 *   HostPathVolumeSource, EmptyDirVolumeSource, SecretVolumeSource,
 *   ConfigMapVolumeSource, KeyToPath, NFSVolumeSource,
 *   PersistentVolumeClaimVolumeSource, DownwardAPIVolumeSource,
 *   DownwardAPIVolumeFile, ProjectedVolumeSource, VolumeProjection,
 *   SecretProjection, ConfigMapProjection, DownwardAPIProjection,
 *   ServiceAccountTokenProjection, ClusterTrustBundleProjection,
 *   CSIVolumeSource, ImageVolumeSource.
 *
 * JSON mapping (Go's encoding of the same struct):
 * - Go embedded structs are inlined (option `inline`): Volume.volumeSource,
 *   Probe.handler, and the localObjectReference of the *KeySelector,
 *   *EnvSource, ConfigMapVolumeSource and *Projection messages (→ `name`).
 * - gogo-protobuf writes every non-pointer Go field, set or not; pointer fields
 *   only when set. So strings are dropped when empty, except Go `*string`
 *   fields (option `keepempty`); numbers and bools are kept when present (Go
 *   pointers: `backoffLimit: 0` stays 0), except non-pointer `omitempty` ones
 *   (option `omitzero`, e.g. `generation`, `readOnly`), dropped when 0/false;
 *   messages are kept when present (`emptyDir: {}` stays), except non-pointer
 *   structs (option `omitempty`: metadata, spec, status, template,
 *   resources), dropped when they decode to `{}`. Lists and maps are left out
 *   when empty.
 * - meta/v1 Time {seconds, nanos} → RFC 3339 string in UTC without fraction
 *   (`2026-01-30T02:00:00Z`); an empty Time (Go's zero time, JSON null) is
 *   left out. Quantity {string} → the string. IntOrString → number or string.
 *   FieldsV1 {Raw} → the parsed JSON.
 */
import { CustomErrorBase } from '@backstage/errors';
import * as protobuf from 'protobufjs';

/** Thrown when a protobuf body cannot be decoded completely and exactly. */
export class ProtobufDecodeError extends CustomErrorBase {}

/** The 4 bytes that start every Kubernetes protobuf body: `k8s\0`. */
const MAGIC = [0x6b, 0x38, 0x73, 0x00];

const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const CORE = 'k8s.io.api.core.v1';
const BATCH = 'k8s.io.api.batch.v1';

const TIME = `${META}.Time`;
const FIELDS_V1 = `${META}.FieldsV1`;
const QUANTITY = 'k8s.io.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const UNKNOWN = 'k8s.io.apimachinery.pkg.runtime.Unknown';

const RUNTIME_PROTO = `
syntax = "proto2";
package k8s.io.apimachinery.pkg.runtime;
message TypeMeta {
  optional string apiVersion = 1;
  optional string kind = 2;
}
message Unknown {
  optional TypeMeta typeMeta = 1;
  optional bytes raw = 2;
  optional string contentEncoding = 3;
  optional string contentType = 4;
}
`;

const RESOURCE_PROTO = `
syntax = "proto2";
package k8s.io.apimachinery.pkg.api.resource;
message Quantity {
  optional string string = 1;
}
`;

const INTSTR_PROTO = `
syntax = "proto2";
package k8s.io.apimachinery.pkg.util.intstr;
message IntOrString {
  optional int64 type = 1;
  optional int32 intVal = 2;
  optional string strVal = 3;
}
`;

const META_PROTO = `
syntax = "proto2";
package k8s.io.apimachinery.pkg.apis.meta.v1;
message Time {
  optional int64 seconds = 1;
  optional int32 nanos = 2;
}
message FieldsV1 {
  optional bytes Raw = 1;
}
message ObjectMeta {
  optional string name = 1;
  optional string generateName = 2;
  optional string namespace = 3;
  optional string selfLink = 4;
  optional string uid = 5;
  optional string resourceVersion = 6;
  optional int64 generation = 7 [(omitzero) = true];
  optional Time creationTimestamp = 8;
  optional Time deletionTimestamp = 9;
  optional int64 deletionGracePeriodSeconds = 10;
  map<string, string> labels = 11;
  map<string, string> annotations = 12;
  repeated OwnerReference ownerReferences = 13;
  repeated string finalizers = 14;
  repeated ManagedFieldsEntry managedFields = 17;
}
message OwnerReference {
  optional string apiVersion = 5;
  optional string kind = 1;
  optional string name = 3;
  optional string uid = 4;
  optional bool controller = 6;
  optional bool blockOwnerDeletion = 7;
}
message LabelSelector {
  map<string, string> matchLabels = 1;
  repeated LabelSelectorRequirement matchExpressions = 2;
}
message LabelSelectorRequirement {
  optional string key = 1;
  optional string operator = 2;
  repeated string values = 3;
}
message ManagedFieldsEntry {
  optional string manager = 1;
  optional string operation = 2;
  optional string apiVersion = 3;
  optional Time time = 4;
  optional string fieldsType = 6;
  optional FieldsV1 fieldsV1 = 7;
  optional string subresource = 8;
}
`;

const CORE_PROTO = `
syntax = "proto2";
package k8s.io.api.core.v1;
message Pod {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1 [(omitempty) = true];
  optional PodSpec spec = 2 [(omitempty) = true];
  optional PodStatus status = 3 [(omitempty) = true];
}
message PodStatus {
  optional string phase = 1;
  optional string message = 3;
  optional string reason = 4;
  optional string nominatedNodeName = 11;
  optional string hostIP = 5;
  optional string podIP = 6;
  optional k8s.io.apimachinery.pkg.apis.meta.v1.Time startTime = 7;
  optional string qosClass = 9;
  optional string resize = 14;
}
message PodTemplateSpec {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1 [(omitempty) = true];
  optional PodSpec spec = 2 [(omitempty) = true];
}
message PodSpec {
  repeated Volume volumes = 1;
  repeated Container initContainers = 20;
  repeated Container containers = 2;
  optional string restartPolicy = 3;
  optional int64 terminationGracePeriodSeconds = 4;
  optional int64 activeDeadlineSeconds = 5;
  optional string dnsPolicy = 6;
  map<string, string> nodeSelector = 7;
  optional string serviceAccountName = 8;
  optional string serviceAccount = 9;
  optional bool automountServiceAccountToken = 21;
  optional string nodeName = 10;
  optional bool hostNetwork = 11 [(omitzero) = true];
  optional bool hostPID = 12 [(omitzero) = true];
  optional bool hostIPC = 13 [(omitzero) = true];
  optional bool shareProcessNamespace = 27;
  optional PodSecurityContext securityContext = 14;
  repeated LocalObjectReference imagePullSecrets = 15;
  optional string hostname = 16;
  optional string subdomain = 17;
  optional Affinity affinity = 18;
  optional string schedulerName = 19;
  repeated Toleration tolerations = 22;
  repeated HostAlias hostAliases = 23;
  optional string priorityClassName = 24;
  optional int32 priority = 25;
  optional PodDNSConfig dnsConfig = 26;
  repeated PodReadinessGate readinessGates = 28;
  optional string runtimeClassName = 29 [(keepempty) = true];
  optional bool enableServiceLinks = 30;
  optional string preemptionPolicy = 31 [(keepempty) = true];
  map<string, k8s.io.apimachinery.pkg.api.resource.Quantity> overhead = 32;
  repeated TopologySpreadConstraint topologySpreadConstraints = 33;
  optional bool setHostnameAsFQDN = 35;
  optional PodOS os = 36;
  optional bool hostUsers = 37;
  repeated PodSchedulingGate schedulingGates = 38;
  repeated PodResourceClaim resourceClaims = 39;
  optional ResourceRequirements resources = 40;
}
message Container {
  optional string name = 1;
  optional string image = 2;
  repeated string command = 3;
  repeated string args = 4;
  optional string workingDir = 5;
  repeated ContainerPort ports = 6;
  repeated EnvFromSource envFrom = 19;
  repeated EnvVar env = 7;
  optional ResourceRequirements resources = 8 [(omitempty) = true];
  repeated ContainerResizePolicy resizePolicy = 23;
  optional string restartPolicy = 24 [(keepempty) = true];
  repeated VolumeMount volumeMounts = 9;
  repeated VolumeDevice volumeDevices = 21;
  optional Probe livenessProbe = 10;
  optional Probe readinessProbe = 11;
  optional Probe startupProbe = 22;
  optional Lifecycle lifecycle = 12;
  optional string terminationMessagePath = 13;
  optional string terminationMessagePolicy = 20;
  optional string imagePullPolicy = 14;
  optional SecurityContext securityContext = 15;
  optional bool stdin = 16 [(omitzero) = true];
  optional bool stdinOnce = 17 [(omitzero) = true];
  optional bool tty = 18 [(omitzero) = true];
}
message ContainerPort {
  optional string name = 1;
  optional int32 hostPort = 2 [(omitzero) = true];
  optional int32 containerPort = 3;
  optional string protocol = 4;
  optional string hostIP = 5;
}
message ContainerResizePolicy {
  optional string resourceName = 1;
  optional string restartPolicy = 2;
}
message EnvVar {
  optional string name = 1;
  optional string value = 2;
  optional EnvVarSource valueFrom = 3;
}
message EnvVarSource {
  optional ObjectFieldSelector fieldRef = 1;
  optional ResourceFieldSelector resourceFieldRef = 2;
  optional ConfigMapKeySelector configMapKeyRef = 3;
  optional SecretKeySelector secretKeyRef = 4;
}
message ObjectFieldSelector {
  optional string apiVersion = 1;
  optional string fieldPath = 2;
}
message ResourceFieldSelector {
  optional string containerName = 1;
  optional string resource = 2;
  optional k8s.io.apimachinery.pkg.api.resource.Quantity divisor = 3;
}
message LocalObjectReference {
  optional string name = 1;
}
message ConfigMapKeySelector {
  optional LocalObjectReference localObjectReference = 1 [(inline) = true];
  optional string key = 2;
  optional bool optional = 3;
}
message SecretKeySelector {
  optional LocalObjectReference localObjectReference = 1 [(inline) = true];
  optional string key = 2;
  optional bool optional = 3;
}
message EnvFromSource {
  optional string prefix = 1;
  optional ConfigMapEnvSource configMapRef = 2;
  optional SecretEnvSource secretRef = 3;
}
message ConfigMapEnvSource {
  optional LocalObjectReference localObjectReference = 1 [(inline) = true];
  optional bool optional = 2;
}
message SecretEnvSource {
  optional LocalObjectReference localObjectReference = 1 [(inline) = true];
  optional bool optional = 2;
}
message ResourceRequirements {
  map<string, k8s.io.apimachinery.pkg.api.resource.Quantity> limits = 1;
  map<string, k8s.io.apimachinery.pkg.api.resource.Quantity> requests = 2;
  repeated ResourceClaim claims = 3;
}
message ResourceClaim {
  optional string name = 1;
  optional string request = 2;
}
message VolumeMount {
  optional string name = 1;
  optional bool readOnly = 2 [(omitzero) = true];
  optional string recursiveReadOnly = 7 [(keepempty) = true];
  optional string mountPath = 3;
  optional string subPath = 4;
  optional string mountPropagation = 5 [(keepempty) = true];
  optional string subPathExpr = 6;
}
message VolumeDevice {
  optional string name = 1;
  optional string devicePath = 2;
}
message Probe {
  optional ProbeHandler handler = 1 [(inline) = true];
  optional int32 initialDelaySeconds = 2 [(omitzero) = true];
  optional int32 timeoutSeconds = 3 [(omitzero) = true];
  optional int32 periodSeconds = 4 [(omitzero) = true];
  optional int32 successThreshold = 5 [(omitzero) = true];
  optional int32 failureThreshold = 6 [(omitzero) = true];
  optional int64 terminationGracePeriodSeconds = 7;
}
message ProbeHandler {
  optional ExecAction exec = 1;
  optional HTTPGetAction httpGet = 2;
  optional TCPSocketAction tcpSocket = 3;
  optional GRPCAction grpc = 4;
}
message ExecAction {
  repeated string command = 1;
}
message HTTPGetAction {
  optional string path = 1;
  optional k8s.io.apimachinery.pkg.util.intstr.IntOrString port = 2;
  optional string host = 3;
  optional string scheme = 4;
  repeated HTTPHeader httpHeaders = 5;
}
message HTTPHeader {
  optional string name = 1;
  optional string value = 2;
}
message TCPSocketAction {
  optional k8s.io.apimachinery.pkg.util.intstr.IntOrString port = 1;
  optional string host = 2;
}
message GRPCAction {
  optional int32 port = 1;
  optional string service = 2 [(keepempty) = true];
}
message Lifecycle {
  optional LifecycleHandler postStart = 1;
  optional LifecycleHandler preStop = 2;
}
message LifecycleHandler {
  optional ExecAction exec = 1;
  optional HTTPGetAction httpGet = 2;
  optional TCPSocketAction tcpSocket = 3;
  optional SleepAction sleep = 4;
}
message SleepAction {
  optional int64 seconds = 1;
}
message SecurityContext {
  optional Capabilities capabilities = 1;
  optional bool privileged = 2;
  optional SELinuxOptions seLinuxOptions = 3;
  optional WindowsSecurityContextOptions windowsOptions = 10;
  optional int64 runAsUser = 4;
  optional int64 runAsGroup = 8;
  optional bool runAsNonRoot = 5;
  optional bool readOnlyRootFilesystem = 6;
  optional bool allowPrivilegeEscalation = 7;
  optional string procMount = 9 [(keepempty) = true];
  optional SeccompProfile seccompProfile = 11;
  optional AppArmorProfile appArmorProfile = 12;
}
message Capabilities {
  repeated string add = 1;
  repeated string drop = 2;
}
message SELinuxOptions {
  optional string user = 1;
  optional string role = 2;
  optional string type = 3;
  optional string level = 4;
}
message WindowsSecurityContextOptions {
  optional string gmsaCredentialSpecName = 1 [(keepempty) = true];
  optional string gmsaCredentialSpec = 2 [(keepempty) = true];
  optional string runAsUserName = 3 [(keepempty) = true];
  optional bool hostProcess = 4;
}
message SeccompProfile {
  optional string type = 1;
  optional string localhostProfile = 2 [(keepempty) = true];
}
message AppArmorProfile {
  optional string type = 1;
  optional string localhostProfile = 2 [(keepempty) = true];
}
message PodSecurityContext {
  optional SELinuxOptions seLinuxOptions = 1;
  optional WindowsSecurityContextOptions windowsOptions = 8;
  optional int64 runAsUser = 2;
  optional int64 runAsGroup = 6;
  optional bool runAsNonRoot = 3;
  repeated int64 supplementalGroups = 4;
  optional string supplementalGroupsPolicy = 12 [(keepempty) = true];
  optional int64 fsGroup = 5;
  repeated Sysctl sysctls = 7;
  optional string fsGroupChangePolicy = 9 [(keepempty) = true];
  optional SeccompProfile seccompProfile = 10;
  optional AppArmorProfile appArmorProfile = 11;
  optional string seLinuxChangePolicy = 13 [(keepempty) = true];
}
message Sysctl {
  optional string name = 1;
  optional string value = 2;
}
message Toleration {
  optional string key = 1;
  optional string operator = 2;
  optional string value = 3;
  optional string effect = 4;
  optional int64 tolerationSeconds = 5;
}
message HostAlias {
  optional string ip = 1;
  repeated string hostnames = 2;
}
message PodDNSConfig {
  repeated string nameservers = 1;
  repeated string searches = 2;
  repeated PodDNSConfigOption options = 3;
}
message PodDNSConfigOption {
  optional string name = 1;
  optional string value = 2 [(keepempty) = true];
}
message PodReadinessGate {
  optional string conditionType = 1;
}
message TopologySpreadConstraint {
  optional int32 maxSkew = 1;
  optional string topologyKey = 2;
  optional string whenUnsatisfiable = 3;
  optional k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector labelSelector = 4;
  optional int32 minDomains = 5;
  optional string nodeAffinityPolicy = 6 [(keepempty) = true];
  optional string nodeTaintsPolicy = 7 [(keepempty) = true];
  repeated string matchLabelKeys = 8;
}
message PodOS {
  optional string name = 1;
}
message PodSchedulingGate {
  optional string name = 1;
}
message PodResourceClaim {
  optional string name = 1;
  optional string resourceClaimName = 3 [(keepempty) = true];
  optional string resourceClaimTemplateName = 4 [(keepempty) = true];
}
message Affinity {
  optional NodeAffinity nodeAffinity = 1;
  optional PodAffinity podAffinity = 2;
  optional PodAntiAffinity podAntiAffinity = 3;
}
message NodeAffinity {
  optional NodeSelector requiredDuringSchedulingIgnoredDuringExecution = 1;
  repeated PreferredSchedulingTerm preferredDuringSchedulingIgnoredDuringExecution = 2;
}
message NodeSelector {
  repeated NodeSelectorTerm nodeSelectorTerms = 1;
}
message NodeSelectorTerm {
  repeated NodeSelectorRequirement matchExpressions = 1;
  repeated NodeSelectorRequirement matchFields = 2;
}
message NodeSelectorRequirement {
  optional string key = 1;
  optional string operator = 2;
  repeated string values = 3;
}
message PreferredSchedulingTerm {
  optional int32 weight = 1;
  optional NodeSelectorTerm preference = 2;
}
message PodAffinity {
  repeated PodAffinityTerm requiredDuringSchedulingIgnoredDuringExecution = 1;
  repeated WeightedPodAffinityTerm preferredDuringSchedulingIgnoredDuringExecution = 2;
}
message PodAntiAffinity {
  repeated PodAffinityTerm requiredDuringSchedulingIgnoredDuringExecution = 1;
  repeated WeightedPodAffinityTerm preferredDuringSchedulingIgnoredDuringExecution = 2;
}
message PodAffinityTerm {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector labelSelector = 1;
  repeated string namespaces = 2;
  optional string topologyKey = 3;
  optional k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector namespaceSelector = 4;
  repeated string matchLabelKeys = 5;
  repeated string mismatchLabelKeys = 6;
}
message WeightedPodAffinityTerm {
  optional int32 weight = 1;
  optional PodAffinityTerm podAffinityTerm = 2;
}
message ObjectReference {
  optional string kind = 1;
  optional string namespace = 2;
  optional string name = 3;
  optional string uid = 4;
  optional string apiVersion = 5;
  optional string resourceVersion = 6;
  optional string fieldPath = 7;
}
message Volume {
  optional string name = 1;
  optional VolumeSource volumeSource = 2 [(inline) = true];
}
message VolumeSource {
  optional HostPathVolumeSource hostPath = 1;
  optional EmptyDirVolumeSource emptyDir = 2;
  optional SecretVolumeSource secret = 6;
  optional NFSVolumeSource nfs = 7;
  optional PersistentVolumeClaimVolumeSource persistentVolumeClaim = 10;
  optional DownwardAPIVolumeSource downwardAPI = 16;
  optional ConfigMapVolumeSource configMap = 19;
  optional ProjectedVolumeSource projected = 26;
  optional CSIVolumeSource csi = 28;
  optional ImageVolumeSource image = 30;
}
message HostPathVolumeSource {
  optional string path = 1;
  optional string type = 2 [(keepempty) = true];
}
message EmptyDirVolumeSource {
  optional string medium = 1;
  optional k8s.io.apimachinery.pkg.api.resource.Quantity sizeLimit = 2;
}
message SecretVolumeSource {
  optional string secretName = 1;
  repeated KeyToPath items = 2;
  optional int32 defaultMode = 3;
  optional bool optional = 4;
}
message ConfigMapVolumeSource {
  optional LocalObjectReference localObjectReference = 1 [(inline) = true];
  repeated KeyToPath items = 2;
  optional int32 defaultMode = 3;
  optional bool optional = 4;
}
message KeyToPath {
  optional string key = 1;
  optional string path = 2;
  optional int32 mode = 3;
}
message NFSVolumeSource {
  optional string server = 1;
  optional string path = 2;
  optional bool readOnly = 3 [(omitzero) = true];
}
message PersistentVolumeClaimVolumeSource {
  optional string claimName = 1;
  optional bool readOnly = 2 [(omitzero) = true];
}
message DownwardAPIVolumeSource {
  repeated DownwardAPIVolumeFile items = 1;
  optional int32 defaultMode = 2;
}
message DownwardAPIVolumeFile {
  optional string path = 1;
  optional ObjectFieldSelector fieldRef = 2;
  optional ResourceFieldSelector resourceFieldRef = 3;
  optional int32 mode = 4;
}
message ProjectedVolumeSource {
  repeated VolumeProjection sources = 1;
  optional int32 defaultMode = 2;
}
message VolumeProjection {
  optional SecretProjection secret = 1;
  optional DownwardAPIProjection downwardAPI = 2;
  optional ConfigMapProjection configMap = 3;
  optional ServiceAccountTokenProjection serviceAccountToken = 4;
  optional ClusterTrustBundleProjection clusterTrustBundle = 5;
}
message SecretProjection {
  optional LocalObjectReference localObjectReference = 1 [(inline) = true];
  repeated KeyToPath items = 2;
  optional bool optional = 4;
}
message ConfigMapProjection {
  optional LocalObjectReference localObjectReference = 1 [(inline) = true];
  repeated KeyToPath items = 2;
  optional bool optional = 4;
}
message DownwardAPIProjection {
  repeated DownwardAPIVolumeFile items = 1;
}
message ServiceAccountTokenProjection {
  optional string audience = 1;
  optional int64 expirationSeconds = 2;
  optional string path = 3;
}
message ClusterTrustBundleProjection {
  optional string name = 1 [(keepempty) = true];
  optional string signerName = 2 [(keepempty) = true];
  optional k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector labelSelector = 3;
  optional bool optional = 5;
  optional string path = 4;
}
message CSIVolumeSource {
  optional string driver = 1;
  optional bool readOnly = 2;
  optional string fsType = 3 [(keepempty) = true];
  map<string, string> volumeAttributes = 4;
  optional LocalObjectReference nodePublishSecretRef = 5;
}
message ImageVolumeSource {
  optional string reference = 1;
  optional string pullPolicy = 2;
}
`;

const BATCH_PROTO = `
syntax = "proto2";
package k8s.io.api.batch.v1;
message Job {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1 [(omitempty) = true];
  optional JobSpec spec = 2 [(omitempty) = true];
  optional JobStatus status = 3 [(omitempty) = true];
}
message JobSpec {
  optional int32 parallelism = 1;
  optional int32 completions = 2;
  optional int64 activeDeadlineSeconds = 3;
  optional PodFailurePolicy podFailurePolicy = 11;
  optional SuccessPolicy successPolicy = 16;
  optional int32 backoffLimit = 7;
  optional int32 backoffLimitPerIndex = 12;
  optional int32 maxFailedIndexes = 13;
  optional k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector selector = 4;
  optional bool manualSelector = 5;
  optional k8s.io.api.core.v1.PodTemplateSpec template = 6 [(omitempty) = true];
  optional int32 ttlSecondsAfterFinished = 8;
  optional string completionMode = 9 [(keepempty) = true];
  optional bool suspend = 10;
  optional string podReplacementPolicy = 14 [(keepempty) = true];
  optional string managedBy = 15 [(keepempty) = true];
}
message JobStatus {
  repeated JobCondition conditions = 1;
  optional k8s.io.apimachinery.pkg.apis.meta.v1.Time startTime = 2;
  optional k8s.io.apimachinery.pkg.apis.meta.v1.Time completionTime = 3;
  optional int32 active = 4 [(omitzero) = true];
  optional int32 succeeded = 5 [(omitzero) = true];
  optional int32 failed = 6 [(omitzero) = true];
  optional int32 terminating = 11;
  optional string completedIndexes = 7;
  optional string failedIndexes = 10 [(keepempty) = true];
  optional UncountedTerminatedPods uncountedTerminatedPods = 8;
  optional int32 ready = 9;
}
message JobCondition {
  optional string type = 1;
  optional string status = 2;
  optional k8s.io.apimachinery.pkg.apis.meta.v1.Time lastProbeTime = 3;
  optional k8s.io.apimachinery.pkg.apis.meta.v1.Time lastTransitionTime = 4;
  optional string reason = 5;
  optional string message = 6;
}
message UncountedTerminatedPods {
  repeated string succeeded = 1;
  repeated string failed = 2;
}
message PodFailurePolicy {
  repeated PodFailurePolicyRule rules = 1;
}
message PodFailurePolicyRule {
  optional string action = 1;
  optional PodFailurePolicyOnExitCodesRequirement onExitCodes = 2;
  repeated PodFailurePolicyOnPodConditionsPattern onPodConditions = 3;
}
message PodFailurePolicyOnExitCodesRequirement {
  optional string containerName = 1 [(keepempty) = true];
  optional string operator = 2;
  repeated int32 values = 3;
}
message PodFailurePolicyOnPodConditionsPattern {
  optional string type = 1;
  optional string status = 2;
}
message SuccessPolicy {
  repeated SuccessPolicyRule rules = 1;
}
message SuccessPolicyRule {
  optional string succeededIndexes = 1 [(keepempty) = true];
  optional int32 succeededCount = 2;
}
message CronJob {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1 [(omitempty) = true];
  optional CronJobSpec spec = 2 [(omitempty) = true];
  optional CronJobStatus status = 3 [(omitempty) = true];
}
message CronJobSpec {
  optional string schedule = 1;
  optional string timeZone = 8 [(keepempty) = true];
  optional int64 startingDeadlineSeconds = 2;
  optional string concurrencyPolicy = 3;
  optional bool suspend = 4;
  optional JobTemplateSpec jobTemplate = 5 [(omitempty) = true];
  optional int32 successfulJobsHistoryLimit = 6;
  optional int32 failedJobsHistoryLimit = 7;
}
message CronJobStatus {
  repeated k8s.io.api.core.v1.ObjectReference active = 1;
  optional k8s.io.apimachinery.pkg.apis.meta.v1.Time lastScheduleTime = 4;
  optional k8s.io.apimachinery.pkg.apis.meta.v1.Time lastSuccessfulTime = 5;
}
message JobTemplateSpec {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1 [(omitempty) = true];
  optional JobSpec spec = 2 [(omitempty) = true];
}
`;

/** The top-level kinds this decoder accepts, by `apiVersion/kind`. */
const KINDS: Record<string, string> = {
  'batch/v1/Job': `${BATCH}.Job`,
  'batch/v1/CronJob': `${BATCH}.CronJob`,
  'v1/Pod': `${CORE}.Pod`,
};

let schema: protobuf.Root | undefined;

function loadSchema(): protobuf.Root {
  if (!schema) {
    const root = new protobuf.Root();
    const options = { keepCase: true };
    for (const source of [
      RUNTIME_PROTO,
      RESOURCE_PROTO,
      INTSTR_PROTO,
      META_PROTO,
      CORE_PROTO,
      BATCH_PROTO,
    ]) {
      protobuf.parse(source, root, options);
    }
    root.resolveAll();
    schema = root;
  }
  return schema;
}

type JsonObject = Record<string, unknown>;

/** Protobuf wire types used by the Kubernetes messages. */
const VARINT = 0;
const LEN = 2;

const utf8 = new TextDecoder('utf-8');

/** Names a place in the object for error messages. */
function where(path: string): string {
  return path || 'the top level';
}

function fullName(type: protobuf.Type): string {
  return type.fullName.replace(/^\./, '');
}

function option(field: protobuf.FieldBase, name: string): boolean {
  return field.options?.[`(${name})`] === true;
}

function expectWireType(
  field: protobuf.FieldBase,
  wireType: number,
  expected: number,
  type: protobuf.Type,
  path: string,
): void {
  if (wireType !== expected) {
    throw new ProtobufDecodeError(
      `field ${field.id} (${field.name}) of ${fullName(type)} at ${where(
        path,
      )} has wire type ${wireType}, expected ${expected}`,
    );
  }
}

/** Reads a length prefix and returns where the delimited bytes end. */
function delimitedEnd(reader: protobuf.Reader, end: number, path: string) {
  const length = reader.uint32();
  const stop = reader.pos + length;
  if (stop > end) {
    throw new ProtobufDecodeError(
      `truncated body: ${length} bytes announced at ${where(path)} but only ${
        end - reader.pos
      } left`,
    );
  }
  return stop;
}

function toNumber(value: number | protobuf.Long): number {
  return typeof value === 'number'
    ? value
    : protobuf.util.LongBits.from(value).toNumber();
}

const SCALAR_WIRE_TYPES: Record<string, number> = {
  int32: VARINT,
  int64: VARINT,
  uint32: VARINT,
  bool: VARINT,
  string: LEN,
  bytes: LEN,
};

/** Reads one scalar of the given protobuf type (wire type already checked). */
function readScalar(
  reader: protobuf.Reader,
  scalarType: string,
  end: number,
  path: string,
): number | boolean | string | Uint8Array {
  switch (scalarType) {
    case 'int32':
      return reader.int32();
    case 'uint32':
      return reader.uint32();
    case 'int64':
      return toNumber(reader.int64());
    case 'bool':
      return reader.bool();
    case 'string': {
      const stop = delimitedEnd(reader, end, path);
      const value = utf8.decode(reader.buf.subarray(reader.pos, stop));
      reader.pos = stop;
      return value;
    }
    case 'bytes': {
      const stop = delimitedEnd(reader, end, path);
      const value = reader.buf.slice(reader.pos, stop);
      reader.pos = stop;
      return value;
    }
    default:
      throw new ProtobufDecodeError(
        `schema type ${scalarType} at ${path} is not supported`,
      );
  }
}

/**
 * Decodes a message of a type with a special JSON form (Time, Quantity,
 * IntOrString, FieldsV1). Returns `undefined` for values JSON leaves out.
 */
function decodeSpecial(
  reader: protobuf.Reader,
  end: number,
  type: protobuf.Type,
  path: string,
): unknown {
  const proto: JsonObject = {};
  decodeFields(reader, end, type, proto, path, true);
  switch (fullName(type)) {
    case TIME: {
      if (Object.keys(proto).length === 0) {
        return undefined;
      }
      const seconds = (proto.seconds as number | undefined) ?? 0;
      const date = new Date(seconds * 1000);
      if (Number.isNaN(date.getTime())) {
        throw new ProtobufDecodeError(`invalid time ${seconds}s at ${path}`);
      }
      return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    case QUANTITY:
      return (proto.string as string | undefined) ?? '';
    case INT_OR_STRING: {
      const kind = (proto.type as number | undefined) ?? 0;
      if (kind === 0) {
        return (proto.intVal as number | undefined) ?? 0;
      }
      if (kind === 1) {
        return (proto.strVal as string | undefined) ?? '';
      }
      throw new ProtobufDecodeError(`IntOrString of type ${kind} at ${path}`);
    }
    case FIELDS_V1: {
      const raw = proto.Raw as Uint8Array | undefined;
      if (!raw || raw.length === 0) {
        return {};
      }
      try {
        return JSON.parse(utf8.decode(raw));
      } catch {
        throw new ProtobufDecodeError(`FieldsV1 at ${path} is not JSON`);
      }
    }
    default:
      throw new ProtobufDecodeError(`no JSON form for ${fullName(type)}`);
  }
}

function isSpecial(type: protobuf.Type): boolean {
  const name = fullName(type);
  return (
    name === TIME ||
    name === QUANTITY ||
    name === INT_OR_STRING ||
    name === FIELDS_V1
  );
}

/** Decodes a length-delimited field value of message type. */
function decodeMessageValue(
  reader: protobuf.Reader,
  end: number,
  type: protobuf.Type,
  path: string,
  into?: JsonObject,
): unknown {
  const stop = delimitedEnd(reader, end, path);
  if (isSpecial(type)) {
    return decodeSpecial(reader, stop, type, path);
  }
  const target = into ?? {};
  decodeFields(reader, stop, type, target, path, false);
  return target;
}

function decodeMapEntry(
  reader: protobuf.Reader,
  end: number,
  field: protobuf.MapField,
  type: protobuf.Type,
  path: string,
): [string, unknown] {
  const stop = delimitedEnd(reader, end, path);
  let key = '';
  let value: unknown = undefined;
  while (reader.pos < stop) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    const wireType = tag & 7;
    if (id === 1) {
      expectWireType(field, wireType, LEN, type, `${path} (map key)`);
      key = readScalar(reader, 'string', stop, path) as string;
    } else if (id === 2) {
      if (field.resolvedType instanceof protobuf.Type) {
        expectWireType(field, wireType, LEN, type, `${path} (map value)`);
        value = decodeMessageValue(reader, stop, field.resolvedType, path);
      } else {
        const expected = SCALAR_WIRE_TYPES[field.type];
        expectWireType(field, wireType, expected, type, `${path} (map value)`);
        value = readScalar(reader, field.type, stop, path);
      }
    } else {
      throw new ProtobufDecodeError(
        `unsupported field ${id} in a map entry of field ${field.id} ` +
          `(${field.name}) of ${fullName(type)} at ${path}`,
      );
    }
  }
  if (reader.pos !== stop) {
    throw new ProtobufDecodeError(`truncated map entry at ${path}`);
  }
  return [key, value ?? ''];
}

function isZero(value: unknown): boolean {
  return value === 0 || value === false;
}

/**
 * Decodes the fields of one message from `reader` up to `end` into `target`,
 * applying the JSON mapping rules. With `raw`, values are stored as decoded
 * (used for the special types).
 */
function decodeFields(
  reader: protobuf.Reader,
  end: number,
  type: protobuf.Type,
  target: JsonObject,
  path: string,
  raw: boolean,
): void {
  while (reader.pos < end) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    const wireType = tag & 7;
    if (reader.pos > end) {
      throw new ProtobufDecodeError(`truncated field tag at ${where(path)}`);
    }
    const field = type.fieldsById[id];
    if (!field) {
      throw new ProtobufDecodeError(
        `unsupported field ${id} (wire type ${wireType}) of ${fullName(
          type,
        )} at ${where(path)}`,
      );
    }
    field.resolve();
    const name = field.name;
    const fieldPath = path ? `${path}.${name}` : name;

    if (field instanceof protobuf.MapField) {
      expectWireType(field, wireType, LEN, type, fieldPath);
      const [key, value] = decodeMapEntry(reader, end, field, type, fieldPath);
      const map = (target[name] ?? {}) as JsonObject;
      map[key] = value;
      target[name] = map;
    } else if (field.resolvedType instanceof protobuf.Type) {
      const messageType = field.resolvedType;
      expectWireType(field, wireType, LEN, type, fieldPath);
      if (field.repeated) {
        const list = (target[name] ?? []) as unknown[];
        const value = decodeMessageValue(
          reader,
          end,
          messageType,
          `${fieldPath}[${list.length}]`,
        );
        list.push(value === undefined ? null : value);
        target[name] = list;
      } else if (option(field, 'inline') && !raw) {
        decodeMessageValue(reader, end, messageType, path, target);
      } else {
        const existing = target[name];
        const value = decodeMessageValue(
          reader,
          end,
          messageType,
          fieldPath,
          existing && typeof existing === 'object' && !Array.isArray(existing)
            ? (existing as JsonObject)
            : undefined,
        );
        const empty =
          value === undefined ||
          (option(field, 'omitempty') &&
            typeof value === 'object' &&
            value !== null &&
            Object.keys(value).length === 0);
        if (empty && !raw) {
          delete target[name];
        } else {
          target[name] = value;
        }
      }
    } else if (field.resolvedType) {
      throw new ProtobufDecodeError(
        `field ${id} (${name}) of ${fullName(type)} has an unsupported type`,
      );
    } else {
      const expected = SCALAR_WIRE_TYPES[field.type];
      if (expected === undefined) {
        throw new ProtobufDecodeError(
          `field ${id} (${name}) of ${fullName(type)} has unsupported type ${
            field.type
          }`,
        );
      }
      if (field.repeated) {
        const list = (target[name] ?? []) as unknown[];
        if (wireType === LEN && expected === VARINT) {
          // packed encoding
          const stop = delimitedEnd(reader, end, fieldPath);
          while (reader.pos < stop) {
            list.push(readScalar(reader, field.type, stop, fieldPath));
          }
          if (reader.pos !== stop) {
            throw new ProtobufDecodeError(`truncated list at ${fieldPath}`);
          }
        } else {
          expectWireType(field, wireType, expected, type, fieldPath);
          list.push(readScalar(reader, field.type, end, fieldPath));
        }
        target[name] = list;
      } else {
        expectWireType(field, wireType, expected, type, fieldPath);
        const value = readScalar(reader, field.type, end, fieldPath);
        const omit =
          !raw &&
          ((value === '' && !option(field, 'keepempty')) ||
            (isZero(value) && option(field, 'omitzero')));
        if (omit) {
          delete target[name];
        } else {
          target[name] = value;
        }
      }
    }
    if (reader.pos > end) {
      throw new ProtobufDecodeError(`truncated body at ${fieldPath}`);
    }
  }
}

/** Decodes a whole message of `type` from `bytes`. */
function decodeMessage(
  bytes: Uint8Array,
  type: protobuf.Type,
  path: string,
  raw: boolean,
): JsonObject {
  const reader = protobuf.Reader.create(bytes);
  const target: JsonObject = {};
  try {
    decodeFields(reader, bytes.length, type, target, path, raw);
  } catch (error) {
    if (error instanceof ProtobufDecodeError) {
      throw error;
    }
    // protobufjs throws RangeError("index out of range") past the buffer end
    throw new ProtobufDecodeError(
      `truncated or malformed ${fullName(type)}: ${String(
        (error as Error)?.message ?? error,
      )}`,
    );
  }
  if (reader.pos !== bytes.length) {
    throw new ProtobufDecodeError(`truncated ${fullName(type)}`);
  }
  return target;
}

/** Whether a Content-Type header names the Kubernetes protobuf encoding. */
export function isKubernetesProtobuf(contentType: string | undefined): boolean {
  if (!contentType) {
    return false;
  }
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  return mediaType === PROTOBUF_MEDIA_TYPE;
}

/** Decodes a `k8s\0`-prefixed protobuf body into the JSON form of the object. */
export function decodeKubernetesProtobuf(
  body: Uint8Array,
): Record<string, unknown> {
  if (
    body.length < MAGIC.length ||
    MAGIC.some((byte, index) => body[index] !== byte)
  ) {
    throw new ProtobufDecodeError(
      'not a Kubernetes protobuf body: missing the k8s\\0 magic prefix',
    );
  }
  const root = loadSchema();
  const unknown = decodeMessage(
    body.subarray(MAGIC.length),
    root.lookupType(UNKNOWN),
    'Unknown',
    true,
  );
  const typeMeta = (unknown.typeMeta ?? {}) as JsonObject;
  const apiVersion = (typeMeta.apiVersion as string | undefined) ?? '';
  const kind = (typeMeta.kind as string | undefined) ?? '';
  if (!kind) {
    throw new ProtobufDecodeError('the protobuf envelope names no kind');
  }
  const contentEncoding = (unknown.contentEncoding as string | undefined) ?? '';
  if (contentEncoding !== '') {
    throw new ProtobufDecodeError(
      `unsupported contentEncoding "${contentEncoding}" for ${kind}`,
    );
  }
  const typeName = KINDS[`${apiVersion}/${kind}`];
  if (!typeName) {
    throw new ProtobufDecodeError(
      `unsupported kind ${kind} (apiVersion ${
        apiVersion || '""'
      }) in protobuf body; supported: ${Object.keys(KINDS)
        .map(k => k.replace(/\/(\w+)$/, ' $1'))
        .join(', ')}`,
    );
  }
  const raw = (unknown.raw as Uint8Array | undefined) ?? new Uint8Array();
  const object = decodeMessage(raw, root.lookupType(typeName), '', false);
  return {
    apiVersion,
    kind,
    ...object,
    metadata: object.metadata ?? {},
  };
}
