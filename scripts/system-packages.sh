#!/usr/bin/env bash
# The system packages the tests need, installed when missing (Debian, as root or with sudo),
# or one line saying how to install them. Run by `npm test` and `npm run test:calibration`
# before the suites, and by .ci/run.
#   today: chromium (the report's browser test, /usr/bin/chromium), postgresql (the
#   service's store tests, started by scripts/services.sh at the end), and Debian's python3
#   with pandas and requests (the Python client's tests run the README's notebook lines),
#   redis-server (the job queue's tests start their own servers from it)
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
/usr/bin/python3 -c "import pandas, requests" >/dev/null 2>&1 || missing+=(python3 python3-pandas python3-requests)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
here="$(dirname "$0")"
[ ${#missing[@]} -eq 0 ] && exec bash "$here/services.sh"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; else
    echo "strata tests: missing system packages (${missing[*]}): install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "strata tests: missing system packages (${missing[*]}) and no apt-get here: install Debian's ${missing[*]} (chromium at /usr/bin/chromium)" >&2
  exit 1
fi
echo "strata tests: installing ${missing[*]} (apt-get)…" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}"; } >/tmp/strata-apt.log 2>&1; then
  echo "strata tests: apt-get install ${missing[*]} failed (see /tmp/strata-apt.log): install them by hand" >&2
  exit 1
fi
exec bash "$here/services.sh"
