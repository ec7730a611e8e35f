import { ConvexProvider, ConvexReactClient } from "convex/react";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { createDemoAuth, initialIdentity } from "./identities";

// A real deployment (`npx convex dev`) when VITE_CONVEX_URL is set; otherwise the local
// runtime, which serves this page and the sync WebSocket on the same origin.
const url = import.meta.env.VITE_CONVEX_URL || window.location.origin;
const client = new ConvexReactClient(url);
const auth = createDemoAuth(client);
// Before the first render: the client holds queries back until the token is sent, so no panel
// first runs signed out.
auth.signInAs(initialIdentity());

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ConvexProvider client={client}>
      <App auth={auth} convexUrl={url} />
    </ConvexProvider>
  </StrictMode>,
);
