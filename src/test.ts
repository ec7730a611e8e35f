/// <reference types="vite/client" />
import type { TestConvex } from "convex-test";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import schema from "./component/schema.js";

const modules = import.meta.glob("./component/**/*.ts");

/**
 * Registers the component with a convex-test instance.
 * @param t - from `convexTest(schema, modules)`.
 * @param name - the name used in `app.use(...)`; "auditLog" by default.
 */
export function register(
  t: TestConvex<SchemaDefinition<GenericSchema, boolean>>,
  name: string = "auditLog",
) {
  t.registerComponent(name, schema, modules);
}

export default { register, schema, modules };
