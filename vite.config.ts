import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// base './' so the static build works when served from any sub-path.
export default defineConfig({
  base: './',
  plugins: [react()],
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
  server: { port: 5173 },
});
