#!/usr/bin/env python3
"""Checks the objects `helm template` rendered (read from stdin) for tests/helm/test.sh.

usage: check_rendered.py MODE   where MODE is default, production or cluster.
Exits 1 listing every problem found.
"""
import sys

import yaml

mode = sys.argv[1]
docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
problems = []


def check(cond, what):
    if not cond:
        problems.append(what)


by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], []).append(d)

expected = {"ConfigMap", "Secret", "ServiceAccount", "Service", "StatefulSet", "Ingress"}
if mode == "cluster":
    expected |= {"Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
for k in expected:
    check(k in by_kind, f"no {k} rendered")
if mode != "cluster":
    for k in ("Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        check(k not in by_kind, f"{k} rendered although cluster mode is off")

workloads = by_kind.get("StatefulSet", []) + by_kind.get("Deployment", [])
for w in workloads:
    name = w["metadata"]["name"]
    spec = w["spec"]["template"]["spec"]
    psc = spec.get("securityContext", {})
    check(psc.get("runAsNonRoot") is True, f"{name}: pod runAsNonRoot")
    check(spec.get("automountServiceAccountToken") is False, f"{name}: token automounted")
    for c in spec["containers"]:
        cn = f"{name}/{c['name']}"
        sc = c.get("securityContext", {})
        check(sc.get("readOnlyRootFilesystem") is True, f"{cn}: readOnlyRootFilesystem")
        check(sc.get("allowPrivilegeEscalation") is False, f"{cn}: allowPrivilegeEscalation")
        check("ALL" in sc.get("capabilities", {}).get("drop", []), f"{cn}: capabilities not dropped")
        check(sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True, f"{cn}: runAsNonRoot")
        req = c.get("resources", {}).get("requests", {})
        check("cpu" in req and "memory" in req, f"{cn}: cpu/memory requests")
        check("livenessProbe" in c and "readinessProbe" in c, f"{cn}: probes")
        if c["name"] == "samverka":
            check(c["livenessProbe"]["httpGet"]["path"] == "/healthz", f"{cn}: liveness /healthz")
            check(c["readinessProbe"]["httpGet"]["path"] == "/readyz", f"{cn}: readiness /readyz")
            check(c["args"][0] == "serve", f"{cn}: runs samverka serve")
            mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
            check("/tmp" in mounts, f"{cn}: /tmp not writable")

stores = [s for s in by_kind.get("StatefulSet", [])
          if s["metadata"]["labels"].get("app.kubernetes.io/component") == "store"]
check(len(stores) == 1, "exactly one store StatefulSet")
for s in stores:
    check(s["spec"]["replicas"] == 1, "store replicas 1 by default")
    if mode != "cluster":
        check("--redis" not in s["spec"]["template"]["spec"]["containers"][0]["args"],
              "single node: the store runs without Redis")
    vct = s["spec"].get("volumeClaimTemplates", [])
    check(len(vct) == 1 and vct[0]["metadata"]["name"] == "data", "store: data PVC template")
    c = s["spec"]["template"]["spec"]["containers"][0]
    inits = s["spec"]["template"]["spec"].get("initContainers", [])
    check(any(i["command"][-1] == "migrate" for i in inits), "store: migrate init container")
    for i in inits:
        check(i.get("securityContext", {}).get("readOnlyRootFilesystem") is True,
              f"init {i['name']}: readOnlyRootFilesystem")
        check("cpu" in i.get("resources", {}).get("requests", {}), f"init {i['name']}: requests")
    check(any(m["mountPath"] == "/var/lib/samverka" and m["name"] == "data"
              for m in c["volumeMounts"]), "store: data volume at /var/lib/samverka")
    headless = [v for v in by_kind.get("Service", []) if v["metadata"]["name"] == s["spec"]["serviceName"]]
    check(len(headless) == 1 and headless[0]["spec"].get("clusterIP") == "None",
          "store: headless Service named by serviceName")
    if mode == "production":
        check(vct[0]["spec"].get("storageClassName") == "fast-ssd", "store: storage class")
        check(s["spec"]["template"]["spec"].get("imagePullSecrets"), "imagePullSecrets")
        check(c["image"] == "registry.example.se/samverka/samverka:0.1.0", "store: image")

ingress = by_kind.get("Ingress", [{}])[0]
hosts = [r["host"] for r in ingress.get("spec", {}).get("rules", [])]
domain = "intranet.smalandskommuner.se" if mode == "production" else "intranet.example.se"
check(f"*.{domain}" in hosts and domain in hosts, f"ingress hosts {hosts}")
if mode == "production":
    tls = ingress["spec"].get("tls", [])
    check(tls and f"*.{domain}" in tls[0]["hosts"], "ingress: wildcard TLS")
    check(ingress["spec"].get("ingressClassName") == "nginx", "ingress class")
    store_args = stores[0]["spec"]["template"]["spec"]["containers"][0]["args"]
    check("--trusted-proxy" in store_args
          and store_args[store_args.index("--trusted-proxy") + 1] == "10.0.0.0/8",
          "single node behind the Ingress: the store trusts the Ingress pod network")
if mode == "default":
    store_args = stores[0]["spec"]["template"]["spec"]["containers"][0]["args"]
    check("--trusted-proxy" not in store_args, "default: no proxy trusted")

client = [v for v in by_kind.get("Service", []) if v["spec"].get("clusterIP") != "None"
          and v["metadata"]["labels"].get("app.kubernetes.io/component") != "redis"]
want = "gateway" if mode == "cluster" else "store"
check(any(v["spec"]["selector"].get("app.kubernetes.io/component") == want for v in client),
      f"client Service selects the {want}")

if mode == "cluster":
    hpa = by_kind["HorizontalPodAutoscaler"][0]
    check(hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment", "HPA targets the gateway")
    check(hpa["spec"]["minReplicas"] >= 2, "HPA min replicas")
    pdb = by_kind["PodDisruptionBudget"][0]
    check(pdb["spec"].get("minAvailable", 0) >= 1, "PDB minAvailable")
    gw = by_kind["Deployment"][0]["spec"]["template"]["spec"]["containers"][0]
    check("--redis" in gw["args"], "gateway gets --redis")
    check(any(e["name"] == "SAMVERKA_REDIS_URL" and "secretKeyRef" in e["valueFrom"]
              for e in gw.get("env", [])), "gateway: Redis URL from the Secret")
    check("--role" in gw["args"] and gw["args"][gw["args"].index("--role") + 1] == "gateway",
          "gateway runs --role gateway")
    store_c = stores[0]["spec"]["template"]["spec"]["containers"][0]
    for name, c in (("gateway", gw), ("store", store_c)):
        check(any(e["name"] == "SAMVERKA_CLUSTER_KEY" and "secretKeyRef" in e["valueFrom"]
                  for e in c.get("env", [])), f"{name}: cluster key from the Secret")
    check("--role" in store_c["args"] and "--node-id" in store_c["args"]
          and "--advertise" in store_c["args"], "store joins the cluster (--role, --node-id)")
    secret = by_kind["Secret"][0]
    check(len(secret["stringData"].get("cluster-key", "")) >= 32, "Secret: cluster key")

if problems:
    print(f"{mode}: {len(problems)} problem(s):")
    for p in problems:
        print("  -", p)
    sys.exit(1)
print(f"{mode}: {len(docs)} objects OK ({', '.join(sorted(by_kind))})")
