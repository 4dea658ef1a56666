/**
 * Drover's RuntimeDefault seccomp filter, as a classic BPF program bwrap loads (`--seccomp FD`).
 * Generated here, pure, so no libseccomp or compiler is needed on the host or in CI.
 *
 * It is a deny list in the spirit of Docker's and containerd's default profile: system calls a
 * container has no business making on a shared kernel fail with EPERM (mounts and the new mount
 * API, pivot_root, module loading, kexec, reboot, swap, clock setting, keyrings, bpf,
 * perf_event_open, userfaultfd, io_uring, the kernel log, namespaces: setns, unshare and clone
 * with a namespace flag), clone3 fails with ENOSYS (its flags sit behind a pointer a filter cannot
 * read; C libraries fall back to clone), and a foreign ABI (x32, 32-bit compat) gets EPERM for
 * everything. ptrace stays allowed, as in Docker's profile on kernels ≥ 4.8: the pod has its own
 * pid namespace and no capabilities, so it can trace only its own processes.
 */

/** `struct seccomp_data` offsets. */
const NR = 0;
const ARCH = 4;
const ARG0_LOW = 16;

const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_JSET_K = 0x45;
const BPF_RET_K = 0x06;

const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;

/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET. */
const CLONE_NAMESPACES = 0x7e020000;
/** The same plus CLONE_NEWTIME (for clone that bit is part of the exit signal). */
const UNSHARE_NAMESPACES = CLONE_NAMESPACES | 0x80;

interface ArchTable {
  audit: number;
  /** Syscall numbers at or above this belong to another ABI (x32 on x86_64). */
  abiLimit?: number;
  clone: number;
  clone3: number;
  unshare: number;
  denied: Record<string, number>;
}

/** Numbers common to both tables (the new syscalls share one numbering). */
const COMMON_NEW: Record<string, number> = {
  open_tree: 428, move_mount: 429, fsopen: 430, fsconfig: 431, fsmount: 432, fspick: 433,
  mount_setattr: 442, quotactl_fd: 443, io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427,
};

export const ARCHES: Readonly<Record<string, ArchTable>> = {
  x64: {
    audit: 0xc000003e,
    abiLimit: 0x40000000,
    clone: 56,
    clone3: 435,
    unshare: 272,
    denied: {
      acct: 163, add_key: 248, bpf: 321, clock_adjtime: 305, clock_settime: 227, create_module: 174, delete_module: 176,
      finit_module: 313, get_kernel_syms: 177, init_module: 175, ioperm: 173, iopl: 172, kcmp: 312, kexec_file_load: 320,
      kexec_load: 246, keyctl: 250, lookup_dcookie: 212, mount: 165, umount2: 166, nfsservctl: 180, open_by_handle_at: 304,
      name_to_handle_at: 303, perf_event_open: 298, pivot_root: 155, query_module: 178, quotactl: 179, reboot: 169,
      request_key: 249, setns: 308, settimeofday: 164, swapon: 167, swapoff: 168, sysfs: 139, _sysctl: 156, uselib: 134,
      userfaultfd: 323, ustat: 136, syslog: 103, vhangup: 153, afs_syscall: 183, tuxcall: 184, security: 185,
      ...COMMON_NEW,
    },
  },
  arm64: {
    audit: 0xc00000b7,
    clone: 220,
    clone3: 435,
    unshare: 97,
    denied: {
      acct: 89, add_key: 217, bpf: 280, clock_adjtime: 266, clock_settime: 112, delete_module: 106, finit_module: 273,
      init_module: 105, kcmp: 272, kexec_file_load: 294, kexec_load: 104, keyctl: 219, lookup_dcookie: 18, mount: 40,
      umount2: 39, nfsservctl: 42, open_by_handle_at: 265, name_to_handle_at: 264, perf_event_open: 241, pivot_root: 41,
      quotactl: 60, reboot: 142, request_key: 218, setns: 268, settimeofday: 170, swapon: 224, swapoff: 225,
      userfaultfd: 282, syslog: 116, vhangup: 58,
      ...COMMON_NEW,
    },
  },
};

type Target = string;
interface Insn {
  code: number;
  k: number;
  jt?: Target;
  jf?: Target;
  label?: string;
}

/**
 * The filter for `arch` (Node's `process.arch`: x64, arm64), as bytes of `struct sock_filter`
 * in the machine's (little-endian) order; undefined for an architecture without a table.
 */
export function seccompProgram(arch: string = process.arch): Buffer | undefined {
  const t = ARCHES[arch];
  if (!t) return undefined;
  const prog: Insn[] = [];
  prog.push({ code: BPF_LD_W_ABS, k: ARCH });
  prog.push({ code: BPF_JEQ_K, k: t.audit, jt: 'next', jf: 'deny' });
  prog.push({ code: BPF_LD_W_ABS, k: NR });
  if (t.abiLimit !== undefined) prog.push({ code: BPF_JGE_K, k: t.abiLimit, jt: 'deny', jf: 'next' });
  for (const nr of [...new Set(Object.values(t.denied))].sort((a, b) => a - b)) prog.push({ code: BPF_JEQ_K, k: nr, jt: 'deny', jf: 'next' });
  prog.push({ code: BPF_JEQ_K, k: t.clone3, jt: 'enosys', jf: 'next' });
  prog.push({ code: BPF_JEQ_K, k: t.clone, jt: 'clone', jf: 'next' });
  prog.push({ code: BPF_JEQ_K, k: t.unshare, jt: 'unshare', jf: 'next' });
  prog.push({ code: BPF_RET_K, k: RET_ALLOW });
  prog.push({ label: 'clone', code: BPF_LD_W_ABS, k: ARG0_LOW });
  prog.push({ code: BPF_JSET_K, k: CLONE_NAMESPACES, jt: 'deny', jf: 'next' });
  prog.push({ code: BPF_RET_K, k: RET_ALLOW });
  prog.push({ label: 'unshare', code: BPF_LD_W_ABS, k: ARG0_LOW });
  prog.push({ code: BPF_JSET_K, k: UNSHARE_NAMESPACES, jt: 'deny', jf: 'next' });
  prog.push({ code: BPF_RET_K, k: RET_ALLOW });
  prog.push({ label: 'deny', code: BPF_RET_K, k: RET_ERRNO | EPERM });
  prog.push({ label: 'enosys', code: BPF_RET_K, k: RET_ERRNO | ENOSYS });
  const at = new Map<string, number>();
  prog.forEach((insn, i) => insn.label && at.set(insn.label, i));
  const buf = Buffer.alloc(prog.length * 8);
  prog.forEach((insn, i) => {
    // Jumps are relative to the next instruction and must fit a byte.
    const rel = (target: Target | undefined): number => {
      if (target === undefined || target === 'next') return 0;
      const off = at.get(target)! - i - 1;
      if (off < 0 || off > 255) throw new Error(`seccomp: jump to ${target} out of range`);
      return off;
    };
    buf.writeUInt16LE(insn.code, i * 8);
    buf.writeUInt8(rel(insn.jt), i * 8 + 2);
    buf.writeUInt8(rel(insn.jf), i * 8 + 3);
    buf.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return buf;
}
