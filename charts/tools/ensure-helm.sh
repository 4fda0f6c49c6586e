#!/usr/bin/env bash
# Makes sure the pinned Helm CLI is at .tools/bin/helm and prints its path.
# Helm comes from the Go module proxy (`go install helm.sh/helm/v3/cmd/helm@<v>`),
# built by the machine's Go; every Go cache (modules, build) lives under
# .tools/go while it builds, so nothing is written outside the work tree, and
# is removed once helm is built (about 1 GB; only the 60 MB binary stays).
# Usage: bash charts/tools/ensure-helm.sh   (idempotent; quiet when helm is there)
set -euo pipefail
HELM_VERSION=v3.22.0
# The Kubernetes version helm v3.22.0 is built against (k8s.io/client-go v0.37):
# what `helm template` reports as .Capabilities.KubeVersion and `helm lint`
# checks deprecated APIs against, as the release build's Makefile sets them.
K8S_MAJOR=1 K8S_MINOR=37

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin_dir="$root/.tools/bin"
helm="$bin_dir/helm"

installed_version() { "$helm" version --template '{{.Version}}' 2>/dev/null || true; }

if [ -x "$helm" ] && [ "$(installed_version)" = "$HELM_VERSION" ]; then
  echo "$helm"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "ensure-helm: helm $HELM_VERSION is missing and there is no Go toolchain on PATH to build it (go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION)" >&2
  exit 1
fi

mkdir -p "$bin_dir" "$root/.tools/go"
echo "ensure-helm: building helm $HELM_VERSION from the Go module proxy with $(go version | cut -d' ' -f3) (a few minutes the first time)" >&2
start=$(date +%s)
# -modcacherw: the module cache stays deletable; CGO off: a static binary, no C toolchain needed.
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $pkg.k8sVersionMajor=$K8S_MAJOR -X $pkg.k8sVersionMinor=$K8S_MINOR"
done
if ! env GOPATH="$root/.tools/go" GOMODCACHE="$root/.tools/go/pkg/mod" GOCACHE="$root/.tools/go/cache" \
  GOBIN="$bin_dir" GOFLAGS="-modcacherw -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0 \
  go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2; then
  echo "ensure-helm: go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION failed (is the Go module proxy reachable?)" >&2
  exit 1
fi
got=$(installed_version)
if [ "$got" != "$HELM_VERSION" ]; then
  echo "ensure-helm: built helm reports version '$got', expected $HELM_VERSION" >&2
  exit 1
fi
rm -rf "$root/.tools/go"
echo "ensure-helm: helm $HELM_VERSION ready at $helm in $(( $(date +%s) - start ))s" >&2
echo "$helm"
