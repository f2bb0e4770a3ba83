import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const pkg = { version: process.env.npm_package_version ?? '0.1.0' };

export default defineConfig({
  // Relative base: one build works at any path on any host (the signaling server, a CDN, ...).
  base: './',
  // Read @peerfetch/shared from its TypeScript sources; no separate build step needed.
  resolve: { conditions: ['source', 'module', 'browser', 'development|production'] },
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
  build: { target: 'es2022', sourcemap: true },
  plugins: [
    vue(),
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      // Our own worker (src/sw.ts): the precache and navigation fallback, plus the device bridge.
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      includeAssets: ['icons/favicon-64.png', 'icons/apple-touch-icon-180.png'],
      manifest: {
        id: './',
        name: 'PeerFetch',
        short_name: 'PeerFetch',
        description: 'Your home devices in your pocket, peer-to-peer, with no cloud in between.',
        start_url: './',
        scope: './',
        display: 'standalone',
        orientation: 'any',
        theme_color: '#0f766e',
        background_color: '#0b1220',
        categories: ['utilities', 'productivity'],
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          {
            src: 'icons/icon-maskable-512.png',
            sizes: '512x512',
            type: 'image/png',
            purpose: 'maskable',
          },
        ],
      },
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
      },
    }),
  ],
});
