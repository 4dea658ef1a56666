/**
 * `drover` entry point: finds the command and loads only its module, so `drover get` does not pay
 * for the server, the YAML parser or other commands at start-up.
 */
import { parseArgs } from './args.js';
import { GLOBAL_FLAGS, helpText, reportError, type Command } from './command.js';
import { processCtx, type Ctx } from './context.js';

interface Entry {
  name: string;
  aliases?: string[];
  summary: string;
  group: string;
  load(): Promise<{ command: Command }>;
}

const COMMANDS: Entry[] = [
  { group: 'Start and stop', name: 'up', summary: 'Start the Drover control plane on this machine', load: () => import('./commands/up.js') },
  { group: 'Start and stop', name: 'down', summary: 'Stop the Drover control plane started with "drover up -d"', load: () => import('./commands/down.js') },
  { group: 'Basic commands', name: 'apply', summary: 'Create or update resources from files or stdin', load: () => import('./commands/apply.js') },
  { group: 'Basic commands', name: 'create', summary: 'Create resources from files or stdin (fails if they exist)', load: () => import('./commands/create.js') },
  { group: 'Basic commands', name: 'get', summary: 'Display one or many resources', load: () => import('./commands/get.js') },
  { group: 'Basic commands', name: 'describe', summary: 'Show details of a resource, with its events', load: () => import('./commands/describe.js') },
  { group: 'Basic commands', name: 'delete', summary: 'Delete resources by name, by file, or by label', load: () => import('./commands/delete.js') },
  { group: 'Workflows', name: 'submit', summary: 'Submit Argo Workflows from files, templates or cron workflows', load: () => import('./commands/submit.js') },
  { group: 'Workflows', name: 'lint', summary: 'Check Workflow and other manifests offline, with file:line:col errors', load: () => import('./commands/lint.js') },
  { group: 'Workflows', name: 'retry', summary: 'Retry a failed workflow: run its failed nodes again', load: () => action('retry') },
  { group: 'Workflows', name: 'resubmit', summary: 'Submit a workflow again, as a new workflow', load: () => action('resubmit') },
  { group: 'Workflows', name: 'suspend', summary: 'Suspend a running workflow (no new steps start)', load: () => action('suspend') },
  { group: 'Workflows', name: 'resume', summary: 'Resume a suspended workflow, or its waiting suspend nodes', load: () => action('resume') },
  { group: 'Workflows', name: 'stop', summary: 'Stop a workflow: end its steps, still run its exit handlers', load: () => action('stop') },
  { group: 'Workflows', name: 'terminate', summary: 'Terminate a workflow at once, without exit handlers', load: () => action('terminate') },
  { group: 'Troubleshooting', name: 'logs', summary: 'Print the logs of a pod, a job\'s pod or a workflow\'s steps', load: () => import('./commands/logs.js') },
  { group: 'Troubleshooting', name: 'wait', summary: 'Wait for a condition on one or many resources', load: () => import('./commands/wait.js') },
  { group: 'Troubleshooting', name: 'top', summary: 'Show CPU, memory and GPU use of nodes and pods', load: () => import('./commands/top.js') },
  { group: 'Other', name: 'api-resources', summary: 'List the resource kinds the server serves', load: () => import('./commands/api-resources.js') },
  { group: 'Other', name: 'token', summary: 'Create, list and revoke bearer tokens for other users', load: () => import('./commands/token.js') },
  { group: 'Other', name: 'backup', summary: "Copy the running server's whole store into a file", load: () => import('./commands/backup.js') },
  { group: 'Other', name: 'restore', summary: 'Put a backup in place of the store (the server stopped)', load: () => import('./commands/restore.js') },
  { group: 'Other', name: 'kubeconfig', summary: 'Print the kubeconfig for kubectl and the Kubernetes client libraries', load: () => import('./commands/kubeconfig.js') },
  { group: 'Other', name: 'version', summary: 'Print the client and server versions', load: () => import('./commands/version.js') },
];

/** The workflow actions share one module; each entry picks its command from it. */
function action(name: 'retry' | 'resubmit' | 'suspend' | 'resume' | 'stop' | 'terminate'): Promise<{ command: Command }> {
  return import('./commands/workflow-actions.js').then((m) => ({ command: m[name] }));
}

function findCommand(name: string): Entry | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
}

export function topLevelHelp(): string {
  const lines = ['drover runs Kubernetes batch/v1 Jobs (and the ConfigMaps, Secrets, PVCs they use) and Argo Workflows on this machine, with kubectl\'s and argo\'s habits.', ''];
  const groups = [...new Set(COMMANDS.map((c) => c.group))];
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  for (const g of groups) {
    lines.push(`${g}:`);
    for (const c of COMMANDS.filter((x) => x.group === g)) lines.push(`  ${c.name.padEnd(width)}${c.summary}`);
    lines.push('');
  }
  lines.push('Usage:', '  drover [command] [options]', '', 'Use "drover <command> --help" for more information about a given command.');
  return lines.join('\n') + '\n';
}

/**
 * Moves the command name to the front when global flags come first (`drover -n ml get jobs`),
 * as kubectl allows.
 */
export function commandFirst(argv: readonly string[]): string[] {
  const valued = new Set(GLOBAL_FLAGS.filter((f) => f.type !== 'boolean').flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') return i === 0 ? [...argv] : [a, ...argv.slice(0, i), ...argv.slice(i + 1)];
    if (a === '--') return [...argv];
    if (valued.has(a)) i++;
  }
  return [...argv];
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(rawArgv: readonly string[], ctx: Ctx = processCtx()): Promise<number> {
  const argv = commandFirst(rawArgv);
  const first = argv[0];
  if (first === undefined || first === 'help' && argv.length === 1 || first === '--help' || first === '-h') {
    ctx.stdout.write(topLevelHelp());
    return 0;
  }
  if (first === '--version') return main(['version', '--client', ...argv.slice(1)], ctx);
  let name = first;
  let rest = argv.slice(1);
  let wantHelp = false;
  if (first === 'help') {
    name = argv[1]!;
    rest = [];
    wantHelp = true;
  }
  const entry = findCommand(name);
  if (!entry) {
    ctx.stderr.write(`error: unknown command "${name}" for "drover"\nRun 'drover --help' for usage.\n`);
    return 1;
  }
  let verbose = rest.includes('-v') || rest.includes('--verbose');
  try {
    const { command } = await entry.load();
    if (wantHelp) {
      ctx.stdout.write(helpText(command));
      return 0;
    }
    const args = parseArgs(rest, [...command.flags, ...GLOBAL_FLAGS], command.name);
    verbose = args.bool('verbose');
    if (args.bool('help')) {
      ctx.stdout.write(helpText(command));
      return 0;
    }
    return await command.run(ctx, args);
  } catch (err) {
    return reportError(ctx, err, entry.name, verbose);
  }
}
