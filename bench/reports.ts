/**
 * report_* scenarios: the README's one-transaction CSV report over the newest
 * 10,000 events, and exports of everything (CSV) and of the busiest tenant
 * (JSON Lines) through the background action, to file storage. Every row of
 * every file is read back (a strict RFC 4180 reader for CSV) and compared,
 * in order, cell by cell, with the model.
 */
import { AuditLog } from "../src/client/index.js";
import { ACTIONS, RESOURCE_TYPES, type Row, type Workload } from "../dev/workload.js";
import type { BenchEnv, Cost, ScenarioGroup } from "./plugins.js";
import { auditLogApi } from "./runtime.js";
import { parseCsv } from "../test/support/csv.js";

/** Written out here rather than imported: the bench checks the writer, it must not share its list. */
const TRIGGERS = ["=", "+", "-", "@", "\t", "\r"];
const neutral = (s: string) => (TRIGGERS.includes(s[0] ?? "") ? `'${s}` : s);

/** Model indexes of matching rows in the component's order: newest first, later insert first on ties. */
function newestFirst(rows: Row[], match: (r: Row, i: number) => boolean): number[] {
  const hits: number[] = [];
  for (let i = 0; i < rows.length; i++) if (match(rows[i], i)) hits.push(i);
  return hits.sort((a, b) => rows[b].timestamp - rows[a].timestamp || b - a);
}

/** What the model says each column holds (the bench's own reading of dev/workload.ts's toInput). */
function modelCell(w: Workload, rows: Row[], ids: string[], i: number, column: string): string | undefined {
  const r = rows[i];
  switch (column) {
    case "_id":
      return ids[i];
    case "timestamp":
      return new Date(r.timestamp).toISOString();
    case "action":
      return ACTIONS[r.action].action;
    case "actorId":
      return r.actor >= 0 ? w.actorIds[r.actor] : undefined;
    case "tenantId":
      return r.tenant >= 0 ? w.tenants[r.tenant] : undefined;
    case "resourceType":
      return RESOURCE_TYPES[r.resourceType];
    case "context.ip":
      return `203.0.${(i >> 8) & 255}.${i & 255}`;
    default:
      throw new Error(`the bench's model has no column ${column}`);
  }
}

const sameRows = (a: string[][], b: string[][]) =>
  a.length === b.length && a.every((row, i) => row.length === b[i].length && row.every((c, j) => c === b[i][j]));

export const reportScenarios: ScenarioGroup = {
  name: "reports",
  run: async (env: BenchEnv) => {
    const { t, w, model, measure, record } = env;
    const auditLog = new AuditLog(auditLogApi);
    const rows = model.rows;

    // report_csv_10k: the README's call over the newest 10,000 events (the window
    // ends where the data ends, so the bench's own writes stay out of it).
    {
      const order = newestFirst(rows, () => true);
      let from = rows[order[9_999]].timestamp;
      if (rows[order[10_000]]?.timestamp === from) from += 1; // a tie at the edge: stay at or under 10,000
      const expected = order.filter((i) => rows[i].timestamp >= from);
      const columns = ["timestamp", "action", "actorId", "resourceType"];
      // Grouped by action (ascending), newest first inside each group: a stable sort of the newest-first list.
      const grouped = [...expected].sort((a, b) => {
        const x = ACTIONS[rows[a].action].action;
        const y = ACTIONS[rows[b].action].action;
        return x === y ? 0 : x < y ? -1 : 1;
      });
      const { result: report, cost } = await measure((ctx) =>
        auditLog.generateReport(ctx, {
          startDate: from,
          endDate: w.end,
          format: "csv",
          includeFields: ["timestamp", "action", "actorId", "resourceType"],
          groupBy: "action",
        }),
      );
      const parsed = parseCsv(report.data);
      const want = [columns, ...grouped.map((i) => columns.map((c) => neutral(modelCell(w, rows, model.ids, i, c) ?? "")))];
      const correct = report.recordCount === expected.length && sameRows(parsed, want);
      record(
        "report_csv_10k",
        cost,
        report.recordCount,
        correct,
        { text: "reads ≤ rows + 2, one transaction", met: (s) => s.documentsRead <= s.rows + 2 },
        `the README's call (4 columns, groupBy action) over the newest ${expected.length} events; ${report.bytes} bytes of CSV, ` +
          `${report.groups?.length} groups; the 1 write is the report's own audit event`,
      );
    }

    // Exports through the action, page by page, to file storage.
    const exportCase = async (
      name: string,
      note: string,
      format: "csv" | "jsonl",
      columns: string[],
      filters: { tenantId?: string },
      match: (r: Row) => boolean,
    ) => {
      const start = await measure((ctx) =>
        auditLog.exportReport(ctx, {
          startDate: 0,
          endDate: w.end,
          format,
          includeFields: columns as never,
          filters,
        }),
      );
      const jobId = start.result;
      await t.finishAllScheduledFunctions(() => {}, 100_000);
      const job = await t.run((ctx) => ctx.runQuery(auditLogApi.reports.getExport, { jobId }));
      if (job === null || job.status !== "done") throw new Error(`${name}: export ${jobId} ended ${job?.status}: ${job?.error?.message}`);
      const decoder = new TextDecoder();
      let text = "";
      for (let part = 0; part < job.files.length; part++) {
        const bytes = await t.action(auditLogApi.reports.readPart, { jobId, part });
        if (bytes === null) throw new Error(`${name}: part ${part} is missing`);
        text += decoder.decode(bytes, { stream: part < job.files.length - 1 });
      }
      const expected = newestFirst(rows, (r) => match(r));
      const want = expected.map((i) => columns.map((c) => modelCell(w, rows, model.ids, i, c)));
      let correct: boolean;
      if (format === "csv") {
        correct = sameRows(parseCsv(text), [columns, ...want.map((r) => r.map((c) => neutral(c ?? "")))]);
      } else {
        const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : [text];
        correct =
          lines.length === want.length &&
          lines.every((line, k) => {
            const obj = JSON.parse(line) as Record<string, unknown>;
            return columns.every((c, j) =>
              c === "timestamp" ? obj[c] === rows[expected[k]].timestamp : obj[c] === (want[k][j] ?? null),
            );
          });
      }
      // Reads are summed from each page's own transaction metrics (the pages run
      // inside scheduled actions, outside `measure`); writes are the start call's.
      const cost: Cost = {
        documentsRead: job.documentsRead,
        bytesRead: job.bytesRead,
        documentsWritten: start.cost.documentsWritten,
        bytesWritten: start.cost.bytesWritten,
        databaseQueries: start.cost.databaseQueries,
      };
      const perPage = 3;
      record(
        name,
        cost,
        job.rowsWritten,
        correct && job.rowsWritten === expected.length,
        {
          text: `reads ≤ rows + ${perPage} × pages`,
          met: (s) => s.documentsRead <= s.rows + perPage * job.pages,
        },
        `${note}; ${job.pages} pages (queries) in ${job.files.length} file parts, ${job.bytes.toLocaleString("en")} bytes, ` +
          `${job.scanned.toLocaleString("en")} events scanned; written: the job and the request's audit event ` +
          `(then one job patch per part and the completion event)`,
      );
    };

    await exportCase(
      "report_export_all_csv",
      "every event, CSV (_id, timestamp, action, actorId, tenantId, context.ip)",
      "csv",
      ["_id", "timestamp", "action", "actorId", "tenantId", "context.ip"],
      {},
      () => true,
    );
    const tenantCounts = model.countBy((r) => (r.tenant >= 0 ? w.tenants[r.tenant] : undefined));
    const busyTenant = [...tenantCounts].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
    const tenantIndex = w.tenants.indexOf(busyTenant);
    await exportCase(
      "report_export_tenant_jsonl",
      `busiest tenant ${busyTenant}, JSON Lines (by_tenant)`,
      "jsonl",
      ["_id", "timestamp", "action", "actorId", "tenantId"],
      { tenantId: busyTenant },
      (r) => r.tenant === tenantIndex,
    );
  },
};
