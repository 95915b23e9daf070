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
