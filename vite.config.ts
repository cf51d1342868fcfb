import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The Content-Security-Policy of the built app: scripts and workers only from the app's own files
 * (no inline script, no eval), styles inline too (React's style props, xterm.js), nothing fetched
 * from elsewhere. Injected only into the production build: Vite's dev server serves an inline
 * React-refresh preamble and evaluates modules a strict policy would block. A meta policy does not
 * reach workers (theirs comes with their script's response), so `vite preview` also sends it as a
 * header, for the page and the workers alike; a static host should send the same header.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'lockstep-csp',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      // Right after the charset (which must come first), before any script or style.
      handler: (html) => html.replace(/(<meta charset="[^"]*"\s*\/?>)/i, `$1\n    <meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}" />`),
    },
  };
}

/**
 * Cross-origin isolation: with these two headers the page may share memory with its workers, so
 * the primary's and the backup's realms read each other's progress without a message (see
 * src/workers/sharedClock.ts). Without them (a static host that does not send them) the workers
 * fall back to progress messages, slower but the same protocol.
 */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// base './' so the static build works when served from any sub-path.
export default defineConfig({
  base: './',
  plugins: [react(), contentSecurityPolicy()],
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
  server: { port: 5173, headers: ISOLATION_HEADERS },
  preview: { headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, ...ISOLATION_HEADERS } },
});
