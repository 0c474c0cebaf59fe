/**
 * Builds the admin dashboard (`index.html`) and the offline GraphQL IDE (`ide.html`) into `dist/`, which the
 * gateway serves at `/admin` and `/graphiql`. Everything the pages load comes from this build: no CDN.
 * `npm run dev -w @care-graph/admin` serves the pages with hot reload and forwards the API to a running gateway.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const gateway = process.env.GATEWAY_URL ?? 'http://localhost:4000';

export default defineConfig({
  base: '/admin/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // GraphiQL's editor (Monaco) is large by nature; it loads only on the IDE page.
    chunkSizeWarningLimit: 5_000,
    rolldownOptions: {
      input: { admin: 'index.html', ide: 'ide.html' },
      onwarn(warning, warn) {
        // GraphiQL's modules carry React Compiler directives ("use no memo"); a bundle cannot keep them and need not.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: {
      '/graphql': { target: gateway, ws: true },
      '/rosters': gateway,
      '/admin/settings.json': gateway,
      '/admin/dev-token': gateway,
    },
  },
});
