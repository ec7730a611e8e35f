/**
 * The bench's scenario groups, one module each, and what the driver
 * (run.ts) hands every group. They run in the order of `SCENARIO_GROUPS`,
 * which `--only` selects from by name.
 */
import type { Model } from "./model.js";
import type { Workload } from "../dev/workload.js";
import type { Runtime } from "./runtime.js";
import type { Targets } from "./targets.js";

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
  /** The workload's `--seed`. */
  seed: number;
  model: Model;
  /** Chosen once after seeding (targets.ts), so every group sees the same. */
  targets: Targets;
  pageSize: number;
  /** Runs `fn` in its own transaction and returns its result with what it alone cost. */
  measure: <T>(fn: (ctx: Ctx) => Promise<T>) => Promise<{ result: T; cost: Cost }>;
  /**
   * Adds a row to results.json; `correct` is the comparison with the model.
   * Returns the row as it will be written, so a group may add fields of its
   * own to it (delivery.ts does).
   */
  record: (name: string, cost: Cost, rows: number, correct: boolean, target: Target, note: string) => Record<string, unknown>;
};

export type ScenarioGroup = { name: string; run: (env: BenchEnv) => Promise<void> };

import { queryScenarios, writeScenarios } from "./core.js";
import { searchScenarios } from "./search.js";
import { reportScenarios } from "./reports.js";
import { statsScenarios } from "./stats.js";
import { retentionScenarios } from "./retention.js";
import { integrityScenarios } from "./integrity.js";
import { deliveryScenarios } from "./delivery.js";

/**
 * The reads run while the table holds exactly the model's rows. Retention
 * deletes events, so it comes after every other read; the writes come last
 * because they add events the model does not hold. A group that writes
 * events before then must add them to the model.
 */
export const SCENARIO_GROUPS: ScenarioGroup[] = [
  queryScenarios,
  searchScenarios,
  reportScenarios,
  statsScenarios,
  // Seals every event (its own cost), so retention, which deletes only sealed events, finds them sealed.
  integrityScenarios,
  // Delivers every sealed event (before retention deletes some); adding and removing its two sinks logs four events, newer than any cutoff.
  deliveryScenarios,
  retentionScenarios,
  writeScenarios,
];
