"""Checks docker/compose.yml, docker/prometheus.yml and Grafana's provisioning against each other
and the repository, without running them (no Docker engine here, nor the images).

problems(repo) returns a list of sentences, empty when all is well: the three services exist;
livekv is built from docker/Dockerfile and its health check is the script the image installs;
the two images are pinned; every bind-mounted file exists; named volumes are declared;
Prometheus scrapes the livekv service on the port the image listens on, and promtool accepts its
config; Grafana's data source is that Prometheus, its dashboard provider reads the directory the
dashboards are mounted at, and every dashboard panel uses that data source.
"""
import json
import os
import re
import subprocess

import yaml


def _dashboard_panels(panels):
    for panel in panels:
        yield panel
        yield from _dashboard_panels(panel.get("panels", []))


def _volumes(service):
    """(kind, source, target) for each of a service's volumes, short or long syntax."""
    for v in service.get("volumes", []):
        if isinstance(v, dict):
            yield v.get("type", "volume"), v.get("source"), v.get("target")
        else:
            parts = v.split(":")
            source, target = (parts[0], parts[1]) if len(parts) > 1 else (None, parts[0])
            kind = "bind" if source and source[0] in "./~" else "volume"
            yield kind, source, target


def _dockerfile_installs(dockerfile_text, path):
    return re.search(rf"^COPY\s+\S+\s+{re.escape(path)}\s*$", dockerfile_text, re.M) is not None


def problems(repo):
    out = []
    docker = os.path.join(repo, "docker")
    with open(os.path.join(docker, "compose.yml")) as f:
        compose = yaml.safe_load(f)
    services = compose.get("services", {})
    for name in ("livekv", "prometheus", "grafana"):
        if name not in services:
            out.append(f"compose.yml: no service {name}")
    if out:
        return out
    livekv, prometheus, grafana = services["livekv"], services["prometheus"], services["grafana"]

    # livekv: built from this repository's Dockerfile, published on loopback, healthy by the
    # script the image installs.
    build = livekv.get("build", {})
    context = os.path.normpath(os.path.join(docker, build.get("context", ".")))
    dockerfile = os.path.join(context, build.get("dockerfile", "Dockerfile"))
    if context != os.path.normpath(repo):
        out.append(f"compose.yml: livekv's build context is {context}, not the repository root")
    if not os.path.isfile(dockerfile):
        out.append(f"compose.yml: livekv's dockerfile {dockerfile} does not exist")
        dockerfile_text = ""
    else:
        with open(dockerfile) as f:
            dockerfile_text = f.read()
    if "127.0.0.1:8080:8080" not in [str(p) for p in livekv.get("ports", [])]:
        out.append("compose.yml: livekv does not publish 127.0.0.1:8080:8080")
    test = livekv.get("healthcheck", {}).get("test", [])
    if len(test) < 2 or test[0] != "CMD" or not _dockerfile_installs(dockerfile_text, test[1]):
        out.append(f"compose.yml: livekv's healthcheck {test} is not a program the Dockerfile installs")
    if not any(target == "/data" for _, _, target in _volumes(livekv)):
        out.append("compose.yml: livekv has no volume at /data")

    for name, repo_name in (("prometheus", "prom/prometheus"), ("grafana", "grafana/grafana")):
        image = services[name].get("image", "")
        base, _, version = image.rpartition(":")
        if base.split("/", 1)[-1] != repo_name.split("/", 1)[-1] or not version or version == "latest":
            out.append(f"compose.yml: {name}'s image {image!r} is not {repo_name} with a pinned tag")

    declared = set((compose.get("volumes") or {}).keys())
    mounts = {}  # service → {target: host path}
    for name, service in services.items():
        mounts[name] = {}
        for kind, source, target in _volumes(service):
            if kind == "bind":
                host = os.path.normpath(os.path.join(docker, os.path.expanduser(source)))
                mounts[name][target] = host
                if not os.path.exists(host):
                    out.append(f"compose.yml: {name} mounts {source}, which does not exist")
            elif source and source not in declared:
                out.append(f"compose.yml: {name} uses volume {source}, not declared under volumes:")

    # Prometheus scrapes livekv's service name at the port the image listens on.
    config_arg = next((a.split("=", 1)[1] for a in prometheus.get("command", [])
                       if a.startswith("--config.file=")), "/etc/prometheus/prometheus.yml")
    prometheus_yml = mounts["prometheus"].get(config_arg)
    if prometheus_yml is None:
        out.append(f"compose.yml: prometheus's --config.file {config_arg} is not a mounted file")
    elif os.path.isfile(prometheus_yml):
        with open(prometheus_yml) as f:
            prom = yaml.safe_load(f)
        targets = [t for job in prom.get("scrape_configs", [])
                   for sc in job.get("static_configs", []) for t in sc.get("targets", [])]
        port = re.search(r"LIVEKV_PORT=(\d+)", dockerfile_text)
        want = f"livekv:{port.group(1) if port else '?'}"
        if want not in targets:
            out.append(f"{prometheus_yml}: no scrape target {want} (has {targets})")
        run = subprocess.run(["promtool", "check", "config", prometheus_yml],
                             capture_output=True, text=True, timeout=60)
        if run.returncode != 0:
            out.append(f"promtool check config {prometheus_yml}: {run.stdout}{run.stderr}".strip())

    # Grafana: the data source is the prometheus service, the provider reads the mounted
    # dashboards, the dashboards use the data source.
    provisioning = mounts["grafana"].get("/etc/grafana/provisioning")
    datasources = os.path.join(provisioning or "", "datasources", "prometheus.yml")
    dashboards = os.path.join(provisioning or "", "dashboards", "livekv.yml")
    if provisioning is None or not (os.path.isfile(datasources) and os.path.isfile(dashboards)):
        out.append("compose.yml: grafana's /etc/grafana/provisioning mount lacks "
                   "datasources/prometheus.yml or dashboards/livekv.yml")
        return out
    with open(datasources) as f:
        sources = yaml.safe_load(f).get("datasources", [])
    prom_sources = [s for s in sources if s.get("type") == "prometheus"]
    uid = prom_sources[0].get("uid") if prom_sources else None
    if not prom_sources or prom_sources[0].get("url") != "http://prometheus:9090":
        out.append("provisioning: no prometheus data source at http://prometheus:9090")
    with open(dashboards) as f:
        providers = yaml.safe_load(f).get("providers", [])
    for provider in providers:
        path = provider.get("options", {}).get("path")
        host = mounts["grafana"].get(path)
        if host is None or not os.path.isdir(host):
            out.append(f"provisioning: dashboard provider path {path} is not a mount of grafana")
            continue
        for file in sorted(os.listdir(host)):
            if not file.endswith(".json"):
                continue
            with open(os.path.join(host, file)) as f:
                dashboard = json.load(f)
            for panel in _dashboard_panels(dashboard.get("panels", [])):
                wrong = {ds.get("uid") for ds in
                         [panel.get("datasource")] + [t.get("datasource") for t in panel.get("targets", [])]
                         if ds is not None and ds.get("uid") != uid}
                if wrong:
                    out.append(f"{file}: panel {panel.get('title')!r} uses data source uid "
                               f"{', '.join(sorted(map(str, wrong)))}, not {uid}")
    return out
