/** Live collections: a watch kept in component state, redrawn at most every 100 ms. */
import { useEffect, useState } from 'preact/hooks';
import { watch, type Obj } from './api.js';

export interface Live {
  items: Obj[];
  loaded: boolean;
  error?: string;
}

const key = (o: Obj) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export function useWatch(path: string | undefined): Live {
  const [state, setState] = useState<Live>({ items: [], loaded: false });
  useEffect(() => {
    setState({ items: [], loaded: false });
    if (!path) return;
    const abort = new AbortController();
    const map = new Map<string, Obj>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    const flush = () => {
      timer = undefined;
      last = Date.now();
      setState({ items: [...map.values()], loaded: true });
    };
    // The first change after a quiet spell is drawn at once; a burst is drawn at most every 100 ms.
    const later = () => {
      if (timer) return;
      const wait = last + 100 - Date.now();
      if (wait <= 0) flush();
      else timer = setTimeout(flush, wait);
    };
    watch(path, {
      onReset(items) {
        map.clear();
        for (const o of items) map.set(key(o), o);
        flush();
      },
      onEvent(e) {
        if (e.type === 'DELETED') map.delete(key(e.object));
        else map.set(key(e.object), e.object);
        later();
      },
      onError(err) {
        setState((s) => ({ ...s, loaded: true, error: err.message }));
      },
    }, abort.signal);
    return () => {
      abort.abort();
      if (timer) clearTimeout(timer);
    };
  }, [path]);
  return state;
}

/** The current location hash, split: `#/jobs/ns/name` → ['jobs', 'ns', 'name']. */
export function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
