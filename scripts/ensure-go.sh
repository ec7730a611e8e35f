#!/usr/bin/env bash
# The interoperability test (test/interop.test.ts) checks our checkpoints and proofs with
# Go's own golang.org/x/mod/sumdb/note and sumdb/tlog, from Debian's packages. Finds them,
# or installs them when it can (root or passwordless sudo with apt-get), else says how.
set -euo pipefail

if command -v go >/dev/null 2>&1 && [[ -f /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog/tlog.go ]]; then
  echo "go: $(go version) with golang.org/x/mod in /usr/share/gocode"
  exit 0
fi

sudo_cmd=""
if [[ $(id -u) -ne 0 ]]; then
  sudo -n true 2>/dev/null && sudo_cmd="sudo -n" || sudo_cmd="none"
fi
if command -v apt-get >/dev/null 2>&1 && [[ "$sudo_cmd" != "none" ]]; then
  echo "go: not found; installing Debian's golang-go and golang-golang-x-mod-dev"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo_cmd apt-get install -y --no-install-recommends golang-go golang-golang-x-mod-dev </dev/null; then
    $sudo_cmd apt-get update </dev/null
    $sudo_cmd apt-get install -y --no-install-recommends golang-go golang-golang-x-mod-dev </dev/null
  fi
  go version
  exit 0
fi

cat >&2 <<'MSG'
The Go interoperability test needs Go and golang.org/x/mod; none were found.
  Debian/Ubuntu: sudo apt-get install golang-go golang-golang-x-mod-dev
Without them the test is skipped (with a message), except in CI.
MSG
exit 1
