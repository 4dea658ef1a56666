/** Process facts from /proc, used to recognise a container process across a server restart. */
import { readFileSync } from 'node:fs';

export interface ProcInfo {
  /** `R`, `S`, `Z`… (field 3 of /proc/<pid>/stat). */
  state: string;
  ppid: number;
  /** Start time in clock ticks since boot (field 22): with the pid it names one process forever. */
  startTime: string;
}

export function procInfo(pid: number): ProcInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses; the fields after the last ')' do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const ppid = fields[1];
  const start = fields[19];
  if (state === undefined || ppid === undefined || start === undefined) return undefined;
  return { state, ppid: Number(ppid), startTime: start };
}

/** True while `pid` is the same process that had `startTime`, and has not exited (zombies count as exited). */
export function isAlive(pid: number, startTime: string): boolean {
  const info = procInfo(pid);
  return info !== undefined && info.startTime === startTime && info.state !== 'Z' && info.state !== 'X';
}

export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
