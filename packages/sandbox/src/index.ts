/**
 * A local Kubernetes API server, controllers and pod runner that unmodified real clients
 * (`@kubernetes/client-node`, `kubectl`) accept. See README.md for what is emulated.
 *
 * @packageDocumentation
 */

export { Sandbox } from './Sandbox';
export type { SandboxOptions } from './Sandbox';
export { ManualClock, systemClock } from './clock';
export type { Clock } from './clock';
export type { TokenGrant, AccessRule } from './api/authorization';
export type { ImageRuntime, HostBind } from './pods/ImageMap';
export { VIRTUAL_POD_ANNOTATION } from './controllers/WorkloadController';
export { S3Sandbox, freePort, putObjectsInBulk } from './s3/S3Sandbox';
export { GeneratedS3 } from './s3/GeneratedS3';
export type { GeneratedHistories, GeneratedObject } from './s3/GeneratedS3';
export type { S3SandboxOptions } from './s3/S3Sandbox';
export { seedBucket } from './s3/seedBuckets';
export type { BucketSeed, ObjectSeed } from './s3/seedBuckets';
export { backupAgentImage, BACKUP_AGENT_IMAGE } from './pods/backupAgentImage';
export { expandVariables } from './pods/expandVariables';
export { psql } from './world/seedWorld';
export {
  portalAppConfig,
  portalAppConfigYaml,
  portalGrant,
  portalRules,
} from './portal/portalAccess';
export type { PortalEndpoints, PortalNamespace } from './portal/portalAccess';
export { WORLD } from './world/seedWorld';
export { FaultProxy, seededRandom } from './faults/FaultProxy';
export type {
  Fault,
  FaultFlavor,
  FaultProxyOptions,
  FaultRule,
  ProxiedRequest,
} from './faults/FaultProxy';
