/**
 * `convex-audit-log/react`: hooks over the queries your app exposes with
 * `exposeAuditLogApi`, and a drop-in `<AuditLogViewer>` for an admin page.
 */
export type { AuditEvent, Severity, Change } from "../shared/validators.js";
export type { SearchFilters } from "../shared/filters.js";
export {
  useAuditLogByResource,
  useAuditLogByActor,
  useWatchCriticalEvents,
  useAuditLogStats,
  usePaginatedAuditLog,
  usePaginatedAuditLogByResource,
  usePaginatedAuditLogByActor,
  usePaginatedAuditLogByTenant,
  useAuditLogSearch,
  useAuditedMutation,
  DEFAULT_PAGE_SIZE,
} from "./hooks.js";
export { throwIfAuditFailure, isAuditFailure } from "../shared/auditFailure.js";
export type { AuditFailure } from "../shared/auditFailure.js";
export type {
  PaginatedEventQuery,
  PaginatedAuditLogOptions,
  PaginatedAuditLogHook,
  ResourceListArgs,
  ActorListArgs,
  TenantListArgs,
  SearchArgs,
} from "./hooks.js";
export { formatTimestamp, getSeverityColor } from "./format.js";
/** For rule forms that check what detectAnomalies accepts before asking. */
export { ANOMALY_LIMITS } from "../shared/stats.js";
export { AuditLogViewer, AuditEventDiff } from "./AuditLogViewer.js";
export type { AuditLogViewerProps } from "./AuditLogViewer.js";
export { AuditLogErrorBoundary, AuditLogErrorMessage, describeAuditLogError } from "./ErrorBoundary.js";
export type { AuditLogErrorInfo } from "./ErrorBoundary.js";
export { validateAuditFilters, parseLocalDateTime, toLocalDateTime, EMPTY_FILTERS, FILTER_LIMITS } from "./filters.js";
export type { AuditFilterDraft, ValidatedFilters } from "./filters.js";
export { eventsToCsv, eventsToJson, downloadText, VIEWER_EXPORT_FIELDS } from "./exportEvents.js";
export { EventSeal } from "./EventSeal.js";
export type { ProveEventQuery } from "./EventSeal.js";
export { verifyReceipt } from "../shared/receipt.js";
export type { ReceiptCheck } from "../shared/receipt.js";
