#!/usr/bin/env bash
# Regenerates every committed _generated/ directory with no Convex deployment,
# through the project's offline stand-in in scripts/convex-codegen (CONVEX_CODEGEN=path
# overrides it). With a deployment, use `npm run build:codegen` (the official
# `npx convex codegen`) instead.
set -euo pipefail
cd "$(dirname "$0")/.."
codegen=${CONVEX_CODEGEN:-scripts/convex-codegen/codegen}
"$codegen" --component-dir ./src/component
# The example imports the package by name, so it needs dist/ from this build.
npm run build
"$codegen"
