/* eslint-disable */
/**
 * Generated `ComponentApi` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type { FunctionReference } from "convex/server";

/**
 * A utility for referencing a Convex component's exposed API.
 *
 * Useful when expecting a parameter like `components.myComponent`.
 * Usage:
 * ```ts
 * async function myFunction(ctx: QueryCtx, component: ComponentApi) {
 *   return ctx.runQuery(component.someFile.someQuery, { ...args });
 * }
 * ```
 */
export type ComponentApi<Name extends string | undefined = string | undefined> =
  {
    alerts: {
      claim: FunctionReference<
        "mutation",
        "internal",
        { firings: Array<{ at: number; key: string; windowMs: number }> },
        Array<boolean>,
        Name
      >;
    };
    anomalies: {
      detectAnomalies: FunctionReference<
        "query",
        "internal",
        {
          now?: number;
          rules: Array<{
            action: string;
            baseline?: { k?: number; periodMinutes?: number; periods: number };
            groupBy?: string;
            name?: string;
            tenantId?: string;
            threshold?: number;
            windowMinutes: number;
          }>;
          topActors?: number;
        },
        Array<{
          action: string;
          baseline?: {
            counts: Array<number>;
            k: number;
            mean: number;
            periods: number;
            stddev: number;
          };
          count: number;
          groupBy?: "actor" | "tenant";
          groups: Array<{ count: number; key: string }>;
          limit: number;
          mode: "threshold" | "baseline";
          name?: string;
          rule: number;
          tenantId?: string;
          topActors: Array<{ actorId: string; count: number }>;
          windowEnd: number;
          windowMinutes: number;
          windowStart: number;
        }>,
        Name
      >;
    };
    integrity: {
      addCheckpoint: FunctionReference<
        "mutation",
        "internal",
        { note: string; verifierKeys: Array<string> },
        { note: string; root: string; size: number; time: number },
        Name
      >;
      checkpoints: FunctionReference<
        "query",
        "internal",
        {
          paginationOpts: {
            cursor: string | null;
            endCursor?: string | null;
            id?: number;
            maximumBytesRead?: number;
            maximumRowsRead?: number;
            numItems: number;
          };
        },
        {
          continueCursor: string;
          isDone: boolean;
          page: Array<{
            note: string;
            root: string;
            size: number;
            time: number;
          }>;
        },
        Name
      >;
      eraseSubject: FunctionReference<
        "mutation",
        "internal",
        {
          actorId: string;
          cursor?: string | null;
          personalFields?: Array<string>;
        },
        {
          continueCursor: string | null;
          events: number;
          isDone: boolean;
          sealedEvents: number;
          statDocuments: number;
        },
        Name
      >;
      latestCheckpoint: FunctionReference<
        "query",
        "internal",
        {},
        {
          note: string;
          root: string;
          size: number;
          time: number;
          verifierKeys: Array<string>;
        } | null,
        Name
      >;
      prepareCheckpoint: FunctionReference<
        "mutation",
        "internal",
        { personalFields?: Array<string> },
        { origin: string; root: string; size: number; time: number },
        Name
      >;
      proveConsistency: FunctionReference<
        "query",
        "internal",
        { newSize?: number; oldSize: number },
        {
          checkpoint: {
            note: string;
            root: string;
            size: number;
            time: number;
          };
          newRoot: string;
          newSize: number;
          oldRoot: string;
          oldSize: number;
          proof: Array<string>;
        },
        Name
      >;
      proveEvent: FunctionReference<
        "query",
        "internal",
        { eventId: string; scope?: { actorId?: string; tenantId?: string } },
        {
          checkpoint: {
            note: string;
            root: string;
            size: number;
            time: number;
          };
          event: {
            _creationTime: number;
            _id: string;
            action: string;
            actor: {
              email?: string;
              name?: string;
              role?: string;
              tokenIdentifier?: string;
              type: "user" | "system" | "apiKey" | "service";
            };
            actorId?: string;
            after?: any;
            before?: any;
            category:
              | "auth"
              | "organization"
              | "member"
              | "billing"
              | "security"
              | "admin"
              | "system"
              | "data";
            changes?: Array<{
              after?: any;
              before?: any;
              op: "add" | "remove" | "replace";
              path: Array<string | number>;
              redacted?: boolean;
            }>;
            context?: {
              ip?: string;
              requestId?: string;
              sessionId?: string;
              source?: string;
              userAgent?: string;
            };
            diff?: string;
            errorMessage?: string;
            idempotencyKey?: string;
            metadata?: any;
            resourceId?: string;
            resourceType?: string;
            seal?: {
              erased?: Array<string>;
              paths: Array<Array<string>>;
              salt?: string;
            };
            searchText?: string;
            seq?: number;
            severity: "info" | "warning" | "error" | "critical";
            status: "success" | "failure";
            summary?: string;
            tags?: Array<string>;
            tenantId?: string;
            timestamp: number;
          };
          leafHash: string;
          proof: Array<string>;
          seq: number;
          verifierKeys: Array<string>;
        },
        Name
      >;
      seal: FunctionReference<
        "mutation",
        "internal",
        {
          maxEvents?: number;
          personalFields?: Array<string>;
          settleMs?: number;
        },
        { caughtUp: boolean; root: string; sealed: number; size: number },
        Name
      >;
      status: FunctionReference<
        "query",
        "internal",
        {},
        {
          batches: number;
          lastBatch: { at: number; events: number; maxWaitMs: number } | null;
          latestCheckpoint: { size: number; time: number } | null;
          maxWaitMs: number;
          personalFields: Array<string>;
          root: string;
          size: number;
          status: "running" | "failed" | "new";
          updatedAt: number | null;
        },
        Name
      >;
      verify: FunctionReference<
        "action",
        "internal",
        { fromSeq?: number; toSeq?: number },
        {
          checked: number;
          documentsRead: number;
          expired: Array<{ from: number; to: number }>;
          expiredCount: number;
          fromSeq: number;
          missing: Array<{ from: number; to: number }>;
          missingCount: number;
          modified: Array<{ eventId: string; seq: number }>;
          modifiedCount: number;
          ok: boolean;
          toSeq: number;
        },
        Name
      >;
      verifyPage: FunctionReference<
        "query",
        "internal",
        { fromSeq: number; toSeq: number },
        {
          absent: Array<number>;
          checked: number;
          documentsRead: number;
          modified: Array<{ eventId: string; seq: number }>;
          next: number;
        },
        Name
      >;
    };
    log: {
      log: FunctionReference<
        "mutation",
        "internal",
        {
          event: {
            action: string;
            actor?: {
              email?: string;
              name?: string;
              role?: string;
              tokenIdentifier?: string;
              type?: string;
            };
            actorId?: string;
            after?: any;
            before?: any;
            category?: string;
            context?: {
              ip?: string;
              requestId?: string;
              sessionId?: string;
              source?: string;
              userAgent?: string;
            };
            errorMessage?: string;
            generateDiff?: boolean;
            idempotencyKey?: string;
            metadata?: any;
            resourceId?: string;
            resourceType?: string;
            severity?: string;
            status?: string;
            summary?: string;
            tags?: Array<string>;
            tenantId?: string;
            timestamp?: number;
          };
          options?: {
            hashKey?: string;
            maxEventBytes?: number;
            piiFields?: Array<string | { field: string; mode?: string }>;
            redactDefaults?: boolean;
            redactionMode?: string;
          };
        },
        string,
        Name
      >;
      logBulk: FunctionReference<
        "mutation",
        "internal",
        {
          events: Array<{
            action: string;
            actor?: {
              email?: string;
              name?: string;
              role?: string;
              tokenIdentifier?: string;
              type?: string;
            };
            actorId?: string;
            after?: any;
            before?: any;
            category?: string;
            context?: {
              ip?: string;
              requestId?: string;
              sessionId?: string;
              source?: string;
              userAgent?: string;
            };
            errorMessage?: string;
            generateDiff?: boolean;
            idempotencyKey?: string;
            metadata?: any;
            resourceId?: string;
            resourceType?: string;
            severity?: string;
            status?: string;
            summary?: string;
            tags?: Array<string>;
            tenantId?: string;
            timestamp?: number;
          }>;
          options?: {
            hashKey?: string;
            maxEventBytes?: number;
            piiFields?: Array<string | { field: string; mode?: string }>;
            redactDefaults?: boolean;
            redactionMode?: string;
          };
        },
        Array<string>,
        Name
      >;
    };
    queries: {
      get: FunctionReference<
        "query",
        "internal",
        { id: string; tenantId?: string },
        {
          _creationTime: number;
          _id: string;
          action: string;
          actor: {
            email?: string;
            name?: string;
            role?: string;
            tokenIdentifier?: string;
            type: "user" | "system" | "apiKey" | "service";
          };
          actorId?: string;
          after?: any;
          before?: any;
          category:
            | "auth"
            | "organization"
            | "member"
            | "billing"
            | "security"
            | "admin"
            | "system"
            | "data";
          changes?: Array<{
            after?: any;
            before?: any;
            op: "add" | "remove" | "replace";
            path: Array<string | number>;
            redacted?: boolean;
          }>;
          context?: {
            ip?: string;
            requestId?: string;
            sessionId?: string;
            source?: string;
            userAgent?: string;
          };
          diff?: string;
          errorMessage?: string;
          idempotencyKey?: string;
          metadata?: any;
          resourceId?: string;
          resourceType?: string;
          seal?: {
            erased?: Array<string>;
            paths: Array<Array<string>>;
            salt?: string;
          };
          searchText?: string;
          seq?: number;
          severity: "info" | "warning" | "error" | "critical";
          status: "success" | "failure";
          summary?: string;
          tags?: Array<string>;
          tenantId?: string;
          timestamp: number;
        } | null,
        Name
      >;
      queryByActor: FunctionReference<
        "query",
        "internal",
        {
          actions?: Array<string>;
          actorId: string;
          fromTimestamp?: number;
          paginationOpts: {
            cursor: string | null;
            endCursor?: string | null;
            id?: number;
            maximumBytesRead?: number;
            maximumRowsRead?: number;
            numItems: number;
          };
          tenantId?: string;
          toTimestamp?: number;
        },
        {
          continueCursor: string;
          isDone: boolean;
          page: Array<{
            _creationTime: number;
            _id: string;
            action: string;
            actor: {
              email?: string;
              name?: string;
              role?: string;
              tokenIdentifier?: string;
              type: "user" | "system" | "apiKey" | "service";
            };
            actorId?: string;
            after?: any;
            before?: any;
            category:
              | "auth"
              | "organization"
              | "member"
              | "billing"
              | "security"
              | "admin"
              | "system"
              | "data";
            changes?: Array<{
              after?: any;
              before?: any;
              op: "add" | "remove" | "replace";
              path: Array<string | number>;
              redacted?: boolean;
            }>;
            context?: {
              ip?: string;
              requestId?: string;
              sessionId?: string;
              source?: string;
              userAgent?: string;
            };
            diff?: string;
            errorMessage?: string;
            idempotencyKey?: string;
            metadata?: any;
            resourceId?: string;
            resourceType?: string;
            seal?: {
              erased?: Array<string>;
              paths: Array<Array<string>>;
              salt?: string;
            };
            searchText?: string;
            seq?: number;
            severity: "info" | "warning" | "error" | "critical";
            status: "success" | "failure";
            summary?: string;
            tags?: Array<string>;
            tenantId?: string;
            timestamp: number;
          }>;
          pageStatus?: "SplitRecommended" | "SplitRequired" | null;
          splitCursor?: string | null;
        },
        Name
      >;
      queryByResource: FunctionReference<
        "query",
        "internal",
        {
          actorId?: string;
          fromTimestamp?: number;
          paginationOpts: {
            cursor: string | null;
            endCursor?: string | null;
            id?: number;
            maximumBytesRead?: number;
            maximumRowsRead?: number;
            numItems: number;
          };
          resourceId: string;
          resourceType: string;
          tenantId?: string;
          toTimestamp?: number;
        },
        {
          continueCursor: string;
          isDone: boolean;
          page: Array<{
            _creationTime: number;
            _id: string;
            action: string;
            actor: {
              email?: string;
              name?: string;
              role?: string;
              tokenIdentifier?: string;
              type: "user" | "system" | "apiKey" | "service";
            };
            actorId?: string;
            after?: any;
            before?: any;
            category:
              | "auth"
              | "organization"
              | "member"
              | "billing"
              | "security"
              | "admin"
              | "system"
              | "data";
            changes?: Array<{
              after?: any;
              before?: any;
              op: "add" | "remove" | "replace";
              path: Array<string | number>;
              redacted?: boolean;
            }>;
            context?: {
              ip?: string;
              requestId?: string;
              sessionId?: string;
              source?: string;
              userAgent?: string;
            };
            diff?: string;
            errorMessage?: string;
            idempotencyKey?: string;
            metadata?: any;
            resourceId?: string;
            resourceType?: string;
            seal?: {
              erased?: Array<string>;
              paths: Array<Array<string>>;
              salt?: string;
            };
            searchText?: string;
            seq?: number;
            severity: "info" | "warning" | "error" | "critical";
            status: "success" | "failure";
            summary?: string;
            tags?: Array<string>;
            tenantId?: string;
            timestamp: number;
          }>;
          pageStatus?: "SplitRecommended" | "SplitRequired" | null;
          splitCursor?: string | null;
        },
        Name
      >;
      queryByTenant: FunctionReference<
        "query",
        "internal",
        {
          fromTimestamp?: number;
          paginationOpts: {
            cursor: string | null;
            endCursor?: string | null;
            id?: number;
            maximumBytesRead?: number;
            maximumRowsRead?: number;
            numItems: number;
          };
          tenantId: string;
          toTimestamp?: number;
        },
        {
          continueCursor: string;
          isDone: boolean;
          page: Array<{
            _creationTime: number;
            _id: string;
            action: string;
            actor: {
              email?: string;
              name?: string;
              role?: string;
              tokenIdentifier?: string;
              type: "user" | "system" | "apiKey" | "service";
            };
            actorId?: string;
            after?: any;
            before?: any;
            category:
              | "auth"
              | "organization"
              | "member"
              | "billing"
              | "security"
              | "admin"
              | "system"
              | "data";
            changes?: Array<{
              after?: any;
              before?: any;
              op: "add" | "remove" | "replace";
              path: Array<string | number>;
              redacted?: boolean;
            }>;
            context?: {
              ip?: string;
              requestId?: string;
              sessionId?: string;
              source?: string;
              userAgent?: string;
            };
            diff?: string;
            errorMessage?: string;
            idempotencyKey?: string;
            metadata?: any;
            resourceId?: string;
            resourceType?: string;
            seal?: {
              erased?: Array<string>;
              paths: Array<Array<string>>;
              salt?: string;
            };
            searchText?: string;
            seq?: number;
            severity: "info" | "warning" | "error" | "critical";
            status: "success" | "failure";
            summary?: string;
            tags?: Array<string>;
            tenantId?: string;
            timestamp: number;
          }>;
          pageStatus?: "SplitRecommended" | "SplitRequired" | null;
          splitCursor?: string | null;
        },
        Name
      >;
      watchCritical: FunctionReference<
        "query",
        "internal",
        {
          actorId?: string;
          fromTimestamp?: number;
          limit?: number;
          severity?: Array<string>;
          tenantId?: string;
          toTimestamp?: number;
        },
        Array<{
          _creationTime: number;
          _id: string;
          action: string;
          actor: {
            email?: string;
            name?: string;
            role?: string;
            tokenIdentifier?: string;
            type: "user" | "system" | "apiKey" | "service";
          };
          actorId?: string;
          after?: any;
          before?: any;
          category:
            | "auth"
            | "organization"
            | "member"
            | "billing"
            | "security"
            | "admin"
            | "system"
            | "data";
          changes?: Array<{
            after?: any;
            before?: any;
            op: "add" | "remove" | "replace";
            path: Array<string | number>;
            redacted?: boolean;
          }>;
          context?: {
            ip?: string;
            requestId?: string;
            sessionId?: string;
            source?: string;
            userAgent?: string;
          };
          diff?: string;
          errorMessage?: string;
          idempotencyKey?: string;
          metadata?: any;
          resourceId?: string;
          resourceType?: string;
          seal?: {
            erased?: Array<string>;
            paths: Array<Array<string>>;
            salt?: string;
          };
          searchText?: string;
          seq?: number;
          severity: "info" | "warning" | "error" | "critical";
          status: "success" | "failure";
          summary?: string;
          tags?: Array<string>;
          tenantId?: string;
          timestamp: number;
        }>,
        Name
      >;
    };
    reports: {
      build: FunctionReference<
        "query",
        "internal",
        {
          bom?: boolean;
          endDate: number;
          filters?: {
            actions?: Array<string>;
            actorIds?: Array<string>;
            category?: string;
            fromTimestamp?: number;
            query?: string;
            resourceId?: string;
            resourceType?: string;
            severity?: Array<string>;
            status?: string;
            tags?: Array<string>;
            tenantId?: string;
            toTimestamp?: number;
          };
          format: string;
          groupBy?: string;
          includeFields?: Array<string>;
          scope?: { actorId?: string; tenantId?: string };
          startDate: number;
        },
        {
          bytes: number;
          columns: Array<string>;
          data: string;
          endDate: number;
          format: "csv" | "json";
          generatedAt: number;
          groupBy?: string;
          groups?: Array<{ count: number; key: string | null }>;
          recordCount: number;
          scanned: number;
          sha256: string;
          startDate: number;
        },
        Name
      >;
      cancelExport: FunctionReference<
        "mutation",
        "internal",
        {
          jobId: string;
          options?: {
            hashKey?: string;
            maxEventBytes?: number;
            piiFields?: Array<string | { field: string; mode?: string }>;
            redactDefaults?: boolean;
            redactionMode?: string;
          };
          requestEvent?: {
            action: string;
            actor?: {
              email?: string;
              name?: string;
              role?: string;
              tokenIdentifier?: string;
              type?: string;
            };
            actorId?: string;
            after?: any;
            before?: any;
            category?: string;
            context?: {
              ip?: string;
              requestId?: string;
              sessionId?: string;
              source?: string;
              userAgent?: string;
            };
            errorMessage?: string;
            generateDiff?: boolean;
            idempotencyKey?: string;
            metadata?: any;
            resourceId?: string;
            resourceType?: string;
            severity?: string;
            status?: string;
            summary?: string;
            tags?: Array<string>;
            tenantId?: string;
            timestamp?: number;
          };
          tenantId?: string;
        },
        boolean,
        Name
      >;
      getExport: FunctionReference<
        "query",
        "internal",
        { jobId: string; tenantId?: string },
        {
          bytes: number;
          bytesRead: number;
          columns: Array<string>;
          createdAt: number;
          documentsRead: number;
          endDate: number;
          error?: { code: string; message: string };
          files: Array<{
            bytes: number;
            rows: number;
            sha256: string;
            url: string | null;
          }>;
          filters: {
            actions?: Array<string>;
            actorIds?: Array<string>;
            category?: string;
            fromTimestamp?: number;
            query?: string;
            resourceId?: string;
            resourceType?: string;
            severity?: Array<string>;
            status?: string;
            tags?: Array<string>;
            tenantId?: string;
            toTimestamp?: number;
          };
          finishedAt?: number;
          format: "csv" | "jsonl" | "ocsf" | "sealed";
          jobId: string;
          pages: number;
          requestedBy?: string;
          rowsWritten: number;
          scanned: number;
          startDate: number;
          status: "running" | "done" | "failed" | "canceled";
          tenantId?: string;
          updatedAt: number;
        } | null,
        Name
      >;
      readPart: FunctionReference<
        "action",
        "internal",
        { jobId: string; part: number; tenantId?: string },
        ArrayBuffer | null,
        Name
      >;
      resumeExport: FunctionReference<
        "mutation",
        "internal",
        { jobId: string; tenantId?: string },
        boolean,
        Name
      >;
      startExport: FunctionReference<
        "mutation",
        "internal",
        {
          bom?: boolean;
          endDate: number;
          filters?: {
            actions?: Array<string>;
            actorIds?: Array<string>;
            category?: string;
            fromTimestamp?: number;
            query?: string;
            resourceId?: string;
            resourceType?: string;
            severity?: Array<string>;
            status?: string;
            tags?: Array<string>;
            tenantId?: string;
            toTimestamp?: number;
          };
          format: string;
          includeFields?: Array<string>;
          options?: {
            hashKey?: string;
            maxEventBytes?: number;
            piiFields?: Array<string | { field: string; mode?: string }>;
            redactDefaults?: boolean;
            redactionMode?: string;
          };
          partBytes?: number;
          requestEvent: {
            action: string;
            actor?: {
              email?: string;
              name?: string;
              role?: string;
              tokenIdentifier?: string;
              type?: string;
            };
            actorId?: string;
            after?: any;
            before?: any;
            category?: string;
            context?: {
              ip?: string;
              requestId?: string;
              sessionId?: string;
              source?: string;
              userAgent?: string;
            };
            errorMessage?: string;
            generateDiff?: boolean;
            idempotencyKey?: string;
            metadata?: any;
            resourceId?: string;
            resourceType?: string;
            severity?: string;
            status?: string;
            summary?: string;
            tags?: Array<string>;
            tenantId?: string;
            timestamp?: number;
          };
          scope?: { actorId?: string; tenantId?: string };
          startDate: number;
        },
        string,
        Name
      >;
    };
    retention: {
      cancelCleanup: FunctionReference<
        "mutation",
        "internal",
        { runId: string },
        boolean,
        Name
      >;
      cleanup: FunctionReference<
        "mutation",
        "internal",
        {
          batchSize?: number;
          cursor?: string | null;
          olderThanDays?: number;
          preserveSeverity?: Array<string>;
        },
        {
          continueCursor: string;
          deleted: number;
          isDone: boolean;
          now: number;
          run: {
            deleted: number;
            scanned: number;
            skippedHeld: number;
            skippedNotRolledUp: number;
          };
          scanned: number;
          skippedHeld: number;
          skippedNotRolledUp: number;
        },
        Name
      >;
      getCleanupRun: FunctionReference<
        "query",
        "internal",
        { runId: string },
        {
          _creationTime: number;
          _id: string;
          batchSize: number;
          batches: number;
          bytesRead: number;
          cursor: string | null;
          deleted: number;
          documentsRead: number;
          documentsWritten: number;
          finishedAt?: number;
          now: number;
          olderThanDays?: number;
          preserveSeverity: Array<"info" | "warning" | "error" | "critical">;
          scanned: number;
          seq: number;
          skippedHeld: number;
          skippedNotRolledUp: number;
          startedAt: number;
          status: "running" | "done" | "canceled" | "abandoned";
          updatedAt: number;
        } | null,
        Name
      >;
      getRetentionPolicies: FunctionReference<
        "query",
        "internal",
        {},
        {
          actions: Array<{ action: string; days: number }>;
          categories: Array<{
            category:
              | "auth"
              | "organization"
              | "member"
              | "billing"
              | "security"
              | "admin"
              | "system"
              | "data";
            days: number;
          }>;
          defaultDays: number | null;
        },
        Name
      >;
      listCleanupRuns: FunctionReference<
        "query",
        "internal",
        {
          paginationOpts: {
            cursor: string | null;
            endCursor?: string | null;
            id?: number;
            maximumBytesRead?: number;
            maximumRowsRead?: number;
            numItems: number;
          };
        },
        {
          continueCursor: string;
          isDone: boolean;
          page: Array<{
            _creationTime: number;
            _id: string;
            batchSize: number;
            batches: number;
            bytesRead: number;
            cursor: string | null;
            deleted: number;
            documentsRead: number;
            documentsWritten: number;
            finishedAt?: number;
            now: number;
            olderThanDays?: number;
            preserveSeverity: Array<"info" | "warning" | "error" | "critical">;
            scanned: number;
            seq: number;
            skippedHeld: number;
            skippedNotRolledUp: number;
            startedAt: number;
            status: "running" | "done" | "canceled" | "abandoned";
            updatedAt: number;
          }>;
        },
        Name
      >;
      listHolds: FunctionReference<
        "query",
        "internal",
        {
          includeReleased?: boolean;
          paginationOpts: {
            cursor: string | null;
            endCursor?: string | null;
            id?: number;
            maximumBytesRead?: number;
            maximumRowsRead?: number;
            numItems: number;
          };
        },
        {
          continueCursor: string;
          isDone: boolean;
          page: Array<{
            _creationTime: number;
            _id: string;
            active: boolean;
            actorId?: string;
            placedAt: number;
            placedBy?: string;
            reason?: string;
            releasedAt?: number;
            releasedBy?: string;
            resourceId?: string;
            resourceType?: string;
            tenantId?: string;
          }>;
        },
        Name
      >;
      placeHold: FunctionReference<
        "mutation",
        "internal",
        {
          actorId?: string;
          by?: string;
          options?: {
            hashKey?: string;
            maxEventBytes?: number;
            piiFields?: Array<string | { field: string; mode?: string }>;
            redactDefaults?: boolean;
            redactionMode?: string;
          };
          reason?: string;
          resourceId?: string;
          resourceType?: string;
          tenantId?: string;
        },
        string,
        Name
      >;
      releaseHold: FunctionReference<
        "mutation",
        "internal",
        {
          by?: string;
          holdId: string;
          options?: {
            hashKey?: string;
            maxEventBytes?: number;
            piiFields?: Array<string | { field: string; mode?: string }>;
            redactDefaults?: boolean;
            redactionMode?: string;
          };
        },
        boolean,
        Name
      >;
      setRetentionPolicy: FunctionReference<
        "mutation",
        "internal",
        {
          action?: string;
          by?: string;
          category?: string;
          days: number | null;
          options?: {
            hashKey?: string;
            maxEventBytes?: number;
            piiFields?: Array<string | { field: string; mode?: string }>;
            redactDefaults?: boolean;
            redactionMode?: string;
          };
        },
        null,
        Name
      >;
      startCleanup: FunctionReference<
        "mutation",
        "internal",
        {
          batchSize?: number;
          olderThanDays?: number;
          preserveSeverity?: Array<string>;
        },
        { alreadyRunning: boolean; runId: string },
        Name
      >;
    };
    search: {
      search: FunctionReference<
        "query",
        "internal",
        {
          filters: {
            actions?: Array<string>;
            actorIds?: Array<string>;
            category?: string;
            fromTimestamp?: number;
            query?: string;
            resourceId?: string;
            resourceType?: string;
            severity?: Array<string>;
            status?: string;
            tags?: Array<string>;
            tenantId?: string;
            toTimestamp?: number;
          };
          paginationOpts: {
            cursor: string | null;
            endCursor?: string | null;
            id?: number;
            maximumBytesRead?: number;
            maximumRowsRead?: number;
            numItems: number;
          };
          scanBudget?: number;
          scope?: { actorId?: string; tenantId?: string };
        },
        {
          continueCursor: string;
          isDone: boolean;
          page: Array<{
            _creationTime: number;
            _id: string;
            action: string;
            actor: {
              email?: string;
              name?: string;
              role?: string;
              tokenIdentifier?: string;
              type: "user" | "system" | "apiKey" | "service";
            };
            actorId?: string;
            after?: any;
            before?: any;
            category:
              | "auth"
              | "organization"
              | "member"
              | "billing"
              | "security"
              | "admin"
              | "system"
              | "data";
            changes?: Array<{
              after?: any;
              before?: any;
              op: "add" | "remove" | "replace";
              path: Array<string | number>;
              redacted?: boolean;
            }>;
            context?: {
              ip?: string;
              requestId?: string;
              sessionId?: string;
              source?: string;
              userAgent?: string;
            };
            diff?: string;
            errorMessage?: string;
            idempotencyKey?: string;
            metadata?: any;
            resourceId?: string;
            resourceType?: string;
            seal?: {
              erased?: Array<string>;
              paths: Array<Array<string>>;
              salt?: string;
            };
            searchText?: string;
            seq?: number;
            severity: "info" | "warning" | "error" | "critical";
            status: "success" | "failure";
            summary?: string;
            tags?: Array<string>;
            tenantId?: string;
            timestamp: number;
          }>;
          plan: { covered: boolean; index: string; ranges: number };
          scanned: number;
        },
        Name
      >;
    };
    sinks: {
      backfill: FunctionReference<
        "mutation",
        "internal",
        {
          by?: string;
          fromSeq: number;
          name: string;
          options?: {
            hashKey?: string;
            maxEventBytes?: number;
            piiFields?: Array<string | { field: string; mode?: string }>;
            redactDefaults?: boolean;
            redactionMode?: string;
          };
        },
        { nextSeq: number },
        Name
      >;
      configure: FunctionReference<
        "mutation",
        "internal",
        {
          batchEvents?: number;
          by?: string;
          credentials?: string;
          format?: string;
          fromSeq?: number;
          name: string;
          options?: {
            hashKey?: string;
            maxEventBytes?: number;
            piiFields?: Array<string | { field: string; mode?: string }>;
            redactDefaults?: boolean;
            redactionMode?: string;
          };
          retry?: { baseMs?: number; maxAttempts?: number; maxMs?: number };
          target:
            | {
                addressing?: "path" | "virtual";
                bucket: string;
                checkEtag?: boolean;
                endpoint: string;
                kind: "s3";
                partitionByTenant?: boolean;
                prefix?: string;
                region?: string;
              }
            | { kind: "webhook"; requireAck?: boolean; url: string }
            | { kind: "otlp"; serviceName?: string; url: string }
            | { kind: "convexAudit" };
          timeoutMs?: number;
        },
        { created: boolean },
        Name
      >;
      deliver: FunctionReference<
        "mutation",
        "internal",
        { name?: string },
        number,
        Name
      >;
      get: FunctionReference<
        "query",
        "internal",
        { name: string; now?: number },
        {
          attempts: number;
          batchEvents: number;
          checkpoint: { size: number; time: number } | null;
          createdAt: number;
          format: "event" | "ocsf" | "otlp";
          hasCredentials: boolean;
          lagEvents: number;
          lagSeconds: number;
          lastDeliveredAt: number | null;
          lastDeliveredSeq: number | null;
          lastError: {
            at: number;
            code: string;
            httpStatus?: number;
            message: string;
            retryable: boolean;
          } | null;
          name: string;
          nextAttemptAt: number | null;
          nextSeq: number;
          retry: { baseMs: number; maxAttempts: number; maxMs: number };
          sealedSize: number;
          status: "active" | "retrying" | "paused" | "failed";
          stepPending: boolean;
          target:
            | {
                addressing?: "path" | "virtual";
                bucket: string;
                checkEtag?: boolean;
                endpoint: string;
                kind: "s3";
                partitionByTenant?: boolean;
                prefix?: string;
                region?: string;
              }
            | { kind: "webhook"; requireAck?: boolean; url: string }
            | { kind: "otlp"; serviceName?: string; url: string }
            | { kind: "convexAudit" };
          totals: {
            batches: number;
            bytesSent: number;
            delivered: number;
            documentsRead: number;
            failures: number;
            requests: number;
            skipped: number;
          };
          updatedAt: number;
        } | null,
        Name
      >;
      list: FunctionReference<
        "query",
        "internal",
        {
          now?: number;
          paginationOpts: {
            cursor: string | null;
            endCursor?: string | null;
            id?: number;
            maximumBytesRead?: number;
            maximumRowsRead?: number;
            numItems: number;
          };
        },
        {
          continueCursor: string;
          isDone: boolean;
          page: Array<{
            attempts: number;
            batchEvents: number;
            checkpoint: { size: number; time: number } | null;
            createdAt: number;
            format: "event" | "ocsf" | "otlp";
            hasCredentials: boolean;
            lagEvents: number;
            lagSeconds: number;
            lastDeliveredAt: number | null;
            lastDeliveredSeq: number | null;
            lastError: {
              at: number;
              code: string;
              httpStatus?: number;
              message: string;
              retryable: boolean;
            } | null;
            name: string;
            nextAttemptAt: number | null;
            nextSeq: number;
            retry: { baseMs: number; maxAttempts: number; maxMs: number };
            sealedSize: number;
            status: "active" | "retrying" | "paused" | "failed";
            stepPending: boolean;
            target:
              | {
                  addressing?: "path" | "virtual";
                  bucket: string;
                  checkEtag?: boolean;
                  endpoint: string;
                  kind: "s3";
                  partitionByTenant?: boolean;
                  prefix?: string;
                  region?: string;
                }
              | { kind: "webhook"; requireAck?: boolean; url: string }
              | { kind: "otlp"; serviceName?: string; url: string }
              | { kind: "convexAudit" };
            totals: {
              batches: number;
              bytesSent: number;
              delivered: number;
              documentsRead: number;
              failures: number;
              requests: number;
              skipped: number;
            };
            updatedAt: number;
          }>;
        },
        Name
      >;
      pause: FunctionReference<
        "mutation",
        "internal",
        {
          by?: string;
          name: string;
          options?: {
            hashKey?: string;
            maxEventBytes?: number;
            piiFields?: Array<string | { field: string; mode?: string }>;
            redactDefaults?: boolean;
            redactionMode?: string;
          };
        },
        boolean,
        Name
      >;
      remove: FunctionReference<
        "mutation",
        "internal",
        {
          by?: string;
          name: string;
          options?: {
            hashKey?: string;
            maxEventBytes?: number;
            piiFields?: Array<string | { field: string; mode?: string }>;
            redactDefaults?: boolean;
            redactionMode?: string;
          };
        },
        boolean,
        Name
      >;
      resume: FunctionReference<
        "mutation",
        "internal",
        {
          by?: string;
          name: string;
          options?: {
            hashKey?: string;
            maxEventBytes?: number;
            piiFields?: Array<string | { field: string; mode?: string }>;
            redactDefaults?: boolean;
            redactionMode?: string;
          };
        },
        boolean,
        Name
      >;
    };
    stats: {
      getStats: FunctionReference<
        "query",
        "internal",
        {
          actorId?: string;
          fromTimestamp?: number;
          tenantId?: string;
          toTimestamp?: number;
          topK?: number;
        },
        {
          byCategory: {
            admin: number;
            auth: number;
            billing: number;
            data: number;
            member: number;
            organization: number;
            security: number;
            system: number;
          };
          bySeverity: {
            critical: number;
            error: number;
            info: number;
            warning: number;
          };
          byStatus: { failure: number; success: number };
          distinctActions: number;
          distinctActors: number;
          fromTimestamp: number;
          pendingEvents: number;
          rolledUpThrough: number | null;
          toTimestamp: number;
          topActions: Array<{ action: string; count: number }>;
          topActors: Array<{ actorId: string; count: number }>;
          totalCount: number;
        },
        Name
      >;
      rollup: FunctionReference<
        "mutation",
        "internal",
        { maxEvents?: number; settleMs?: number },
        { caughtUp: boolean; folded: number; rolledUpThrough: number | null },
        Name
      >;
      status: FunctionReference<
        "query",
        "internal",
        {},
        {
          batches: number;
          folded: number;
          rolledUpThrough: number | null;
          updatedAt: number | null;
        },
        Name
      >;
    };
  };
