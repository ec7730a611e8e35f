#!/usr/bin/env bash
# The browser tests drive a system Chromium through playwright-core (playwright's own
# browser download needs a network this project does not assume). Finds one, or installs
# Debian's `chromium` when it can (root or passwordless sudo with apt-get), else says how.
set -euo pipefail

for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [[ -n "$candidate" && -x "$candidate" ]]; then
    echo "chromium: $candidate ($("$candidate" --version 2>/dev/null | head -n1))"
    exit 0
  fi
done

sudo_cmd=""
if [[ $(id -u) -ne 0 ]]; then
  sudo -n true 2>/dev/null && sudo_cmd="sudo -n" || sudo_cmd="none"
fi
if command -v apt-get >/dev/null 2>&1 && [[ "$sudo_cmd" != "none" ]]; then
  echo "chromium: not found; installing Debian's chromium package"
  export DEBIAN_FRONTEND=noninteractive
  # Installing from the current lists first: an update is only needed when they are stale.
  if ! $sudo_cmd apt-get install -y --no-install-recommends chromium </dev/null; then
    $sudo_cmd apt-get update </dev/null
    $sudo_cmd apt-get install -y --no-install-recommends chromium </dev/null
  fi
  /usr/bin/chromium --version 2>/dev/null | head -n1
  exit 0
fi

cat >&2 <<'MSG'
The browser tests need Chromium and none was found.
  Debian/Ubuntu: sudo apt-get install chromium
  elsewhere:     CHROMIUM_PATH=/path/to/chrome npm run test:e2e
MSG
exit 1
