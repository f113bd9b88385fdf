import { writeFileSync } from 'node:fs';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The Go server (make run) that `make web-dev` proxies the API to.
const api = process.env.OMNIFY_DEV_API ?? 'http://localhost:8080';

// In the dev server, /playground is the playground page as the Go server
// serves it from the build.
function playgroundRoute(): Plugin {
  return {
    name: 'omnify-playground-route',
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        if (req.url === '/playground' || req.url?.startsWith('/playground?')) {
          req.url = req.url.replace('/playground', '/playground.html');
        }
        next();
      });
    },
  };
}

// The build empties dist; the Go embed needs the directory even before the
// first build, so its placeholder file is put back.
function keepDist(): Plugin {
  return {
    name: 'omnify-keep-dist',
    apply: 'build',
    closeBundle() {
      writeFileSync('dist/.gitkeep', '');
    },
  };
}

export default defineConfig(({ mode }) => ({
  plugins: [react(), playgroundRoute(), keepDist()],
  // Apollo Client's development checks and messages stay out of the build.
  define: mode === 'production' ? { 'globalThis.__DEV__': 'false' } : {},
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    // Read by scripts/check-bundle-size.mjs.
    manifest: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: { main: 'index.html', playground: 'playground.html' },
    },
  },
  server: {
    port: 5173,
    proxy: {
      '/graphql': { target: api, ws: true, changeOrigin: false },
      '/healthz': api,
      '/readyz': api,
      '/metrics': api,
    },
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'node',
  },
}));
