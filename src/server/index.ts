/**
 * The Drover server.
 *
 *   const cp = await startControlPlane(loadConfig({ port: 0 }));
 *   ...; await cp.stop();
 *
 * `runServer` is what `drover up` runs: it starts the control plane and stops it on SIGINT/SIGTERM.
 */
import { loadConfig, type ConfigFlags, type RuntimeConfig } from '../config/index.js';
import { startControlPlane } from './controlplane.js';
import { RotatingFile } from '../util/rotating-file.js';
import { jsonLogger } from '../util/logger.js';

export { startControlPlane, readServerFile, VERSION, type ControlPlane, type ControlPlaneOptions } from './controlplane.js';
export { parseResourcePath, resourcePath } from './routes.js';

export interface RunServerOptions {
  home?: string;
  port?: number;
  nodeLabels?: Record<string, string>;
  capacity?: { cpu?: string; memory?: string; gpus?: number };
  logLevel?: string;
  runtime?: RuntimeConfig;
  host?: string;
  tls?: 'on' | 'off' | 'auto';
}

export async function runServer(opts: RunServerOptions = {}): Promise<void> {
  const flags: ConfigFlags = { home: opts.home, port: opts.port, nodeLabels: opts.nodeLabels, capacity: opts.capacity, logLevel: opts.logLevel as ConfigFlags['logLevel'], runtime: opts.runtime, host: opts.host, tls: opts.tls };
  // A write to stdout or stderr that fails (a full disk under a redirect, the pipe of a `drover
  // up -d` that has returned) must not end the server: Node throws it as an unhandled 'error'.
  for (const s of [process.stdout, process.stderr]) if (s.listenerCount('error') === 0) s.on('error', () => {});
  const config = loadConfig(flags);
  const file = config.serverLog.file ? new RotatingFile(config.serverLog.file, config.serverLog) : undefined;
  const logger = file ? jsonLogger(config.logLevel, {}, (line) => file.write(line)) : undefined;
  // What kills the server is written where its log goes (stderr may be nobody's by then).
  if (logger) process.on('uncaughtExceptionMonitor', (err, origin) => logger.error('the server is stopping on an uncaught error', { origin, error: err.stack ?? String(err) }));
  const cp = await startControlPlane(config, logger ? { logger } : {});
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      cp.stop().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
