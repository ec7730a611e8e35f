import type { ComponentApi } from "../component/_generated/component.js";

export { ACTIONS_BY_CATEGORY, AuditActions, BUILTIN_ACTIONS, SIGN_IN_ACTIONS, defineAuditActions } from "../shared/catalog.js";
export type { ActionCatalog, ActionInfo, BuiltinAction } from "../shared/catalog.js";
export { isAuditLogError, ERROR_CODES } from "../shared/errors.js";
export type { AuditLogErrorCode, AuditLogErrorData } from "../shared/errors.js";
export { diffValues, renderChanges } from "../shared/diff.js";
export { MASK } from "../shared/redact.js";
export {
  SECRET_KEY_PARTS,
  SECRET_KEY_SEQUENCES,
  SECRET_KEY_TOKENS,
  SECRET_KEYS_EXACT,
  SECRET_VALUE_KINDS,
  isSecretKey,
  isCodeSecret,
  redactSecretsInText,
} from "../shared/secrets.js";
export type { SecretValueKind } from "../shared/secrets.js";
export {
  LIMITS,
  SEVERITIES,
  CATEGORIES,
  STATUSES,
  ACTOR_TYPES,
  vEvent,
  vEventPage,
  vSeverity,
  vCategory,
} from "../shared/validators.js";
export type {
  ActorType,
  AuditEvent,
  Category,
  Change,
  EventPage,
  RedactionMode,
  RequestContext,
  Severity,
  Status,
} from "../shared/validators.js";
export type { SearchFilters, SearchPage } from "../shared/filters.js";
export type { ComponentApi };

export { AuditLog } from "./auditLog.js";
export { vEventAlert, vAnomalyAlert, ALERT_LIMITS } from "../shared/alerts.js";
export type { EventAlert, AnomalyAlert } from "../shared/alerts.js";
export { defaultActorFromIdentity, TENANT_CLAIMS } from "./inputs.js";
export { PERMISSION_DENIED_CODES, NESTED_ARG } from "./audited.js";
export type { AuditedOptions, AuditedMutationOptions } from "./audited.js";
export { vAuditFailure, isAuditFailure, throwIfAuditFailure } from "../shared/auditFailure.js";
export type { AuditFailure } from "../shared/auditFailure.js";
export type { IngestOptions } from "./ingest.js";
export type { TableChange, TriggerOptions } from "./triggers.js";
export type * from "./types.js";

export { exposeAuditLogApi } from "./expose.js";
export type { AuditScope, AuditOperation, ExposeOptions, ResourceGrant } from "./expose.js";

export {
  REPORT_FIELDS,
  DEFAULT_REPORT_FIELDS,
  GROUP_FIELDS,
  REPORT_LIMITS,
  FORMATS,
  vReport,
  vReportExport,
} from "../shared/report.js";
export type { Report, ReportExport, ReportField, GroupField, ReportFormat, ExportFormat } from "../shared/report.js";
export { FORMULA_TRIGGERS } from "../shared/csv.js";
export { SEARCH_FILTERS, vSearchFilters, vSearchPage } from "../shared/filters.js";

export { vCleanupRun, vCleanupBatchResult, vLegalHold, vRetentionPolicies, RETENTION_LIMITS } from "../shared/retention.js";
export type { CleanupBatchResult, CleanupRun, CleanupTally, LegalHold, RetentionPolicies } from "../shared/retention.js";

export { vStats, vAnomaly, vAnomalyRule, vRollupResult, vStatsStatus, ANOMALY_LIMITS, MAX_TOP_K } from "../shared/stats.js";
export type { AuditStats, Anomaly, AnomalyRule, RollupResult, StatsStatus } from "../shared/stats.js";

export {
  vCheckpointDoc,
  vConsistencyProof,
  vEventProof,
  vLatestCheckpoint,
  vSealStatus,
  vVerifyReport,
  INTEGRITY_LIMITS,
} from "../shared/integrity.js";
export type { CheckpointDoc, ConsistencyProof, ErasureResult, EventProof, LatestCheckpoint, SealResult, SealStatus, VerifyReport } from "../shared/integrity.js";
export { verifyReceipt } from "../shared/receipt.js";
export type { ReceiptCheck } from "../shared/receipt.js";
export { generateKey, parseVerifierKey, parseSignerKey, parseNote, parseCheckpoint, signedBy } from "../shared/note.js";
export { verifyInclusion, verifyConsistency, leafHash } from "../shared/merkle.js";
export { canonicalJson, eventLeafHash, eventJson } from "../shared/leaf.js";

export {
  SINK_KINDS,
  SINK_STATUSES,
  DELIVERY_LIMITS,
  NO_TENANT_PARTITION,
  vSinkStatus,
  vSinkTarget,
  objectKey,
  checkpointKey,
  utcDay,
} from "../shared/delivery.js";
export type { SinkStatus, SinkTarget, SinkKind, SinkFormat, SinkCredentials, S3Credentials, WebhookCredentials, OtlpCredentials } from "../shared/delivery.js";
export { vSinkCredentialsArgs } from "./sinks.js";
export type { ConfigureSinkArgs } from "./sinks.js";
export { verifyWebhookBatch, webhookAck, deliveredEventId, WEBHOOK_CONTENT_TYPE } from "../shared/webhook.js";
export type { WebhookAck } from "../shared/webhook.js";
export { toOcsf, ocsfMapping, OCSF_VERSION, OCSF_CLASS_INFO, OCSF_SEVERITY } from "../shared/ocsf.js";
export type { OcsfRecord } from "../shared/ocsf.js";
export { OCSF_CLASSES, OCSF_OF_ACTION, OCSF_OF_CATEGORY } from "../shared/catalog.js";
export { otlpLogRecord, otlpRequest, OTLP_SEVERITY } from "../shared/otlp.js";
