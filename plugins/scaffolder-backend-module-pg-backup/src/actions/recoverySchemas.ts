/*
 * The zod fields the actions share, built from the `z` the scaffolder hands to each schema
 * function. Defaults are documented here and applied in the handlers: the scaffolder validates
 * inputs against the JSON Schema generated from these fields, which never fills defaults in.
 */
import { TemplateActionOptions } from '@backstage/plugin-scaffolder-node';

/** The zod namespace the scaffolder passes to `schema.input` and `schema.output`. */
export type Zod = Parameters<
  NonNullable<NonNullable<TemplateActionOptions['schema']>['input']>[string]
>[0];

/** `entityRef`: the database entity. */
export const entityRefField = (z: Zod) =>
  z
    .string()
    .min(1)
    .describe(
      'The database entity, e.g. resource:default/qawave-postgresql (kind Resource, spec.type database, with pg-backup annotations); a bare name means a Resource in the default namespace.',
    );

/** `backupKey`: which backup. */
export const backupKeyField = (z: Zod) =>
  z
    .string()
    .optional()
    .describe(
      'Object key of the backup, e.g. postgresql/daily/qawave_20261124_020000.dump (the BackupPicker field gives it). Default: the newest verified complete backup, else the newest complete one. Incomplete backups (no manifest, checksum mismatch) are refused.',
    );

const REASON =
  'Why this is done, in a sentence; recorded in the audit trail and shown to approvers.';

/** `reason`: why, for the audit trail. */
export const reasonField = (z: Zod) => z.string().optional().describe(REASON);

/** `reason`, required: approvals and emergencies must say why. */
export const requiredReasonField = (z: Zod) =>
  z.string().min(3).describe(REASON);

/** `approvalId`: the approval the operation runs under. */
export const approvalIdField = (z: Zod) =>
  z
    .string()
    .optional()
    .describe(
      'Id of an approved approval request (output of pg-backup:approval:wait); required for live restores and emergency recoveries, and for any restore where the backend is configured so. Each approval is used once.',
    );

/** `confirmation`: the database name typed by the user. */
export const confirmationField = (z: Zod) =>
  z
    .string()
    .optional()
    .describe(
      "The database name typed by the user as confirmation; required for live restores and emergency recoveries, and must equal the entity's database.",
    );

/** `target`: where a restore goes. */
export const restoreTargetField = (z: Zod) =>
  z
    .object({
      kind: z
        .enum(['new-database', 'other-namespace', 'live'])
        .optional()
        .describe(
          'new-database (default): a database that must not exist yet, on the same server. other-namespace: the database server of another namespace or cluster. live: over the database itself (needs approvalId and confirmation; a safety backup is taken first).',
        ),
      database: z
        .string()
        .optional()
        .describe(
          'Target database name ([a-z_][a-z0-9_]{0,62}). new-database default: <database>_restored_<yyyymmddhhmm>. live default: the confirmation (the backend checks it is the entity database). Required for other-namespace.',
        ),
      namespace: z
        .string()
        .optional()
        .describe('Target namespace; required for other-namespace.'),
      cluster: z
        .string()
        .optional()
        .describe(
          'Target cluster for other-namespace, a kubernetes.clusterLocatorMethods cluster name; default the database’s own cluster.',
        ),
    })
    .describe('Where to restore; default a new database on the same server.');

/** `dryRun` output: set on dry runs. */
export const dryRunOutput = (z: Zod) =>
  z
    .boolean()
    .optional()
    .describe(
      'True when the step ran as a dry run: nothing was changed and only `plan` is set.',
    );

/** `plan` output: the backend's plan for a dry run. */
export const planOutput = (z: Zod) =>
  z
    .object({
      kind: z.string().describe('What would run.'),
      entityRef: z.string().describe('The database entity.'),
      backupKey: z.string().describe('The backup that would be used.'),
      target: z
        .object({
          kind: z.string(),
          database: z.string(),
          namespace: z.string().optional(),
          cluster: z.string().optional(),
        })
        .optional()
        .describe('Where it would be restored.'),
      steps: z
        .array(z.object({ id: z.string(), title: z.string() }))
        .describe('The steps that would run, in order.'),
      approval: z
        .string()
        .describe(
          'not-needed, missing or valid: whether an approval is needed and whether the given one is valid.',
        ),
      problems: z
        .array(z.string())
        .describe(
          'What would make the real run fail; empty when it would start.',
        ),
    })
    .optional()
    .describe(
      'Dry runs only: what the backend would do, with nothing changed.',
    );

/** `operationId` output. */
export const operationIdOutput = (z: Zod) =>
  z
    .string()
    .optional()
    .describe(
      'Id of the operation on the pg-backup backend (GET /api/pg-backup/operations/:id); absent on dry runs.',
    );

/**
 * The outputs every operation action starts with: `dryRun`, `plan`, `operationId` and
 * `backupKey`, the latter described as the action uses it.
 */
export const operationOutputFields = (
  z: Zod,
  backupKeyDescription: string,
) => ({
  dryRun: dryRunOutput(z),
  plan: planOutput(z),
  operationId: operationIdOutput(z),
  backupKey: z.string().describe(backupKeyDescription),
});

/** `target` output: where the restore went. */
export const targetOutput = (z: Zod) =>
  z
    .object({
      kind: z.string().describe('new-database, other-namespace or live.'),
      database: z.string().describe('The database restored into.'),
      namespace: z
        .string()
        .optional()
        .describe('Its namespace, for other-namespace.'),
      cluster: z
        .string()
        .optional()
        .describe('Its cluster, for other-namespace.'),
    })
    .optional()
    .describe('Where the backup was restored.');

/** `verification` output: the agent's report. */
export const verificationOutput = (z: Zod) =>
  z
    .object({
      backupKey: z.string().describe('The backup verified.'),
      database: z.string().describe('The database the checks ran against.'),
      passed: z.boolean().describe('Whether every check passed.'),
      checks: z
        .array(
          z.object({
            name: z
              .string()
              .describe('table-count, rows:<schema.table> or flyway-version.'),
            expected: z
              .union([z.string(), z.number(), z.null()])
              .describe('From the backup manifest.'),
            actual: z
              .union([z.string(), z.number(), z.null()])
              .describe('From the restored database.'),
            passed: z.boolean().describe('Whether they match.'),
          }),
        )
        .describe('Every check.'),
      checkedAt: z.string().describe('When the checks ran (ISO-8601).'),
    })
    .optional()
    .describe('The verification report of the restored data.');
