#!/usr/bin/env bash
# Restore wrapper (docs/backup-restore.md, "Disaster recovery"): verifies the backup
# (deeply for a physical one: a temporary copy is started), then runs `fluxbase restore`
# with the remaining arguments. Stop Fluxbase before running it.
#
#   scripts/restore.sh <backup dir> [fluxbase restore options: --force, --target-database <name>, ...]
#   FLUXBASE="npx fluxbase" how to run the CLI; FLUXBASE_PROJECT_DIR: where to run it
#   SKIP_DEEP_VERIFY=1      only check checksums before restoring (restore checks them too)
set -euo pipefail

if [[ $# -lt 1 || "$1" == -* ]]; then
  echo "usage: scripts/restore.sh <backup dir> [fluxbase restore options]" >&2
  exit 2
fi
backup="$(cd "$1" && pwd)"
shift
cd "${FLUXBASE_PROJECT_DIR:-$(dirname "$0")/..}"
read -r -a fluxbase <<< "${FLUXBASE:-npx --no-install fluxbase}"

if [[ "${SKIP_DEEP_VERIFY:-0}" == 1 ]]; then
  "${fluxbase[@]}" backup verify "$backup"
else
  "${fluxbase[@]}" backup verify --deep "$backup"
fi
"${fluxbase[@]}" restore "$backup" "$@"
