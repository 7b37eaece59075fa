/**
 * Where monaco starts its web workers: our own builds of them, served next to the page.
 * Imported before graphiql, whose own setup-workers files assume webpack, vite or a CDN.
 */
const workers = __MONACO_WORKERS__;

(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    const url = label === 'json' ? workers.json : label === 'graphql' ? workers.graphql : workers.editor;
    return new Worker(url, { name: label });
  },
};
