/**
 * Connecting to a port of a pod, as the kubelet's port-forward does: inside the pod's network,
 * to its loopback, so a process listening on 127.0.0.1 only is reached too. The pod's address is
 * tried first (no process to start); when nothing answers there, a tiny relay (this Node binary,
 * under `nsenter --net`) connects from inside the namespace and pipes its stdin and stdout.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { Duplex } from 'node:stream';

/** A TCP connection to ip:port, once connected. */
export function dialTcp(ip: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const s = connect(port, ip);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

const RELAY = `const s=require('net').connect(+process.argv[1],'127.0.0.1');
s.on('connect',()=>{process.stderr.write('connected\\n');process.stdin.pipe(s);s.pipe(process.stdout);});
s.on('error',(e)=>{process.stderr.write(e.message+'\\n');process.exit(1);});`;

/** A connection to 127.0.0.1:port inside the network namespace at `netns`. */
export function dialInNamespace(nsenter: string, netns: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const child = spawn(nsenter, [`--net=${netns}`, '--', process.execPath, '-e', RELAY, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    let settled = false;
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      if (!settled && err.startsWith('connected\n')) {
        settled = true;
        const d = Duplex.from({ readable: child.stdout, writable: child.stdin });
        d.on('close', () => child.kill());
        resolve(d);
      }
    });
    child.on('error', (e) => {
      if (!settled) (settled = true), reject(e);
    });
    child.on('exit', () => {
      if (!settled) (settled = true), reject(new Error(err.trim() || 'the relay into the pod\'s network ended'));
    });
  });
}
