// The Prometheus textfile (node_exporter's textfile collector) a backup writes on success,
// atomically (temp file + rename) so a scrape never reads half a file.
import { renameSync, writeFileSync } from 'node:fs';

export const BACKUP_METRIC_NAMES = [
  'fluxbase_backup_last_success_timestamp_seconds',
  'fluxbase_backup_size_bytes',
  'fluxbase_backup_duration_seconds',
] as const;

export interface BackupMetrics {
  finishedAt: Date;
  sizeBytes: number;
  durationSeconds: number;
  method: string;
}

export function renderBackupMetrics(m: BackupMetrics): string {
  const labels = `{method="${m.method}"}`;
  const [last, size, duration] = BACKUP_METRIC_NAMES;
  return [
    `# HELP ${last} Unix time of the last successful fluxbase backup.`,
    `# TYPE ${last} gauge`,
    `${last}${labels} ${Math.floor(m.finishedAt.getTime() / 1000)}`,
    `# HELP ${size} Size in bytes of the last successful fluxbase backup.`,
    `# TYPE ${size} gauge`,
    `${size}${labels} ${m.sizeBytes}`,
    `# HELP ${duration} Duration in seconds of the last successful fluxbase backup.`,
    `# TYPE ${duration} gauge`,
    `${duration}${labels} ${m.durationSeconds.toFixed(3)}`,
    '',
  ].join('\n');
}

export function writeBackupMetrics(file: string, m: BackupMetrics): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, renderBackupMetrics(m), { mode: 0o644 });
  renameSync(tmp, file);
}
