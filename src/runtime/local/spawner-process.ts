/**
 * The helper of spawner.ts, run with `fork`: starts each requested launcher detached, with its
 * log and status files as stdio, answers with the pid (and its start time, read before anything
 * can reap it), and reports each exit. It ends when the server disconnects or dies.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { procInfo } from './proc.js';
import { runHere, type RunRequest, type SpawnerMessage, type SpawnRequest } from './spawner.js';

const send = (m: SpawnerMessage) => {
  if (process.connected) process.send!(m);
};

process.on('disconnect', () => process.exit(0));

process.on('message', (m: (SpawnRequest & { id: number; type?: undefined }) | RunRequest) => {
  if (m.type === 'run') {
    void runHere(m.file, m.args, m.input).then((res) => send({ type: 'ran', id: m.id, ...res }));
    return;
  }
  const r = m;
  const fds: number[] = [];
  try {
    fds.push(openSync(r.log, 'w'), openSync(r.status, 'w'));
    const child = spawn(r.file, r.args, { detached: true, stdio: ['ignore', fds[0]!, fds[0]!, fds[1]!], env: r.env, cwd: '/' });
    const pid = child.pid;
    if (pid === undefined) {
      child.once('error', (err: NodeJS.ErrnoException) => send({ type: 'failed', id: r.id, message: err.message, ...(err.code ? { code: err.code } : {}) }));
      return;
    }
    const pidStart = procInfo(pid)?.startTime ?? '';
    child.once('error', () => undefined);
    // The status file is read here, as the exit is seen: the server needs it at once, and a read
    // on its own thread pool would be one more round trip on every container's end.
    const statusFile = r.status;
    child.once('exit', (code, signal) => {
      let status: string | undefined;
      try {
        status = readFileSync(statusFile, 'utf8');
      } catch {
        // The server reads it itself.
      }
      send({ type: 'exited', pid, code, signal, ...(status !== undefined ? { status } : {}) });
    });
    // The launcher must not keep the helper alive once the server is gone.
    child.unref();
    send({ type: 'started', id: r.id, pid, pidStart });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    send({ type: 'failed', id: r.id, message: e.message, ...(e.code ? { code: e.code } : {}) });
  } finally {
    for (const fd of fds) closeSync(fd);
  }
});
