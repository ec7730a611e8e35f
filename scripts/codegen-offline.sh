#!/usr/bin/env bash
# Regenerates every committed _generated/ directory with no Convex deployment,
# through the offline stand-in in ../shared/tools. With a deployment, use
# `npm run build:codegen` (the official `npx convex codegen`) instead.
set -euo pipefail
cd "$(dirname "$0")/.."
codegen=${CONVEX_CODEGEN:-../shared/tools/convex-codegen/codegen}
"$codegen" --component-dir ./src/component
# The example imports the package by name, so it needs dist/ from this build.
npm run build
"$codegen"
