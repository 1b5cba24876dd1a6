#!/usr/bin/env bash
# Lints and renders helm/samverka with default, production-like and cluster-preview values and
# checks the rendered objects (tests/helm/check_rendered.py). Run by CTest (test "helm_chart").
# Exit 77 (CTest SKIP_RETURN_CODE) only if helm cannot be found or installed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
chart="$root/helm/samverka"
here="$root/tests/helm"

helm="${HELM:-}"
if [ -z "$helm" ]; then
  if [ -x "$root/build/tools/helm" ]; then
    helm="$root/build/tools/helm"
  elif command -v helm >/dev/null 2>&1; then
    helm="$(command -v helm)"
  elif "$root/scripts/install-helm" >/dev/null 2>&1 && [ -x "$root/build/tools/helm" ]; then
    helm="$root/build/tools/helm"
  else
    echo "SKIP: helm not available (scripts/install-helm could not fetch it)"
    exit 77
  fi
fi
# Debian's interpreter first (python3-yaml installs there); a python3 earlier in PATH, e.g. a
# virtualenv's, may lack PyYAML.
py=""
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c 'import yaml' 2>/dev/null; then py="$candidate"; break; fi
done
if [ -z "$py" ]; then
  echo "python3 with PyYAML is needed (Debian: python3-yaml; scripts/install-deps --test)" >&2
  exit 1
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
fail=0
step() { echo "--- $*"; }

step "helm lint --strict (default, production)"
"$helm" lint --strict "$chart"
"$helm" lint --strict "$chart" -f "$here/production-values.yaml"

render() {  # render NAME ARGS...
  local name="$1"; shift
  "$helm" template samverka "$chart" --namespace intranet "$@" >"$out/$name.yaml"
}

step "default values"
render default
"$py" "$here/check_rendered.py" default <"$out/default.yaml" || fail=1

step "production-like values"
render production -f "$here/production-values.yaml"
"$py" "$here/check_rendered.py" production <"$out/production.yaml" || fail=1

step "cluster mode (gateways + store nodes + Redis)"
render cluster --set gateway.enabled=true --set redis.enabled=true
"$py" "$here/check_rendered.py" cluster <"$out/cluster.yaml" || fail=1

step "values the binary cannot run are refused"
refuse() {  # refuse EXPECTED-MESSAGE-PART ARGS...
  local want="$1"; shift
  if "$helm" template samverka "$chart" "$@" >/dev/null 2>"$out/err"; then
    echo "FAIL: rendered with $*"
    fail=1
  elif ! grep -q -- "$want" "$out/err"; then
    echo "FAIL: $* refused for another reason: $(cat "$out/err")"
    fail=1
  else
    echo "refused $*"
  fi
}
refuse "gateway.enabled needs Redis" --set gateway.enabled=true
refuse "store.replicas > 1 needs cluster mode" --set store.replicas=2
refuse "needs ingress.tls.secretName" --set ingress.tls.enabled=true

step "no secret values or raw Redis URLs outside the Secret"
if grep -n "redis://" "$out/cluster.yaml" | grep -v "redis-url:" ; then
  echo "FAIL: Redis URL outside the Secret"
  fail=1
fi

[ "$fail" -eq 0 ] && echo "helm chart OK" || echo "helm chart FAILED"
exit "$fail"
