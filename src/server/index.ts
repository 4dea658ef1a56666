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
  const cp = await startControlPlane(loadConfig(flags));
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
