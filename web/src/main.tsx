/**
 * The dashboard: a login page that takes a bearer token, then live pages over the API. Routes are
 * the location's hash (#/jobs/ns/name), so every page is the one document the server serves at `/`.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { canI, getJson, lastAuthError, onTokenChange, setToken, token, whoAmI, type Obj } from './api.js';
import { useRoute } from './hooks.js';
import { Overview } from './pages/overview.js';
import { JobDetail, JobsPage, PodDetail } from './pages/jobs.js';
import { WorkflowDetail, WorkflowsPage } from './pages/workflows.js';
import { ExperimentDetail, ExperimentsPage } from './pages/experiments.js';
import { ApplyPage } from './pages/apply.js';
import { KindObject, KindsPage } from './pages/kinds.js';
import { NotebooksPage } from './pages/notebooks.js';
import { TrainingDetail, TrainingPage } from './pages/training.js';
import './style.css';

function Login() {
  const [value, setValue] = useState('');
  const [error, setError] = useState(lastAuthError);
  const submit = async (e: Event) => {
    e.preventDefault();
    setToken(value.trim());
    try {
      await whoAmI();
    } catch (err) {
      setToken(null);
      setError((err as Error).message);
    }
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>Drover</h1>
      <p>Paste a bearer token: the one in the kubeconfig <code>drover up</code> wrote (<code>drover kubeconfig</code> prints it), or one from <code>drover token create USER</code>.</p>
      <input type="password" name="token" autoComplete="off" placeholder="token" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
      <button type="submit">Sign in</button>
      {error && <p class="error" data-testid="login-error">{error}</p>}
      <p class="muted">The token stays in this tab (sessionStorage) and is sent only to this server.</p>
    </form>
  );
}

interface Access {
  user: string;
  /** Namespaces whose pods the user may list. */
  namespaces: string[];
  /** Whether the user may list across namespaces. */
  all: boolean;
}

/** What the user may see: the server's list of the namespaces they may read, and whether all at once. */
async function loadAccess(): Promise<Access> {
  const [me, all, visible] = await Promise.all([whoAmI(), canI('list', 'pods'), getJson<{ items: Obj[] }>('/apis/drover.dev/v1/visiblenamespaces')]);
  return { user: me.username, namespaces: visible.items.map((n) => n.metadata.name), all };
}

const NS_KEY = 'drover.namespace';

function NamespacePicker({ access, ns, setNs }: { access: Access; ns: string; setNs(ns: string): void }) {
  return (
    <select class="ns" value={ns} onChange={(e) => setNs((e.target as HTMLSelectElement).value)} data-testid="namespace">
      {access.all && <option value="">all namespaces</option>}
      {access.namespaces.map((n) => <option value={n}>{n}</option>)}
    </select>
  );
}

function Shell() {
  const route = useRoute();
  const [access, setAccess] = useState<Access | undefined>(undefined);
  const [error, setError] = useState('');
  const [ns, setNsState] = useState(sessionStorage.getItem(NS_KEY) ?? '');
  const setNs = (n: string) => {
    sessionStorage.setItem(NS_KEY, n);
    setNsState(n);
  };
  // Ages and durations move on between events: draw again every few seconds.
  const [, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 5000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    loadAccess().then((a) => {
      setAccess(a);
      if (!a.all && !a.namespaces.includes(ns)) setNs(a.namespaces[0] ?? '');
    }, (err: Error) => setError(err.message));
  }, []);
  if (error) return <p class="error">{error}</p>;
  if (!access) return <p class="muted">Loading…</p>;
  const [page = '', a = '', b = '', c = ''] = route;
  const nav = [['', 'Overview'], ['jobs', 'Jobs and pods'], ['workflows', 'Workflows'], ['experiments', 'Experiments'], ['training', 'Training'], ['notebooks', 'Notebooks'], ['kinds', 'All kinds'], ['apply', 'Apply YAML']] as const;
  const section = page === 'pods' ? 'jobs' : page;
  let body;
  if (!access.all && access.namespaces.length === 0) body = <p>This token may read no namespace yet: ask an admin for a RoleBinding.</p>;
  else if (page === 'jobs' && b) body = <JobDetail namespace={a} name={b} />;
  else if (page === 'jobs') body = <JobsPage ns={ns} />;
  else if (page === 'pods' && b) body = <PodDetail namespace={a} name={b} />;
  else if (page === 'workflows' && b) body = <WorkflowDetail namespace={a} name={b} />;
  else if (page === 'workflows') body = <WorkflowsPage ns={ns} />;
  else if (page === 'experiments' && b) body = <ExperimentDetail namespace={a} name={b} />;
  else if (page === 'experiments') body = <ExperimentsPage ns={ns} />;
  else if (page === 'training' && c) body = <TrainingDetail kind={a} namespace={b} name={c} />;
  else if (page === 'training') body = <TrainingPage ns={ns} kind={a} />;
  else if (page === 'notebooks') body = <NotebooksPage ns={ns} />;
  else if (page === 'apply') body = <ApplyPage ns={ns} />;
  else if (page === 'kinds' && c) body = <KindObject kind={a} namespace={b} name={c} />;
  else if (page === 'kinds') body = <KindsPage ns={ns} kind={a} />;
  else body = <Overview ns={ns} />;
  return (
    <div class="shell">
      <header>
        <strong class="brand">Drover</strong>
        <nav>{nav.map(([p, label]) => <a href={`#/${p}`} class={section === p ? 'active' : ''}>{label}</a>)}</nav>
        <NamespacePicker access={access} ns={ns} setNs={setNs} />
        <span class="user" data-testid="user">{access.user}</span>
        <button onClick={() => setToken(null)}>Sign out</button>
      </header>
      <main key={`${ns}/${route.join('/')}`}>{body}</main>
    </div>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(!!token());
  useEffect(() => onTokenChange(() => setSignedIn(!!token())), []);
  return signedIn ? <Shell /> : <Login />;
}

render(<App />, document.getElementById('app')!);
