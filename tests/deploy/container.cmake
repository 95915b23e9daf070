# The container deployment: docker/ (Dockerfile, compose.yml, Prometheus and Grafana files).

# Debian's interpreter: the yaml module comes from Debian's python3-yaml (scripts/install-deps.sh),
# which a pyenv or venv python3 earlier in PATH does not see.
find_program(LIVEKV_DEPLOY_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT LIVEKV_DEPLOY_PYTHON)
  set(LIVEKV_DEPLOY_PYTHON python3)
endif()

# Every PromQL query of the Grafana dashboard names a metric and labels the real binary exports;
# compose.yml, prometheus.yml and Grafana's provisioning agree with each other and the repository
# (tests/deploy/check_dashboard.py). About a second.
add_test(NAME deploy.dashboard
  COMMAND ${LIVEKV_DEPLOY_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/check_dashboard.py $<TARGET_FILE:livekv>)
set_tests_properties(deploy.dashboard PROPERTIES TIMEOUT 120)

# docker/Dockerfile built by podman (no Docker engine) on a local debian:bookworm-slim made from
# the debootstrap root, then run: REST, the /wal feed, /metrics, non-root PID 1, the health check,
# SIGTERM → exit 0, the data across containers, environment and config file
# (scripts/container-test.sh). Skipped (77) without root, podman or a working container runtime.
# Measured on the 2-core development VM with other builds running: cold (no cache at all:
# debootstrap, the build packages, the whole server compiled at -j2 in the image) 7 min 17 s at
# load 2–3, and the compile alone took 14 min at load 6–7; warm after a source change (the build
# packages' layer and ccache kept in ${LIVEKV_CACHE:-~/.cache/livekv}/podman) 47 s; warm with the
# sources unchanged, 11 s. That cache holds about 1.2 GB.
add_test(NAME deploy.container COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/container-test.sh)
set_tests_properties(deploy.container PROPERTIES TIMEOUT 2400 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
