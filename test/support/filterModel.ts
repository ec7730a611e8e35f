/**
 * The tests' oracle for search and report filters: what matches, written out
 * field by field and shared with nothing in the package, so a mistake in
 * the package's filter table cannot hide in its own model.
 */
export type ModelRow = {
  seq: number;
  action: string;
  actorId?: string;
  tenantId?: string;
  resourceType: string;
  resourceId: string;
  severity: string;
  status: string;
  category: string;
  tags: string[];
  timestamp: number;
};

export type ModelFilters = {
  severity?: string[];
  actions?: string[];
  tags?: string[];
  actorIds?: string[];
  tenantId?: string;
  status?: string;
  category?: string;
  resourceType?: string;
  resourceId?: string;
  fromTimestamp?: number;
  toTimestamp?: number;
};

export function modelMatch(r: ModelRow, f: ModelFilters): boolean {
  return (
    (f.fromTimestamp === undefined || r.timestamp >= f.fromTimestamp) &&
    (f.toTimestamp === undefined || r.timestamp <= f.toTimestamp) &&
    (f.tenantId === undefined || r.tenantId === f.tenantId) &&
    (f.severity === undefined || f.severity.includes(r.severity)) &&
    (f.actions === undefined || f.actions.includes(r.action)) &&
    (f.actorIds === undefined || (r.actorId !== undefined && f.actorIds.includes(r.actorId))) &&
    (f.resourceType === undefined || r.resourceType === f.resourceType) &&
    (f.resourceId === undefined || r.resourceId === f.resourceId) &&
    (f.status === undefined || r.status === f.status) &&
    (f.category === undefined || r.category === f.category) &&
    (f.tags === undefined || f.tags.every((tag) => r.tags.includes(tag)))
  );
}

/** Newest first; rows logged in the same millisecond, the later one first. */
export const newestFirst = <R extends ModelRow>(rows: R[]) => [...rows].sort((a, b) => b.timestamp - a.timestamp || b.seq - a.seq);
