/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type * as actorStats from "../actorStats.js";
import type * as alerts from "../alerts.js";
import type * as anomalies from "../anomalies.js";
import type * as background from "../background.js";
import type * as cleanupRuns from "../cleanupRuns.js";
import type * as crons from "../crons.js";
import type * as cursor from "../cursor.js";
import type * as deliveryBatch from "../deliveryBatch.js";
import type * as deliveryConfig from "../deliveryConfig.js";
import type * as deliveryLoop from "../deliveryLoop.js";
import type * as deliverySend from "../deliverySend.js";
import type * as erasure from "../erasure.js";
import type * as integrity from "../integrity.js";
import type * as log from "../log.js";
import type * as loop from "../loop.js";
import type * as paginate from "../paginate.js";
import type * as proofs from "../proofs.js";
import type * as queries from "../queries.js";
import type * as read from "../read.js";
import type * as reportBuild from "../reportBuild.js";
import type * as reportExport from "../reportExport.js";
import type * as reports from "../reports.js";
import type * as retention from "../retention.js";
import type * as retentionConfig from "../retentionConfig.js";
import type * as retentionScan from "../retentionScan.js";
import type * as rollup from "../rollup.js";
import type * as rollupReads from "../rollupReads.js";
import type * as sealedPages from "../sealedPages.js";
import type * as sealing from "../sealing.js";
import type * as search from "../search.js";
import type * as sinks from "../sinks.js";
import type * as stats from "../stats.js";
import type * as statsRead from "../statsRead.js";
import type * as tiles from "../tiles.js";

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";

const fullApi: ApiFromModules<{
  actorStats: typeof actorStats;
  alerts: typeof alerts;
  anomalies: typeof anomalies;
  background: typeof background;
  cleanupRuns: typeof cleanupRuns;
  crons: typeof crons;
  cursor: typeof cursor;
  deliveryBatch: typeof deliveryBatch;
  deliveryConfig: typeof deliveryConfig;
  deliveryLoop: typeof deliveryLoop;
  deliverySend: typeof deliverySend;
  erasure: typeof erasure;
  integrity: typeof integrity;
  log: typeof log;
  loop: typeof loop;
  paginate: typeof paginate;
  proofs: typeof proofs;
  queries: typeof queries;
  read: typeof read;
  reportBuild: typeof reportBuild;
  reportExport: typeof reportExport;
  reports: typeof reports;
  retention: typeof retention;
  retentionConfig: typeof retentionConfig;
  retentionScan: typeof retentionScan;
  rollup: typeof rollup;
  rollupReads: typeof rollupReads;
  sealedPages: typeof sealedPages;
  sealing: typeof sealing;
  search: typeof search;
  sinks: typeof sinks;
  stats: typeof stats;
  statsRead: typeof statsRead;
  tiles: typeof tiles;
}> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
export const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = internal.myModule.myFunction;
 * ```
 */
export const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
> = anyApi as any;

export const components = componentsGeneric() as unknown as {};
