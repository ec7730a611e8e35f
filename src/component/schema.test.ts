/// <reference types="vite/client" />
import { describe, expect, test } from "vitest";
import { initConvexTest } from "./setup.test.js";
import { api } from "./_generated/api.js";


describe("the component on its own", () => {
  test("the search index finds events by word and tag, scoped by tenant", async () => {
    const t = initConvexTest(true);
    await t.mutation(api.log.logBulk, {
      events: [
        { action: "invoice.paid", tenantId: "org1", summary: "Invoice 42 paid", tags: ["billing"] },
        { action: "invoice.paid", tenantId: "org2", summary: "Invoice 43 paid", tags: ["billing"] },
        { action: "user.login", tenantId: "org1", tags: ["auth"], metadata: { password: "hunter2" } },
      ],
    });
    const found = await t.run((ctx) =>
      ctx.db
        .query("events")
        .withSearchIndex("search_text", (q) => q.search("searchText", "tag:billing").eq("tenantId", "org1"))
        .collect(),
    );
    expect(found.map((e) => e.summary)).toEqual(["Invoice 42 paid"]);
    const secret = await t.run((ctx) =>
      ctx.db.query("events").withSearchIndex("search_text", (q) => q.search("searchText", "hunter2")).collect(),
    );
    expect(secret).toEqual([]);
  });
});
