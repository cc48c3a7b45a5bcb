/**
 * The backup agent run inside the backup, checkpoint, restore and verify Jobs: `pg_dump` streamed
 * to S3 with a checksum and a manifest, and checked restores and verifications from it.
 *
 * @packageDocumentation
 */

export { runAgent } from './cli';
export type { AgentIo } from './cli';
export { ExitCode, AgentError } from './AgentError';
export { AGENT_COMMANDS, readAgentConfig } from './config';
export type { AgentCommand, AgentConfig } from './config';
export { manifestKeyFor, parseManifest } from './manifest';
export type { BackupManifest } from './manifest';
export { compareWithManifest } from './verifyDatabase';
export type { VerificationCheck, VerificationReport } from './verifyDatabase';
