/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** A deployment's URL (from `npx convex dev`); without it the app talks to the origin that served it (the local runtime). */
  readonly VITE_CONVEX_URL?: string;
}
