#!/usr/bin/env bash
# The system programs the tests drive: Debian's Chromium (browser tests; Playwright cannot
# download its own browser here), PostgreSQL (the classroom database on both back ends) and
# nginx (two app replicas behind a proxy). Installed when we can (root with apt-get);
# otherwise say clearly what is missing. The tests start their own PostgreSQL and nginx
# in temporary folders; the packages' own services are never started.
set -u
missing=()
{ command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; } || missing+=(chromium chromium-driver)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} for the tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null && exit 0
fi
echo "NOTE: not installed: ${missing[*]}; the tests that need them will be skipped."
echo "      Install them with: sudo apt-get install -y ${missing[*]}"
exit 0
