#!/bin/sh
# toa-server, as installed from a release: runs the release's server with the
# Node.js found on PATH (20.19+ or 22). Follows a symlink such as
# /usr/local/bin/toa-server -> /opt/toa/bin/toa-server back to the release.
set -e
self=$(readlink -f "$0")
exec node "$(dirname "$self")/toa-server.js" "$@"
