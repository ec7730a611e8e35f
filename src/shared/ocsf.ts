/**
 * Events as OCSF 1.3 (https://schema.ocsf.io/1.3.0) records, for sinks and
 * exports whose readers are SIEMs (Security Lake, Splunk, Sentinel, Datadog
 * all ingest OCSF). The class and activity of a built-in action come from its
 * catalog row (catalog.ts); an app's own action gets its category's class
 * and an activity read from its last word (`…created` is Create).
 *
 * Every record holds the base event's required attributes (activity,
 * category, class, type, severity, time, metadata with product and version)
 * and its class's: `user` for Authentication (with the `service` signed
 * in to) and Account Change, `entity`
 * for Entity Management, `actor`, `api` and `src_endpoint` for API
 * Activity. What OCSF has no attribute for (the tenant, the diff, the
 * metadata) is kept under `unmapped`, as the schema intends.
 */
import { convexToJson, type Value } from "convex/values";
import { OCSF_CLASSES, OCSF_OF_ACTION, OCSF_OF_CATEGORY, type OcsfClass, type OcsfMapping } from "./catalog.js";
import type { Category, Severity } from "./validators.js";
import type { DeliveredEvent } from "./delivery.js";

export const OCSF_VERSION = "1.3.0";

/** Category, names and activity names of the four classes, as the schema spells them. */
export const OCSF_CLASS_INFO: Readonly<Record<OcsfClass, { name: string; categoryUid: number; categoryName: string; activities: Record<number, string> }>> = {
  [OCSF_CLASSES.ACCOUNT]: {
    name: "Account Change",
    categoryUid: 3,
    categoryName: "Identity & Access Management",
    activities: {
      1: "Create", 2: "Enable", 3: "Password Change", 4: "Password Reset", 5: "Disable", 6: "Delete",
      7: "Attach Policy", 8: "Detach Policy", 9: "Lock", 10: "MFA Factor Enable", 11: "MFA Factor Disable", 99: "Other",
    },
  },
  [OCSF_CLASSES.AUTHN]: {
    name: "Authentication",
    categoryUid: 3,
    categoryName: "Identity & Access Management",
    activities: { 1: "Logon", 2: "Logoff", 3: "Authentication Ticket", 4: "Service Ticket Request", 5: "Service Ticket Renew", 6: "Preauth", 99: "Other" },
  },
  [OCSF_CLASSES.ENTITY]: {
    name: "Entity Management",
    categoryUid: 3,
    categoryName: "Identity & Access Management",
    activities: {
      1: "Create", 2: "Read", 3: "Update", 4: "Delete", 5: "Move", 6: "Enroll", 7: "Unenroll", 8: "Enable",
      9: "Disable", 10: "Activate", 11: "Deactivate", 12: "Suspend", 13: "Resume", 99: "Other",
    },
  },
  [OCSF_CLASSES.API]: {
    name: "API Activity",
    categoryUid: 6,
    categoryName: "Application Activity",
    activities: { 1: "Create", 2: "Read", 3: "Update", 4: "Delete", 99: "Other" },
  },
};

/** OCSF severity_id: 1 Informational, 3 Medium, 4 High, 5 Critical. */
export const OCSF_SEVERITY: Readonly<Record<Severity, number>> = { info: 1, warning: 3, error: 4, critical: 5 };

/** The verbs an app's own action may end with, and the CRUD activity (1–4) each means; anything else is Other. */
const VERBS: ReadonlyArray<readonly [RegExp, number]> = [
  [/(^|[._-])(create|created|add|added|insert|inserted|invite|invited)$/, 1],
  [/(^|[._-])(read|view|viewed|get|list|listed|export|exported|download|downloaded|search|searched)$/, 2],
  [/(^|[._-])(update|updated|change|changed|edit|edited|rename|renamed|set|modified)$/, 3],
  [/(^|[._-])(delete|deleted|remove|removed|revoke|revoked|destroy|destroyed)$/, 4],
];

/** The class and activity of any action: the catalog's row, else its category's class and its verb. */
export function ocsfMapping(action: string, category: Category): OcsfMapping {
  if (Object.prototype.hasOwnProperty.call(OCSF_OF_ACTION, action)) return (OCSF_OF_ACTION as Record<string, OcsfMapping>)[action];
  const classUid = OCSF_OF_CATEGORY[category];
  const verb = VERBS.find(([re]) => re.test(action.toLowerCase()));
  const activity = verb?.[1] ?? 99;
  // Authentication's activities are not CRUD: an app's auth action is Other there unless it says logon/logoff.
  if (classUid === OCSF_CLASSES.AUTHN) {
    if (/(login|logon|sign_?in)$/i.test(action)) return [classUid, 1];
    if (/(logout|logoff|sign_?out)$/i.test(action)) return [classUid, 2];
    return [classUid, 99];
  }
  if (classUid === OCSF_CLASSES.ACCOUNT) return [classUid, activity === 1 ? 1 : activity === 4 ? 6 : 99];
  return [classUid, activity];
}

/** The event fields the mapping reads (delivery.ts's `DeliveredEvent`). */
export type OcsfSource = DeliveredEvent;

const json = (v: unknown) => (v === undefined ? undefined : convexToJson(v as Value));
const compact = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The OCSF `user` of an event's actor (an `actor.user`, or the subject of an IAM event). */
function actorUser(e: OcsfSource): Record<string, unknown> {
  return compact({
    uid: e.actorId,
    name: e.actor?.name ?? (e.actorId === undefined ? (e.actor?.type ?? "unknown") : undefined),
    email_addr: e.actor?.email,
    type: e.actor?.type,
    groups: e.actor?.role === undefined ? undefined : [{ name: e.actor.role }],
  });
}

/** The user an IAM event is about: the resource when it is a user (an admin acting on someone), else the actor. */
function subjectUser(e: OcsfSource): Record<string, unknown> {
  if (e.resourceType === "user" && e.resourceId !== undefined) return { uid: e.resourceId, type: "user" };
  return actorUser(e);
}

export type OcsfRecord = Record<string, unknown> & {
  class_uid: number;
  activity_id: number;
  category_uid: number;
  type_uid: number;
  severity_id: number;
  time: number;
  metadata: { version: string; product: { name: string; vendor_name: string }; uid: string };
};

/** One event as an OCSF 1.3 record. */
export function toOcsf(e: OcsfSource): OcsfRecord {
  const [classUid, activityId] = ocsfMapping(e.action, e.category);
  const info = OCSF_CLASS_INFO[classUid];
  const base: OcsfRecord = {
    class_uid: classUid,
    class_name: info.name,
    category_uid: info.categoryUid,
    category_name: info.categoryName,
    activity_id: activityId,
    activity_name: activityId === 99 ? e.action : info.activities[activityId],
    type_uid: classUid * 100 + activityId,
    severity_id: OCSF_SEVERITY[e.severity],
    severity: e.severity,
    time: e.timestamp,
    status_id: e.status === "success" ? 1 : 2,
    status: e.status === "success" ? "Success" : "Failure",
    ...(e.errorMessage !== undefined ? { status_detail: e.errorMessage } : {}),
    message: e.summary ?? e.action,
    metadata: compact({
      version: OCSF_VERSION,
      product: { name: "convex-audit-log", vendor_name: "convex-audit-log" },
      uid: e._id,
      logged_time: e._creationTime,
      sequence: e.seq,
      tenant_uid: e.tenantId,
      labels: e.tags,
      correlation_uid: e.context?.requestId,
    }) as OcsfRecord["metadata"],
    actor: compact({
      user: e.actorId !== undefined || e.actor?.name !== undefined ? actorUser(e) : undefined,
      app_name: e.actorId === undefined ? (e.context?.source ?? "convex-audit-log") : undefined,
      session: e.context?.sessionId === undefined ? undefined : { uid: e.context.sessionId },
    }),
    unmapped: compact({
      action: e.action,
      category: e.category,
      tenant_id: e.tenantId,
      resource_type: e.resourceType,
      resource_id: e.resourceId,
      metadata: json(e.metadata),
      changes: json(e.changes),
    }),
  };
  const src = compact({ ip: e.context?.ip, svc_name: e.context?.ip === undefined ? (e.context?.source ?? "convex") : undefined });
  if (e.context?.userAgent !== undefined) base.http_request = { user_agent: e.context.userAgent };
  if (classUid === OCSF_CLASSES.AUTHN || classUid === OCSF_CLASSES.ACCOUNT) {
    base.user = subjectUser(e);
    base.src_endpoint = src;
    if (classUid === OCSF_CLASSES.AUTHN) {
      base.is_mfa = /\.mfa\.|passkey|otp/.test(e.action);
      // The service signed in to: Authentication needs it (or a dst_endpoint, which an app has no address for).
      base.service = { name: e.context?.source ?? "convex" };
    }
  } else if (classUid === OCSF_CLASSES.ENTITY) {
    base.entity = compact({ uid: e.resourceId, name: e.resourceId === undefined ? e.action : undefined, type: e.resourceType ?? e.action.split(".")[0] });
    base.src_endpoint = src;
  } else {
    base.api = { operation: e.action, service: { name: e.context?.source ?? "convex" } };
    base.src_endpoint = src;
    // A resource needs its id (OCSF's resource_details needs a name or uid); a type alone stays in `unmapped`.
    if (e.resourceId !== undefined) base.resources = [compact({ type: e.resourceType, uid: e.resourceId })];
  }
  return base;
}
