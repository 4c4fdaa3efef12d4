import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

/** Where `pnpm --filter runnel-web dev` sends API calls: a local `pnpm start`. */
const apiTarget = "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    host: "127.0.0.1",
    proxy: { "/api": apiTarget, "/health": apiTarget },
  },
});
