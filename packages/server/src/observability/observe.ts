// Where observations go: one switch turning each event of events.ts into a log line and
// a metric, so the code that emits them knows neither pino nor prom-client.
import type { Observation, Observer } from './events.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export function createObserver(logger: Logger, metrics: Metrics): Observer {
  return (event: Observation) => {
    switch (event.type) {
      case 'db.unavailable':
        metrics.dbUnavailable.inc();
        logger.warn({ error: event.error }, 'database unavailable: answering 503 until it is back');
        return;
      case 'db.recovered':
        logger.info('database reachable again');
        return;
      case 'db.connection_abandoned':
        metrics.dbConnectionsAbandoned.inc();
        logger.warn({ held_ms: event.heldMs }, 'database connection held past server.handler_timeout: destroyed and its slot returned');
        return;
      case 'embedded_pg.exited':
        logger.error({ status: event.status }, 'embedded PostgreSQL exited unexpectedly; restarting it');
        return;
      case 'embedded_pg.restart':
        metrics.embeddedRestarts.inc({ outcome: event.outcome });
        if (event.outcome === 'failed') logger.warn({ attempt: event.attempt, error: event.error }, 'embedded PostgreSQL restart failed; retrying');
        else if (event.outcome === 'attached') logger.info({ attempt: event.attempt }, 'embedded PostgreSQL was restarted by another instance; attached to it');
        else logger.info({ attempt: event.attempt }, 'embedded PostgreSQL restarted (crash recovery done)');
        return;
      case 'embedded_pg.gave_up':
        metrics.embeddedRestarts.inc({ outcome: 'gave_up' });
        logger.error({ attempts: event.attempts }, 'embedded PostgreSQL could not be restarted; giving up (see postgres.log in the data dir). Requests answer 503 until it runs again.');
        return;
      default: {
        const unknown: never = event;
        logger.warn({ event: unknown }, 'unknown observation');
      }
    }
  };
}
