/**
 * Image → environment: what a notebook's image stands for on this machine, where there are no
 * images. An image whose name (its repository path, not the registry or tag) contains `jupyter`
 * (kubeflownotebookswg/jupyter-scipy, jupyter-pytorch-full, quay.io/jupyter/base-notebook…) is
 * JupyterLab, run from the virtual environment scripts/jupyter-env.sh makes. Pure.
 */

export interface NotebookEnvironment {
  name: 'jupyterlab';
  /** The command when the container gives none (what Kubeflow's images run from s6). */
  command: string[];
  /** Variables the container gets unless it sets them itself. */
  env: Record<string, string>;
}

/** The repository path of an image reference, lower case: `registry:5000/a/b:tag@sha256:…` → `a/b`. */
export function imageRepository(image: string): string {
  let rest = image.trim().toLowerCase().split('@')[0]!;
  const slash = rest.indexOf('/');
  // A first part with a dot, a colon or `localhost` is a registry host.
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') rest = rest.slice(slash + 1);
  }
  const colon = rest.lastIndexOf(':');
  return colon > rest.lastIndexOf('/') ? rest.slice(0, colon) : rest;
}

export function isJupyterImage(image: string | undefined): boolean {
  return !!image && imageRepository(image).includes('jupyter');
}

/** A plain PATH for pods whose environment puts its own bin first. */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The environment of `image`, or undefined when Drover knows none (the container must then say
 * what to run). `prefix` is the notebook's NB_PREFIX, `home` where it keeps its files.
 */
export function notebookEnvironment(image: string | undefined, o: { jupyterEnv: string; prefix: string; port: number; home: string }): NotebookEnvironment | undefined {
  if (!isJupyterImage(image)) return undefined;
  return {
    name: 'jupyterlab',
    // Kubeflow's jupyter images start the same server: no token or password (the proxy in front is
    // the gate), any origin, the prefix as base URL.
    command: [
      `${o.jupyterEnv}/bin/jupyter`, 'lab',
      `--notebook-dir=${o.home}`,
      '--ip=0.0.0.0', `--port=${o.port}`, '--no-browser', '--allow-root',
      '--ServerApp.token=', '--ServerApp.password=',
      '--ServerApp.allow_origin=*', '--ServerApp.allow_remote_access=True',
      '--ServerApp.authenticate_prometheus=False',
      `--ServerApp.base_url=${o.prefix}`,
    ],
    env: {
      PATH: `${o.jupyterEnv}/bin:${SYSTEM_PATH}`,
      HOME: o.home,
      // Not on the workspace claim: sockets and kernel connection files there cause permission trouble upstream.
      JUPYTER_RUNTIME_DIR: '/tmp/jupyter_runtime',
    },
  };
}
