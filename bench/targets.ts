/**
 * The core scenarios' query targets, chosen from the seeded data the way a
 * real caller would hit it: the busiest actor and tenant, a resource with a
 * typical number of events, and the busiest resource (the one whose history
 * needs a second page). Chosen once, after seeding and before any group runs,
 * so every group (and the results file's `targets`) sees the same ones
 * whichever groups `--only` selects.
 */
import { RESOURCE_TYPES, resourceId, type Workload } from "../dev/workload.js";
import type { Model } from "./model.js";

export type Targets = {
  busyActor: string;
  busyTenant: string;
  typicalDoc: string;
  hotDoc: string;
  actorCounts: Map<string, number>;
  tenantCounts: Map<string, number>;
  /** Events per document resource. */
  resCounts: Map<string, number>;
  meanDoc: number;
};

export function chooseTargets(w: Workload, model: Model): Targets {
  const actorCounts = model.countBy((r) => (r.actor >= 0 ? w.actorIds[r.actor] : undefined));
  const resCounts = model.countBy((r) => (RESOURCE_TYPES[r.resourceType] === "document" ? resourceId(w, r) : undefined));
  const tenantCounts = model.countBy((r) => (r.tenant >= 0 ? w.tenants[r.tenant] : undefined));
  const maxKey = (m: Map<string, number>) => [...m].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  const busyActor = maxKey(actorCounts);
  const busyTenant = maxKey(tenantCounts);
  const hotDoc = maxKey(resCounts);
  const meanDoc = [...resCounts.values()].reduce((a, b) => a + b, 0) / resCounts.size;
  const typicalDoc = [...resCounts].reduce((a, b) => (Math.abs(b[1] - meanDoc) < Math.abs(a[1] - meanDoc) ? b : a))[0];
  return { busyActor, busyTenant, typicalDoc, hotDoc, actorCounts, tenantCounts, resCounts, meanDoc };
}

/** The one-line summary the bench prints before the scenarios. */
export function describeTargets(x: Targets): string {
  return (
    `Targets: actor ${x.busyActor} (${x.actorCounts.get(x.busyActor)} events), tenant ${x.busyTenant} (${x.tenantCounts.get(x.busyTenant)}), ` +
    `typical document ${x.typicalDoc} (${x.resCounts.get(x.typicalDoc)}; mean ${x.meanDoc.toFixed(1)}), hot document ${x.hotDoc} (${x.resCounts.get(x.hotDoc)})`
  );
}

/** The results file's `targets`. */
export function targetsRecord(x: Targets) {
  return {
    busyActor: { id: x.busyActor, events: x.actorCounts.get(x.busyActor) },
    busyTenant: { id: x.busyTenant, events: x.tenantCounts.get(x.busyTenant) },
    typicalDocument: { id: x.typicalDoc, events: x.resCounts.get(x.typicalDoc), meanPerDocument: Math.round(x.meanDoc * 100) / 100 },
    hotDocument: { id: x.hotDoc, events: x.resCounts.get(x.hotDoc) },
  };
}
