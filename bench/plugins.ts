/**
 * Scenario groups that live in their own files (one per capability), run
 * after the core read scenarios and before the write scenarios (which add
 * events the model does not hold), in this order. Retention deletes events,
 * so it must stay last; a group that writes events must add them to the model.
 */
import type { Model } from "./model.js";
import type { Workload } from "../dev/workload.js";
import type { Runtime } from "./runtime.js";

export type Ctx = Parameters<Parameters<Runtime["run"]>[0]>[0];
export type Cost = {
  documentsRead: number;
  bytesRead: number;
  documentsWritten: number;
  bytesWritten: number;
  databaseQueries: number;
};
export type Target = { text: string; met: (s: Cost & { rows: number }) => boolean };

export type BenchEnv = {
  t: Runtime;
  w: Workload;
  model: Model;
  pageSize: number;
  /** Runs `fn` in its own transaction and returns its result with what it alone cost. */
  measure: <T>(fn: (ctx: Ctx) => Promise<T>) => Promise<{ result: T; cost: Cost }>;
  /** Adds a row to results.json; `correct` is the comparison with the model. */
  record: (name: string, cost: Cost, rows: number, correct: boolean, target: Target, note: string) => void;
};

export type ScenarioGroup = { name: string; run: (env: BenchEnv) => Promise<void> };

import { searchScenarios } from "./search.js";
import { reportScenarios } from "./reports.js";
import { statsScenarios } from "./stats.js";
import { retentionScenarios } from "./retention.js";

export const PLUGINS: ScenarioGroup[] = [searchScenarios, reportScenarios, statsScenarios, retentionScenarios];
