#!/usr/bin/env bash
# Cron wrapper for `fluxbase backup` (docs/backup-restore.md, "Scheduling with cron"):
# one backup at a time (flock), retention, the Prometheus textfile, and a verification of
# the backup just written. Exits non-zero on any failure, so cron mails the error line.
#
#   KEEP=7                  complete backups kept in the output folder (default 7)
#   BACKUP_DIR=<dir>        output folder (default: <data_dir>/backups)
#   METRICS_FILE=<path>     Prometheus textfile (default: node_exporter's textfile
#                           collector folder when it exists, else none)
#   JOBS=2                  parallel copies / pg_dump jobs
#   EXTRA_ARGS="..."        more `fluxbase backup` options (--include-secrets, --method ...)
#   FLUXBASE="npx fluxbase" how to run the CLI; FLUXBASE_PROJECT_DIR: where to run it
#   (the folder with fluxbase.yaml; default: the parent of this script's folder)
set -euo pipefail

cd "${FLUXBASE_PROJECT_DIR:-$(dirname "$0")/..}"
read -r -a fluxbase <<< "${FLUXBASE:-npx --no-install fluxbase}"
read -r -a extra <<< "${EXTRA_ARGS:-}"

metrics="${METRICS_FILE:-}"
if [[ -z "$metrics" && -d /var/lib/node_exporter/textfile_collector ]]; then
  metrics=/var/lib/node_exporter/textfile_collector/fluxbase_backup.prom
fi

args=(backup create --keep "${KEEP:-7}" --jobs "${JOBS:-2}")
[[ -n "${BACKUP_DIR:-}" ]] && args+=(--out "$BACKUP_DIR")
[[ -n "$metrics" ]] && args+=(--metrics-file "$metrics")
args+=("${extra[@]}")

lock="${BACKUP_LOCK:-${TMPDIR:-/tmp}/fluxbase-backup.lock}"
exec 9>"$lock"
if ! flock -n 9; then
  echo "backup.sh: another backup is running (lock $lock); skipping this one" >&2
  exit 1
fi

out="$("${fluxbase[@]}" "${args[@]}")"
echo "$out"
written="$(sed -n 's/^backup written: \(.*\) (.*$/\1/p' <<< "$out")"
if [[ -z "$written" ]]; then
  echo "backup.sh: fluxbase backup did not report a backup directory" >&2
  exit 1
fi
"${fluxbase[@]}" backup verify "$written"
